"""Local financial organization supervision, pure (Polars, no Django): regulatory ratios from the latest
periodic report against the versioned rules (data/local_finance.yaml), the classification rating over five
dimensions (分类监管), and 空壳 / 失联 detection. docs/risk.md describes each rule and scale.

Inputs are plain frames (``ORGS``, ``REPORTS``) built by ``risk.supervision``; the output is one dict per
organization with its ratios (value, bound, breach, source), rating and flags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

ORGS = {
    "org_id": pl.Int64,
    "kind": pl.Utf8,
    "serves_small_micro": pl.Boolean,
    "officers": pl.Int64,
    "address_reachable": pl.Boolean,
    "violations": pl.Int64,
    "registered_capital": pl.Float64,  # 万元, from the registry (典当 ratios are to registered capital)
}
AMOUNTS = (
    "net_assets",
    "total_assets",
    "paid_in_capital",
    "guarantee_balance",
    "loan_balance",
    "top_client_balance",
    "top_client_group_balance",
    "nonstandard_funding",
    "standard_funding",
    "lease_assets",
    "cash_and_treasuries",
    "small_micro_share",
    "tax_paid",
    "property_rights_pawn",
    "real_estate_pawn",
    "real_estate_pawn_max_single",
    "related_receivables",
)
REPORTS = {
    "org_id": pl.Int64,
    "period_end": pl.Date,
    **dict.fromkeys(AMOUNTS, pl.Float64),
    "insured_staff": pl.Int64,
}
DIMENSIONS = ("scale", "service", "management", "credit", "risk")
DIMENSION_LABELS = {
    "scale": "经营规模",
    "service": "服务对象",
    "management": "内部管理",
    "credit": "信用状况",
    "risk": "风险状况",
}
FLAG_LABELS = {
    "no_report": "未按期报送报表",
    "no_tax": "无纳税记录",
    "no_insurance": "无社保缴纳人员",
    "unreachable": "经营地址无法联系",
}
STATUS_LABELS = {"missing": "失联", "shell": "空壳", "normal": "正常"}


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    label: str
    numerator: str
    denominator: str
    max: float | None
    min: float | None
    max_small_micro: float | None
    unit: str
    source: str
    quote: str
    verified: str
    evidence: str = ""  # the excerpt (data/law_excerpts.yaml) the quote was checked against
    capital_below: float | None = None  # applies only when registered capital (万元) is below this
    capital_at_least: float | None = None  # ... or at least this


@dataclass(frozen=True)
class Params:
    version: str
    rules: tuple[Rule, ...]
    scale: tuple[tuple[float, int], ...]
    service: tuple[tuple[float, int], ...]
    grades: tuple[tuple[int, str], ...]
    report_overdue_days: int


def applies(rule: Rule, kind: str, registered_capital: float) -> bool:
    """Whether a rule applies to an organization of this kind and registered capital (万元)."""
    if rule.kind != kind:
        return False
    if rule.capital_below is not None and registered_capital >= rule.capital_below:
        return False
    return rule.capital_at_least is None or registered_capital >= rule.capital_at_least


def params_from(data: dict) -> Params:
    rules = tuple(
        Rule(
            id=r["id"],
            kind=r["kind"],
            label=r["label"],
            numerator=r["numerator"],
            denominator=r.get("denominator") or "",
            max=r.get("max"),
            min=r.get("min"),
            max_small_micro=r.get("max_small_micro"),
            unit=r["unit"],
            source=r["source"],
            quote=r["quote"],
            verified=r["verified"],
            evidence=r.get("evidence", ""),
            capital_below=r.get("capital_below"),
            capital_at_least=r.get("capital_at_least"),
        )
        for r in data["rules"]
    )
    rating = data["rating"]
    return Params(
        version=str(data["version"]),
        rules=rules,
        scale=tuple((float(a), int(b)) for a, b in rating["scale_net_assets"]),
        service=tuple((float(a), int(b)) for a, b in rating["service_share"]),
        grades=tuple((int(a), str(b)) for a, b in rating["grades"]),
        report_overdue_days=int(data["dormancy"]["report_overdue_days"]),
    )


def frame(rows, schema: dict) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def latest_reports(reports: pl.DataFrame) -> pl.DataFrame:
    """The newest report per organization, with the derived figure risk_assets (total − cash and treasuries)."""
    return (
        reports.sort("period_end", descending=True)
        .unique("org_id", keep="first")
        .with_columns(
            (pl.col("total_assets") - pl.col("cash_and_treasuries").fill_null(0)).alias("risk_assets")
        )
    )


def ratios(orgs: pl.DataFrame, latest: pl.DataFrame, p: Params) -> pl.DataFrame:
    """One row per (organization, applicable rule) with a reported figure: value, bound, breach."""
    joined = orgs.join(latest, on="org_id", how="inner")
    parts = []
    for r in p.rules:
        sub = joined.filter(pl.col("kind") == r.kind)
        if r.capital_below is not None:
            sub = sub.filter(pl.col("registered_capital") < r.capital_below)
        if r.capital_at_least is not None:
            sub = sub.filter(pl.col("registered_capital") >= r.capital_at_least)
        if sub.is_empty() or r.numerator not in sub.columns:
            continue
        num = pl.col(r.numerator)
        value = (
            num if not r.denominator else pl.when(pl.col(r.denominator) > 0).then(num / pl.col(r.denominator))
        )
        if r.max is not None:
            bound = pl.lit(float(r.max))
            if r.max_small_micro is not None:
                bound = pl.when(pl.col("serves_small_micro")).then(float(r.max_small_micro)).otherwise(bound)
        else:
            bound = pl.lit(float(r.min))
        parts.append(
            sub.filter(num.is_not_null())
            .select(
                "org_id",
                pl.lit(r.id).alias("rule"),
                value.alias("value"),
                bound.alias("bound"),
                pl.lit("max" if r.max is not None else "min").alias("side"),
            )
            .with_columns(
                pl.when(pl.col("value").is_null())
                .then(True)  # no positive denominator (net assets 0): the ratio cannot be met
                .when(pl.col("side") == "max")
                .then(pl.col("value") > pl.col("bound"))
                .otherwise(pl.col("value") < pl.col("bound"))
                .alias("breach")
            )
        )
    schema = {
        "org_id": pl.Int64,
        "rule": pl.Utf8,
        "value": pl.Float64,
        "bound": pl.Float64,
        "side": pl.Utf8,
        "breach": pl.Boolean,
    }
    return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame(schema=schema)


def _tiers(col: str, tiers) -> pl.Expr:
    expr = pl.lit(0)
    for threshold, points in reversed(tiers):  # highest threshold checked last, so it wins
        expr = pl.when(pl.col(col) >= threshold).then(points).otherwise(expr)
    return pl.when(pl.col(col).is_null()).then(0).otherwise(expr)


def assess(orgs: pl.DataFrame, reports: pl.DataFrame, today: dt.date, p: Params) -> pl.DataFrame:
    """Per organization: flags, status (失联 / 空壳 / 正常), breaches, the five dimension points, total, grade."""
    latest = latest_reports(reports)
    rat = ratios(orgs, latest, p)
    breaches = rat.filter(pl.col("breach")).group_by("org_id").agg(pl.col("rule").alias("breaches"))
    cutoff = today - dt.timedelta(days=p.report_overdue_days)
    df = (
        orgs.join(latest, on="org_id", how="left")
        .join(breaches, on="org_id", how="left")
        .with_columns(pl.col("breaches").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))))
        .with_columns(
            (pl.col("period_end").is_null() | (pl.col("period_end") < cutoff)).alias("no_report"),
            (pl.col("tax_paid").fill_null(0) <= 0).alias("no_tax"),
            (pl.col("insured_staff").fill_null(0) <= 0).alias("no_insurance"),
            (pl.col("address_reachable") == False).fill_null(False).alias("unreachable"),  # noqa: E712
            (
                pl.col("guarantee_balance").fill_null(0)
                + pl.col("loan_balance").fill_null(0)
                + pl.col("lease_assets").fill_null(0)
            ).alias("business"),
            pl.col("breaches").list.len().alias("n_breaches"),
        )
        .with_columns(
            pl.when(pl.col("unreachable") & pl.col("no_report"))
            .then(pl.lit("missing"))
            .when(
                pl.col("no_tax") & pl.col("no_insurance") & (pl.col("no_report") | (pl.col("business") <= 0))
            )
            .then(pl.lit("shell"))
            .otherwise(pl.lit("normal"))
            .alias("status"),
            _tiers("net_assets", p.scale).alias("pts_scale"),
            _tiers("small_micro_share", p.service).alias("pts_service"),
            (
                pl.min_horizontal(pl.col("officers").fill_null(0) * 3, pl.lit(10))
                + pl.when(pl.col("no_report")).then(0).otherwise(10)
            ).alias("pts_management"),
            pl.max_horizontal(pl.lit(0), 20 - 7 * pl.col("violations").fill_null(0)).alias("pts_credit"),
            pl.when(pl.col("unreachable"))
            .then(0)
            .otherwise(pl.max_horizontal(pl.lit(0), 20 - 7 * pl.col("n_breaches")))
            .alias("pts_risk"),
        )
        .with_columns(pl.sum_horizontal(*(f"pts_{d}" for d in DIMENSIONS)).alias("score"))
    )
    grade = pl.lit(p.grades[-1][1])
    for threshold, label in reversed(p.grades):
        grade = pl.when(pl.col("score") >= threshold).then(pl.lit(label)).otherwise(grade)
    return df.with_columns(grade.alias("grade"))

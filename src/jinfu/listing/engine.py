"""The listing standards engine (pure: no Django).

* ``load_rulebook`` reads ``data/standards.yaml``: boards → versions (effective dates, source) →
  standards → named conditions, each a rule-language expression over ``LISTING_FIELDS``.
* ``evaluate_row`` answers one enterprise (readiness page): per board and standard each condition met
  or not, with its actual value and the gap ("最近一年净利润还差 1,200万元").
* ``evaluate_frame`` answers many (Polars): one boolean and one share column per standard, and the
  derived ``best_share`` / ``standards_met`` that the reserve criteria read.
* ``financial_frame`` turns statements (one row per enterprise and year) into the wide frame.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from sqlglot import exp

from jinfu.rules import Catalog, Rule, RuleError, compile_rule
from jinfu.rules.compile import is_literal, literal_value
from jinfu.rules.validate import DIALECT

from .catalog import LISTING_FIELDS, RESERVE_FIELDS

DATA_DIR = Path(__file__).resolve().parent / "data"
BOARDS = ("main", "star", "chinext", "bse")


class StandardsError(ValueError):
    """A standards or criteria file that does not validate; names the place and the rule error."""

    def __init__(self, where: str, message_zh: str, message_en: str, rule_error: RuleError | None = None):
        self.where = where
        self.message_zh = message_zh
        self.message_en = message_en
        self.rule_error = rule_error
        super().__init__(f"{where}: {message_en}")


@dataclass(frozen=True)
class Condition:
    key: str
    label: str
    rule: Rule
    unit: str = "万元"


@dataclass(frozen=True)
class Standard:
    key: str
    name: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class BoardVersion:
    board: str
    board_name: str
    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    title: str
    source: str
    standards: tuple[Standard, ...]

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class Rulebook:
    versions: dict[str, tuple[BoardVersion, ...]]

    @property
    def boards(self) -> list[str]:
        return list(self.versions)

    def in_force(self, board: str, on: dt.date | None = None) -> BoardVersion:
        on = on or dt.date.today()
        for v in self.versions[board]:
            if v.in_force(on):
                return v
        raise LookupError(f"no version of {board} in force on {on}")

    def version(self, board: str, version: str) -> BoardVersion:
        for v in self.versions[board]:
            if v.version == version:
                return v
        raise LookupError(f"{board} has no version {version}")

    def current(self, on: dt.date | None = None) -> list[BoardVersion]:
        out = []
        for b in self.boards:
            try:
                out.append(self.in_force(b, on))
            except LookupError:
                continue
        return out


def _date(v, where) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise StandardsError(where, f"日期无效：{v}", f"invalid date: {v}") from None


def _condition(raw: dict, where: str, catalog: Catalog) -> Condition:
    for k in ("key", "label", "rule"):
        if not raw.get(k):
            raise StandardsError(where, f"条件缺少 {k}", f"condition lacks {k}")
    try:
        rule = compile_rule(str(raw["rule"]), catalog)
    except RuleError as e:
        raise StandardsError(
            f"{where}/{raw['key']}",
            f"规则无效：{e.message_zh}（第 {e.col} 列）",
            f"invalid rule: {e.message_en} (col {e.col})",
            e,
        ) from None
    return Condition(str(raw["key"]), str(raw["label"]), rule, str(raw.get("unit", "万元")))


def parse_rulebook(data: dict, catalog: Catalog = LISTING_FIELDS) -> Rulebook:
    """Validate a parsed standards document; every rule must compile against the catalog."""
    if not isinstance(data, dict) or not isinstance(data.get("boards"), dict):
        raise StandardsError("standards", "缺少 boards", "missing 'boards'")
    versions: dict[str, tuple[BoardVersion, ...]] = {}
    for board, bdata in data["boards"].items():
        out = []
        for v in bdata.get("versions") or []:
            where = f"{board}@{v.get('version')}"
            common = tuple(
                _condition(c, f"{where}/common", catalog) for c in v.get("common_conditions") or []
            )
            standards = []
            for s in v.get("standards") or []:
                conds = tuple(
                    _condition(c, f"{where}/{s.get('key')}", catalog) for c in s.get("conditions") or []
                )
                if not conds:
                    raise StandardsError(
                        f"{where}/{s.get('key')}", "标准没有条件", "standard has no conditions"
                    )
                standards.append(Standard(str(s["key"]), str(s["name"]), conds + common))
            start = _date(v.get("effective_from"), where)
            if start is None:
                raise StandardsError(where, "缺少生效日期", "missing effective_from")
            out.append(
                BoardVersion(
                    board,
                    str(bdata.get("name", board)),
                    str(v["version"]),
                    start,
                    _date(v.get("effective_to"), where),
                    str(v.get("title", "")),
                    str(v.get("source", "")),
                    tuple(standards),
                )
            )
        out.sort(key=lambda x: x.effective_from, reverse=True)
        for newer, older in zip(out, out[1:], strict=False):
            if older.effective_to is None or older.effective_to >= newer.effective_from:
                raise StandardsError(
                    f"{board}@{older.version}", "版本有效期重叠", "versions overlap (set effective_to)"
                )
        versions[board] = tuple(out)
    return Rulebook(versions)


@lru_cache(maxsize=4)
def load_rulebook(path: str | None = None) -> Rulebook:
    p = Path(path) if path else DATA_DIR / "standards.yaml"
    return parse_rulebook(yaml.safe_load(p.read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------
# One enterprise: conditions with actual values and gaps
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionResult:
    key: str
    label: str
    met: bool | None
    actual: float | None
    threshold: float | None
    gap: float | None
    unit: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class StandardResult:
    key: str
    name: str
    met: bool
    share: float  # % of conditions met
    conditions: tuple[ConditionResult, ...]


@dataclass(frozen=True)
class BoardResult:
    board: str
    name: str
    version: str
    title: str
    source: str
    met: bool
    best_share: float
    standards: tuple[StandardResult, ...] = field(default=())


@lru_cache(maxsize=4096)
def _measure_rule(sql: str, catalog: Catalog) -> Rule:
    return compile_rule(sql, catalog, kind="number")


def _strip(n):
    while isinstance(n, exp.Paren):
        n = n.this
    return n


def _num(v):
    if v is None or isinstance(v, bool):
        return None
    f = float(v)
    return None if f != f else f


def _gap(node, row, catalog) -> tuple[float | None, float | None, float | None]:
    """(actual, threshold, gap) of a condition node; gap > 0 is the shortfall, 0 when met."""
    node = _strip(node)
    if isinstance(node, exp.GTE | exp.GT | exp.LTE | exp.LT) and is_literal(node.expression):
        thr = literal_value(node.expression)
        if not isinstance(thr, float):
            return None, None, None
        actual = _num(_measure_rule(node.this.sql(dialect=DIALECT), catalog).evaluate(row))
        if actual is None:
            return None, thr, None
        short = thr - actual if isinstance(node, exp.GTE | exp.GT) else actual - thr
        if isinstance(node, exp.GT | exp.LT) and short == 0:
            short = 0.01  # strictly above: the smallest step (0.01 万元 = 100 元)
        return actual, thr, max(short, 0.0)
    if isinstance(node, exp.And):
        parts = [_gap(c, row, catalog) for c in (node.this, node.expression)]
        if any(p[2] is None for p in parts):
            return None, None, None
        return None, None, sum(p[2] for p in parts)
    if isinstance(node, exp.Or):
        parts = [_gap(c, row, catalog) for c in (node.this, node.expression)]
        gaps = [p[2] for p in parts if p[2] is not None]
        return None, None, (min(gaps) if gaps else None)
    return None, None, None


def fmt_amount(v: float, unit: str) -> str:
    if unit == "%":
        return f"{v:,.2f}".rstrip("0").rstrip(".") + " 个百分点"
    s = f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{s}{unit}"


def fmt_value(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    s = f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{s}{'%' if unit == '%' else unit}"


def evaluate_condition(cond: Condition, row: dict) -> ConditionResult:
    value = cond.rule.evaluate(row)
    met = None if value is None else bool(value)
    actual, thr, gap = _gap(cond.rule.node, row, cond.rule.catalog)
    if met is None:
        missing = sorted(f for f in cond.rule.fields if row.get(f) is None)
        names = "、".join(cond.rule.catalog[f].label_zh for f in missing) or "数据"
        zh, en = f"缺少{names}，无法判断", f"missing {', '.join(missing) or 'data'}: cannot decide"
    elif met:
        zh, en, gap = "满足", "met", 0.0
    elif gap is not None:
        zh = f"不满足，还差 {fmt_amount(gap, cond.unit)}"
        en = f"not met, short by {gap:,.2f} {'percentage points' if cond.unit == '%' else cond.unit}"
    else:
        zh, en = "不满足", "not met"
    if actual is not None and met is not None:
        zh += f"（实际 {fmt_value(actual, cond.unit)}）"
    return ConditionResult(cond.key, cond.label, met, actual, thr, gap, cond.unit, zh, en)


def evaluate_standard(std: Standard, row: dict) -> StandardResult:
    results = tuple(evaluate_condition(c, row) for c in std.conditions)
    n_met = sum(1 for r in results if r.met)
    return StandardResult(
        std.key, std.name, n_met == len(results), round(100.0 * n_met / len(results), 2), results
    )


def evaluate_row(row: dict, rulebook: Rulebook | None = None, on: dt.date | None = None) -> list[BoardResult]:
    """Every board's standards in force on ``on`` (default today) for one enterprise row."""
    rulebook = rulebook or load_rulebook()
    return [evaluate_board(v, row) for v in rulebook.current(on)]


def evaluate_board(version: BoardVersion, row: dict) -> BoardResult:
    stds = tuple(evaluate_standard(s, row) for s in version.standards)
    return BoardResult(
        version.board,
        version.board_name,
        version.version,
        version.title,
        version.source,
        any(s.met for s in stds),
        max((s.share for s in stds), default=0.0),
        stds,
    )


def summary(results: list[BoardResult]) -> dict:
    """The derived fields the reserve criteria read."""
    return {
        "best_share": max((b.best_share for b in results), default=0.0),
        "standards_met": sum(1 for b in results for s in b.standards if s.met),
    }


# ---------------------------------------------------------------------------
# Many enterprises (Polars)
# ---------------------------------------------------------------------------


def evaluate_frame(
    df: pl.DataFrame, rulebook: Rulebook | None = None, on: dt.date | None = None
) -> pl.DataFrame:
    """Adds ``<standard>`` (bool) and ``<standard>__share`` (%) for every standard in force, ``board_<b>``
    (bool), ``best_share`` and ``standards_met``. NULL conditions count as not met."""
    rulebook = rulebook or load_rulebook()
    exprs, std_cols, share_cols, board_cols = [], [], [], []
    for v in rulebook.current(on):
        cols = []
        for s in v.standards:
            conds = [c.rule.to_polars().fill_null(False).cast(pl.Int32) for c in s.conditions]
            met_count = pl.sum_horizontal(conds)
            exprs.append((met_count == len(conds)).alias(s.key))
            exprs.append((met_count * 100.0 / len(conds)).round(2).alias(f"{s.key}__share"))
            cols.append(s.key)
            share_cols.append(f"{s.key}__share")
        std_cols += cols
        board_cols.append((v.board, cols))
    out = df.with_columns(exprs)
    out = out.with_columns(
        [pl.any_horizontal([pl.col(c) for c in cols]).alias(f"board_{b}") for b, cols in board_cols]
        + [
            pl.max_horizontal([pl.col(c) for c in share_cols]).alias("best_share"),
            pl.sum_horizontal([pl.col(c).cast(pl.Int32) for c in std_cols]).alias("standards_met"),
        ]
    )
    return out


FS_COLUMNS = {
    "net_profit": "np",
    "revenue": "rev",
    "operating_cash_flow": "ocf",
    "rd_expense": "rd",
    "roe": "roe",
}


def financial_frame(statements: pl.DataFrame, as_of_year: int | None = None) -> pl.DataFrame:
    """Statements (org_id, year, revenue, net_profit, operating_cash_flow, rd_expense, net_assets,
    total_assets, roe) → one row per org_id with np_y1..y3, rev_y1..y3, ocf_y1..y3, rd_y1..y3,
    roe_y1..y2, net_assets_y1, total_assets_y1, fiscal_year.

    y1 is each enterprise's latest year (not after ``as_of_year`` when given); y2/y3 are the two
    calendar years before it — a missing year stays NULL (never borrowed from an older year)."""
    s = statements
    if as_of_year is not None:
        s = s.filter(pl.col("year") <= as_of_year)
    latest = s.group_by("org_id").agg(pl.col("year").max().alias("fiscal_year"))
    s = s.join(latest, on="org_id").with_columns((pl.col("fiscal_year") - pl.col("year") + 1).alias("k"))
    s = s.filter(pl.col("k") <= 3)
    out = latest
    for k in (1, 2, 3):
        part = s.filter(pl.col("k") == k)
        cols = [pl.col("org_id")]
        for src, prefix in FS_COLUMNS.items():
            if prefix == "roe" and k == 3:
                continue
            cols.append(pl.col(src).cast(pl.Float64).alias(f"{prefix}_y{k}"))
        if k == 1:
            cols += [
                pl.col("net_assets").cast(pl.Float64).alias("net_assets_y1"),
                pl.col("total_assets").cast(pl.Float64).alias("total_assets_y1"),
            ]
        out = out.join(part.select(cols), on="org_id", how="left", maintain_order="left")
    return out


# ---------------------------------------------------------------------------
# Reserve criteria
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TierCriteria:
    tier: str
    name: str
    rule: Rule
    basis: str


@dataclass(frozen=True)
class CriteriaVersion:
    version: str
    effective_from: dt.date
    source: str
    tiers: dict[str, TierCriteria]


def parse_criteria(data: dict, catalog: Catalog = RESERVE_FIELDS) -> list[CriteriaVersion]:
    out = []
    for v in data.get("versions") or []:
        tiers = {}
        for tier, t in (v.get("tiers") or {}).items():
            where = f"reserve@{v.get('version')}/{tier}"
            try:
                rule = compile_rule(str(t["rule"]), catalog)
            except RuleError as e:
                raise StandardsError(
                    where, f"规则无效：{e.message_zh}（第 {e.col} 列）", f"invalid rule: {e.message_en}", e
                ) from None
            tiers[tier] = TierCriteria(tier, str(t.get("name", tier)), rule, str(t.get("basis", "")))
        out.append(
            CriteriaVersion(
                str(v["version"]), _date(v["effective_from"], "reserve"), str(v.get("source", "")), tiers
            )
        )
    out.sort(key=lambda x: x.effective_from, reverse=True)
    return out


@lru_cache(maxsize=4)
def load_criteria(path: str | None = None) -> tuple[CriteriaVersion, ...]:
    p = Path(path) if path else DATA_DIR / "reserve.yaml"
    return tuple(parse_criteria(yaml.safe_load(p.read_text(encoding="utf-8"))))


def criteria_in_force(on: dt.date | None = None, versions=None) -> CriteriaVersion:
    on = on or dt.date.today()
    for v in versions or load_criteria():
        if v.effective_from <= on:
            return v
    raise LookupError(f"no reserve criteria in force on {on}")


def check_tier(tier: TierCriteria, row: dict) -> tuple[bool, list]:
    """(passes, clause explanations) of one tier's entry rule for one row."""
    return tier.rule.passes(row), tier.rule.explain(row)


def evaluate_tiers_frame(df: pl.DataFrame, criteria: CriteriaVersion) -> pl.DataFrame:
    return df.with_columns(
        [t.rule.to_polars().fill_null(False).alias(f"tier_{k}") for k, t in criteria.tiers.items()]
    )


def as_row(values: dict[str, Any]) -> dict[str, Any]:
    """Fill every catalog field (missing → None) so that rules see a complete row."""
    return {f.name: values.get(f.name) for f in RESERVE_FIELDS} | {
        k: v for k, v in values.items() if k not in RESERVE_FIELDS
    }

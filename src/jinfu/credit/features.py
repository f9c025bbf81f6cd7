"""Credit features: the pure derivation from source-record frames to one row per enterprise.

No Django import: the same function runs in a request (refresh of a few enterprises), in a batch over
the whole city and in the benchmark. Windows (``today`` given):

* last complete year = ``today.year - 1``; yearly values (tax, statements, environment) come from the
  latest year up to it;
* monthly records (social insurance, utilities): the 12 complete months before the current month;
* dated records (procurement): the 365 days ending today; court judgments and penalties: 3 years.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

CREDIT_SCHEMA: dict[str, pl.DataType] = {
    "tax_grade": pl.Utf8,
    "tax_paid": pl.Float64,
    "insured_headcount": pl.Int64,
    "insured_growth_12m": pl.Float64,
    "utility_cost_12m": pl.Float64,
    "procurement_amount_12m": pl.Float64,
    "dishonest_debtor": pl.Boolean,
    "enforcement_cases": pl.Int64,
    "judgments_3y": pl.Int64,
    "penalties_3y": pl.Int64,
    "abnormal_listed": pl.Boolean,
    "invention_patents": pl.Int64,
    "utility_patents": pl.Int64,
    "design_patents": pl.Int64,
    "trademarks": pl.Int64,
    "software_copyrights": pl.Int64,
    "rd_expense": pl.Float64,
    "rd_intensity": pl.Float64,
    "net_profit": pl.Float64,
    "debt_ratio": pl.Float64,
    "operating_cash_flow": pl.Float64,
    "env_rating": pl.Utf8,
}

# Input frames and their columns (all carry org_id: Int64).
INPUTS: dict[str, dict[str, pl.DataType]] = {
    "tax": {"org_id": pl.Int64, "year": pl.Int64, "credit_grade": pl.Utf8, "tax_paid": pl.Float64},
    "social_insurance": {"org_id": pl.Int64, "month": pl.Date, "insured": pl.Int64},
    "utility": {"org_id": pl.Int64, "month": pl.Date, "kind": pl.Utf8, "cost": pl.Float64},
    "procurement": {"org_id": pl.Int64, "date": pl.Date, "amount": pl.Float64},
    "court": {"org_id": pl.Int64, "kind": pl.Utf8, "date": pl.Date, "closed": pl.Boolean},
    "penalty": {"org_id": pl.Int64, "date": pl.Date},
    "abnormal": {"org_id": pl.Int64, "listed_on": pl.Date, "removed_on": pl.Date},
    "ip": {"org_id": pl.Int64, "kind": pl.Utf8},
    "environment": {"org_id": pl.Int64, "year": pl.Int64, "rating": pl.Utf8},
    "financials": {
        "org_id": pl.Int64,
        "year": pl.Int64,
        "revenue": pl.Float64,
        "net_profit": pl.Float64,
        "total_assets": pl.Float64,
        "net_assets": pl.Float64,
        "rd_expense": pl.Float64,
        "operating_cash_flow": pl.Float64,
    },
}

COUNT_COLUMNS = (
    "enforcement_cases",
    "judgments_3y",
    "penalties_3y",
    "invention_patents",
    "utility_patents",
    "design_patents",
    "trademarks",
    "software_copyrights",
)
IP_COLUMNS = {
    "invention": "invention_patents",
    "utility": "utility_patents",
    "design": "design_patents",
    "trademark": "trademarks",
    "software_copyright": "software_copyrights",
}


def empty(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=INPUTS[name])


def _add_months(d: dt.date, n: int) -> dt.date:
    m = d.year * 12 + d.month - 1 + n
    return dt.date(m // 12, m % 12 + 1, 1)


def _years_ago(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year - n)
    except ValueError:  # 29 February
        return d.replace(year=d.year - n, day=28)


def _latest_year(df: pl.LazyFrame, last_year: int) -> pl.LazyFrame:
    return df.filter(pl.col("year") <= last_year).group_by("org_id").agg(pl.all().sort_by("year").last())


def derive(org_ids: pl.Series | list[int], frames: dict[str, pl.DataFrame], today: dt.date) -> pl.DataFrame:
    """One row per ``org_ids`` element with the columns of :data:`CREDIT_SCHEMA` (plus ``org_id``)."""
    f = {k: (frames.get(k) if frames.get(k) is not None else empty(k)) for k in INPUTS}
    # Lazy throughout: one plan, collected once, so Polars runs the per-source aggregations in parallel.
    f = {k: v.lazy().select([pl.col(c).cast(t) for c, t in INPUTS[k].items()]) for k, v in f.items()}
    last_year = today.year - 1
    this_month = today.replace(day=1)
    m12 = _add_months(this_month, -12)
    y3 = _years_ago(today, 3)
    base = pl.DataFrame({"org_id": pl.Series(org_ids, dtype=pl.Int64)}).lazy()
    parts: list[pl.LazyFrame] = []

    tax = _latest_year(f["tax"], last_year).select(
        "org_id", pl.col("credit_grade").alias("tax_grade"), "tax_paid"
    )
    parts.append(tax.lazy())

    si = f["social_insurance"].filter(pl.col("month") <= today)
    latest = si.group_by("org_id").agg(
        pl.col("month").max().alias("_m"),
        pl.col("insured").sort_by("month").last().alias("insured_headcount"),
    )
    prior = si.select("org_id", (pl.col("month")).alias("_pm"), pl.col("insured").alias("_pi"))
    growth = (
        latest.with_columns(pl.col("_m").dt.offset_by("-12mo").alias("_pm"))
        .join(prior, on=["org_id", "_pm"], how="left")
        .select(
            "org_id",
            "insured_headcount",
            pl.when(pl.col("_pi") > 0)
            .then((pl.col("insured_headcount") / pl.col("_pi") - 1).round(4))
            .otherwise(None)
            .alias("insured_growth_12m"),
        )
    )
    parts.append(growth.lazy())

    util = (
        f["utility"]
        .filter((pl.col("month") >= m12) & (pl.col("month") < this_month))
        .group_by("org_id")
        .agg(pl.col("cost").sum().alias("utility_cost_12m"))
    )
    parts.append(util.lazy())

    proc = (
        f["procurement"]
        .filter((pl.col("date") > today - dt.timedelta(days=365)) & (pl.col("date") <= today))
        .group_by("org_id")
        .agg(pl.col("amount").sum().alias("procurement_amount_12m"))
    )
    parts.append(proc.lazy())

    court = (
        f["court"]
        .group_by("org_id")
        .agg(
            ((pl.col("kind") == "dishonest_debtor") & ~pl.col("closed")).any().alias("dishonest_debtor"),
            ((pl.col("kind") == "enforcement") & ~pl.col("closed"))
            .sum()
            .cast(pl.Int64)
            .alias("enforcement_cases"),
            ((pl.col("kind") == "judgment") & (pl.col("date") >= y3))
            .sum()
            .cast(pl.Int64)
            .alias("judgments_3y"),
        )
    )
    parts.append(court.lazy())

    pen = (
        f["penalty"]
        .filter(pl.col("date") >= y3)
        .group_by("org_id")
        .agg(pl.len().cast(pl.Int64).alias("penalties_3y"))
    )
    parts.append(pen.lazy())

    ab = (
        f["abnormal"]
        .group_by("org_id")
        .agg(
            (
                (pl.col("listed_on") <= today)
                & (pl.col("removed_on").is_null() | (pl.col("removed_on") > today))
            )
            .any()
            .alias("abnormal_listed")
        )
    )
    parts.append(ab.lazy())

    ip = (
        f["ip"]
        .group_by("org_id")
        .agg([(pl.col("kind") == k).sum().cast(pl.Int64).alias(c) for k, c in IP_COLUMNS.items()])
    )
    parts.append(ip.lazy())

    fin = _latest_year(f["financials"], last_year).select(
        "org_id",
        "rd_expense",
        pl.when(pl.col("revenue") > 0)
        .then((pl.col("rd_expense") / pl.col("revenue") * 100).round(2))
        .alias("rd_intensity"),
        "net_profit",
        pl.when(pl.col("total_assets") > 0)
        .then(((pl.col("total_assets") - pl.col("net_assets")) / pl.col("total_assets") * 100).round(2))
        .alias("debt_ratio"),
        "operating_cash_flow",
    )
    parts.append(fin.lazy())

    env = _latest_year(f["environment"], today.year).select("org_id", pl.col("rating").alias("env_rating"))
    parts.append(env.lazy())

    out = base
    for p in parts:
        # Polars 2 does not keep the left frame's row order in a join unless asked: rows must come back
        # in the order of org_ids (callers and tests align them by position)
        out = out.join(p, on="org_id", how="left", maintain_order="left")
    out = out.with_columns(
        [pl.col(c).fill_null(0) for c in COUNT_COLUMNS]
        + [pl.col(c).fill_null(False) for c in ("dishonest_debtor", "abnormal_listed")]
    )
    return out.select("org_id", *[pl.col(c).cast(t) for c, t in CREDIT_SCHEMA.items()]).collect()

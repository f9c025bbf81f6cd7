"""Pure analysis engine of the finance brain (金融产业大脑): plan targets, 序时进度, projections, indices.

No Django here: polars DataFrames and plain Python values in and out, so the same code runs in a web
request, a CLI batch and a Spark partition (``mapInPandas``/``applyInArrow`` → ``pl.from_arrow``).

Inputs of :func:`evaluate`
--------------------------
``indicators`` (one row per plan indicator; see ``brain/data/README.md``):
    ``code`` str · ``kind`` "end_value" | "annual_growth" | "share" | "count" · ``unit`` str as printed ·
    ``comparator`` "at_least" | "at_most" | "about" | "keep" · ``base_year`` int|null ·
    ``base_value`` float|null · ``target_year`` int · ``target_value`` float|null ·
    ``relative_relation`` str|null ("below_reference" | "top_rank" | "share_of_reference") ·
    ``relative_reference`` str|null (e.g. "city_average", "city_total", "city_districts").
    Missing optional columns are treated as null.
``milestones`` (optional): ``code``, ``year``, ``value`` — intermediate targets; 序时进度 then runs
    piecewise through base → milestone → … → target.
``actuals``: ``code``, ``year`` int, ``value`` float — ANNUAL values (the caller aggregates quarters or
    months). Values are in the indicator's unit; if ``actuals`` carries a ``unit`` column the values are
    converted to the indicator's unit (same family only, see :func:`normalize_unit`). For
    ``annual_growth`` indicators the actual values are the annual growth rates in % (8.5 = 8.5%).
``references`` (optional): ``reference``, ``year``, ``value`` [, ``rank`` [, ``code``]] — e.g. the city
    average series for relative targets, in the indicator's unit. A ``rank`` column (with ``code`` when
    the reference table holds several districts' ranks) enables ``top_rank`` targets.

Conventions
-----------
* Percentages are carried as printed: 16 means 16%, and an annual growth target "8%" is ``8.0``.
  Rates returned by :func:`required_growth` and fitted growths are fractions (0.2993 = 29.93%).
* ``gap`` is relative and signed so that positive is better for the comparator.
* Year arithmetic is in whole years (annual data).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Literal, NamedTuple

import polars as pl

__all__ = [
    "KINDS",
    "COMPARATORS",
    "STATUSES",
    "Projection",
    "average_growth",
    "completion_rate",
    "convert_unit",
    "entropy_topsis",
    "evaluate",
    "expected_value",
    "normalize_unit",
    "normalize_units",
    "path_for",
    "project",
    "rank",
    "required_growth",
]

KINDS = ("end_value", "annual_growth", "share", "count")
COMPARATORS = ("at_least", "at_most", "about", "keep")
RELATIONS = ("below_reference", "top_rank", "share_of_reference")
STATUSES = (
    "achieved",
    "ahead",
    "on_track",
    "behind",
    "no_data",
    "no_baseline",
    "no_target",
    "no_reference",
    "needs_ranking",
)

Path = Literal["compound", "linear"]

# ---------------------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------------------

_CNY = {
    "元": 1e-8,
    "千元": 1e-5,
    "万元": 1e-4,
    "十万元": 1e-3,
    "百万元": 1e-2,
    "千万元": 1e-1,
    "亿元": 1.0,
    "十亿元": 10.0,
    "百亿元": 100.0,
    "千亿元": 1000.0,
    "万亿元": 10000.0,
}
_USD = {
    "美元": 1e-8,
    "千美元": 1e-5,
    "万美元": 1e-4,
    "百万美元": 1e-2,
    "千万美元": 1e-1,
    "亿美元": 1.0,
    "十亿美元": 10.0,
    "千亿美元": 1000.0,
    "万亿美元": 10000.0,
}
_COUNT_UNITS = (
    "家",
    "个",
    "件",
    "户",
    "人",
    "项",
    "只",
    "笔",
    "名",
    "位",
    "座",
    "支",
    "单",
    "次",
    "人次",
    "家次",
    "款",
    "期",
    "张",
    "套",
    "条",
    "所",
    "批",
)

#: unit as printed → (normalized unit, factor, family); value_norm = value × factor
UNITS: dict[str, tuple[str, float, str]] = {}
UNITS.update({u: ("亿元", f, "money_cny") for u, f in _CNY.items()})
UNITS.update({u: ("亿美元", f, "money_usd") for u, f in _USD.items()})
UNITS.update({"%": ("%", 1.0, "percent"), "％": ("%", 1.0, "percent"), "‰": ("%", 0.1, "percent")})
UNITS["个百分点"] = ("个百分点", 1.0, "percentage_point")
for _u in _COUNT_UNITS:
    UNITS[_u] = (_u, 1.0, "count")
    UNITS["万" + _u] = (_u, 1e4, "count")
    UNITS["亿" + _u] = (_u, 1e8, "count")


def _unit_info(unit: str | None) -> tuple[str, float, str]:
    if unit is None:
        raise ValueError("unit is missing (null); cannot normalize")
    key = unit.strip()
    try:
        return UNITS[key]
    except KeyError:
        raise ValueError(
            f"unknown unit {unit!r}: add it to jinfu.brain.engine.UNITS if it is legitimate"
        ) from None


def normalize_unit(value: float | None, unit: str | None) -> tuple[float | None, str, str]:
    """Return ``(value_normalized, unit_normalized, family)``.

    Families: ``money_cny`` → 亿元 (元, 千元, 万元, 百万元, 千万元, 亿元, 千亿元, 万亿元…), ``money_usd`` → 亿美元
    (美元, 万美元, 亿美元…), ``percent`` → % (‰ becomes %/10), ``percentage_point`` (个百分点), ``count`` kept
    in its unit (家, 个, 件, 户, 人, 项, 只, 笔…; 万户 → 户 × 10 000). Any other unit raises ``ValueError``
    naming it. A null value stays null (the unit is still checked).
    """
    norm, factor, family = _unit_info(unit)
    return _scale(value, factor, 1.0), norm, family


def _scale(value: float | None, times: float, divided_by: float) -> float | None:
    """``value × times ÷ divided_by`` computed in Decimal from the numbers as written, then back to the
    nearest float: 149000 千元 is 1.49 亿元, not 1.4900000000000002."""
    if value is None:
        return None
    d = Decimal(repr(float(value))) * Decimal(repr(times)) / Decimal(repr(divided_by))
    return float(d)


def convert_unit(value: float | None, from_unit: str, to_unit: str) -> float | None:
    """Convert between two units of the same family (万元 → 亿元…); ``ValueError`` across families."""
    n_from, f_from, fam_from = _unit_info(from_unit)
    n_to, f_to, fam_to = _unit_info(to_unit)
    if fam_from != fam_to or n_from != n_to:
        raise ValueError(f"cannot convert {from_unit!r} ({fam_from}) to {to_unit!r} ({fam_to})")
    return _scale(value, f_from, f_to)


def normalize_units(df: pl.DataFrame, value_col: str = "value", unit_col: str = "unit") -> pl.DataFrame:
    """Vectorized :func:`normalize_unit`: adds ``value_norm``, ``unit_norm``, ``unit_family``.

    The original columns are left untouched (keep them for display). Raises ``ValueError`` listing every
    unknown (or null) unit found in the frame.
    """
    units = df.get_column(unit_col).unique().to_list()
    bad = []
    for u in units:
        try:
            _unit_info(u)
        except ValueError:
            bad.append(u)
    if bad:
        shown = ", ".join(repr(u) for u in sorted(bad, key=lambda x: (x is None, x or "")))
        raise ValueError(f"unknown unit(s) in column {unit_col!r}: {shown}")
    key = pl.col(unit_col).str.strip_chars()
    return df.with_columns(
        value_norm=pl.col(value_col).cast(pl.Float64)
        * key.replace_strict({u: v[1] for u, v in UNITS.items()}, return_dtype=pl.Float64),
        unit_norm=key.replace_strict({u: v[0] for u, v in UNITS.items()}, return_dtype=pl.String),
        unit_family=key.replace_strict({u: v[2] for u, v in UNITS.items()}, return_dtype=pl.String),
    )


# ---------------------------------------------------------------------------------------------------------
# 序时进度, completion, required growth
# ---------------------------------------------------------------------------------------------------------


def path_for(kind: str, base: float | None = None, target: float | None = None) -> Path:
    """Progress path of a kind: end_value → compound; share and count → linear.

    A compound path needs positive endpoints; with a zero or negative base/target it falls back to linear.
    (annual_growth has no path: its expected value is the target rate itself.)
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    if kind == "end_value":
        if base is not None and target is not None and (base <= 0 or target <= 0):
            return "linear"
        return "compound"
    return "linear"


def _segment(v0: float, v1: float, y0: float, y1: float, t: float, path: str) -> float:
    frac = (t - y0) / (y1 - y0)
    if path == "compound":
        if v0 <= 0 or v1 <= 0:
            raise ValueError(f"compound path needs positive values, got {v0} → {v1}; use path='linear'")
        return v0 * (v1 / v0) ** frac
    if path == "linear":
        return v0 + (v1 - v0) * frac
    raise ValueError(f"unknown path {path!r}; expected 'compound' or 'linear'")


def expected_value(
    base: float,
    target: float,
    t0: int,
    T: int,
    t: float,
    path: str = "compound",
    milestones: Iterable[tuple[int, float]] | None = None,
) -> float:
    """序时进度: the value expected at year ``t`` on the way from ``base`` (year ``t0``) to ``target`` (``T``).

    compound: base × (target/base)^((t−t0)/(T−t0)); linear: base + (target−base) × (t−t0)/(T−t0).
    With ``milestones`` [(year, value), …] strictly between t0 and T the path is piecewise through the known
    points (each segment compound or linear). ``t`` is clamped to [t0, T] (before the base → base; after
    the target year the expectation stays at the target). ``T`` must be after ``t0``.
    """
    if T <= t0:
        raise ValueError(f"target year {T} must be after base year {t0}")
    knots = [(t0, base)]
    for y, v in sorted(milestones or ()):
        if t0 < y < T and v is not None:
            knots.append((y, v))
    knots.append((T, target))
    if t <= t0:
        return float(base)
    if t >= T:
        return float(target)
    for (y0, v0), (y1, v1) in zip(knots, knots[1:], strict=False):
        if y0 <= t <= y1:
            return _segment(v0, v1, y0, y1, t, path)
    raise AssertionError("unreachable")  # pragma: no cover


def completion_rate(base: float | None, target: float | None, actual: float | None) -> float | None:
    """(actual − base) / (target − base); None when a value is missing or target == base."""
    if base is None or target is None or actual is None or target == base:
        return None
    return (actual - base) / (target - base)


def required_growth(target: float | None, actual: float | None, T: int, t: int) -> float | None:
    """Annual growth still needed: (target/actual)^(1/(T−t)) − 1, as a fraction.

    None when T ≤ t, or a value is missing or ≤ 0. Negative when the target is already exceeded.
    """
    if target is None or actual is None or T <= t or target <= 0 or actual <= 0:
        return None
    return (target / actual) ** (1.0 / (T - t)) - 1.0


def average_growth(rates_percent: Sequence[float]) -> float | None:
    """Average annual growth (年均增速) of annual rates in %: the compound (geometric) average
    (Π(1 + r/100))^(1/n) − 1, returned in % — the statistical definition of 年均增长率, equal to
    (end/start)^(1/n) − 1. None for an empty series or a rate ≤ −100%."""
    rates = [r for r in rates_percent if r is not None]
    if not rates or any(r <= -100 for r in rates):
        return None
    log_sum = sum(math.log1p(r / 100.0) for r in rates)
    return math.expm1(log_sum / len(rates)) * 100.0


# ---------------------------------------------------------------------------------------------------------
# Projection
# ---------------------------------------------------------------------------------------------------------


class Projection(NamedTuple):
    value: float | None  # projected value at the target year (for annual_growth: the average rate, %)
    growth: float | None  # fitted annual growth, fraction (compound fits only)
    method: str  # "log_linear" | "linear" | "average" | "none"


def _ols(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    n = len(xs)
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    return my - slope * mx, slope


def project(
    actuals: pl.DataFrame,
    target_year: int,
    kind: str,
    base: tuple[int, float] | None = None,
) -> Projection:
    """Project one indicator's annual ``actuals`` (columns ``year``, ``value``) to ``target_year``.

    * end_value (compound): least-squares fit of ln(value) on year, growth = e^slope − 1, projected value
      = e^(a + b·T). Needs ≥ 2 distinct years; with a single year, the ``base`` point (year, value) is used
      as the second point. Non-positive values → linear fit instead (method "linear").
    * share, count: ordinary least-squares line, evaluated at T (same point rules).
    * annual_growth: the average of the actual rates (see :func:`average_growth`).
    Returns ``Projection(None, None, "none")`` when there are too few points.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    rows = actuals.select("year", "value").drop_nulls().sort("year")
    years = [float(y) for y in rows.get_column("year").to_list()]
    values = [float(v) for v in rows.get_column("value").to_list()]
    if kind == "annual_growth":
        avg = average_growth(values)
        return Projection(avg, None, "average" if avg is not None else "none")
    if len(set(years)) < 2 and base is not None and base[1] is not None:
        if not years or base[0] < min(years):
            years = [float(base[0]), *years]
            values = [float(base[1]), *values]
    if len(set(years)) < 2:
        return Projection(None, None, "none")
    if kind == "end_value" and all(v > 0 for v in values):
        a, b = _ols(years, [math.log(v) for v in values])
        return Projection(math.exp(a + b * target_year), math.expm1(b), "log_linear")
    a, b = _ols(years, values)
    return Projection(a + b * target_year, None, "linear")


# ---------------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------------

_REFERENCE_NAMES = {
    "city_average": "全市平均",
    "city_total": "全市",
    "city_districts": "全市各区",
}

_OUTPUT_SCHEMA = {
    "code": pl.String,
    "kind": pl.String,
    "comparator": pl.String,
    "relation": pl.String,
    "path": pl.String,
    "latest_year": pl.Int64,
    "latest_value": pl.Float64,
    "expected_value": pl.Float64,
    "reference_value": pl.Float64,
    "gap": pl.Float64,
    "completion_rate": pl.Float64,
    "status": pl.String,
    "required_growth": pl.Float64,
    "projected_value": pl.Float64,
    "projected_growth": pl.Float64,
    "projected_status": pl.String,
    "note": pl.String,
}


def _fmt(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "—"
    s = f"{x:,.{digits}f}".replace(",", "")
    return s.rstrip("0").rstrip(".") if "." in s else s


def _pct(gap: float) -> str:
    return f"{abs(gap) * 100:.1f}%"


def _status_from_gap(gap: float | None, diff: float, tolerance: float) -> str:
    if gap is None:  # expected value is 0: decide on the sign of the (better-is-positive) difference
        return "on_track" if diff == 0 else ("ahead" if diff > 0 else "behind")
    if gap > tolerance:
        return "ahead"
    if gap < -tolerance:
        return "behind"
    return "on_track"


def _rel_gap(better_diff: float, denom: float) -> float | None:
    return None if denom == 0 else better_diff / abs(denom)


def _col(df: pl.DataFrame, name: str) -> list:
    return df.get_column(name).to_list() if name in df.columns else [None] * df.height


def evaluate(
    indicators: pl.DataFrame,
    actuals: pl.DataFrame,
    as_of_year: int,
    milestones: pl.DataFrame | None = None,
    references: pl.DataFrame | None = None,
    tolerance: float = 0.05,
    about_tolerance: float = 0.05,
    top_rank_cutoff: int = 3,
) -> pl.DataFrame:
    """Evaluate every indicator at ``as_of_year``; one output row per indicator (input order).

    Only actuals with year ≤ ``as_of_year`` are used; ``latest_year``/``latest_value`` is the last of them
    and ``expected_value`` is the 序时进度 at ``latest_year``. Status rules (``tolerance`` τ = 5%,
    ``about_tolerance`` α = 5% by default), the deadline being reached when latest_year ≥ target_year:

    * no actual → ``no_data``; no target value (and no relative block) → ``no_target``.
    * at_least (end_value/share/count): ``achieved`` once actual ≥ target (any year); otherwise, past the
      deadline → ``behind``; before it, gap = (actual − expected)/|expected| → ``ahead`` if gap > τ,
      ``behind`` if gap < −τ, else ``on_track``. Without a base value → ``no_baseline``.
    * at_most (lower is better): gap = (expected − actual)/|expected| on the (usually descending) path;
      ``achieved`` only at the deadline when actual ≤ target, else ``behind`` there.
    * about (左右): at the deadline, |actual − target|/|target| ≤ α → ``achieved``, else ``ahead``/``behind``
      by the side; before it, within α of the target already → ``on_track``, else progress as at_least
      (never ``achieved`` before the deadline).
    * keep (保持): level = target_value, else base_value; gap = (actual − level)/|level|; ``on_track`` while
      gap ≥ −τ (``achieved`` at the deadline), else ``behind``.
    * annual_growth: compound average of the actual rates of the years after base_year (see
      :func:`average_growth`) against the target rate; gap = (avg − target)/|target| (reversed for
      at_most) → ahead/on_track/behind by τ; at the deadline ``achieved`` if avg meets the target, else
      ``behind``. about/keep comparators use α/τ around the target rate.
    * relative targets (the relation overrides the comparator), reference value at latest_year, missing
      → ``no_reference``: below_reference → ``achieved`` if actual < reference else ``behind``;
      share_of_reference → share = actual/reference (×100 when the unit is %), against target_value as
      at_least (linear path from base_value when given); top_rank → ``needs_ranking`` unless references
      carry a ``rank`` column, then ``achieved`` if rank ≤ target_value (default ``top_rank_cutoff``) else
      ``behind``.

    Also returned: completion_rate (actual−base)/(target−base); required_growth (end_value/count/share,
    fraction); projected_value/projected_growth by :func:`project` and projected_status ("meets" |
    "misses" | null) — would the projection meet the target; a short Chinese ``note``.
    """
    ind = indicators
    for c in ("code", "kind", "comparator", "target_year"):
        if c not in ind.columns:
            raise ValueError(f"indicators lacks column {c!r}")
    act = actuals.filter(pl.col("year") <= as_of_year)
    unit_of = dict(zip(_col(ind, "code"), _col(ind, "unit"), strict=True))
    if "unit" in act.columns:  # convert to the indicator's unit
        vals = []
        for code, v, u in act.select("code", "value", "unit").iter_rows():
            to = unit_of.get(code)
            vals.append(v if (u is None or to is None or u == to) else convert_unit(v, u, to))
        act = act.with_columns(value=pl.Series(vals, dtype=pl.Float64))
    series: dict[str, list[tuple[int, float]]] = {}
    for code, y, v in act.select("code", "year", "value").drop_nulls().sort("code", "year").iter_rows():
        series.setdefault(code, []).append((int(y), float(v)))
    ms: dict[str, list[tuple[int, float]]] = {}
    if milestones is not None:
        for code, y, v in milestones.select("code", "year", "value").drop_nulls().iter_rows():
            ms.setdefault(code, []).append((int(y), float(v)))
    refs: dict[tuple[str, int], dict] = {}
    has_rank = references is not None and "rank" in references.columns
    if references is not None:
        for r in references.iter_rows(named=True):
            key = (r["reference"], int(r["year"]))
            if "code" in references.columns and r.get("code") is not None:
                key = (r["reference"], int(r["year"]), r["code"])  # type: ignore[assignment]
            refs[key] = r

    rows = []
    for r in ind.to_dicts():
        code = r["code"]
        pts = series.get(code, [])
        rows.append(
            _evaluate_one(
                r, pts, ms.get(code, []), refs, has_rank, tolerance, about_tolerance, top_rank_cutoff
            )
        )
    return pl.DataFrame(rows, schema=_OUTPUT_SCHEMA, orient="row")


def _evaluate_one(
    r: dict,
    pts: list[tuple[int, float]],
    milestones: list[tuple[int, float]],
    refs: dict,
    has_rank: bool,
    tol: float,
    about_tol: float,
    top_cutoff: int,
) -> tuple:
    code = r["code"]
    kind = r["kind"]
    comp = r["comparator"]
    relation = r.get("relative_relation")
    reference = r.get("relative_reference")
    unit = r.get("unit") or ""
    base_year, base = r.get("base_year"), r.get("base_value")
    T, target = int(r["target_year"]), r.get("target_value")
    if kind not in KINDS:
        raise ValueError(f"indicator {code}: unknown kind {kind!r}")
    if comp not in COMPARATORS:
        raise ValueError(f"indicator {code}: unknown comparator {comp!r}")
    if relation is not None and relation not in RELATIONS:
        raise ValueError(f"indicator {code}: unknown relative_relation {relation!r}")

    out = dict.fromkeys(_OUTPUT_SCHEMA)
    out.update(code=code, kind=kind, comparator=comp, relation=relation)

    def done(status: str, note: str) -> tuple:
        out["status"] = status
        out["note"] = note
        return tuple(out[k] for k in _OUTPUT_SCHEMA)

    if not pts:
        return done("no_data", "暂无实际数据")
    t, actual = pts[-1]
    out.update(latest_year=t, latest_value=actual)
    deadline = t >= T

    # ---- projection (not for relative targets) ---------------------------------------------------------
    if relation is None:
        used = [(y, v) for y, v in pts if kind != "annual_growth" or base_year is None or y > base_year]
        frame = pl.DataFrame(
            {"year": [y for y, _ in used], "value": [v for _, v in used]},
            schema={"year": pl.Int64, "value": pl.Float64},
        )
        has_base = base_year is not None and base is not None
        proj = project(frame, T, kind, base=(int(base_year), float(base)) if has_base else None)
        out.update(projected_value=proj.value, projected_growth=proj.growth)
        if proj.value is not None and target is not None:
            pv = proj.value
            if comp == "at_most":
                meets = pv <= target
            elif comp == "about":
                meets = target != 0 and abs(pv - target) / abs(target) <= about_tol
            elif comp == "keep":
                meets = pv >= target - tol * abs(target)
            else:
                meets = pv >= target
            out["projected_status"] = "meets" if meets else "misses"
        elif proj.value is not None and comp == "keep" and base is not None:
            out["projected_status"] = "meets" if proj.value >= base - tol * abs(base) else "misses"

    # ---- relative targets ------------------------------------------------------------------------------
    if relation is not None:
        out["path"] = "reference"
        ref_name = _REFERENCE_NAMES.get(reference or "", reference or "参照")
        if relation == "top_rank":
            if not has_rank:
                return done("needs_ranking", f"目标为{ref_name}前列，需提供{t}年排名数据")
            row = refs.get((reference, t, code)) or refs.get((reference, t))
            if row is None or row.get("rank") is None:
                return done("no_reference", f"缺少{ref_name}{t}年排名数据")
            rk = int(row["rank"])
            cutoff = int(target) if target is not None else top_cutoff
            out["reference_value"] = float(rk)
            if rk <= cutoff:
                return done("achieved", f"{t}年排名第{rk}，达到{ref_name}前{cutoff}位")
            return done("behind", f"{t}年排名第{rk}，未进入{ref_name}前{cutoff}位")
        row = refs.get((reference, t, code)) or refs.get((reference, t))
        if row is None or row.get("value") is None:
            return done("no_reference", f"缺少{ref_name}{t}年数据，无法比较")
        ref = float(row["value"])
        out["reference_value"] = ref
        if relation == "below_reference":
            out["expected_value"] = ref
            out["gap"] = _rel_gap(ref - actual, ref)
            if actual < ref:
                return done(
                    "achieved", f"{t}年{ref_name}{_fmt(ref)}{unit}，实际{_fmt(actual)}{unit}，低于{ref_name}"
                )
            return done(
                "behind", f"{t}年{ref_name}{_fmt(ref)}{unit}，实际{_fmt(actual)}{unit}，未低于{ref_name}"
            )
        # share_of_reference
        if ref == 0:
            return done("no_reference", f"{ref_name}{t}年数值为0，无法计算占比")
        scale = 100.0 if unit.strip() in ("%", "％") else 1.0
        share = actual / ref * scale
        out["latest_value"] = share
        if target is None:
            return done("no_target", f"{t}年占{ref_name}比重{_fmt(share)}{unit}，无量化目标")
        if base is not None and base_year is not None and T > base_year:
            exp = expected_value(base, target, base_year, T, t, "linear", milestones)
            out["path"] = "linear"
        else:
            exp = target
        out["expected_value"] = exp
        out["completion_rate"] = completion_rate(base, target, share)
        gap = _rel_gap(share - exp, exp)
        out["gap"] = gap
        head = f"{t}年占{ref_name}比重{_fmt(share)}{unit}，目标{T}年{_fmt(target)}{unit}"
        if share >= target:
            return done("achieved", head + "，已达到")
        if deadline:
            return done("behind", head + f"，未完成（差{_pct(gap or 0)}）")
        st = _status_from_gap(gap, share - exp, tol)
        return done(st, head + f"，按序时进度应达{_fmt(exp)}{unit}，" + _verdict(st, gap))

    if target is None and comp != "keep":
        return done("no_target", f"{t}年实际{_fmt(actual)}{unit}，无量化目标")

    # ---- annual growth: evaluated as an average ----------------------------------------------------------
    if kind == "annual_growth":
        out["path"] = "average"
        rates = [(y, v) for y, v in pts if base_year is None or y > base_year]
        if not rates:
            return done("no_data", f"{_fmt(base_year) if base_year else ''}基期之后暂无增速数据")
        avg = average_growth([v for _, v in rates])
        if avg is None:
            return done("no_data", "增速数据无效（≤ −100%）")
        level = target if target is not None else base
        out["latest_value"] = avg
        out["expected_value"] = level
        span = f"{rates[0][0]}–{rates[-1][0]}年" if len(rates) > 1 else f"{rates[0][0]}年"
        head = f"{span}实际年均增速{_fmt(avg)}%，目标{_fmt(level)}%"
        if level is None:
            return done("no_target", head)
        if comp == "about":
            dev = _rel_gap(avg - level, level)
            out["gap"] = dev
            within = dev is not None and abs(dev) <= about_tol
            if within:
                return done("achieved" if deadline else "on_track", head + f"左右，偏离{_pct(dev)}")
            st = "ahead" if avg > level else "behind"
            return done(st, head + f"左右，偏离{_pct(dev or 0)}")
        better = (level - avg) if comp == "at_most" else (avg - level)
        gap = _rel_gap(better, level)
        out["gap"] = gap
        if comp == "keep":
            st = "behind" if gap is not None and gap < -tol else ("achieved" if deadline else "on_track")
            return done(st, head + ("，保持" if st != "behind" else f"，低于目标{_pct(gap or 0)}"))
        if deadline:
            st = "achieved" if better >= 0 else "behind"
            return done(st, head + ("，已完成" if st == "achieved" else f"，未完成（差{_pct(gap or 0)}）"))
        st = _status_from_gap(gap, better, tol)
        return done(st, head + "，" + _verdict(st, gap))

    # ---- end_value / share / count --------------------------------------------------------------------------
    out["required_growth"] = required_growth(target, actual, T, t)
    out["completion_rate"] = completion_rate(base, target, actual)
    unit_s = unit

    if comp == "keep":
        level = target if target is not None else base
        if level is None:
            return done("no_target", f"{t}年实际{_fmt(actual)}{unit_s}，无保持基准")
        out["path"] = "keep"
        out["expected_value"] = level
        gap = _rel_gap(actual - level, level)
        out["gap"] = gap
        head = f"保持{_fmt(level)}{unit_s}，{t}年实际{_fmt(actual)}{unit_s}"
        ok = (gap is not None and gap >= -tol) or (gap is None and actual >= level)
        if ok:
            return done("achieved" if deadline else "on_track", head + "，保持住")
        return done("behind", head + f"，低于基准{_pct(gap or 0)}")

    if comp == "about":
        dev = _rel_gap(actual - target, target)
        within = dev is not None and abs(dev) <= about_tol
        if deadline:
            out["expected_value"] = target
            out["gap"] = dev
            head = f"目标{_fmt(target)}{unit_s}左右，{t}年实际{_fmt(actual)}{unit_s}，偏离{_pct(dev or 0)}"
            if within:
                return done("achieved", head + f"（容差{_pct(about_tol)}内）")
            return done("ahead" if actual > target else "behind", head + f"（超出容差{_pct(about_tol)}）")
        if within:
            out["gap"] = dev
            out["expected_value"] = target
            if base is not None and base_year is not None and T > base_year:
                path = path_for(kind, base, target)
                out["path"] = path
                out["expected_value"] = expected_value(base, target, base_year, T, t, path, milestones)
            return done(
                "on_track",
                f"目标{T}年{_fmt(target)}{unit_s}左右，{t}年实际{_fmt(actual)}{unit_s}，"
                f"已在容差{_pct(about_tol)}内（偏离{_pct(dev or 0)}）",
            )
        # else: progress as at_least

    lower_better = comp == "at_most"
    met = actual <= target if lower_better else actual >= target
    if met and (not lower_better or deadline) and comp != "about":
        out["expected_value"] = target if deadline else None
        out["gap"] = _rel_gap((target - actual) if lower_better else (actual - target), target)
        word = "不高于" if lower_better else "达到"
        if not deadline and base is not None and base_year is not None and T > base_year:
            path = path_for(kind, base, target)
            out["path"] = path
            out["expected_value"] = expected_value(base, target, base_year, T, t, path, milestones)
            out["gap"] = _rel_gap(actual - out["expected_value"], out["expected_value"])
        return done("achieved", f"{t}年实际{_fmt(actual)}{unit_s}，已{word}{T}年目标{_fmt(target)}{unit_s}")
    if deadline:
        out["expected_value"] = target
        gap = _rel_gap((target - actual) if lower_better else (actual - target), target)
        out["gap"] = gap
        return done(
            "behind",
            f"{T}年目标{_fmt(target)}{unit_s}，{t}年实际{_fmt(actual)}{unit_s}，未完成（差{_pct(gap or 0)}）",
        )
    if base is None or base_year is None or T <= base_year:
        return done(
            "no_baseline",
            f"缺少基期值，无法计算序时进度；{t}年实际{_fmt(actual)}{unit_s}，{T}年目标{_fmt(target)}{unit_s}",
        )
    path = path_for(kind, base, target)
    exp = expected_value(base, target, base_year, T, t, path, milestones)
    out["path"] = path
    out["expected_value"] = exp
    better = (exp - actual) if lower_better else (actual - exp)
    gap = _rel_gap(better, exp)
    out["gap"] = gap
    st = _status_from_gap(gap, better, tol)
    pname = "复合增长路径" if path == "compound" else "线性路径"
    word = "应不高于" if lower_better else "应达"
    return done(
        st, f"按{pname}，{t}年{word}{_fmt(exp)}{unit_s}，实际{_fmt(actual)}{unit_s}，" + _verdict(st, gap)
    )


def _verdict(status: str, gap: float | None) -> str:
    if gap is None:
        return {"ahead": "领先", "behind": "落后"}.get(status, "符合序时进度")
    if status == "ahead":
        return f"领先{_pct(gap)}"
    if status == "behind":
        return f"落后{_pct(gap)}"
    return f"符合序时进度（偏差{_pct(gap)}）"


# ---------------------------------------------------------------------------------------------------------
# Composite index (指数编制): entropy weights + TOPSIS; district ranking
# ---------------------------------------------------------------------------------------------------------

_EPS = 1e-12


def entropy_topsis(
    df: pl.DataFrame, id_col: str, criteria: dict[str, str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entropy-weight method (熵权法) + TOPSIS.

    1. Min-max normalize each criterion: benefit (x − min)/(max − min), cost (max − x)/(max − min).
       A constant column normalizes to all zeros.
    2. p_ij = x_ij / Σ_i x_ij. Only when a column is all zeros (a constant criterion) is a tiny ε = 1e-12
       added to each of its entries, which makes p_ij = 1/n, e_j = 1 and its weight 0 (it cannot
       discriminate); no other column is shifted.
    3. e_j = −(1/ln n) Σ_i p_ij ln p_ij with 0·ln 0 = 0; divergence d_j = 1 − e_j; w_j = d_j / Σ d_j
       (equal weights if every criterion is constant).
    4. v_ij = w_j × x_ij (the min-max matrix); ideal v⁺_j = max_i v_ij, anti-ideal v⁻_j = min_i v_ij;
       Euclidean distances d⁺_i, d⁻_i; score = d⁻/(d⁺ + d⁻) (0.5 if both are 0); rank 1 = best, ties (score
       equal to 12 decimals) broken by id ascending.

    Returns ``(weights[criterion, entropy, divergence, weight], scores[id_col, d_plus, d_minus, score,
    rank])``, scores sorted by rank. Needs ≥ 2 rows and no nulls in the criteria.
    """
    if not criteria:
        raise ValueError("no criteria")
    for c, direction in criteria.items():
        if direction not in ("benefit", "cost"):
            raise ValueError(f"criterion {c!r}: direction must be 'benefit' or 'cost', got {direction!r}")
        if c not in df.columns:
            raise ValueError(f"criterion {c!r} is not a column")
        if df.get_column(c).null_count():
            raise ValueError(f"criterion {c!r} has null values")
    n = df.height
    if n < 2:
        raise ValueError("entropy weights need at least 2 alternatives")
    ids = df.get_column(id_col).to_list()
    if len(set(ids)) != n:
        raise ValueError(f"{id_col!r} is not unique")

    norm: dict[str, list[float]] = {}
    ent_rows = []
    for c, direction in criteria.items():
        xs = [float(x) for x in df.get_column(c).to_list()]
        lo, hi = min(xs), max(xs)
        if hi == lo:
            z = [0.0] * n
        elif direction == "benefit":
            z = [(x - lo) / (hi - lo) for x in xs]
        else:
            z = [(hi - x) / (hi - lo) for x in xs]
        norm[c] = z
        col = [x + _EPS for x in z] if all(x == 0 for x in z) else z
        s = sum(col)
        e = -sum((x / s) * math.log(x / s) for x in col if x > 0) / math.log(n)
        ent_rows.append((c, e, 1.0 - e))
    total = sum(d for _, _, d in ent_rows)
    m = len(ent_rows)
    weights = {c: (d / total if total > 0 else 1.0 / m) for c, _, d in ent_rows}
    weights_df = pl.DataFrame(
        [(c, e, d, weights[c]) for c, e, d in ent_rows],
        schema={
            "criterion": pl.String,
            "entropy": pl.Float64,
            "divergence": pl.Float64,
            "weight": pl.Float64,
        },
        orient="row",
    )

    v = {c: [weights[c] * x for x in norm[c]] for c in criteria}
    best = {c: max(v[c]) for c in criteria}
    worst = {c: min(v[c]) for c in criteria}
    res = []
    for i, ident in enumerate(ids):
        dp = math.sqrt(sum((v[c][i] - best[c]) ** 2 for c in criteria))
        dm = math.sqrt(sum((v[c][i] - worst[c]) ** 2 for c in criteria))
        score = 0.5 if dp + dm == 0 else dm / (dp + dm)
        res.append((ident, dp, dm, score))
    order = sorted(res, key=lambda r: (-round(r[3], 12), r[0]))
    scores_df = pl.DataFrame(
        [(*r, k) for k, r in enumerate(order, start=1)],
        schema={
            id_col: df.schema[id_col],
            "d_plus": pl.Float64,
            "d_minus": pl.Float64,
            "score": pl.Float64,
            "rank": pl.Int64,
        },
        orient="row",
    )
    return weights_df, scores_df


def rank(df: pl.DataFrame, value_col: str, id_col: str, descending: bool = True) -> pl.DataFrame:
    """Rank districts by ``value_col``: competition ranking (equal values share a rank: 1, 2, 2, 4).

    Adds ``rank`` (Int64; null for a null value) and returns the frame sorted by rank, then id; nulls last.
    """
    return df.with_columns(rank=pl.col(value_col).rank("min", descending=descending).cast(pl.Int64)).sort(
        ["rank", id_col], nulls_last=True
    )

"""Green identification and carbon accounting: pure computation on Polars frames and plain values.

No Django here (checked by make lint). The same functions answer one project online (``identify_one``,
``carbon_one``) and a million in a batch (``identify_frame``, ``carbon_frame``); a test checks that both
paths agree.

Identification (绿色识别) of a project against one catalogue version uses the platform's rules
(``data/rules.yaml``, one per catalogue item: GB/T 4754 industry codes, keywords, a quantity threshold).
A rule only *proposes* an item with its evidence and a confidence; an assessor confirms or rejects it.

Carbon: emissions = activity × factor (electricity factors by data year and grid, ``data/factors.yaml``);
methods: renewable generation and electricity saved (MWh × grid factor), fuel switching (baseline −
project emissions, both given in tCO2/a). Attribution to a loan: the PBoC 碳减排支持工具 rule (project
annual reduction × loan ÷ total investment) and PCAF financed emissions (outstanding ÷ (equity + debt)
× emissions, with a data-quality score 1–5). Every figure carries its working as a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

DATA = Path(__file__).resolve().parent / "data"

#: project output kinds: code → (Chinese label, the unit the platform stores it in, carbon method)
OUTPUT_KINDS: dict[str, tuple[str, str, str]] = {
    "renewable_mwh": ("可再生能源年发电量", "MWh", "grid"),
    "electricity_saved_mwh": ("年节约电量", "MWh", "grid"),
    "fuel_switch_tco2": ("燃料替代年减排（替代前−替代后排放）", "tCO2", "fuel_switch"),
    "water_m3": ("年节水量", "m³", "none"),
    "waste_t": ("年处理/利用废弃物", "t", "none"),
    "sewage_m3": ("年污水处理量", "m³", "none"),
}
#: units people write that mean another magnitude of the stored unit: unit → (stored unit, factor)
UNIT_ALIASES = {
    "kWh": ("MWh", Decimal("0.001")),
    "GWh": ("MWh", Decimal("1000")),
    "万kWh": ("MWh", Decimal("10")),
}
GRIDS = ("national", "华北", "东北", "华东", "华中", "西北", "南方", "西南")
GRID_LABELS = {"national": "全国电网平均", **{g: f"{g}区域电网平均" for g in GRIDS[1:]}}


class GreenInputError(ValueError):
    """A bad input to the engine: field, Chinese and English message (services wrap it bilingually)."""

    def __init__(self, field_name: str, message_zh: str, message_en: str):
        super().__init__(f"{field_name}: {message_en}")
        self.field = field_name
        self.message_zh = message_zh
        self.message_en = message_en


def n(value, places: int = 2) -> str:
    """A figure as people read it: rounded half-up, trailing zeros dropped, thousands separated."""
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{d:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---------------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def catalogues() -> dict:
    """Every catalogue version with its items in catalogue order; a version whose deeper levels were read
    (``items_file``) gets them after its first-level items, each under its parent."""
    data = yaml.safe_load((DATA / "catalogues.yaml").read_text(encoding="utf-8"))
    out = {}
    for c in data["catalogues"]:
        if c.get("items_file"):
            deeper = yaml.safe_load((DATA / c["items_file"]).read_text(encoding="utf-8"))["items"]
            c = {**c, "items": _in_tree_order(c["items"] + deeper)}
        out[c["code"]] = c
    return out | {"_version": data["version"]}


def _in_tree_order(items: list[dict]) -> list[dict]:
    """Items ordered as the catalogue prints them: 1, 1.1, 1.1.1 … 1.1.10, 1.2 … (numeric per level)."""
    return sorted(items, key=lambda i: tuple(int(p) for p in str(i["code"]).split(".")))


def item_path(catalogue: str, code: str) -> list[dict]:
    """The item and its ancestors, first level first (the parent of ``1.1.1`` is ``1.1``)."""
    items = {str(i["code"]): i for i in catalogues()[catalogue]["items"]}
    parts = str(code).split(".")
    return [items[".".join(parts[:k])] for k in range(1, len(parts) + 1) if ".".join(parts[:k]) in items]


@lru_cache(maxsize=1)
def factor_table() -> dict:
    return yaml.safe_load((DATA / "factors.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def rule_table() -> dict:
    return yaml.safe_load((DATA / "rules.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Factor:
    year: int
    grid: str
    value: Decimal  # tCO2/MWh
    source: str

    @property
    def label(self) -> str:
        return f"{self.year}年{GRID_LABELS[self.grid]}排放因子 {n(self.value, 4)} tCO2/MWh"


def factor(year: int, grid: str = "national") -> Factor:
    """The published factor of a data year and grid; an unknown year or grid is an error, never a guess."""
    table = factor_table()
    for f in table["factors"]:
        if f["year"] == year and f["grid"] == grid:
            notice = table["notices"].get(year, {})
            return Factor(year, grid, Decimal(str(f["value"])), notice.get("title", ""))
    years = sorted({f["year"] for f in table["factors"] if f["grid"] == grid})
    if not years:
        raise GreenInputError("grid", f"没有“{grid}”电网的排放因子", f"no emission factor for grid '{grid}'")
    listed = "、".join(str(y) for y in years)
    raise GreenInputError(
        "factor_year",
        f"{year} 年没有{GRID_LABELS.get(grid, grid)}排放因子（已发布：{listed} 年）",
        f"no {grid} emission factor for data year {year} (published: {', '.join(map(str, years))})",
    )


def factors_frame() -> pl.DataFrame:
    rows = factor_table()["factors"]
    return pl.DataFrame(
        {
            "factor_year": [r["year"] for r in rows],
            "grid": [r["grid"] for r in rows],
            "factor": [float(r["value"]) for r in rows],
        },
        schema={"factor_year": pl.Int32, "grid": pl.Utf8, "factor": pl.Float64},
    )


@dataclass(frozen=True)
class Rule:
    catalogue: str
    item: str
    name: str
    industries: tuple[str, ...]
    keywords: tuple[str, ...]
    output_kinds: tuple[str, ...]  # a positive expected output of one of these kinds is the threshold met
    level: int = 1
    path: str = ""  # the item under its ancestors, 「节能环保产业 › 节能改造 › 余热余压利用」


def rules(catalogue: str) -> list[Rule]:
    """The catalogue's rules, deepest level first (then catalogue order): where a project meets rules of
    several levels equally well, the deepest item is the one proposed (both paths break ties alike)."""
    cat = catalogues().get(catalogue)
    if cat is None or catalogue.startswith("_"):
        raise GreenInputError("catalogue", f"目录“{catalogue}”不存在", f"unknown catalogue '{catalogue}'")
    out = []
    for r in rule_table()["rules"].get(catalogue, []):
        path = item_path(catalogue, str(r["item"]))
        out.append(
            Rule(
                catalogue,
                str(r["item"]),
                path[-1]["name"],
                tuple(str(x) for x in r.get("industries", ())),
                tuple(r.get("keywords", ())),
                tuple(r.get("output_kinds", ())),
                int(path[-1]["level"]),
                " › ".join(p["name"] for p in path),
            )
        )
    return sorted(out, key=lambda r: -r.level)  # stable: catalogue order within a level


# ---------------------------------------------------------------------------------------------------
# Identification
# ---------------------------------------------------------------------------------------------------

W_INDUSTRY, W_KEYWORD, W_KEYWORD_MAX, W_THRESHOLD = 0.45, 0.15, 0.35, 0.2


def confidence(industry_hit: bool, keyword_hits: int, threshold_hit: bool) -> float:
    """0–1: industry code 0.45, each distinct keyword 0.15 (at most 0.35), quantity threshold 0.2."""
    score = (W_INDUSTRY if industry_hit else 0.0) + min(W_KEYWORD_MAX, W_KEYWORD * keyword_hits)
    return round(score + (W_THRESHOLD if threshold_hit else 0.0), 2)


@dataclass
class Match:
    item: str
    name: str
    confidence: float
    evidence: list[str] = field(default_factory=list)
    level: int = 1
    path: str = ""


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    for table in rule_table()["rules"].values():
        for r in table:
            for k in r.get("keywords", ()):
                jieba.add_word(k)
    return jieba


def tokens(text: str) -> list[str]:
    """The description cut into words by jieba (the rules' keywords are in its dictionary)."""
    return [t for t in _jieba().lcut(text or "") if t.strip()]


def _industry_hit(code: str, prefixes: tuple[str, ...]) -> str | None:
    return next((p for p in prefixes if code and code.startswith(p)), None)


def identify_one(project: dict, catalogue: str) -> list[Match]:
    """The catalogue items a project's rules propose, best first, each with its evidence; among equal
    confidences the deepest item comes first (its ``path`` names the first-level item it falls under).

    ``project``: industry_code, description, output_kind, annual_output. Keywords are read in jieba's
    words of the description; a keyword jieba does not cut out on its own still counts when it
    occurs in the text (the batch path reads the text the same way)."""
    desc = project.get("description") or ""
    words = set(tokens(desc))
    out = []
    for order, r in enumerate(rules(catalogue)):
        ind = _industry_hit(project.get("industry_code") or "", r.industries)
        kws = [k for k in r.keywords if k in words or k in desc]
        kind, amount = project.get("output_kind"), project.get("annual_output")
        thr = bool(kind in r.output_kinds and amount is not None and Decimal(str(amount)) > 0)
        if not (ind or kws):
            continue
        ev = []
        if ind:
            ev.append(f"行业代码 {project.get('industry_code')} 属于本类规则的行业 {ind}")
        if kws:
            ev.append("项目描述含关键词：" + "、".join(kws))
        if thr:
            label, unit, _m = OUTPUT_KINDS[kind]
            ev.append(f"{label} {n(amount)} {unit} > 0")
        out.append((order, Match(r.item, r.name, confidence(bool(ind), len(kws), thr), ev, r.level, r.path)))
    out.sort(key=lambda om: (-om[1].confidence, om[0]))
    return [m for _o, m in out]


def identify_frame(projects: pl.DataFrame, catalogue: str) -> pl.DataFrame:
    """Batch identification: ``projects`` has project_id, industry_code, description, output_kind,
    annual_output; returns project_id, best_item, confidence and match_count (0 when nothing matches).

    One Aho-Corasick pass finds every keyword of every rule in each description (overlapping, so
    「分布式光伏」 also counts 「光伏」, as in :func:`identify_one`); each rule then counts its own."""
    table = rules(catalogue)
    vocabulary = sorted({k for r in table for k in r.keywords})
    code = pl.col("industry_code").fill_null("")
    found = (
        pl.col("description").fill_null("").str.extract_many(vocabulary, overlapping=True).list.unique()
        if vocabulary
        else pl.lit([], dtype=pl.List(pl.Utf8))
    )
    frame = projects.lazy().select(
        "project_id", "industry_code", "output_kind", "annual_output", found.alias("_kw")
    )
    parts, scores = [], []
    for r in table:
        ind = (
            pl.any_horizontal([code.str.starts_with(p) for p in r.industries])
            if r.industries
            else pl.lit(False)
        )
        kw = (
            pl.col("_kw").list.eval(pl.element().is_in(list(r.keywords))).list.sum().fill_null(0)
            if r.keywords
            else pl.lit(0)
        )
        thr = (
            (pl.col("output_kind").is_in(list(r.output_kinds)) & (pl.col("annual_output") > 0)).fill_null(
                False
            )
            if r.output_kinds
            else pl.lit(False)
        )
        parts += [ind.alias(f"i_{r.item}"), kw.alias(f"k_{r.item}"), thr.alias(f"t_{r.item}")]
        i, k, t = pl.col(f"i_{r.item}"), pl.col(f"k_{r.item}"), pl.col(f"t_{r.item}")
        kw_score = pl.min_horizontal(pl.lit(W_KEYWORD_MAX), k.cast(pl.Float64) * W_KEYWORD)
        score = i.cast(pl.Float64) * W_INDUSTRY + kw_score + t.cast(pl.Float64) * W_THRESHOLD
        scores.append(pl.when(i | (k > 0)).then(score.round(2)).otherwise(None).alias(f"s_{r.item}"))
    frame = frame.select("project_id", *parts)
    items = [r.item for r in table]
    cols = [f"s_{i}" for i in items]
    frame = frame.select("project_id", *scores).with_columns(pl.max_horizontal(cols).alias("_best"))
    best = pl.col("_best")
    # the first rule (deepest level, then catalogue order) reaching the best score, as in identify_one
    pick = pl.coalesce([pl.when(pl.col(c) == best).then(pl.lit(i)) for c, i in zip(cols, items, strict=True)])
    return frame.select(
        "project_id",
        pick.alias("best_item"),
        best.fill_null(0.0).alias("confidence"),
        pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Int32) for c in cols]).alias("match_count"),
    ).collect()


# ---------------------------------------------------------------------------------------------------
# Carbon
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A computed figure with the sentence that shows how it was obtained and what it used."""

    value: Decimal
    unit: str
    working: str
    factor: Factor | None = None


def normalise_output(kind: str, amount, unit: str) -> Decimal:
    """The amount in the unit the platform stores for ``kind``; kWh for an MWh kind is a unit mismatch
    (an error naming the field), never a silent ×1000."""
    if kind not in OUTPUT_KINDS:
        raise GreenInputError("output_kind", f"产出类型“{kind}”不存在", f"unknown output kind '{kind}'")
    label, want, _m = OUTPUT_KINDS[kind]
    value = Decimal(str(amount))
    if value < 0:
        raise GreenInputError("annual_output", f"{label}不能为负数", f"{kind} must not be negative")
    if unit != want:
        raise GreenInputError(
            "output_unit",
            f"{label}的单位应为 {want}，填写的是 {unit or '（空）'}"
            + ("（1 MWh = 1,000 kWh，请换算后填写）" if unit in UNIT_ALIASES else ""),
            f"{kind} must be given in {want}, not {unit or '(empty)'}",
        )
    return value


def carbon_one(
    kind: str, amount, unit: str, factor_year: int | None = None, grid: str = "national"
) -> Figure:
    """Annual CO2 reduction of one project (tCO2/a) with its working."""
    value = normalise_output(kind, amount, unit)
    label, u, method = OUTPUT_KINDS[kind]
    if method == "grid":
        f = factor(int(factor_year) if factor_year is not None else -1, grid)
        result = value * f.value
        working = f"{label} {n(value)} {u} × {f.label} = {n(result)} tCO2/年（来源：{f.source}）"
        return Figure(result, "tCO2/年", working, f)
    if method == "fuel_switch":
        return Figure(value, "tCO2/年", f"{label}：{n(value)} tCO2/年（由项目测算的替代前、替代后排放之差）")
    return Figure(Decimal(0), "tCO2/年", f"{label} {n(value)} {u}：本项产出不折算碳减排")


def carbon_frame(projects: pl.DataFrame) -> pl.DataFrame:
    """Batch carbon: ``projects`` has project_id, output_kind, annual_output (stored unit), factor_year,
    grid; returns project_id, factor, reduction_t (0 for kinds without a carbon method; null factor when
    the year or grid has none: the services refuse such input before it gets here)."""
    grid_kinds = [k for k, v in OUTPUT_KINDS.items() if v[2] == "grid"]
    fuel_kinds = [k for k, v in OUTPUT_KINDS.items() if v[2] == "fuel_switch"]
    joined = projects.select("project_id", "output_kind", "annual_output", "factor_year", "grid").join(
        factors_frame(), on=["factor_year", "grid"], how="left"
    )
    red = (
        pl.when(pl.col("output_kind").is_in(grid_kinds))
        .then(pl.col("annual_output") * pl.col("factor"))
        .when(pl.col("output_kind").is_in(fuel_kinds))
        .then(pl.col("annual_output"))
        .otherwise(0.0)
    )
    return joined.select("project_id", "factor", red.alias("reduction_t"))


def loan_reduction(project_reduction: Decimal, loan: Decimal, total_investment: Decimal) -> Figure:
    """PBoC 碳减排支持工具: a loan's annual reduction = project annual reduction × loan ÷ total investment."""
    if total_investment <= 0:
        raise GreenInputError("total_investment", "项目总投资必须大于 0", "total investment must be positive")
    if loan < 0 or loan > total_investment:
        raise GreenInputError(
            "amount", "贷款金额应在 0 与项目总投资之间", "the loan must be between 0 and the total investment"
        )
    value = project_reduction * loan / total_investment
    working = (
        f"项目年减排 {n(project_reduction)} tCO2 × 贷款 {n(loan)} 万元 ÷ 项目总投资 {n(total_investment)} 万元"
        f" = {n(value)} tCO2/年（碳减排支持工具的归属方法）"
    )
    return Figure(value, "tCO2/年", working)


def pcaf_financed(
    outstanding: Decimal, equity: Decimal, debt: Decimal, emissions: Decimal, quality: int
) -> Figure:
    """PCAF: financed emissions = outstanding ÷ (equity + debt) × the borrower's (project's) emissions."""
    if quality not in (1, 2, 3, 4, 5):
        raise GreenInputError("data_quality", "数据质量评分应为 1–5", "data-quality score must be 1 to 5")
    if equity < 0 or debt < 0 or equity + debt <= 0:
        raise GreenInputError("equity", "权益与债务之和必须大于 0", "equity + debt must be positive")
    if outstanding < 0 or outstanding > equity + debt:
        raise GreenInputError(
            "outstanding",
            "贷款余额应在 0 与权益加债务之间",
            "outstanding must be between 0 and equity + debt",
        )
    share = outstanding / (equity + debt)
    value = share * emissions
    working = (
        f"归属系数 = 余额 {n(outstanding)} 万元 ÷（权益 {n(equity)} + 债务 {n(debt)}）万元 = {n(share, 4)}；"
        f"融资排放 = {n(share, 4)} × {n(emissions)} tCO2 = {n(value)} tCO2（PCAF 数据质量 {quality} 分，1 最好）"
    )
    return Figure(value, "tCO2", working)


# ---------------------------------------------------------------------------
# Institutions' green evaluation (绿色金融评价), after 《银行业金融机构绿色金融评价方案》 (银发〔2021〕142号)
# ---------------------------------------------------------------------------
# Verified (secondary sources, see docs/green.md): quantitative indicators weigh 80%, qualitative 20%; the
# four quantitative indicators are 绿色金融业务总额占比, 绿色金融业务总额份额占比, 绿色金融业务总额同比增速
# and 绿色金融业务风险总额占比; the qualitative part has three items (政策执行、制度制定及实施、支持绿色产业)
# reported at 30% / 40% / 30%. NOT verified: the weight of each quantitative indicator within the 80% and
# how the scheme turns an indicator value into a score. The platform therefore splits the 80% equally
# (``QUANT_WEIGHTS``) and scores each indicator by its position between the lowest and highest value of
# the institutions evaluated together (risk: lower is better) — both the platform's, labelled as such.

QUANT_SHARE, QUAL_SHARE = Decimal("0.8"), Decimal("0.2")
#: indicator → (label, better when higher)
QUANT_INDICATORS: dict[str, tuple[str, bool]] = {
    "share": ("绿色金融业务总额占比", True),
    "market": ("绿色金融业务总额份额占比", True),
    "growth": ("绿色金融业务总额同比增速", True),
    "risk": ("绿色金融业务风险总额占比", False),
}
QUANT_WEIGHTS = {k: Decimal("0.25") for k in QUANT_INDICATORS}  # platform's assumption (equal split)
QUAL_ITEMS: dict[str, tuple[str, Decimal]] = {
    "qual_policy": ("执行国家及地方绿色金融政策情况", Decimal("0.3")),
    "qual_system": ("机构绿色金融制度制定及实施情况", Decimal("0.4")),
    "qual_support": ("金融支持绿色产业发展情况", Decimal("0.3")),
}
HUNDRED = Decimal(100)


@dataclass
class Indicator:
    key: str
    label: str
    value: Decimal | None  # a ratio (0.12 = 12%)
    score: Decimal
    working: str


@dataclass
class Evaluation:
    institution: Any
    indicators: list[Indicator]
    quantitative: Decimal  # 0–100
    qualitative: Decimal | None  # 0–100, None until the finance office scored it
    total: Decimal
    working: str
    rank: int = 0
    row: dict = field(default_factory=dict)  # the report it was computed from


def pct(x: Decimal | None) -> str:
    return "—" if x is None else f"{n(x * HUNDRED)}%"


def _ratio(num, den) -> Decimal | None:
    den = Decimal(str(den))
    return None if den <= 0 else Decimal(str(num)) / den


def check_report(r: dict) -> None:
    """One quarter's figures are consistent: none negative, green within total, risk within green."""
    for k in ("green_balance", "prior_green_balance", "total_balance", "green_risk"):
        if Decimal(str(r[k])) < 0:
            raise GreenInputError(k, "报送数据不能为负数", f"{k} must not be negative")
    if Decimal(str(r["green_balance"])) > Decimal(str(r["total_balance"])):
        raise GreenInputError(
            "green_balance", "绿色金融业务总额不能大于各项业务总额", "green balance exceeds the total balance"
        )
    if Decimal(str(r["green_risk"])) > Decimal(str(r["green_balance"])):
        raise GreenInputError(
            "green_risk", "风险总额不能大于绿色金融业务总额", "green risk exceeds the green balance"
        )


def _values(reports: list[dict]) -> list[dict[str, Decimal | None]]:
    market = sum((Decimal(str(r["green_balance"])) for r in reports), Decimal(0))
    out = []
    for r in reports:
        g = Decimal(str(r["green_balance"]))
        prior = Decimal(str(r["prior_green_balance"]))
        out.append(
            {
                "share": _ratio(g, r["total_balance"]),
                "market": _ratio(g, market),
                "growth": None if prior <= 0 else (g - prior) / prior,
                "risk": _ratio(r["green_risk"], g),
            }
        )
    return out


def _score(key: str, value: Decimal | None, low: Decimal | None, high: Decimal | None) -> tuple[Decimal, str]:
    label, higher = QUANT_INDICATORS[key]
    if value is None:
        return Decimal(0), "无法计算（分母为 0），计 0 分"
    if low is None or high is None or high == low:
        return HUNDRED, f"参评机构取值相同（{pct(value)}），计 100 分"
    span = high - low
    pos = (value - low) / span if higher else (high - value) / span
    score = (pos * HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    formula = (
        f"({pct(value)} − {pct(low)}) ÷ ({pct(high)} − {pct(low)})"
        if higher
        else (f"({pct(high)} − {pct(value)}) ÷ ({pct(high)} − {pct(low)})")
    )
    return score, f"参评机构最低 {pct(low)}、最高 {pct(high)}：{formula} × 100 = {n(score, 1)} 分"


def evaluate(reports: list[dict]) -> list[Evaluation]:
    """Evaluate the institutions that reported for one period together; ranked by total score. Each report:
    institution, green_balance, prior_green_balance, total_balance, green_risk (万元), and the three
    qualitative scores (0–100 or None). Every score carries its working."""
    for r in reports:
        check_report(r)
    values = _values(reports)
    bounds = {}
    for key in QUANT_INDICATORS:
        present = [v[key] for v in values if v[key] is not None]
        bounds[key] = (min(present), max(present)) if present else (None, None)
    market = sum((Decimal(str(r["green_balance"])) for r in reports), Decimal(0))
    out = []
    for r, v in zip(reports, values, strict=True):
        inds = []
        for key, (label, _higher) in QUANT_INDICATORS.items():
            score, how = _score(key, v[key], *bounds[key])
            inds.append(Indicator(key, label, v[key], score, f"{label} {_definition(key, r, market)}；{how}"))
        quant = sum((QUANT_WEIGHTS[i.key] * i.score for i in inds), Decimal(0)).quantize(Decimal("0.1"))
        qual = _qualitative(r)
        total = QUANT_SHARE * quant + QUAL_SHARE * (qual if qual is not None else Decimal(0))
        total = total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        parts = " + ".join(f"{n(i.score, 1)} × {n(QUANT_WEIGHTS[i.key] * HUNDRED)}%" for i in inds)
        qual_txt = f"定性 {n(qual, 1)} 分" if qual is not None else "定性尚未评定，按 0 分计"
        working = (
            f"定量 = {parts} = {n(quant, 1)} 分；{qual_txt}；"
            f"总分 = {n(quant, 1)} × 80% + {n(qual or 0, 1)} × 20% = {n(total, 1)} 分"
        )
        out.append(Evaluation(r["institution"], inds, quant, qual, total, working, row=r))
    out.sort(key=lambda e: -e.total)
    for i, e in enumerate(out):
        e.rank = i + 1 if i == 0 or e.total != out[i - 1].total else out[i - 1].rank
    return out


def _definition(key: str, r: dict, market: Decimal) -> str:
    g = n(r["green_balance"])
    if key == "share":
        return f"= {g} ÷ {n(r['total_balance'])}（各项业务总额）= {pct(_ratio(r['green_balance'], r['total_balance']))}"
    if key == "market":
        return (
            f"= {g} ÷ {n(market)}（参评机构绿色金融业务总额合计）= {pct(_ratio(r['green_balance'], market))}"
        )
    if key == "growth":
        prior = Decimal(str(r["prior_green_balance"]))
        if prior <= 0:
            return "：上年同期为 0"
        return (
            f"= ({g} − {n(prior)}) ÷ {n(prior)} = {pct((Decimal(str(r['green_balance'])) - prior) / prior)}"
        )
    return f"= {n(r['green_risk'])} ÷ {g} = {pct(_ratio(r['green_risk'], r['green_balance']))}"


def _qualitative(r: dict) -> Decimal | None:
    scores = [r.get(k) for k in QUAL_ITEMS]
    if any(s is None for s in scores):
        return None
    return sum(
        (Decimal(str(s)) * w for s, (_label, w) in zip(scores, QUAL_ITEMS.values(), strict=True)), Decimal(0)
    ).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

"""The enterprise feature table: one row per enterprise, the columns the rule language reads (each
documented by a catalog field of the feature set that computes it; ``jinfu.rules.catalog.ENTERPRISE_FIELDS``
lists them all).

The table is assembled from the feature sets of :mod:`jinfu.core.featureregistry`: core registers the
registration set below; every module registers its own sets from its AppConfig (credit sources and
score, financing history, listing statements …). Every loader returns a LazyFrame; the assembly is one
Polars plan (joins on ``org_id``), collected once, then the pure derives run over the collected table.
Revenue, employees and total assets are shared facts: each set may offer values with their source and
date, and the documented precedence picks one (``<fact>``, ``<fact>_source``, ``<fact>_as_of``).
Self-declared figures are never in the table.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.utils import timezone

from . import featureregistry as registry
from .featureregistry import FACTS, FeatureSet
from .featureregistry import Field as F
from .models import EnterpriseProfile

TAG_COLUMNS = {
    "specialized": "tag_specialized",
    "high_tech": "tag_high_tech",
    "tech_sme": "tag_tech_sme",
    "green": "tag_green",
    "above_scale": "tag_above_scale",
    "first_loan": "tag_first_loan",
}
_SOURCE = "经审计报表 > 导入报表 > 企业登记（不含自报）"

REGISTRATION_FIELDS = (
    F("uscc", "string", "统一社会信用代码", "", "企业登记", "18 位统一社会信用代码", False, "uscc"),
    F(
        "division_code",
        "string",
        "行政区划代码",
        "",
        "企业登记",
        "GB/T 2260 六位代码",
        label_en="division code",
    ),
    F("zone_code", "string", "所属园区", "", "园区台账", "园区（开发区）代码", label_en="zone code"),
    F(
        "industry_code",
        "string",
        "行业代码",
        "",
        "企业登记",
        "GB/T 4754 四位小类代码",
        label_en="industry code",
    ),
    F(
        "industry_section",
        "string",
        "所属行业门类",
        "",
        "由行业代码派生",
        "GB/T 4754 门类字母 A–T",
        label_en="industry section",
    ),
    F(
        "industry_division",
        "string",
        "所属行业大类",
        "",
        "由行业代码派生",
        "GB/T 4754 两位大类代码",
        label_en="industry division",
    ),
    F(
        "size_class",
        "string",
        "企业规模",
        "",
        "划型标准计算",
        "large / medium / small / micro（大型/中型/小型/微型）",
        label_en="size class",
    ),
    F("registered_capital", "number", "注册资本", "万元", "企业登记", label_en="registered capital"),
    F("paid_in_capital", "number", "实缴资本", "万元", "企业登记", label_en="paid-in capital"),
    F(
        "revenue",
        "number",
        "营业收入",
        "万元",
        _SOURCE,
        "最近一个完整年度；来源与日期见 revenue_source / revenue_as_of",
        label_en="revenue",
    ),
    F("total_assets", "number", "资产总额", "万元", _SOURCE, label_en="total assets"),
    F("employees", "integer", "从业人员", "人", "企业登记 > 社保参保人数（不含自报）", label_en="employees"),
    F(
        "established_years",
        "number",
        "成立年限",
        "年",
        "由成立日期派生",
        "成立至今的年数",
        label_en="established years",
    ),
    F("tag_specialized", "boolean", "专精特新企业", "", "工信部门名单", label_en="specialized SME"),
    F("tag_high_tech", "boolean", "高新技术企业", "", "科技部门名单", label_en="high-tech enterprise"),
    F("tag_tech_sme", "boolean", "科技型中小企业", "", "科技部门名单", label_en="tech SME"),
    F("tag_green", "boolean", "绿色企业", "", "绿色金融认定", label_en="green enterprise"),
    F("tag_above_scale", "boolean", "规上企业", "", "统计部门名单", label_en="above-scale enterprise"),
    F("tag_first_loan", "boolean", "首贷户标签", "", "标签规则", label_en="first-loan tag"),
)
REGISTRATION_SCHEMA = {f.name: registry.POLARS_TYPES[f.type] for f in REGISTRATION_FIELDS}

REG_COLUMNS = (
    "pk",
    "organization__uscc",
    "organization__division_id",
    "organization__zone_id",
    "industry_id",
    "industry__section",
    "size_class",
    "registered_capital",
    "paid_in_capital",
    "established_on",
    "figures_as_of",
    *FACTS,  # revenue, total_assets, employees: the profile's field names
)


def _profiles(org_ids):
    qs = EnterpriseProfile.objects.all()
    return qs.filter(pk__in=list(org_ids)) if org_ids is not None else qs


def _f(v):
    return float(v) if v is not None else None


def load_registration(org_ids, today: dt.date) -> pl.LazyFrame:
    """Registration profile and tags (the rows of the table: one per enterprise with a profile), with the
    registration figures as the lowest-ranked verified candidates for revenue, employees and total assets
    (``<fact>``, ``<fact>_source``, ``<fact>_as_of``)."""
    qs = _profiles(org_ids)
    tags: dict[int, set[str]] = {}
    for org_id, code in EnterpriseProfile.tags.through.objects.filter(
        enterpriseprofile__in=qs.values("pk")
    ).values_list("enterpriseprofile_id", "tag__code"):
        tags.setdefault(org_id, set()).add(code)
    rows = []
    for pk, uscc, division, zone, industry, section, size, cap, paid, est, as_of, *figures in qs.values_list(
        *REG_COLUMNS
    ).iterator(chunk_size=5000):
        own = tags.get(pk, ())
        row = [
            pk,
            uscc,
            division,
            zone,
            industry,
            section if industry else None,
            (industry or "")[:2] or None,
            size or None,
            _f(cap),
            _f(paid),
            round((today - est).days / 365.25, 2) if est else None,
            *[code in own for code in TAG_COLUMNS],
        ]
        for v in figures:
            known = v is not None
            row += [_f(v), "registration" if known else None, as_of if known else None]
        rows.append(row)
    return pl.LazyFrame(rows, schema=_ROW_SCHEMA, orient="row")


_ROW_SCHEMA = {
    "org_id": pl.Int64,
    **{c: t for c, t in REGISTRATION_SCHEMA.items() if c not in FACTS},
    **{c: t for f in FACTS for c, t in ((f, pl.Float64), (f"{f}_source", pl.Utf8), (f"{f}_as_of", pl.Date))},
}


def register_core_sets() -> None:
    registry.register(
        FeatureSet(
            name="registration",
            schema=REGISTRATION_SCHEMA,
            fields=REGISTRATION_FIELDS,
            load=load_registration,
            scope="basic",
            order=0,
        )
    )


def schema() -> dict[str, pl.DataType]:
    return registry.schema()


def enterprise_features(org_ids=None, *, today: dt.date | None = None) -> pl.DataFrame:
    """The feature table for all enterprises (or the given organization ids)."""
    today = today or timezone.localdate()
    ids = list(org_ids) if org_ids is not None else None
    sets = registry.feature_sets()
    loaded = [fs for fs in sets if fs.load is not None]
    if not loaded:
        return pl.DataFrame(schema=schema())
    base, others = loaded[0], loaded[1:]  # the first set (registration) gives the rows
    lf = base.load(ids, today)
    fact_cols = [c for fact in FACTS for c in (fact, f"{fact}_source", f"{fact}_as_of")]
    lf = _with_facts(lf, [fs.facts(ids, today) for fs in sets if fs.facts is not None], fact_cols)
    for fs in others:
        lf = _join_set(lf, fs, fs.load(ids, today))
    df = _derive(lf.collect(), [fs for fs in sets if fs.derive is not None])
    cols = schema()
    present = set(df.columns)
    return df.select(
        [(pl.col(c) if c in present else pl.lit(None)).cast(t).alias(c) for c, t in cols.items()]
    )


def feature_rows(org_ids=None, *, today: dt.date | None = None) -> list[dict]:
    return enterprise_features(org_ids, today=today).to_dicts()


def feature_row(org_id: int, *, today: dt.date | None = None) -> dict:
    """One enterprise's feature row as a plain dict (the online path); {} if unknown."""
    rows = feature_rows([org_id], today=today)
    return rows[0] if rows else {}


def _candidates(lf: pl.LazyFrame) -> list[pl.LazyFrame]:
    """The base frame's own figures (the registration figures) as fact candidates."""
    schema = lf.collect_schema()
    return [
        lf.select(
            "org_id",
            pl.lit(fact).alias("fact"),
            pl.col(fact).cast(pl.Float64).alias("value"),
            pl.col(f"{fact}_source").alias("source"),
            pl.col(f"{fact}_as_of").alias("as_of"),
        )
        for fact in FACTS
        if fact in schema
    ]


def _with_facts(lf: pl.LazyFrame, offered: list[pl.LazyFrame], fact_cols: list[str]) -> pl.LazyFrame:
    """Replace the base frame's figures by the candidate each fact's precedence picks."""
    cols = [c for c in fact_cols if c in lf.collect_schema()]
    candidates = [c.select(list(registry.FACT_SCHEMA)) for c in (*_candidates(lf), *offered)]
    out = lf.drop(cols)
    if not candidates:
        return out
    picked = registry.pick_facts(pl.concat(candidates, how="vertical_relaxed"))
    wide = picked.group_by("org_id").agg(
        pl.col(c).filter(pl.col("fact") == fact).first().alias(name)
        for fact in FACTS
        for c, name in (("value", fact), ("source", f"{fact}_source"), ("as_of", f"{fact}_as_of"))
    )
    return out.join(wide, on="org_id", how="left", maintain_order="left")


def _join_set(lf: pl.LazyFrame, fs: FeatureSet, frame: pl.LazyFrame) -> pl.LazyFrame:
    """Left-join a set's frame; an enterprise the loader omitted gets the set's defaults."""
    cols = [c for c in fs.schema if c in frame.collect_schema()]
    seen = f"__in_{fs.name}"
    frame = frame.select("org_id", *[pl.col(c).cast(fs.schema[c]) for c in cols], pl.lit(True).alias(seen))
    out = lf.join(frame, on="org_id", how="left", maintain_order="left")
    fills = [
        pl.when(pl.col(seen).is_null()).then(pl.lit(v, dtype=fs.schema[c])).otherwise(pl.col(c)).alias(c)
        for c, v in fs.defaults.items()
        if c in cols
    ]
    fills += [pl.lit(v, dtype=fs.schema[c]).alias(c) for c, v in fs.defaults.items() if c not in cols]
    return out.with_columns(fills).drop(seen)


def _derive(df: pl.DataFrame, derived: list[FeatureSet]) -> pl.DataFrame:
    """Run each derived set's pure ``derive`` over the collected table, in registry order."""
    for fs in derived:
        ctx = fs.prepare() if fs.prepare else None
        if df.height == 0:
            out = pl.DataFrame(schema={"org_id": pl.Int64, **fs.schema})
        else:
            out = fs.derive(df, ctx).select("org_id", *fs.schema)
        df = df.drop([c for c in fs.schema if c in df.columns]).join(
            out, on="org_id", how="left", maintain_order="left"
        )
    return df

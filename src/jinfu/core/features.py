"""The enterprise feature table: one row per enterprise, the columns the rule language reads (each
documented by a catalog field of the feature set that computes it; ``jinfu.rules.catalog.ENTERPRISE_FIELDS``
lists them all).

The table is assembled from the feature sets of :mod:`jinfu.core.featureregistry`: core registers the
registration set below; every module registers its own sets from its AppConfig (credit sources and
score, financing history, listing statements …). Every loader returns a LazyFrame; the assembly is one
``pl.collect_all`` (the sets' frames and fact candidates together), merged by ``org_id`` (a dict per
enterprise: the one-enterprise online row stays fast), then the pure derives run over the table.
Revenue, employees and total assets are shared facts: each set may offer values with their source and
date, and the documented precedence picks one (``<fact>``, ``<fact>_source``, ``<fact>_as_of``).
Self-declared figures are never in the table.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.utils import timezone

from . import featureregistry as registry
from .featureregistry import FACTS, FactValue, FeatureSet
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
        for fact, v in zip(FACTS, figures, strict=True):
            known = v is not None
            value = (int(v) if REGISTRATION_SCHEMA[fact] == pl.Int64 else float(v)) if known else None
            row += [value, "registration" if known else None, as_of if known else None]
        rows.append(row)
    return pl.LazyFrame(rows, schema=_ROW_SCHEMA, orient="row")


_ROW_SCHEMA = {
    "org_id": pl.Int64,
    **{c: t for c, t in REGISTRATION_SCHEMA.items() if c not in FACTS},
    **{
        c: t
        for f in FACTS
        for c, t in ((f, REGISTRATION_SCHEMA[f]), (f"{f}_source", pl.Utf8), (f"{f}_as_of", pl.Date))
    },
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
            sources=(
                ("core.EnterpriseProfile", "pk"),
                ("core.Organization", "pk"),
                ("core.EnterpriseProfile_tags", "enterpriseprofile_id"),
                ("core.Tag", ""),
                ("core.Industry", ""),
            ),
        )
    )


def schema() -> dict[str, pl.DataType]:
    return registry.schema()


def enterprise_features(org_ids=None, *, today: dt.date | None = None) -> pl.DataFrame:
    """The feature table for all enterprises (or the given organization ids)."""
    return pl.DataFrame(feature_rows(org_ids, today=today), schema=schema())


def feature_row(org_id: int, *, today: dt.date | None = None) -> dict:
    """One enterprise's feature row as a plain dict (the online path); {} if unknown."""
    rows = feature_rows([org_id], today=today)
    return rows[0] if rows else {}


def feature_rows(org_ids=None, *, today: dt.date | None = None) -> list[dict]:
    """Collect every set's LazyFrame (and fact candidates) in one ``pl.collect_all``, merge them by
    ``org_id`` onto the first set's rows (registration), pick each fact, then run the pure derives."""
    today = today or timezone.localdate()
    ids = list(org_ids) if org_ids is not None else None
    sets = registry.feature_sets()
    loaded = [fs for fs in sets if fs.load is not None]
    offered = [fs for fs in sets if fs.facts is not None]
    if not loaded:
        return []
    frames = pl.collect_all([fs.load(ids, today) for fs in loaded] + [fs.facts(ids, today) for fs in offered])
    cols = schema()
    blank = dict.fromkeys(cols) | registry.defaults()
    rows = {r["org_id"]: {**blank, **r} for r in frames[0].iter_rows(named=True)}
    for frame in frames[1 : len(loaded)]:
        for r in frame.iter_rows(named=True):
            row = rows.get(r["org_id"])
            if row is not None:
                row.update(r)
    _apply_facts(rows, frames[len(loaded) :], cols)
    _apply_derived(rows, sets, cols)
    return list(rows.values())


def _apply_facts(rows: dict[int, dict], candidates: list[pl.DataFrame], cols) -> None:
    """Each candidate replaces the row's current value of its fact when its source ranks higher (the
    first set's own figures are already in the rows as the lowest verified source)."""
    for frame in candidates:
        for org_id, fact, value, source, as_of in frame.iter_rows():
            row = rows.get(org_id)
            if row is None:
                continue
            current = FactValue(
                org_id, fact, row.get(fact), row.get(f"{fact}_source"), row.get(f"{fact}_as_of")
            )
            c = FactValue(org_id, fact, value, source, as_of)
            if registry.pick_fact((current, c)) is c:
                if value is not None and cols.get(fact) == pl.Int64:
                    value = int(value)
                row.update({fact: value, f"{fact}_source": source, f"{fact}_as_of": as_of})


def _apply_derived(rows: dict[int, dict], sets, cols) -> None:
    """Run each derived set's pure ``derive`` over the assembled table, in registry order."""
    derived = [fs for fs in sets if fs.derive is not None]
    if not derived or not rows:
        return
    df = pl.DataFrame(list(rows.values()), schema=cols)
    for fs in derived:
        out = fs.derive(df, fs.prepare() if fs.prepare else None).select("org_id", *fs.schema)
        df = df.drop(list(fs.schema)).join(out, on="org_id", how="left", maintain_order="left")
        for r in out.iter_rows(named=True):
            rows[r["org_id"]].update(r)


def features_keys(org_id: int | None) -> list[str]:
    from . import dataversion

    return dataversion.features_keys(org_id)


def cached_feature_row(org_id: int, known: dict | None = None) -> dict:
    """feature_row, computed once per change of the enterprise's features (and per day: the row counts
    years since establishment). ``known``: data-version tokens this request already read."""
    from . import dataversion

    today = timezone.localdate()
    row, _hit = dataversion.cached(
        "features.row",
        features_keys(org_id),
        (org_id, today),
        lambda: feature_row(org_id, today=today),
        known=known,
    )
    return row

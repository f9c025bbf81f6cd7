"""The enterprise feature table: one row per enterprise, the columns the rule language reads
(`jinfu.rules.catalog.ENTERPRISE_FIELDS` documents each).

The rows are assembled from the feature sets of :mod:`jinfu.core.featureregistry`: core registers the
registration set below; every module registers its own sets from its AppConfig (credit sources and
score, financing history, listing statements …). Revenue, employees and total assets are shared facts:
each set may offer a value with its source and date, and the documented precedence picks one
(``<fact>``, ``<fact>_source``, ``<fact>_as_of``). Self-declared figures are never in the table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
from django.utils import timezone

from . import featureregistry as registry
from .featureregistry import FactValue, FeatureSet
from .models import EnterpriseProfile

TAG_COLUMNS = {
    "specialized": "tag_specialized",
    "high_tech": "tag_high_tech",
    "tech_sme": "tag_tech_sme",
    "green": "tag_green",
    "above_scale": "tag_above_scale",
    "first_loan": "tag_first_loan",
}

REGISTRATION_SCHEMA = {
    "uscc": pl.Utf8,
    "division_code": pl.Utf8,
    "zone_code": pl.Utf8,
    "industry_code": pl.Utf8,
    "industry_section": pl.Utf8,
    "industry_division": pl.Utf8,
    "size_class": pl.Utf8,
    "registered_capital": pl.Float64,
    "paid_in_capital": pl.Float64,
    "revenue": pl.Float64,
    "total_assets": pl.Float64,
    "employees": pl.Int64,
    "established_years": pl.Float64,
    **dict.fromkeys(TAG_COLUMNS.values(), pl.Boolean),
}


def _f(v):
    return float(v) if v is not None else None


def _profiles(org_ids):
    qs = EnterpriseProfile.objects.all()
    return qs.filter(pk__in=list(org_ids)) if org_ids is not None else qs


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
    "revenue",
    "employees",
    "total_assets",
)


def load_registration(org_ids, today: dt.date) -> dict[int, dict]:
    """Registration profile and tags (the rows of the table: one per enterprise with a profile), with the
    registration figures as the lowest-ranked verified source of revenue, employees and total assets."""
    qs = _profiles(org_ids)
    tags: dict[int, set[str]] = {}
    for org_id, code in EnterpriseProfile.tags.through.objects.filter(
        enterpriseprofile__in=qs.values("pk")
    ).values_list("enterpriseprofile_id", "tag__code"):
        tags.setdefault(org_id, set()).add(code)
    rows = {}
    for (
        pk,
        uscc,
        division,
        zone,
        industry,
        section,
        size,
        cap,
        paid,
        est,
        as_of,
        rev,
        emp,
        assets,
    ) in qs.values_list(*REG_COLUMNS).iterator(chunk_size=5000):
        own = tags.get(pk, ())
        row = {
            "org_id": pk,
            "uscc": uscc,
            "division_code": division,
            "zone_code": zone,
            "industry_code": industry,
            "industry_section": section if industry else None,
            "industry_division": (industry or "")[:2] or None,
            "size_class": size or None,
            "registered_capital": _f(cap),
            "paid_in_capital": _f(paid),
            "established_years": round((today - est).days / 365.25, 2) if est else None,
            **{col: code in own for code, col in TAG_COLUMNS.items()},
        }
        for fact, v in (("revenue", _f(rev)), ("employees", emp), ("total_assets", _f(assets))):
            if v is not None:
                row.update({fact: v, f"{fact}_source": "registration", f"{fact}_as_of": as_of})
        rows[pk] = row
    return rows


REGISTRATION = FeatureSet(
    name="registration",
    schema=REGISTRATION_SCHEMA,
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


def register_core_sets() -> None:
    from jinfu.rules.catalog import REGISTRATION_FIELDS

    registry.register(dataclasses.replace(REGISTRATION, fields=tuple(REGISTRATION_FIELDS)))


def schema() -> dict[str, pl.DataType]:
    return registry.schema()


def enterprise_features(org_ids=None, *, today: dt.date | None = None) -> pl.DataFrame:
    """The feature table for all enterprises (or the given organization ids)."""
    return pl.DataFrame(feature_rows(org_ids, today=today), schema=schema())


def feature_row(org_id: int, *, today: dt.date | None = None) -> dict:
    """One enterprise's feature row as a plain dict (the online path); {} if unknown."""
    rows = feature_rows([org_id], today=today)
    return rows[0] if rows else {}


def _apply_facts(rows: dict[int, dict], sets, ids, today) -> None:
    """Each candidate replaces the row's current value of its fact when its source ranks higher (the
    registration set's own figures are already in the rows as the lowest verified source)."""
    for fs in sets:
        if fs.facts is None:
            continue
        for c in fs.facts(ids, today):
            row = rows.get(c.org_id)
            if row is None:
                continue
            source = row.get(f"{c.fact}_source")
            current = FactValue(c.org_id, c.fact, row.get(c.fact), source, row.get(f"{c.fact}_as_of"))
            if registry.pick_fact((current, c)) is c:
                row.update({c.fact: c.value, f"{c.fact}_source": c.source, f"{c.fact}_as_of": c.as_of})


def _apply_derived(rows: dict[int, dict], sets, cols) -> None:
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


def cached_feature_row(org_id: int) -> dict:
    """feature_row, computed once per change of the enterprise's features (and per day: the row counts
    years since establishment)."""
    from . import dataversion

    today = timezone.localdate()
    row, _hit = dataversion.cached(
        "features.row", features_keys(org_id), (org_id, today), lambda: feature_row(org_id, today=today)
    )
    return row


def feature_rows(org_ids=None, *, today: dt.date | None = None) -> list[dict]:
    today = today or timezone.localdate()
    ids = list(org_ids) if org_ids is not None else None
    sets = registry.feature_sets()
    cols = schema()
    blank = dict.fromkeys(cols) | registry.defaults()
    rows: dict[int, dict] = {}
    for fs in sets:
        if fs.load is None:
            continue
        data = fs.load(ids, today)
        if fs.name == REGISTRATION.name:  # the rows: one per enterprise with a registration profile
            rows = {pk: {**blank, **v} for pk, v in data.items()}
        else:
            for pk, v in data.items():
                if pk in rows:
                    rows[pk].update(v)
    _apply_facts(rows, sets, ids, today)
    _apply_derived(rows, sets, cols)
    return list(rows.values())

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


def load_registration(org_ids, today: dt.date) -> dict[int, dict]:
    """Registration profile and tags (the rows of the table: one per enterprise with a profile)."""
    qs = _profiles(org_ids).select_related("organization", "industry")
    tags: dict[int, set[str]] = {}
    for org_id, code in EnterpriseProfile.tags.through.objects.filter(
        enterpriseprofile__in=qs.values("pk")
    ).values_list("enterpriseprofile_id", "tag__code"):
        tags.setdefault(org_id, set()).add(code)
    rows = {}
    for e in qs.iterator(chunk_size=5000):
        o = e.organization
        own = tags.get(o.pk, set())
        rows[o.pk] = {
            "org_id": o.pk,
            "uscc": o.uscc,
            "division_code": o.division_id,
            "zone_code": o.zone_id,
            "industry_code": e.industry_id,
            "industry_section": e.industry.section if e.industry_id else None,
            "industry_division": (e.industry_id or "")[:2] or None,
            "size_class": e.size_class or None,
            "registered_capital": _f(e.registered_capital),
            "paid_in_capital": _f(e.paid_in_capital),
            "established_years": round((today - e.established_on).days / 365.25, 2)
            if e.established_on
            else None,
            **{col: code in own for code, col in TAG_COLUMNS.items()},
        }
    return rows


def registration_facts(org_ids, today: dt.date):
    for pk, as_of, *values in _profiles(org_ids).values_list(
        "pk", "figures_as_of", "revenue", "employees", "total_assets"
    ):
        for fact, v in zip(("revenue", "employees", "total_assets"), values, strict=True):
            if v is not None:
                yield FactValue(pk, fact, float(v) if fact != "employees" else int(v), "registration", as_of)


REGISTRATION = FeatureSet(
    name="registration",
    schema=REGISTRATION_SCHEMA,
    load=load_registration,
    facts=registration_facts,
    scope="basic",
    order=0,
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
    candidates: dict[tuple[int, str], list[FactValue]] = {}
    for fs in sets:
        if fs.facts is not None:
            for c in fs.facts(ids, today):
                if c.org_id in rows:
                    candidates.setdefault((c.org_id, c.fact), []).append(c)
    for (org_id, fact), cs in candidates.items():
        best = registry.pick_fact(cs)
        if best is not None:
            rows[org_id].update(
                {fact: best.value, f"{fact}_source": best.source, f"{fact}_as_of": best.as_of}
            )


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
        if fs.name == REGISTRATION.name:
            rows = {pk: {**blank, **v} for pk, v in data.items()}
        else:
            for pk, v in data.items():
                if pk in rows:
                    rows[pk].update(v)
    _apply_facts(rows, sets, ids, today)
    _apply_derived(rows, sets, cols)
    return list(rows.values())

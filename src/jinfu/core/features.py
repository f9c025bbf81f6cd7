"""The enterprise feature table: one row per enterprise, the columns the rule language reads
(`jinfu.rules.catalog.ENTERPRISE_FIELDS` documents each). Built from the registration profile today;
the credit module adds its fields (tax grade, patents, score…) to the same table.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.utils import timezone

from jinfu.credit.features import CREDIT_SCHEMA

from .models import EnterpriseProfile

TAG_COLUMNS = {
    "specialized": "tag_specialized",
    "high_tech": "tag_high_tech",
    "tech_sme": "tag_tech_sme",
    "green": "tag_green",
    "above_scale": "tag_above_scale",
    "first_loan": "tag_first_loan",
}

SCHEMA = {
    "org_id": pl.Int64,
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
    "credit_score": pl.Float64,
    "credit_grade": pl.Utf8,
    "is_first_loan": pl.Boolean,
    **dict.fromkeys(TAG_COLUMNS.values(), pl.Boolean),
    # credit columns (jinfu.credit.features), read from the stored FeatureSnapshot
    **{k: v for k, v in CREDIT_SCHEMA.items() if k != "is_first_loan"},
}
CREDIT_COLUMNS = tuple(CREDIT_SCHEMA)


def _f(v):
    return float(v) if v is not None else None


def enterprise_features(org_ids=None, *, today: dt.date | None = None) -> pl.DataFrame:
    """The feature table for all enterprises (or the given organization ids)."""
    return pl.DataFrame(feature_rows(org_ids, today=today), schema=SCHEMA)


def feature_row(org_id: int, *, today: dt.date | None = None) -> dict:
    """One enterprise's feature row as a plain dict (the online path: no DataFrame); {} if unknown."""
    rows = feature_rows([org_id], today=today)
    return rows[0] if rows else {}


def feature_rows(org_ids=None, *, today: dt.date | None = None) -> list[dict]:
    today = today or timezone.localdate()
    qs = EnterpriseProfile.objects.select_related("organization", "industry")
    if org_ids is not None:
        qs = qs.filter(pk__in=list(org_ids))
    tags: dict[int, set[str]] = {}
    for org_id, code in EnterpriseProfile.tags.through.objects.filter(
        enterpriseprofile__in=qs.values("pk")
    ).values_list("enterpriseprofile_id", "tag__code"):
        tags.setdefault(org_id, set()).add(code)
    from jinfu.credit.models import FeatureSnapshot

    snaps = FeatureSnapshot.objects.all()
    if org_ids is not None:
        snaps = snaps.filter(pk__in=list(org_ids))
    credit = dict(snaps.values_list("enterprise_id", "values"))
    blank = dict.fromkeys(CREDIT_COLUMNS)
    rows = []
    for e in qs.iterator(chunk_size=5000):
        o = e.organization
        row = {
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
            "revenue": _f(e.revenue),
            "total_assets": _f(e.total_assets),
            "employees": e.employees,
            "established_years": round((today - e.established_on).days / 365.25, 2)
            if e.established_on
            else None,
            "credit_score": None,
            "credit_grade": None,
            "is_first_loan": None,
        }
        row.update(blank)
        row.update({k: v for k, v in credit.get(o.pk, {}).items() if k in blank})
        own = tags.get(o.pk, set())
        for code, col in TAG_COLUMNS.items():
            row[col] = code in own
        rows.append(row)
    return rows

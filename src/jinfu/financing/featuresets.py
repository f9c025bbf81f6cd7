"""The financing module's feature set: the enterprise's loan history on the platform, read live from
disbursed applications (so a disbursement counts at once; no snapshot to refresh).

``is_first_loan`` (首贷户) is true when the enterprise has no disbursed application on the platform.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db.models import Count, Sum

from jinfu.core import featureregistry as registry
from jinfu.core.featureregistry import FeatureSet
from jinfu.rules.catalog import ENTERPRISE_FIELDS

SCHEMA = {
    "platform_loans_outstanding": pl.Float64,
    "platform_loans_count": pl.Int64,
    "is_first_loan": pl.Boolean,
}
DEFAULTS = {"platform_loans_outstanding": 0.0, "platform_loans_count": 0, "is_first_loan": True}


def load_loans(org_ids, today: dt.date) -> dict[int, dict]:
    from .models import Application

    qs = Application.objects.filter(status=Application.Status.DISBURSED)
    if org_ids is not None:
        qs = qs.filter(enterprise_id__in=org_ids)
    out = {}
    for pk, total, n in (
        qs.values("enterprise_id")
        .annotate(t=Sum("approved_amount"), n=Count("pk"))
        .values_list("enterprise_id", "t", "n")
    ):
        out[pk] = {
            "platform_loans_outstanding": float(total or 0),
            "platform_loans_count": n,
            "is_first_loan": n == 0,
        }
    return out


def register_financing_sets() -> None:
    registry.register(
        FeatureSet(
            name="financing_history",
            schema=SCHEMA,
            fields=tuple(ENTERPRISE_FIELDS[c] for c in SCHEMA),
            load=load_loans,
            defaults=DEFAULTS,
            scope="credit_score",
            order=30,
            sources=(("financing.Application", "enterprise_id"),),
        )
    )

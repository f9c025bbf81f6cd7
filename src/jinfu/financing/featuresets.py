"""The financing module's feature set: the enterprise's loan history on the platform, read live from
disbursed applications (so a disbursement counts at once; no snapshot to refresh), with the catalog
fields documenting its columns.

``is_first_loan`` (首贷户) is true when the enterprise has no disbursed application on the platform.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db.models import Count, Sum

from jinfu.core import featureregistry as registry
from jinfu.core.featureregistry import FeatureSet
from jinfu.core.featureregistry import Field as F

from .models import Application

_SOURCE = "本平台融资申请"
FIELDS = (
    F(
        "platform_loans_outstanding",
        "number",
        "平台贷款余额",
        "万元",
        _SOURCE,
        "已放款申请的批准金额合计",
        label_en="platform loans outstanding",
    ),
    F(
        "platform_loans_count",
        "integer",
        "平台贷款笔数",
        "笔",
        _SOURCE,
        "已放款申请数",
        label_en="platform loans count",
    ),
    F(
        "is_first_loan",
        "boolean",
        "首贷户",
        "",
        "本平台融资申请（融资模块）",
        "此前在本平台无已放款贷款",
        label_en="is first loan",
    ),
)
SCHEMA = {f.name: registry.POLARS_TYPES[f.type] for f in FIELDS}
DEFAULTS = {"platform_loans_outstanding": 0.0, "platform_loans_count": 0, "is_first_loan": True}


def load_loans(org_ids, today: dt.date) -> pl.LazyFrame:
    qs = Application.objects.filter(status=Application.Status.DISBURSED)
    if org_ids is not None:
        qs = qs.filter(enterprise_id__in=org_ids)
    rows = (
        qs.values("enterprise_id")
        .annotate(t=Sum("approved_amount"), n=Count("pk"))
        .values_list("enterprise_id", "t", "n")
    )
    frame = pl.LazyFrame(
        [(pk, float(total or 0), n) for pk, total, n in rows],
        schema={
            "org_id": pl.Int64,
            "platform_loans_outstanding": pl.Float64,
            "platform_loans_count": pl.Int64,
        },
        orient="row",
    )
    return frame.with_columns((pl.col("platform_loans_count") == 0).alias("is_first_loan"))


def register_financing_sets() -> None:
    registry.register(
        FeatureSet(
            name="financing_history",
            schema=SCHEMA,
            fields=FIELDS,
            load=load_loans,
            defaults=DEFAULTS,
            scope="credit_score",
            order=30,
            sources=(("financing.Application", "enterprise_id"),),
        )
    )

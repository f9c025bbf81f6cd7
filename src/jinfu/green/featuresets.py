"""The green module's feature set: ``green_certified`` (绿色企业) and ``green_category``.

An enterprise is green when at least one of its projects has a *confirmed* identification (an assessor
decided it); what an enterprise declares about itself never makes it green. ``green_category`` is the
catalogue item of its latest confirmed project."""

from __future__ import annotations

import datetime as dt

import polars as pl

from jinfu.core import featureregistry as registry
from jinfu.core.featureregistry import FeatureSet
from jinfu.rules.catalog import Field

GREEN_SCHEMA = {"green_certified": pl.Boolean, "green_category": pl.Utf8}
GREEN_FIELDS = (
    Field(
        "green_certified",
        "boolean",
        "绿色企业（经认定）",
        "",
        "绿色项目认定",
        "至少一个项目经认定人员确认为绿色",
        nullable=False,
        label_en="certified green",
    ),
    Field(
        "green_category",
        "string",
        "绿色类别",
        "",
        "绿色项目认定",
        "最近一个经确认项目的目录条目",
        label_en="green category",
    ),
)


def load_green(org_ids, today: dt.date) -> pl.LazyFrame:
    from .models import Identification

    qs = Identification.objects.filter(
        decision=Identification.Decision.CONFIRMED, decided_at__date__lte=today
    )
    if org_ids is not None:
        qs = qs.filter(project__enterprise_id__in=org_ids)
    out: dict[int, str] = {}
    for org, name in qs.order_by("decided_at", "pk").values_list(
        "project__enterprise_id", "project__item__name"
    ):
        out[org] = name  # the latest confirmed project's item wins
    return pl.LazyFrame(
        {"org_id": list(out), "green_certified": [True] * len(out), "green_category": list(out.values())},
        schema={"org_id": pl.Int64, **GREEN_SCHEMA},
    )


def register_green_sets() -> None:
    registry.register(
        FeatureSet(
            name="green",
            schema=GREEN_SCHEMA,
            fields=GREEN_FIELDS,
            load=load_green,
            defaults={"green_certified": False, "green_category": None},
            order=60,
            sources=(
                ("green.Identification", "project.enterprise_id"),
                ("green.GreenProject", "enterprise_id"),
                ("green.CatalogueItem", ""),
            ),
        )
    )

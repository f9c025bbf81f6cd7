"""The listing module's feature set: annual statements offer revenue and total assets of the last
complete year as candidates for the shared facts (docs/features.md). Only statements that are not
self-reported count: audited ones rank first, then imported ones; an enterprise's own entry is 自报."""

from __future__ import annotations

import datetime as dt

import polars as pl

from jinfu.core import featureregistry as registry
from jinfu.core.featureregistry import FeatureSet

from .models import FinancialStatement

VERIFIED_SOURCES = ("audited", "import", "synthetic")


def statement_source(source: str, audited: bool) -> str:
    if source == "self_reported":
        return registry.SELF_DECLARED
    if audited or source == "audited":
        return "audited"
    return "statements_import" if source == "import" else source


def statement_facts(org_ids, today: dt.date) -> pl.LazyFrame:
    qs = FinancialStatement.objects.filter(year__lte=today.year - 1, source__in=VERIFIED_SOURCES)
    if org_ids is not None:
        qs = qs.filter(enterprise_id__in=org_ids)
    rows = []
    for pk, year, source, audited, revenue, assets in qs.values_list(
        "enterprise_id", "year", "source", "audited", "revenue", "total_assets"
    ):
        src, as_of = statement_source(source, audited), dt.date(year, 12, 31)
        rows.append((pk, "revenue", float(revenue), src, as_of))
        if assets is not None:
            rows.append((pk, "total_assets", float(assets), src, as_of))
    return registry.fact_frame(rows)


def register_listing_sets() -> None:
    registry.register(
        FeatureSet(
            name="listing_statements",
            schema={},
            facts=statement_facts,
            order=40,
            sources=(("listing.FinancialStatement", "enterprise_id"),),
        )
    )

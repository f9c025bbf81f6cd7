"""The risk module's feature set: ``risk_index`` and ``risk_colour`` (the analyst's colour when one is set)
join the enterprise feature table, so that a regulator's rule and the brain can read them.

Scope ``regulator_only`` is no consent scope: no grant ever covers it, so no institution reads these
columns; the fields are in no rule catalog an institution or a government policy editor writes against,
and no page shows an enterprise its own feature row (docs/security.md, "Risk early warning").
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from jinfu.core import featureregistry as registry
from jinfu.core.featureregistry import FeatureSet
from jinfu.rules.catalog import Field

RISK_SCHEMA = {"risk_index": pl.Float64, "risk_colour": pl.Utf8}
SCOPE = "regulator_only"
FIELDS = (
    Field(
        "risk_index",
        "number",
        "涉众风险指数",
        "分",
        "风险监测预警（仅监管部门）",
        "0–100；可为空",
        True,
        "risk index",
    ),
    Field(
        "risk_colour",
        "string",
        "风险预警颜色",
        "",
        "风险监测预警（仅监管部门）",
        "red, yellow, green（含分析人员调整）；可为空",
        True,
        "risk colour",
    ),
)


def load_risk(org_ids, today: dt.date) -> pl.LazyFrame:
    from .models import RiskScore

    qs = RiskScore.objects.all()
    if org_ids is not None:
        qs = qs.filter(pk__in=org_ids)
    rows = [
        (pk, float(index), colour) for pk, index, colour in qs.values_list("enterprise_id", "index", "colour")
    ]
    return pl.LazyFrame(rows, schema={"org_id": pl.Int64, **RISK_SCHEMA}, orient="row")


def register_risk_set() -> None:
    registry.register(
        FeatureSet(
            name="risk",
            schema=RISK_SCHEMA,
            fields=FIELDS,
            load=load_risk,
            scope=SCOPE,
            order=95,
            sources=(("risk.RiskScore", "enterprise_id"),),
        )
    )

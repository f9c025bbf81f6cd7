"""The brain's importer: plan actuals (实际值) from a spreadsheet, checked as the actuals form checks one
value (brain/services.py: prepare_actuals_import, apply_actuals)."""

from __future__ import annotations

from jinfu.core.imports.engine import Column
from jinfu.core.imports.registry import Importer

ACTUAL_COLUMNS = (
    Column(
        "indicator",
        "指标编码",
        "indicator",
        "text",
        True,
        max_length=64,
        aliases=("指标代码",),
        example="000-I01",
        rules=(("permission", "无权填报该规划的指标", "you may not enter actuals for this plan"),),
    ),
    Column("year", "年份", "year", "int", True, example="2024"),
    Column(
        "period_kind",
        "周期",
        "period_kind",
        "text",
        max_length=16,
        default="year",
        example="year",
        doc="year / quarter / month，空为 year",
    ),
    Column(
        "period", "季度/月份", "period", "int", default=0, example="0", doc="季度 1–4、月份 1–12，年度为 0"
    ),
    Column("value", "数值", "value", "decimal", True, places=None, example="165"),
    Column("unit", "单位", "unit", "text", max_length=32, example="亿元", doc="空为指标的单位"),
    Column(
        "source",
        "数据来源",
        "source",
        "text",
        True,
        max_length=255,
        example="区统计局",
    ),
)

ACTUALS = Importer(
    "brain.actuals",
    "规划指标实际值",
    "Plan actuals",
    ACTUAL_COLUMNS,
    unique=("indicator", "period_kind", "year", "period"),
    duplicate_rule="duplicate.period",
    rules=(("duplicate.period", "同一指标同一周期重复", "same indicator and period twice"),),
    prepare="jinfu.brain.services:prepare_actuals_import",
    apply="jinfu.brain.services:apply_actuals",
)
IMPORTERS = (ACTUALS,)

"""Brain endpoints under /api/v1/brain/: plans, indicators (original and normalized values, comparator,
source and quote), analysis results, actuals (read and write), comparison, index, tasks and reports."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from jinfu.core.web import api_principal as _p

from . import engine, selectors, services

router = Router(tags=["brain 金融产业大脑"])


def _normalized(value, unit):
    if value is None:
        return None, None
    try:
        v, u, _ = engine.normalize_unit(value, unit)
        return v, u
    except ValueError:
        return None, None


def _indicator_dict(ind, ev: dict | None = None) -> dict:
    target_norm, unit_norm = _normalized(ind.target_value, ind.unit)
    base_norm, _ = _normalized(ind.base_value, ind.unit)
    return {
        "code": ind.code,
        "plan": ind.plan.code,
        "name": ind.name,
        "canonical": ind.canonical or None,
        "scope_name": ind.scope_name,
        "scope_division": ind.scope_division_id,
        "scope_zone": ind.scope_zone_id,
        "unit": ind.unit,
        "unit_normalized": unit_norm,
        "kind": ind.kind,
        "attribute": ind.attribute or None,
        "comparator": ind.comparator,
        "qualifier": ind.qualifier,
        "base_year": ind.base_year,
        "base_value": ind.base_value,
        "base_value_normalized": base_norm,
        "target_year": ind.target_year,
        "target_value": ind.target_value,
        "target_value_normalized": target_norm,
        "milestones": [{"year": m.year, "value": m.value, "quote": m.quote} for m in ind.milestones.all()],
        "relative": ind.relative,
        "defects": ind.defects,
        "source_file": ind.plan.source_file,
        "source_section": ind.source_section,
        "base_quote": ind.base_quote,
        "target_quote": ind.target_quote,
        "analysis": _clean(ev) if ev is not None else None,
    }


def _clean(ev: dict) -> dict:
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in ev.items()}


class AnalysisOut(Schema):
    """The engine's evaluation of one indicator in a year (jinfu.brain.engine.evaluate); rates are
    fractions (0.2993 = 29.93%)."""

    code: str
    kind: str
    comparator: str
    relation: str | None
    path: str | None
    latest_year: int | None
    latest_value: float | None
    expected_value: float | None
    reference_value: float | None
    gap: float | None
    completion_rate: float | None
    status: str
    required_growth: float | None
    projected_value: float | None
    projected_growth: float | None
    projected_status: str | None
    note: str | None


class IndicatorMilestoneOut(Schema):
    year: int
    value: float
    quote: str


class RelativeTargetOut(Schema):
    """A target stated against a reference (全市占比、全市前列) rather than as a number."""

    relation: str
    reference: str
    text: str
    quote: str


class DefectOut(Schema):
    """Where the source document disagrees with itself, and which figure was kept."""

    note: str
    quote: str


class IndicatorOut(Schema):
    code: str
    plan: str
    name: str
    canonical: str | None
    scope_name: str
    scope_division: str | None
    scope_zone: str | None
    unit: str
    unit_normalized: str | None
    kind: str
    attribute: str | None
    comparator: str
    qualifier: str
    base_year: int | None
    base_value: float | None
    base_value_normalized: float | None
    target_year: int
    target_value: float | None
    target_value_normalized: float | None
    milestones: list[IndicatorMilestoneOut]
    relative: RelativeTargetOut | None
    defects: list[DefectOut]
    source_file: str
    source_section: str
    base_quote: str
    target_quote: str
    analysis: AnalysisOut | None


class PlanIndicatorOut(IndicatorOut):
    synthetic: bool  # the current actuals include synthetic (示例) figures


class PlanDetailOut(Schema):
    code: str
    title: str
    year: int
    status_counts: dict[str, int]
    indicators: list[PlanIndicatorOut]


class ChartOut(Schema):
    """The indicator's chart series, one value (or null) per year of ``years``."""

    years: list[str]
    actual: list[float | None]
    path: list[float | None]
    target: list[float | None]
    projection: list[float | None]
    unit: str
    name: str


class IndicatorDetailOut(IndicatorOut):
    year: int
    chart: ChartOut


class PlanOut(Schema):
    code: str
    title: str
    issuer: str
    doc_number: str
    source_file: str
    period_start: int
    period_end: int
    base_year: int | None
    indicators: int
    tasks: int | None  # None when the plan's task board is not visible to the caller
    status_counts: dict[str, int]


@router.get("/plans", response=list[PlanOut], summary="规划列表及指标状态统计 / plans with status counts")
def plans(request, year: int | None = None):
    p = _p(request, "brain:read")
    out = selectors.plans_overview(p, year)
    return [
        {
            **{
                f: getattr(o["plan"], f)
                for f in (
                    "code",
                    "title",
                    "issuer",
                    "doc_number",
                    "source_file",
                    "period_start",
                    "period_end",
                    "base_year",
                )
            },
            "indicators": len(o["rows"]),
            "tasks": o["tasks"],
            "status_counts": o["counts"],
        }
        for o in out
    ]


@router.get(
    "/plans/{code}", response=PlanDetailOut, summary="规划指标及分析结果 / a plan's indicators with analysis"
)
def plan(request, code: str, year: int | None = None):
    p = _p(request, "brain:read")
    plan = selectors.get_plan(p, code)
    o = selectors.plans_overview(p, year, code=plan.code)[0]
    return {
        "code": plan.code,
        "title": plan.title,
        "year": year or selectors.default_year(),
        "status_counts": o["counts"],
        "indicators": [
            _indicator_dict(r["indicator"], r["eval"]) | {"synthetic": r["synthetic"]} for r in o["rows"]
        ],
    }


@router.get(
    "/indicators/{code}",
    response=IndicatorDetailOut,
    summary="指标详情：原值与统一单位值、比较方式、出处原文、分析 / indicator detail",
)
def indicator(request, code: str, year: int | None = None):
    p = _p(request, "brain:read")
    d = selectors.indicator_detail(p, code, year)
    return _indicator_dict(d["indicator"], d["eval"]) | {"year": d["year"], "chart": d["chart"]}


class ActualOut(Schema):
    id: int
    period_kind: str
    year: int
    period: int
    value: float
    unit: str
    entered_value: float
    entered_unit: str
    source: str
    channel: str
    is_synthetic: bool
    is_current: bool
    superseded_by_id: int | None
    note: str
    entered_at: dt.datetime
    entered_by: str | None
    feed: str = ""  # the platform feed that computed it (channel "feed"), else empty
    computed_at: dt.datetime | None = None
    inputs: int | None = None  # records the feed read

    @staticmethod
    def resolve_entered_by(obj):
        return obj.entered_by.username if obj.entered_by else None


@router.get(
    "/indicators/{code}/actuals",
    response=list[ActualOut],
    summary="实际值（含更正历史）/ actuals with history",
)
def actuals(request, code: str):
    p = _p(request, "brain:read")
    ind = selectors.get_indicator(p, code)
    return list(
        ind.actuals.select_related("entered_by").order_by("year", "period_kind", "period", "entered_at")
    )


class ActualIn(Schema):
    year: int
    value: float | str
    unit: str | None = None
    period_kind: str = "year"
    period: int = 0
    source: str
    note: str = ""


@router.post(
    "/indicators/{code}/actuals",
    response={201: ActualOut},
    summary="填报实际值（同期再次填报为更正，保留历史）/ record an actual (a repeat is a correction)",
)
def post_actual(request, code: str, payload: ActualIn):
    p = _p(request, "brain:write")
    a = services.record_actual(
        p,
        indicator_code=code,
        year=payload.year,
        value=payload.value,
        unit=payload.unit,
        period_kind=payload.period_kind,
        period=payload.period,
        source=payload.source,
        channel="api",
        note=payload.note,
    )
    return 201, a


class ComparisonRowOut(Schema):
    rank: int | None
    indicator: str
    plan: str
    scope_name: str
    latest_value: float | None
    latest_year: int | None
    unit: str
    latest_normalized: float | None
    target_normalized: float | None
    unit_normalized: str | None
    status: str | None


class ComparisonOut(Schema):
    canonical: str
    label: str
    year: int
    mixed_units: bool
    rows: list[ComparisonRowOut]


@router.get("/compare", response=ComparisonOut, summary="统一口径指标的区县对比 / cross-district comparison")
def compare(request, canonical: str, year: int | None = None):
    p = _p(request, "brain:read")
    d = selectors.comparison(p, canonical, year)
    return {
        "canonical": d["canonical"],
        "label": d["label"],
        "year": d["year"],
        "mixed_units": d["mixed_units"],
        "rows": [
            {
                "rank": r["rank"],
                "indicator": r["indicator"].code,
                "plan": r["indicator"].plan.code,
                "scope_name": r["indicator"].scope_name,
                "latest_value": r["eval"].get("latest_value"),
                "latest_year": r["eval"].get("latest_year"),
                "unit": r["indicator"].unit,
                "latest_normalized": r["latest_norm"],
                "target_normalized": r["target_norm"],
                "unit_normalized": r["unit_norm"],
                "status": r["eval"].get("status"),
            }
            for r in d["rows"]
        ],
    }


class IndexWeightOut(Schema):
    criterion: str
    label: str
    entropy: float
    divergence: float
    weight: float


class IndexScoreOut(Schema):
    scope: str
    d_plus: float
    d_minus: float
    score: float
    rank: int


class IndexOut(Schema):
    """金融发展指数: the criteria chosen, how many scopes report each, the entropy weights and the TOPSIS
    scores; ``matrix`` holds one row per scope (``scope`` and each criterion's normalized value), null when
    fewer than two scopes report the criteria."""

    year: int
    criteria: list[str]
    coverage: dict[str, int]
    scopes: list[str]
    excluded_scopes: list[str]
    weights: list[IndexWeightOut]
    scores: list[IndexScoreOut]
    matrix: list[dict[str, float | str]] | None
    sources: None  # never filled; kept so that the answer keeps its keys
    method: str


@router.get("/index", response=IndexOut, summary="金融发展指数（熵权-TOPSIS）/ development index")
def index(request, year: int | None = None):
    p = _p(request, "brain:read")
    d = selectors.development_index(p, year)
    return {
        k: d.get(k)
        for k in (
            "year",
            "criteria",
            "coverage",
            "scopes",
            "excluded_scopes",
            "weights",
            "scores",
            "matrix",
            "sources",
        )
    } | {"method": "entropy-weight + TOPSIS (熵权-TOPSIS)"}


class TaskOut(Schema):
    code: str
    plan: str
    number: str
    title: str
    priority: int
    lead_units: list[str]
    owner_org: str | None
    due_date: dt.date | None
    status: str
    progress: int
    last_report_at: dt.datetime | None
    numeric_targets: list

    @staticmethod
    def resolve_plan(obj):
        return obj.plan.code

    @staticmethod
    def resolve_owner_org(obj):
        return obj.owner_org.name if obj.owner_org else None


@router.get("/tasks", response=list[TaskOut], summary="督办任务（逾期优先）/ supervised tasks, overdue first")
def tasks(request, plan: str | None = None):
    p = _p(request, "brain:read")
    groups = selectors.task_board(p, plan_code=plan)
    return [t for g in groups for t in g["tasks"]]


@router.get("/tasks/{code}", response=TaskOut, summary="督办任务详情 / a task")
def task(request, code: str):
    p = _p(request, "brain:read")
    return selectors.get_task(p, code)


class ReportIn(Schema):
    text: str
    percent: int


class ReportOut(Schema):
    id: int
    task_code: str
    text: str
    percent: int
    status: str
    reported_at: dt.datetime

    @staticmethod
    def resolve_task_code(obj):
        return obj.task.code


@router.post("/tasks/{code}/reports", response={201: ReportOut}, summary="工作进展报送 / report progress")
def post_report(request, code: str, payload: ReportIn):
    p = _p(request, "brain:write")
    r = services.report_progress(p, task_code=code, text=payload.text, percent=payload.percent)
    return 201, r

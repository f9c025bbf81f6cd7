"""Listing endpoints under /api/v1/listing/: standards (versioned), readiness per enterprise,
statements (non-public: own enterprise, operator, or an institution under a live financials grant),
the reserve (government) and milestones."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal

from ninja import Router, Schema

from jinfu.core.web import api_principal as _p

from . import engine, selectors, services

router = Router(tags=["listing 上市培育"])


class StatementIn(Schema):
    year: int
    revenue: Decimal
    net_profit: Decimal
    operating_cash_flow: Decimal | None = None
    rd_expense: Decimal | None = None
    total_assets: Decimal | None = None
    net_assets: Decimal | None = None
    roe: Decimal | None = None
    source: str = "self_reported"


class StatementOut(Schema):
    id: int
    enterprise_id: int
    year: int
    revenue: Decimal
    net_profit: Decimal
    operating_cash_flow: Decimal | None
    rd_expense: Decimal | None
    total_assets: Decimal | None
    net_assets: Decimal | None
    roe: Decimal | None
    source: str
    audited: bool
    is_synthetic: bool


class NominateIn(Schema):
    enterprise_id: int
    tier: str
    reason: str = ""


class DecideIn(Schema):
    action: str
    note: str = ""


class MilestoneIn(Schema):
    stage: str
    date: dt.date
    board: str = ""
    note: str = ""


class ReserveEntryOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    tier: str
    status: str
    criteria_version: str
    flagged: bool
    flag_reason: str
    is_synthetic: bool


class ConditionOut(Schema):
    key: str
    label: str
    rule: str  # the condition as a rule expression (jinfu.rules)
    unit: str


class StandardOut(Schema):
    key: str
    name: str
    conditions: list[ConditionOut]


class BoardVersionOut(Schema):
    """One version of a board's listing standards, with the dates it is in force and its source."""

    board: str
    name: str
    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    title: str
    source: str
    standards: list[StandardOut]


class ConditionResultOut(Schema):
    """One condition for this enterprise: met (null: no data), the actual and threshold in ``unit``, the gap
    still to close, and the sentence in Chinese and English."""

    key: str
    label: str
    met: bool | None
    actual: float | None
    threshold: float | None
    gap: float | None
    unit: str
    message_zh: str
    message_en: str


class StandardResultOut(Schema):
    key: str
    name: str
    met: bool
    share: float  # % of the standard's conditions met
    conditions: list[ConditionResultOut]


class BoardResultOut(Schema):
    board: str
    name: str
    version: str
    title: str
    source: str
    met: bool
    best_share: float
    standards: list[StandardResultOut]


class TierResultOut(Schema):
    """Whether the enterprise meets a reserve tier's entry rule, and what the rule rests on."""

    tier: str
    name: str
    basis: str
    passes: bool | None


class ReadinessOut(Schema):
    enterprise_id: int
    fiscal_year: int | None  # the latest year with a statement; null without statements
    as_of: dt.date
    boards: list[BoardResultOut]
    tiers: list[TierResultOut]
    criteria_version: str
    is_synthetic: bool


class MilestoneOut(Schema):
    stage: str
    date: dt.date
    board: str
    policy_tag: str
    is_synthetic: bool


class MilestoneCreatedOut(Schema):
    id: int
    stage: str
    date: dt.date
    policy_tag: str


class FunnelTierOut(Schema):
    tier: str
    label: str
    approved: int
    nominated: int
    flagged: int


class FunnelStageOut(Schema):
    """Enterprises whose furthest milestone is at least this stage."""

    stage: str
    label: str
    count: int


class FunnelTargetOut(Schema):
    """The district's published target (seed document quoted in ``source``) and where it stands now."""

    division: str
    year: int
    city_reserve: int
    listed: int
    source: str
    city_reserve_now: int
    listed_now: int


class FunnelOut(Schema):
    target: FunnelTargetOut | None
    tiers: list[FunnelTierOut]
    stages: list[FunnelStageOut]
    enterprises_with_milestones: int
    active: int
    synthetic: bool


def _entry(e):
    return {
        "id": e.pk,
        "enterprise_id": e.enterprise_id,
        "enterprise": e.enterprise.name,
        "tier": e.tier,
        "status": e.status,
        "criteria_version": e.criteria_version,
        "flagged": e.flagged,
        "flag_reason": e.flag_reason,
        "is_synthetic": e.is_synthetic,
    }


@router.get(
    "/standards", response=list[BoardVersionOut], summary="上市标准（版本化）/ versioned listing standards"
)
def standards(request):
    _p(request, "listing:read")
    rb = engine.load_rulebook()
    return [
        {
            "board": v.board,
            "name": v.board_name,
            "version": v.version,
            "effective_from": v.effective_from,
            "effective_to": v.effective_to,
            "title": v.title,
            "source": v.source,
            "standards": [
                {
                    "key": s.key,
                    "name": s.name,
                    "conditions": [
                        {"key": c.key, "label": c.label, "rule": c.rule.text, "unit": c.unit}
                        for c in s.conditions
                    ],
                }
                for s in v.standards
            ],
        }
        for b in rb.boards
        for v in rb.versions[b]
    ]


@router.get(
    "/readiness/{enterprise_id}",
    response=ReadinessOut,
    summary="企业上市准备度（各板块各套标准及差距）/ readiness and gaps",
)
def readiness(request, enterprise_id: int):
    p = _p(request, "listing:read")
    data = selectors.readiness(p, enterprise_id)
    return {
        "enterprise_id": enterprise_id,
        "fiscal_year": data["fiscal_year"],
        "as_of": data["as_of"],
        "boards": [asdict(b) for b in data["boards"]],
        "tiers": [{k: v for k, v in t.items() if k != "clauses"} for t in data["tiers"]],
        "criteria_version": data["criteria_version"],
        "is_synthetic": data["synthetic"],
    }


@router.get(
    "/statements/{enterprise_id}", response=list[StatementOut], summary="年度财务报表（需授权）/ statements"
)
def statements(request, enterprise_id: int):
    p = _p(request, "listing:read")
    return list(selectors.statements(p, enterprise_id))


@router.post("/statements", response={201: StatementOut}, summary="企业填报年度报表 / enter a statement")
def save_statement(request, payload: StatementIn):
    p = _p(request, "listing:write")
    return 201, services.save_statement(p, payload.dict())


@router.get("/reserve", response=list[ReserveEntryOut], summary="储备库（政府）/ the reserve")
def reserve(request, tier: str | None = None, status: str | None = None, flagged: bool | None = None):
    p = _p(request, "listing:read")
    return [_entry(e) for e in selectors.reserve_entries(p, tier=tier, status=status, flagged=flagged)]


@router.post("/reserve", response={201: ReserveEntryOut}, summary="提名入库 / nominate")
def nominate(request, payload: NominateIn):
    p = _p(request, "listing:write")
    return 201, _entry(services.nominate(p, payload.enterprise_id, payload.tier, payload.reason))


@router.post(
    "/reserve/{entry_id}/decide", response=ReserveEntryOut, summary="审核/移出 / approve, reject, remove"
)
def decide(request, entry_id: int, payload: DecideIn):
    p = _p(request, "listing:write")
    return _entry(services.decide(p, entry_id, payload.action, payload.note))


@router.get("/milestones/{enterprise_id}", response=list[MilestoneOut], summary="上市进程节点 / milestones")
def milestones(request, enterprise_id: int):
    p = _p(request, "listing:read")
    return [
        {
            "stage": m.stage,
            "date": m.date,
            "board": m.board,
            "policy_tag": m.policy_tag,
            "is_synthetic": m.is_synthetic,
        }
        for m in selectors.milestones(p, enterprise_id)
    ]


@router.post(
    "/milestones/{enterprise_id}",
    response={201: MilestoneCreatedOut},
    summary="登记节点（须按顺序）/ record a milestone",
)
def record_milestone(request, enterprise_id: int, payload: MilestoneIn):
    p = _p(request, "listing:write")
    m = services.record_milestone(
        p,
        enterprise_id,
        payload.stage,
        payload.date,
        board=payload.board,
        note=payload.note,
    )
    return 201, {"id": m.pk, "stage": m.stage, "date": m.date, "policy_tag": m.policy_tag}


@router.get("/funnel", response=FunnelOut, summary="上市培育漏斗（政府）/ pipeline funnel")
def funnel(request):
    p = _p(request, "listing:read")
    return selectors.funnel(p)

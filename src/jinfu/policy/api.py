"""Policy endpoints under /api/v1/policy/: the library with full-text search, items, an enterprise's
eligible policies with estimates and reasons, claims and their decisions, the payout ledger, the proactive
push and the rule check. API keys need `policy:read` / `policy:write`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Router, Schema
from ninja.errors import HttpError

from jinfu.core.web import RuleCheckOut, api_rule_check
from jinfu.core.web import api_principal as _p

from . import selectors, services

router = Router(tags=["policy 政策兑现"])


class ItemOut(Schema):
    id: int
    code: str
    title: str
    mode: str
    status: str
    eligibility_rule: str
    benefit_formula: str
    cap: Decimal | None
    annual_budget: Decimal | None
    required_materials: list[str]
    declared_fields: list[str]
    apply_from: dt.date | None
    apply_until: dt.date | None
    review_days: int
    publicity_days: int
    source_file: str
    source_quote: str
    is_synthetic: bool


class PolicyOut(Schema):
    id: int
    code: str
    title: str
    issuer: str
    doc_number: str
    division_id: str | None
    jurisdiction: str
    issued_on: dt.date | None
    summary: str
    full_text: str
    interpretation: str
    faq: list
    tags: list[str]
    status: str
    is_reference: bool
    is_synthetic: bool
    source_file: str
    source_quote: str
    items: list[ItemOut]

    @staticmethod
    def resolve_tags(obj):
        return [t.name for t in obj.tags.all()]

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())


class ClaimOut(Schema):
    id: int
    item_id: int
    enterprise_id: int
    period: str
    status: str
    estimated_amount: Decimal
    approved_amount: Decimal | None
    stage_due: dt.date | None
    publicity_from: dt.date | None
    publicity_until: dt.date | None
    lock_version: int


class ClaimIn(Schema):
    item_id: int
    declared: dict = {}
    materials: list[str] = []
    note: str = ""


class DecisionIn(Schema):
    action: str  # approve | reject | pay | withdraw
    amount: Decimal | None = None
    note: str = ""
    voucher: str = ""
    expected_version: int | None = None


class PayoutOut(Schema):
    voucher: str
    claim_id: int
    item_id: int
    enterprise_id: int
    division_code: str
    period: str
    amount: Decimal
    paid_on: dt.date
    is_synthetic: bool


@router.get("/policies", response=list[PolicyOut], summary="政策库（全文检索） / policy library with search")
def policies(request, q: str | None = None, tag: str | None = None):
    p = _p(request, "policy:read")
    return selectors.search(p, q, tag=tag)


@router.get("/policies/{pk}", response=PolicyOut, summary="政策详情 / one policy")
def policy(request, pk: int):
    return selectors.get_policy(_p(request, "policy:read"), pk)


class ClauseOut(Schema):
    """One top-level clause of the item's rule for this enterprise: met or not (null: no data), the
    sentence in Chinese and English, and how far off a numeric clause is."""

    text: str
    passed: bool | None
    message_zh: str
    message_en: str
    gap: float | None


class EligibleItemOut(Schema):
    item_id: int
    code: str
    title: str
    mode: str
    estimate: Decimal | None  # 万元; null when a declared value is missing or there is no formula
    clauses: list[ClauseOut]
    missing_declared: list[str]
    claim_id: int | None


class MyPoliciesOut(Schema):
    """The items this enterprise is eligible for in ``period`` (``total`` of their estimates, 万元) and
    those it nearly meets."""

    period: str
    total: Decimal
    eligible: list[EligibleItemOut]
    near: list[EligibleItemOut]


@router.get(
    "/mine", response=MyPoliciesOut, summary="本企业可享受的政策、测算金额、理由与差距 / my eligible policies"
)
def mine(request):
    p = _p(request, "policy:read")
    data = selectors.my_policies(p)

    def clause(c):
        return {
            "text": c.text,
            "passed": c.passed,
            "message_zh": c.message_zh,
            "message_en": c.message_en,
            "gap": c.gap,
        }

    def entry(e):
        a = e["assessment"]
        return {
            "item_id": e["item"].pk,
            "code": e["item"].code,
            "title": e["item"].title,
            "mode": e["item"].mode,
            "estimate": a.amount,
            "clauses": [clause(c) for c in a.clauses],
            "missing_declared": a.missing_declared,
            "claim_id": e["claim_id"],
        }

    return {
        "period": data["period"],
        "total": data["total"],
        "eligible": [entry(e) for e in data["eligible"]],
        "near": [entry(e) for e in data["near"]],
    }


@router.get("/claims", response=list[ClaimOut], summary="兑现申请（企业仅见本企业） / claims")
def claims(request, status: str | None = None):
    return list(selectors.claims_for(_p(request, "policy:read"), status=status)[:500])


@router.post("/claims", response={201: ClaimOut}, summary="申报或确认享受 / claim or confirm an item")
def create_claim(request, payload: ClaimIn):
    p = _p(request, "policy:write")
    c = services.submit_claim(
        p,
        payload.item_id,
        declared=payload.declared,
        materials=payload.materials,
        note=payload.note,
    )
    return 201, c


@router.post("/claims/{pk}/decision", response=ClaimOut, summary="审核、拨付或撤回 / decide on a claim")
def decide(request, pk: int, payload: DecisionIn):
    p = _p(request, "policy:write")
    if payload.action == "approve":
        return services.approve(
            p,
            pk,
            amount=payload.amount,
            note=payload.note,
            expected_version=payload.expected_version,
        )
    if payload.action == "reject":
        return services.reject(p, pk, note=payload.note, expected_version=payload.expected_version)
    if payload.action == "pay":
        services.pay(p, pk, voucher=payload.voucher, expected_version=payload.expected_version)
        return selectors.get_claim(p, pk)
    if payload.action == "withdraw":
        return services.withdraw(p, pk)
    raise HttpError(422, f"未知操作 {payload.action} / unknown action")


@router.get("/ledger", response=list[PayoutOut], summary="拨付台账 / payout ledger")
def ledger(request, period: str | None = None):
    return list(selectors.ledger(_p(request, "policy:read"), period=period))


class PushRunOut(Schema):
    """One push batch: enterprises scanned, found eligible and newly notified; the estimate in 万元."""

    item_id: int
    period: str
    scanned: int
    eligible: int
    notified: int
    total_estimate: Decimal


@router.post(
    "/items/{pk}/push", response=list[PushRunOut], summary="主动推送 / run the proactive push for an item"
)
def push(request, pk: int):
    runs = services.run_push(_p(request, "policy:write"), pk)
    return [
        {
            "item_id": r.item_id,
            "period": r.period,
            "scanned": r.scanned,
            "eligible": r.eligible,
            "notified": r.notified,
            "total_estimate": r.total_estimate,
        }
        for r in runs
    ]


class PolicyRuleCheckIn(Schema):
    eligibility_rule: str = ""
    benefit_formula: str = ""
    cap: Decimal | None = None


class PolicyRuleCheckOut(RuleCheckOut):
    estimate_total: float | None = None


@router.post(
    "/rules/check",
    response=PolicyRuleCheckOut,
    summary="校验申领条件与金额公式并预览 / validate an item's rules and preview",
)
def check(request, payload: PolicyRuleCheckIn):
    p = _p(request, "policy:read")
    return api_rule_check(
        services.preview, p, payload.eligibility_rule, payload.benefit_formula, payload.cap, channel="api"
    )

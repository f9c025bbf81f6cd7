"""Financing endpoints under /api/v1/financing/: catalog, match list, demands and claims, applications
and their decisions (institutions' systems pull their queue and post decisions with an API key), KPIs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from jinfu.core.web import MAX_OFFSET, RuleCheckOut, api_rule_check
from jinfu.core.web import api_principal as _p

from . import selectors, services

router = Router(tags=["financing 融资服务"])


class ProductOut(Schema):
    id: int
    code: str
    name: str
    institution_id: int
    institution: str
    category: str
    subtype: str
    amount_min: Decimal
    amount_max: Decimal
    rate_min: Decimal
    rate_max: Decimal
    term_min: int
    term_max: int
    collateral: list[str]
    policy_support: list[str]
    expected_days: int
    eligibility_rule: str
    status: str
    version: int
    is_synthetic: bool

    @staticmethod
    def resolve_institution(obj):
        return obj.institution.name


class ProductIn(Schema):
    name: str
    category: str
    subtype: str
    description: str = ""
    amount_min: Decimal
    amount_max: Decimal
    rate_min: Decimal
    rate_max: Decimal
    term_min: int
    term_max: int
    collateral: list[str] = []
    repayment: str = ""
    expected_days: int = 10
    eligibility_rule: str = ""
    policy_support: list[str] = []
    manager_name: str = ""
    manager_phone: str = ""
    manager_branch: str = ""
    publish: bool = False


@router.get("/products", response=list[ProductOut], summary="产品超市 / published products")
def products(
    request,
    category: str | None = None,
    subtype: str | None = None,
    amount: float | None = None,
    term: int | None = None,
    q: str | None = None,
):
    p = _p(request, "financing:read")
    return list(selectors.catalog(p, category=category, subtype=subtype, amount=amount, term=term, q=q))


@router.post("/products", response={201: ProductOut}, summary="机构新建产品 / create a product")
def create_product(request, payload: ProductIn):
    p = _p(request, "financing:write")
    data = payload.dict()
    publish = data.pop("publish")
    product = services.save_product(p, data)
    if publish:
        product = services.set_product_status(p, product.pk, "published")
    return 201, product


class RuleCheckIn(Schema):
    rule: str = ""


@router.post(
    "/rules/check",
    response=RuleCheckOut,
    summary="校验准入规则并预览符合企业数 / validate a rule and preview",
)
def check_rule(request, payload: RuleCheckIn):
    p = _p(request, "financing:read")
    return api_rule_check(services.preview_qualifying, p, payload.rule, channel="api")


class NeedOut(Schema):
    """The need matched: the enterprise's open demand (``source: demand``), or one inferred from its revenue
    (``source: inferred``, with ``inferred: true``). Amounts in 万元, terms in months."""

    amount: float
    term: int | float
    collateral_offered: list[str]
    credit_grade: str | None
    source: str
    inferred: bool = False  # present (true) only on an inferred need


class ProductMatchOut(Schema):
    """One product for the enterprise: the score (0–100) and each component (0–1), why, and for an
    ineligible product the failed clauses."""

    product_id: int
    product_name: str
    position: int
    eligible: bool
    score: float
    amount: float
    term: float
    rate: float
    collateral: float
    approval: float
    policy: float
    reason: str
    reason_en: str
    caveat: str
    failed_clauses: list[str]
    approval_note: str
    expected_days: int


class MatchListOut(Schema):
    need: NeedOut
    results: list[ProductMatchOut]


@router.get(
    "/match",
    response=MatchListOut,
    exclude_unset=True,
    summary="为本企业匹配产品（含理由与不符合原因）/ match list for the asking enterprise",
)
def match(
    request, response: HttpResponse, category: str | None = None, limit: int = 20, near_misses: int = 10
):
    p = _p(request, "financing:read")
    if not (1 <= limit <= 200 and 0 <= near_misses <= 100):
        raise HttpError(422, "limit 应在 1–200、near_misses 在 0–100 之间 / limit 1-200, near_misses 0-100")
    data = selectors.matches_for(
        p, category=category, limit=limit, near_misses=near_misses, with_figures=False, with_products=False
    )
    response["X-Jinfu-Cache"] = "hit" if data["cache_hit"] else "miss"  # the load bench counts hits
    return {"need": data["need"], "results": data["results"]}


class DemandIn(Schema):
    amount: Decimal
    term_months: int
    purpose: str
    collateral_offered: list[str] = []
    urgency: str = "normal"
    visible_fields: list[str] = []
    contact_name: str = ""
    contact_phone: str = ""


class DemandCreatedOut(Schema):
    id: int
    status: str
    expires_at: dt.datetime


@router.post(
    "/demands", response={201: DemandCreatedOut}, summary="发布融资需求 / publish a financing demand"
)
def create_demand(request, payload: DemandIn):
    p = _p(request, "financing:write")
    d = services.create_demand(p, **payload.dict())
    return 201, {"id": d.pk, "status": d.status, "expires_at": d.expires_at}


class HallFactsOut(Schema):
    """What the institution may see of the enterprise behind a demand: each field the enterprise published
    on the demand or granted this institution; null otherwise. ``revenue`` in 万元."""

    name: str | None
    industry: str | None
    division: str | None
    size_class: str | None
    revenue: Decimal | None
    employees: int | None


class HallDemandOut(Schema):
    id: int
    amount: Decimal
    term_months: int
    purpose: str
    urgency: str
    facts: HallFactsOut
    claimed: bool
    mine: bool


@router.get(
    "/demands/hall",
    response=list[HallDemandOut],
    summary="揭榜大厅（仅企业公开的字段；limit/offset 分页，总数见 X-Total-Count）/ demand hall, paged",
)
def hall(request, response: HttpResponse, limit: int = 50, offset: int = 0):
    p = _p(request, "financing:read")
    if not (1 <= limit <= selectors.HALL_MAX and 0 <= offset <= MAX_OFFSET):
        raise HttpError(
            422,
            f"limit 应在 1–{selectors.HALL_MAX}、offset 不小于 0 / limit 1-{selectors.HALL_MAX}, offset >= 0",
        )
    demands = selectors.hall_demands(p)
    response["X-Total-Count"] = str(demands.count())
    rows = selectors.hall_rows(p, demands[offset : offset + limit])
    return [
        {
            "id": r["demand"].pk,
            "amount": r["demand"].amount,
            "term_months": r["demand"].term_months,
            "purpose": r["demand"].purpose,
            "urgency": r["demand"].urgency,
            "facts": r["facts"],
            "claimed": r["claim"] is not None,
            "mine": r["mine"],
        }
        for r in rows
    ]


class DemandClaimOut(Schema):
    id: int
    demand_id: int
    expires_at: dt.datetime


@router.post("/demands/{demand_id}/claim", response={201: DemandClaimOut}, summary="揭榜 / claim a demand")
def claim(request, demand_id: int):
    p = _p(request, "financing:write")
    c = services.claim_demand(p, demand_id)
    return 201, {"id": c.pk, "demand_id": demand_id, "expires_at": c.expires_at}


class ApplicationOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    product_id: int
    product_version: int
    institution_id: int
    amount: Decimal
    term_months: int
    purpose: str
    status: str
    stage_due: dt.date | None
    reason_code: str
    approved_amount: Decimal | None
    rate: Decimal | None
    approved_term: int | None
    disbursed_on: dt.date | None
    is_first_loan: bool
    lock_version: int
    submitted_at: dt.datetime

    @staticmethod
    def resolve_enterprise(obj):
        return obj.enterprise.name

    @staticmethod
    def resolve_product_version(obj):
        return obj.product_version.version


class ApplyIn(Schema):
    product_id: int
    amount: Decimal
    term_months: int
    purpose: str
    demand_id: int | None = None


@router.get(
    "/applications", response=list[ApplicationOut], summary="申请列表（机构：本机构队列）/ applications"
)
def applications(request, status: str | None = None):
    p = _p(request, "financing:read")
    return list(selectors.applications_for(p, status=status).select_related("product_version"))


@router.post(
    "/applications", response={201: ApplicationOut}, summary="企业申请（同时授权机构查看数据）/ apply"
)
def apply(request, payload: ApplyIn):
    p = _p(request, "financing:write")
    return 201, services.apply(p, **payload.dict())


@router.get("/applications/{app_id}", response=ApplicationOut, summary="申请详情 / an application")
def application(request, app_id: int):
    p = _p(request, "financing:read")
    return selectors.get_application(p, app_id)


class TransitionIn(Schema):
    action: str
    expected_version: int | None = None
    reason_code: str | None = None
    note: str = ""
    approved_amount: Decimal | None = None
    rate: Decimal | None = None
    approved_term: int | None = None
    disbursed_on: dt.date | None = None


@router.post(
    "/applications/{app_id}/transitions",
    response=ApplicationOut,
    summary="办理：accept / start_due_diligence / approve / disburse / reject / withdraw",
)
def transition(request, app_id: int, payload: TransitionIn):
    p = _p(request, "financing:write")
    data = payload.dict()
    action = data.pop("action")
    expected = data.pop("expected_version")
    return services.transition(p, app_id, action, expected_version=expected, **data)


class EventOut(Schema):
    """One step of the timeline: ``from`` → ``to`` at ``at``, with the step's due date (working days)."""

    from_status: str = Field(alias="from")
    to: str
    at: dt.datetime
    due: dt.date | None
    overdue: bool
    note: str


@router.get(
    "/applications/{app_id}/events", response=list[EventOut], by_alias=True, summary="办理时间线 / timeline"
)
def events(request, app_id: int):
    p = _p(request, "financing:read")
    app = selectors.get_application(p, app_id)
    return [
        {
            "from": e.from_status,
            "to": e.to_status,
            "at": e.at,
            "due": e.due,
            "overdue": e.overdue,
            "note": e.note,
        }
        for e in app.events.all()
    ]


class DivisionAmountOut(Schema):
    enterprise__division__name: str | None  # the district's name
    n: int
    amount: Decimal | None


class MonthAmountOut(Schema):
    n: int
    amount: float


class KpisOut(Schema):
    """Platform KPIs over the asker's jurisdiction (or the district picked). Amounts in 万元; rates are
    fractions; ``by_month`` pairs a month (YYYY-MM) with its disbursements, ``divisions`` pairs a district
    code with its name."""

    enterprises: int
    institutions: int
    products: int
    applications: int
    decided: int
    approval_rate: float | None
    disbursed: int
    financing_amount: float
    first_loan_customers: int
    credit_loan_share: float | None
    avg_days_to_decision: float | None
    avg_rate: float | None
    by_division: list[DivisionAmountOut]
    by_month: list[tuple[str, MonthAmountOut]]
    synthetic: bool
    grants_live: int
    year: int | None
    division: str | None
    scope_label: str
    divisions: list[tuple[str, str]]


@router.get("/kpis", response=KpisOut, summary="平台指标 / platform KPIs")
def kpis(request, year: int | None = None, division: str | None = None):
    p = _p(request, "financing:read")
    k = selectors.kpis(p, year=year, division=division)
    return {key: (float(v) if isinstance(v, Decimal) else v) for key, v in k.items()}

"""Green endpoints under /api/v1/green/: catalogues, the project pool (filtered by who asks), submit,
decide (assessor), tier/publish, claim, record a loan; carbon figures come with their working."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Router, Schema

from jinfu.core.errors import Forbidden
from jinfu.core.web import api_principal as _p

from . import engine, selectors, services

router = Router(tags=["green 绿色金融"])


class GreenItemSourceOut(Schema):
    """Where an item was read: the stored excerpt (green/data/sources/) and the item's cell as it stands there;
    both empty for items whose only source is the catalogue's own (secondary) sources."""

    excerpt: str = ""
    quote: str = ""


class GreenItemOut(Schema):
    code: str
    level: int
    name: str
    parent_code: str
    criteria: str
    verification: str
    source: GreenItemSourceOut


class CatalogueOut(Schema):
    code: str
    title: str
    document: str
    effective_on: dt.date
    published_counts: dict
    items: list[GreenItemOut]


class ProjectIn(Schema):
    name: str
    description: str
    division: str
    location: str
    industry_code: str = ""
    catalogue: str = selectors.LATEST
    item: str
    total_investment: Decimal
    financing_need: Decimal
    construction_start: dt.date
    construction_months: int
    output_kind: str
    annual_output: Decimal
    output_unit: str
    grid: str = "西南"
    factor_year: int | None = None


class CarbonOut(Schema):
    value: Decimal
    unit: str
    working: str
    factor_year: int | None = None
    factor_grid: str | None = None
    factor_value: Decimal | None = None


class GreenMatchOut(Schema):
    item: str
    name: str
    confidence: float
    evidence: list[str]


class ProjectOut(Schema):
    id: int
    name: str
    enterprise_id: int
    division: str
    catalogue: str
    item: str
    status: str
    tier: str
    published: bool
    total_investment: Decimal
    financing_need: Decimal
    is_synthetic: bool
    identification: list[GreenMatchOut]
    decision: str
    carbon: CarbonOut | None


class GreenDecideIn(Schema):
    confirm: bool
    reason: str = ""


class TierIn(Schema):
    tier: str
    publish: bool | None = None


class LoanIn(Schema):
    amount: Decimal


class LoanOut(Schema):
    id: int
    project_id: int
    institution_id: int
    amount: Decimal | None
    carbon: CarbonOut | None


def _carbon(fig: engine.Figure | None) -> dict | None:
    if fig is None:
        return None
    f = fig.factor
    return {
        "value": fig.value,
        "unit": fig.unit,
        "working": fig.working,
        "factor_year": f.year if f else None,
        "factor_grid": f.grid if f else None,
        "factor_value": f.value if f else None,
    }


def _project(p) -> dict:
    ident = selectors.latest_identification(p)
    try:
        carbon = _carbon(selectors.project_carbon(p))
    except engine.GreenInputError:
        carbon = None
    return {
        "id": p.pk,
        "name": p.name,
        "enterprise_id": p.enterprise_id,
        "division": p.division_id,
        "catalogue": p.item.catalogue.code,
        "item": p.item.code,
        "status": p.status,
        "tier": p.tier,
        "published": p.published,
        "total_investment": p.total_investment,
        "financing_need": p.financing_need,
        "is_synthetic": p.is_synthetic,
        "identification": ident.matches if ident else [],
        "decision": ident.decision if ident else "",
        "carbon": carbon,
    }


def _loan(ln) -> dict:
    return {
        "id": ln.pk,
        "project_id": ln.project_id,
        "institution_id": ln.institution_id,
        "amount": ln.amount,
        "carbon": _carbon(selectors.loan_carbon(ln)),
    }


@router.get(
    "/catalogues", response=list[CatalogueOut], summary="绿色目录（版本化，含来源）/ green catalogues"
)
def catalogues(request):
    _p(request, "green:read")
    return [
        {
            **{k: getattr(c, k) for k in ("code", "title", "document", "effective_on", "published_counts")},
            "items": list(c.items.all()),
        }
        for c in selectors.catalogues()
    ]


@router.get("/projects", response=list[ProjectOut], summary="绿色项目（按调用方可见范围）/ green projects")
def projects(request):
    p = _p(request, "green:read")
    return [_project(x) for x in selectors.projects_for(p)[:500]]


@router.get("/projects/{project_id}", response=ProjectOut, summary="绿色项目详情 / one project")
def project(request, project_id: int):
    p = _p(request, "green:read")
    return _project(selectors.get_project(p, project_id))


@router.post("/projects", response={201: ProjectOut}, summary="企业提交绿色项目 / submit a project")
def submit(request, payload: ProjectIn):
    p = _p(request, "green:write")
    return 201, _project(services.submit_project(p, payload.dict()))


@router.post("/projects/{project_id}/decide", response=ProjectOut, summary="认定（确认/驳回）/ decide")
def decide(request, project_id: int, payload: GreenDecideIn):
    p = _p(request, "green:write")
    obj = selectors.get_project(p, project_id)
    ident = selectors.latest_identification(obj)
    services.decide(p, ident.pk if ident else 0, confirm=payload.confirm, reason=payload.reason)
    return _project(selectors.get_project(p, project_id))


class RevokeIn(Schema):
    reason: str


@router.post("/projects/{project_id}/revoke", response=ProjectOut, summary="撤销绿色认定 / revoke the label")
def revoke(request, project_id: int, payload: RevokeIn):
    p = _p(request, "green:write")
    obj = selectors.get_project(p, project_id)
    ident = selectors.latest_identification(obj)
    services.revoke(p, ident.pk if ident else 0, reason=payload.reason)
    return _project(selectors.get_project(p, project_id))


@router.post("/projects/{project_id}/tier", response=ProjectOut, summary="分层与发布 / tier and publish")
def tier(request, project_id: int, payload: TierIn):
    p = _p(request, "green:write")
    return _project(services.set_tier(p, project_id, payload.tier, publish=payload.publish))


@router.post("/projects/{project_id}/claim", response={201: LoanOut}, summary="金融机构认领 / claim")
def claim(request, project_id: int):
    p = _p(request, "green:write")
    return 201, _loan(services.claim(p, project_id))


@router.post("/loans/{loan_id}", response=LoanOut, summary="登记贷款 / record the loan")
def record_loan(request, loan_id: int, payload: LoanIn):
    p = _p(request, "green:write")
    return _loan(services.record_loan(p, loan_id, amount=payload.amount))


@router.get("/loans", response=list[LoanOut], summary="绿色贷款及其碳减排 / loans and their carbon")
def loans(request):
    p = _p(request, "green:read")
    return [_loan(x) for x in selectors.loans_for(p)[:500]]


class GreenProductIn(Schema):
    name: str
    rule: str
    terms: str = ""


class GreenProductOut(Schema):
    id: int
    institution_id: int
    name: str
    rule: str
    terms: str
    is_synthetic: bool


class MatchedProductOut(Schema):
    product: GreenProductOut
    reasons: list[str]


@router.get("/products", response=list[GreenProductOut], summary="绿色金融产品 / green products")
def products(request):
    p = _p(request, "green:read")
    return list(selectors.products_for(p)[:500])


@router.post(
    "/products", response={201: GreenProductOut}, summary="金融机构发布绿色产品 / publish a green product"
)
def save_product(request, payload: GreenProductIn):
    p = _p(request, "green:write")
    return 201, services.save_product(p, payload.dict())


@router.get(
    "/projects/{project_id}/products",
    response=list[MatchedProductOut],
    summary="项目匹配的绿色产品及理由 / matched products with reasons",
)
def matched(request, project_id: int):
    p = _p(request, "green:read")
    project = selectors.get_project(p, project_id)
    return selectors.matched_products(p, project)


class GreenReportIn(Schema):
    year: int
    quarter: int
    green_balance: Decimal
    prior_green_balance: Decimal
    total_balance: Decimal
    green_risk: Decimal


class GreenReportOut(GreenReportIn):
    """The figures as reported (GreenReportIn), with the report's id, its institution and the demo flag."""

    id: int
    institution_id: int
    is_synthetic: bool


class IndicatorOut(Schema):
    key: str
    label: str
    value: Decimal | None
    score: Decimal
    working: str


class EvaluationOut(Schema):
    rank: int
    institution_id: int
    institution: str
    quantitative: Decimal
    qualitative: Decimal | None
    total: Decimal
    working: str
    indicators: list[IndicatorOut]
    is_synthetic: bool


@router.get("/reports", response=list[GreenReportOut], summary="绿色金融评价报送数据 / evaluation figures")
def reports(request):
    p = _p(request, "green:read")
    return list(selectors.reports_for(p)[:500])


@router.post("/reports", response={201: GreenReportOut}, summary="报送一个季度 / report a quarter")
def report(request, payload: GreenReportIn):
    p = _p(request, "green:write")
    return 201, services.save_report(p, {k: str(v) for k, v in payload.dict().items()})


@router.get(
    "/evaluation", response=list[EvaluationOut], summary="绿色金融评价排名 / institutions' green evaluation"
)
def evaluation(request, year: int, quarter: int):
    """The finance office's (or operator's) ranking of its jurisdiction's institutions for one quarter, each
    score with its working; other callers get 403."""
    p = _p(request, "green:read")
    if not (p.is_admin or p.role == "government"):
        raise Forbidden("只有政府部门与平台管理员查看绿色金融评价", "Government and operators only")
    return [
        {
            "rank": e.rank,
            "institution_id": e.institution.pk,
            "institution": e.institution.name,
            "quantitative": e.quantitative,
            "qualitative": e.qualitative,
            "total": e.total,
            "working": e.working,
            "indicators": [i.__dict__ for i in e.indicators],
            "is_synthetic": e.row["report"].is_synthetic,
        }
        for e in selectors.evaluation(p, year, quarter)
    ]


# ---------------------------------------------------------------------------
# Green news and notices: readers list and read the published ones; a finance office (or the operator)
# writes drafts, publishes and withdraws its own.
# ---------------------------------------------------------------------------


class NoticeOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    source: str
    publisher: str
    status: str
    published_at: dt.datetime | None
    withdraw_reason: str
    is_synthetic: bool


class NoticeIn(Schema):
    title: str
    body: str
    kind: str = "notice"
    source: str = ""


class WithdrawIn(Schema):
    reason: str


def _notice(n) -> dict:
    return {
        **{
            k: getattr(n, k)
            for k in ("kind", "title", "body", "source", "status", "published_at", "withdraw_reason")
        },
        "id": n.pk,
        "publisher": n.publisher_name,
        "is_synthetic": n.is_synthetic,
    }


@router.get("/notices", response=list[NoticeOut], summary="绿色资讯与通知公告 / green news and notices")
def notices(request, mine: bool = False):
    """Published notices; ``mine=true``: the caller's own in every status (finance office, operator)."""
    p = _p(request, "green:read")
    qs = selectors.managed_notices(p) if mine else selectors.published_notices()
    return [_notice(n) for n in qs[:500]]


@router.get("/notices/{notice_id}", response=NoticeOut, summary="资讯或通知详情 / one notice")
def notice(request, notice_id: int):
    p = _p(request, "green:read")
    return _notice(selectors.get_notice(p, notice_id))


@router.post("/notices", response={201: NoticeOut}, summary="撰写草稿（金融工作部门）/ write a draft")
def save_notice(request, payload: NoticeIn):
    p = _p(request, "green:write")
    return 201, _notice(services.save_notice(p, payload.dict()))


@router.post("/notices/{notice_id}/publish", response=NoticeOut, summary="发布 / publish a draft")
def publish_notice(request, notice_id: int):
    p = _p(request, "green:write")
    return _notice(services.publish_notice(p, notice_id))


@router.post("/notices/{notice_id}/withdraw", response=NoticeOut, summary="撤回 / withdraw with a reason")
def withdraw_notice(request, notice_id: int, payload: WithdrawIn):
    p = _p(request, "green:write")
    return _notice(services.withdraw_notice(p, notice_id, payload.reason))

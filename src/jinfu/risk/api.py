"""Risk endpoints under /api/v1/risk/: overview, warning list, a firm's working, evidence and network,
clusters, colour override, signal imports and the recompute batch. Regulators (by jurisdiction) and the
platform operator; enterprises never read a risk score (not even their own); institutions only submit
bank fund-flow alerts and read nothing back but their file's problems."""

from __future__ import annotations

import datetime as dt

from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from jinfu.core.errors import Forbidden, ValidationFailed
from jinfu.core.imports.api import ProblemOut  # the kernel's problem format, one schema for every import
from jinfu.core.web import api_principal

from . import cases, engine, selectors, services, supervision

router = Router(tags=["risk 风险监测预警"])
MAX_UPLOAD = 20 * 1024 * 1024


class ColourCountsOut(Schema):
    red: int
    yellow: int
    green: int


class DivisionCountOut(ColourCountsOut):
    division: str


class StreetCountOut(ColourCountsOut):
    street: str


class TrendOut(ColourCountsOut):
    on: str


class WordOut(Schema):
    word: str
    firms: int


class OverviewOut(Schema):
    jurisdiction: str
    counts: ColourCountsOut
    by_division: list[DivisionCountOut]
    by_street: list[StreetCountOut]
    trend: list[TrendOut]
    top_signals: list[WordOut]


class WarningOut(Schema):
    enterprise_id: int
    name: str
    uscc: str | None
    division: str | None
    street: str
    index: float
    colour: str
    computed_colour: str
    cluster_size: int
    is_synthetic: bool


class WarningListOut(Schema):
    total: int
    limit: int
    rows: list[WarningOut]


class WorkingOut(Schema):
    dimension: str
    label: str
    points: float
    max: float
    working: str


class EvidenceOut(Schema):
    kind: str
    text: str
    occurred_on: dt.date | None = None
    words: list[str]
    dimensions: list[str]


class NodeOut(Schema):
    id: str
    name: str
    colour: str
    index: float
    self: bool


class LinkOut(Schema):
    source: str
    target: str
    label: str


class GraphOut(Schema):
    nodes: list[NodeOut]
    links: list[LinkOut]
    truncated: bool
    size: int


class OverrideOut(Schema):
    colour: str
    reason: str
    by: str
    at: dt.datetime


class FirmOut(Schema):
    enterprise_id: int
    name: str
    index: float
    colour: str
    computed_colour: str
    versions: dict
    working: list[WorkingOut]
    evidence: list[EvidenceOut]
    graph: GraphOut
    overrides: list[OverrideOut]
    is_synthetic: bool


class OverrideIn(Schema):
    colour: str
    reason: str


class ImportOut(Schema):
    ok: bool
    rows: int
    written: int
    errors: list[ProblemOut]


class ClusterMemberOut(Schema):
    enterprise_id: int
    name: str
    colour: str
    index: float


class ClusterOut(Schema):
    cluster: int
    size: int
    members: list[ClusterMemberOut]


def _p(request):
    return api_principal(request, "risk:read")


def _warning(s) -> dict:
    e = s.enterprise
    return {
        "enterprise_id": e.pk,
        "name": e.name,
        "uscc": e.uscc,
        "division": e.division.name if e.division_id else None,
        "street": s.street,
        "index": float(s.index),
        "colour": s.colour,
        "computed_colour": s.computed_colour,
        "cluster_size": s.cluster_size,
        "is_synthetic": e.is_synthetic,
    }


@router.get(
    "/overview",
    response=OverviewOut,
    summary="辖区总览：三色数量、区县/街镇分布、趋势、高频特征词 / overview",
)
def overview(request):
    return selectors.overview(_p(request))


@router.get("/warnings", response=WarningListOut, summary="预警名单（按指数从高到低）/ warning list")
def warnings(request, colour: str = "", division: str = "", street: str = "", q: str = ""):
    if colour and colour not in engine.COLOURS:
        raise ValidationFailed(
            "颜色须为 red、yellow 或 green", "colour must be red, yellow or green", field="colour"
        )
    data = selectors.warnings(_p(request), colour=colour, division=division, street=street, q=q[:100])
    return {"total": data["total"], "limit": data["limit"], "rows": [_warning(s) for s in data["rows"]]}


@router.get(
    "/firms/{enterprise_id}",
    response=FirmOut,
    summary="企业风险：各维度得分及计算、证据、关联网络 / firm risk",
)
def firm(request, enterprise_id: int):
    d = selectors.firm(_p(request), enterprise_id)
    s = d["score"]
    return {
        "enterprise_id": s.pk,
        "name": d["enterprise"].name,
        "index": float(s.index),
        "colour": s.colour,
        "computed_colour": s.computed_colour,
        "versions": s.versions,
        "working": d["working"],
        "evidence": d["evidence"],
        "graph": d["graph"],
        "overrides": [
            {"colour": o.colour, "reason": o.reason, "by": o.created_by.get_username(), "at": o.created_at}
            for o in d["overrides"]
        ],
        "is_synthetic": d["enterprise"].is_synthetic,
    }


@router.post(
    "/firms/{enterprise_id}/override",
    response=OverrideOut,
    summary="分析人员调整预警颜色（须写理由，留痕）/ override",
)
def override(request, enterprise_id: int, body: OverrideIn):
    p = _p(request)
    if p.api_key is not None:
        raise Forbidden(
            "调整预警颜色须由分析人员登录操作", "an analyst must be logged in to override a colour"
        )
    o = services.override_colour(p, enterprise_id, body.colour, body.reason)
    return {"colour": o.colour, "reason": o.reason, "by": o.created_by.get_username(), "at": o.created_at}


@router.get("/clusters", response=list[ClusterOut], summary="团伙：含红色或黄色企业的关联群 / clusters")
def clusters(request):
    return [
        {
            "cluster": c["cluster"],
            "size": c["size"],
            "members": [
                {
                    "enterprise_id": m.pk,
                    "name": m.enterprise.name,
                    "colour": m.colour,
                    "index": float(m.index),
                }
                for m in c["members"]
            ],
        }
        for c in selectors.clusters(_p(request))
    ]


@router.post(
    "/imports/{kind}",
    response={200: ImportOut},
    summary="导入风险信号（登记、宣传舆情、投诉举报、12345、银行资金预警）；有错则一行不写，问题在 errors 中"
    " / import signals; with any problem nothing is written and the problems are in errors (ok false)",
)
def import_file(
    request, kind: str, file: File[UploadedFile], source: Form[str] = "", commit: Form[bool] = True
):
    p = api_principal(request, "risk:import")
    if file.size and file.size > MAX_UPLOAD:
        raise ValidationFailed("文件超过 20 MB", "the file is larger than 20 MB", field="file")
    if kind == "org_reports":
        res = supervision.import_reports(p, file.read(MAX_UPLOAD + 1), file.name or "", commit=commit)
    else:
        res = services.import_signals(
            p, kind, file.read(MAX_UPLOAD + 1), file.name or "", source=source, commit=commit
        )
    return res


@router.post("/recompute", response=ColourCountsOut, summary="重算全部企业的涉众风险指数 / recompute")
def recompute(request):
    p = _p(request)
    if not services.may_analyse(p) or p.api_key is not None:
        raise Forbidden("只有监管部门分析人员可以触发重算", "only a regulator's analyst may recompute")
    return services.recompute()


# ---------------------------------------------------------------------------
# Cases, routing, tip-offs
# ---------------------------------------------------------------------------


class CaseEventOut(Schema):
    at: dt.datetime
    from_status: str
    to_status: str
    note: str
    overdue: bool


class CaseOut(Schema):
    id: int
    number: str
    subject: str
    enterprise_id: int | None
    source: str
    status: str
    status_label: str
    stage_due: dt.date | None
    version: int
    industry_office: str
    street_office: str
    outcome: str
    outcome_reason: str
    is_synthetic: bool


class CaseDetailOut(CaseOut):
    events: list[CaseEventOut]
    actions: list[str]


class CaseStepIn(Schema):
    action: str
    version: int | None = None
    outcome: str = ""
    reason: str = ""
    note: str = ""


class TipoffAckOut(Schema):
    number: str


class TipoffStatusOut(Schema):
    number: str
    status: str


class RoutingRuleOut(Schema):
    kind: str
    match: str
    target: str
    forward_to: str


def _case(c) -> dict:
    return {
        "id": c.pk,
        "number": c.number,
        "subject": c.subject,
        "enterprise_id": c.enterprise_id,
        "source": c.source,
        "status": c.status,
        "status_label": c.get_status_display(),
        "stage_due": c.stage_due,
        "version": c.lock_version,
        "industry_office": c.industry_office,
        "street_office": c.street_office,
        "outcome": c.outcome,
        "outcome_reason": c.outcome_reason,
        "is_synthetic": c.is_synthetic,
    }


def _case_detail(p, c) -> dict:
    from jinfu.core import workflow

    return {
        **_case(c),
        "events": [
            {
                "at": e.at,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
                "overdue": e.overdue,
            }
            for e in c.events.all()
        ],
        "actions": [t.name for t in workflow.allowed(cases.CASES, c, p)],
    }


@router.get("/cases", response=list[CaseOut], summary="案件（办理中按时限，逾期在前；再列已结案）/ cases")
def case_list(request):
    b = cases.board(_p(request))
    return [_case(c) for c in [*b["open"], *b["closed"]]]


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="案件详情与办理记录 / case")
def case_get(request, case_id: int):
    p = _p(request)
    return _case_detail(p, cases.get_case(p, case_id))


@router.post(
    "/firms/{enterprise_id}/cases",
    response=CaseDetailOut,
    summary="对企业立案（已有办理中的案件则返回该案件）/ open a case",
)
def case_open(request, enterprise_id: int, source: str = "warning"):
    p = _p(request)
    return _case_detail(p, cases.open_case(p, enterprise_id, source=source))


@router.post(
    "/cases/{case_id}/step",
    response=CaseDetailOut,
    summary="办理：verify / decide / exclude / close / step a case",
)
def case_step(request, case_id: int, body: CaseStepIn):
    p = _p(request)
    c = cases.transition(
        p,
        case_id,
        body.action,
        note=body.note,
        expected_version=body.version,
        outcome=body.outcome,
        reason=body.reason,
    )
    return _case_detail(p, c)


class RiskTaskOut(Schema):
    id: int
    party: str
    party_label: str
    office: str
    title: str
    due: dt.date
    status: str
    overdue: bool
    reply: str
    done_at: dt.datetime | None
    is_synthetic: bool


class NoteOut(Schema):
    id: int
    task_id: int | None
    text: str
    author_org: str
    created_at: dt.datetime


class CollaborationOut(Schema):
    tasks: list[RiskTaskOut]
    notes: list[NoteOut]


class TaskIn(Schema):
    party: str
    title: str
    workdays: int = 5


class ReplyIn(Schema):
    reply: str


class NoteIn(Schema):
    text: str
    task_id: int | None = None


def _collaboration(p, case_id: int) -> dict:
    from . import collaboration

    b = collaboration.board(p, case_id)
    return {
        "tasks": [
            {
                "id": t.pk,
                "party": t.party,
                "party_label": t.get_party_display(),
                "office": t.office,
                "title": t.title,
                "due": t.due,
                "status": t.status,
                "overdue": t.overdue,
                "reply": t.reply,
                "done_at": t.done_at,
                "is_synthetic": t.is_synthetic,
            }
            for t in b["tasks"]
        ],
        "notes": [
            {
                "id": n.pk,
                "task_id": n.task_id,
                "text": n.text,
                "author_org": n.author_org.name if n.author_org else "平台管理员",
                "created_at": n.created_at,
            }
            for n in b["notes"]
        ],
    }


@router.get(
    "/cases/{case_id}/collaboration",
    response=CollaborationOut,
    summary="三方联动：案件的协作任务与备注 / a case's tasks and notes",
)
def case_collaboration(request, case_id: int):
    p = _p(request)
    return _collaboration(p, case_id)


@router.post(
    "/cases/{case_id}/tasks",
    response=CollaborationOut,
    summary="交办行业主管部门或街镇（承办单位由分派规则确定）/ assign a task",
)
def case_task_add(request, case_id: int, body: TaskIn):
    from . import collaboration

    p = api_principal(request, "risk:write")
    collaboration.add_task(p, case_id, party=body.party, title=body.title, workdays_due=body.workdays)
    return _collaboration(p, case_id)


@router.post(
    "/cases/{case_id}/tasks/{task_id}/done",
    response=CollaborationOut,
    summary="记录承办单位的办理结果并办结任务 / complete a task",
)
def case_task_done(request, case_id: int, task_id: int, body: ReplyIn):
    from . import collaboration

    p = api_principal(request, "risk:write")
    collaboration.complete_task(p, case_id, task_id, reply=body.reply)
    return _collaboration(p, case_id)


@router.post("/cases/{case_id}/notes", response=CollaborationOut, summary="案件备注 / add a note")
def case_note_add(request, case_id: int, body: NoteIn):
    from . import collaboration

    p = api_principal(request, "risk:write")
    collaboration.add_note(p, case_id, text=body.text, task_pk=body.task_id)
    return _collaboration(p, case_id)


@router.get("/routing", response=list[RoutingRuleOut], summary="案件分派规则 / routing table")
def routing_get(request):
    from .models import RoutingRule

    if not services.may_analyse(_p(request)):
        raise Forbidden("分派规则仅对监管部门开放", "the routing table is open to regulators only")
    return list(RoutingRule.objects.values("kind", "match", "target", "forward_to"))


@router.post(
    "/tipoffs", auth=None, response={200: TipoffAckOut}, summary="公众举报（无需登录，限频）/ public tip-off"
)
def tipoff_submit(
    request,
    subject: Form[str],
    text: Form[str],
    contact: Form[str] = "",
    attachment: File[UploadedFile] | None = None,
):
    from jinfu.core.audit import client_ip

    att = None
    if attachment is not None:
        if attachment.size and attachment.size > cases.MAX_ATTACHMENT:
            raise ValidationFailed(
                "附件不能超过 5 MB", "the attachment is larger than 5 MB", field="attachment"
            )
        att = (attachment.name or "", attachment.read(cases.MAX_ATTACHMENT + 1))
    tip = cases.submit_tipoff(
        subject=subject, text=text, contact=contact, attachment=att, ip=client_ip(request)
    )
    return {"number": tip.number}


@router.get(
    "/tipoffs/{number}",
    auth=None,
    response=TipoffStatusOut,
    summary="按受理编号查询举报进度 / tip-off status",
)
def tipoff_get(request, number: str):
    from jinfu.core.audit import client_ip

    return {"number": number, "status": cases.tipoff_status(number, ip=client_ip(request))}


# ---------------------------------------------------------------------------
# Local financial organization supervision
# ---------------------------------------------------------------------------


class LocalOrgOut(Schema):
    id: int
    name: str
    uscc: str | None
    kind: str
    kind_label: str
    period_end: dt.date | None
    grade: str
    score: int
    status: str
    status_label: str
    flags: list[str]
    breaches: list[str]
    warnings: list[str]
    is_synthetic: bool


class LocalBoardOut(Schema):
    version: str
    total: int
    warned: int
    missing: int
    shell: int
    by_grade: dict[str, int]
    rows: list[LocalOrgOut]


class RatioOut(Schema):
    rule: str
    label: str
    value: float | None
    bound: float
    side: str
    breach: bool
    source: str
    quote: str
    verified: str


class LocalOrgDetailOut(LocalOrgOut):
    licence_number: str
    registered_capital: float
    paid_in_capital: float
    serves_small_micro: bool
    dimensions: dict[str, int]
    ratios: list[RatioOut]


def _local_row(r: dict) -> dict:
    o = r["org"]
    return {
        "id": o.pk,
        "name": o.organization.name,
        "uscc": o.organization.uscc,
        "kind": o.kind,
        "kind_label": o.get_kind_display(),
        "period_end": r["period_end"],
        "grade": r["grade"],
        "score": r["score"],
        "status": r["status"],
        "status_label": r["status_label"],
        "flags": r["flags"],
        "breaches": r["breaches"],
        "warnings": r["warnings"],
        "is_synthetic": o.is_synthetic,
    }


@router.get(
    "/local-finance",
    response=LocalBoardOut,
    summary="地方金融组织：监管指标、分类评级、空壳/失联识别 / local financial organizations",
)
def local_finance(request, kind: str = "", status: str = "", grade: str = ""):
    b = supervision.board(_p(request), kind=kind, status=status, grade=grade)
    return {
        "version": b["version"],
        **{k: v for k, v in b["counts"].items()},
        "rows": [_local_row(r) for r in b["rows"]],
    }


@router.get(
    "/local-finance/{org_id}",
    response=LocalOrgDetailOut,
    summary="地方金融组织详情：各项指标的计算与依据 / one organization with its ratios and sources",
)
def local_finance_org(request, org_id: int):
    d = supervision.detail(_p(request), org_id)
    a, o = d["assessment"], d["org"]
    row = {
        "org": o,
        "period_end": a["period_end"],
        "grade": a["grade"],
        "score": a["score"],
        "status": a["status"],
        "status_label": d["status_label"],
        "flags": d["flags"],
        "breaches": [c["rule"].label for c in d["checks"] if c["breach"]],
        "warnings": d["warnings"],
    }
    return {
        **_local_row(row),
        "licence_number": o.licence_number,
        "registered_capital": float(o.registered_capital),
        "paid_in_capital": float(o.paid_in_capital),
        "serves_small_micro": o.serves_small_micro,
        "dimensions": {label: pts for label, pts in d["dimensions"]},
        "ratios": [
            {
                "rule": c["rule"].id,
                "label": c["rule"].label,
                "value": c["value"],
                "bound": c["bound"],
                "side": c["side"],
                "breach": c["breach"],
                "source": c["rule"].source,
                "quote": c["rule"].quote,
                "verified": c["rule"].verified,
            }
            for c in d["checks"]
        ],
    }

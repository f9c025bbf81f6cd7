"""Risk endpoints under /api/v1/risk/: overview, warning list, a firm's working, evidence and network,
clusters, colour override, signal imports and the recompute batch. Regulators (by jurisdiction) and the
platform operator; enterprises never read a risk score (not even their own); institutions only submit
bank fund-flow alerts and read nothing back but their file's problems."""

from __future__ import annotations

import datetime as dt

from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from jinfu.core.errors import Forbidden, ValidationFailed
from jinfu.core.web import api_principal

from . import engine, selectors, services

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


class ProblemOut(Schema):
    row: int
    column: str
    field: str
    value: str
    rule: str
    message_zh: str
    message_en: str


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
    response={200: ImportOut, 422: ImportOut},
    summary="导入风险信号（登记、宣传舆情、投诉举报、12345、银行资金预警）；有错则一行不写 / import signals",
)
def import_file(
    request, kind: str, file: File[UploadedFile], source: Form[str] = "", commit: Form[bool] = True
):
    p = api_principal(request, "risk:import")
    if file.size and file.size > MAX_UPLOAD:
        raise ValidationFailed("文件超过 20 MB", "the file is larger than 20 MB", field="file")
    res = services.import_signals(
        p, kind, file.read(MAX_UPLOAD + 1), file.name or "", source=source, commit=commit
    )
    return (200 if res["ok"] else 422), res


@router.post("/recompute", response=ColourCountsOut, summary="重算全部企业的涉众风险指数 / recompute")
def recompute(request):
    p = _p(request)
    if not services.may_analyse(p) or p.api_key is not None:
        raise Forbidden("只有监管部门分析人员可以触发重算", "only a regulator's analyst may recompute")
    return services.recompute()

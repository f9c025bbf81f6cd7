"""Credit endpoints under /api/v1/credit/: an enterprise's profile (sections gated by grant scope),
the distributions (government) and the source templates."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.errors import HttpError

from jinfu.core.models import Organization
from jinfu.core.web import api_principal

from . import selectors
from .sources import SOURCES

router = Router(tags=["credit 企业画像与信用"])

Scalar = str | float | int | bool | None


class SectionOut(Schema):
    source: str
    label: str
    scope: str
    locked: bool
    freshness: str | None = None
    fetched_at: str | None = None
    records: list[dict[str, Scalar]]


class ProfileOut(Schema):
    enterprise_id: int
    name: str
    tags: list[dict[str, str]]
    features: dict[str, Scalar] | None = None  # the derived credit columns (null without the scope)
    sections: list[SectionOut]


class InnovationOut(Schema):
    score: float
    grade: str
    breakdown: list[dict]


class PreCreditOut(Schema):
    family: str
    label: str
    amount: float | None = None
    steps: list


class ScoreOut(Schema):
    """Without an active scorecard: model, score and grade are null and the lists empty."""

    model: str | None = None
    score: float | None = None
    grade: str | None = None
    reasons: list = []
    improvements: list = []
    breakdown: list = []
    scored_at: str | None = None
    innovation: InnovationOut
    pre_credit: list[PreCreditOut]


class DistributionOut(Schema):
    """Counts per district and per industry section: enterprises, tax grades, dishonest, abnormal."""

    by_division: dict[str, dict[str, int]]
    by_industry: dict[str, dict[str, int]]


class SourceColumnOut(Schema):
    field: str
    header: str
    type: str
    required: bool
    choices: list[str]
    rule: str | None = None


class SourceOut(Schema):
    source: str
    label: str
    scope: str
    max_age_days: int
    natural_key: list[str]
    columns: list[SourceColumnOut]


def _p(request, scope: str = "credit:read"):
    return api_principal(request, scope)


def _v(v):
    return (
        v.isoformat()
        if hasattr(v, "isoformat")
        else (str(v) if v is not None and not isinstance(v, (int, float, bool, str)) else v)
    )


@router.get(
    "/profile/{enterprise_id}",
    response=ProfileOut,
    summary="企业画像（按授权范围分节）/ enterprise profile by section",
)
def profile(request, enterprise_id: int):
    p = _p(request)
    ctx = selectors.profile(p, enterprise_id)
    return {
        "enterprise_id": ctx["enterprise"].pk,
        "name": ctx["enterprise"].name,
        "tags": ctx["tags"],
        "features": ctx["features"],
        "sections": [
            {
                "source": s["key"],
                "label": s["label"],
                "scope": s["scope"],
                "locked": s["locked"],
                "freshness": s.get("freshness"),
                "fetched_at": _v(s.get("fetched_at")),
                "records": [
                    {
                        **{c.field: _v(v) for c, v in zip(s["columns"], r["values"], strict=True)},
                        "source_system": r["source_system"],
                        "fetched_at": _v(r["fetched_at"]),
                    }
                    for r in s["records"]
                ],
            }
            for s in ctx["sections"]
        ],
    }


@router.get(
    "/score/{enterprise_id}",
    response=ScoreOut,
    summary="信用评分、原因、改进建议、技术评估与预授信额度 / score and working",
)
def score(request, enterprise_id: int):
    """The enterprise itself, the operator, or an institution with a live credit_score grant."""

    from .scoring.selectors import credit_view

    p = _p(request)
    org = Organization.objects.filter(pk=enterprise_id, kind=Organization.Kind.ENTERPRISE).first()
    if org is None:
        raise HttpError(404, "企业不存在 / enterprise not found")
    data = credit_view(p, org)
    data = {k: v for k, v in data.items() if k != "enterprise"}
    data["model"] = str(data["model"]) if data.get("model") is not None else None
    return _jsonable(data)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return _v(value)


@router.get(
    "/distribution",
    response=DistributionOut,
    summary="信用分布（政府）/ distributions by district and industry",
)
def distribution(request):
    p = _p(request)
    d = selectors.distributions(p)
    return {"by_division": d["by_division"], "by_industry": d["by_industry"]}


@router.get("/sources", response=list[SourceOut], summary="数据源与模板 / sources and their templates")
def sources(request):
    _p(request)
    return [
        {
            "source": s.key,
            "label": s.label,
            "scope": s.scope,
            "max_age_days": s.max_age_days,
            "natural_key": list(s.natural_key),
            "columns": [
                {
                    "field": c.field,
                    "header": c.label_zh,
                    "type": c.type,
                    "required": c.required,
                    "choices": [code for code, _labels in c.choices],
                    "rule": c.doc,
                }
                for c in s.columns
            ],
        }
        for s in SOURCES.values()
    ]

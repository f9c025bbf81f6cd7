"""Reference-code endpoints under /api/v1/codes/ (USCC, divisions, zones, industries, size class, workdays).

All endpoints are public (``auth=None``): they expose only published standards, never enterprise data.
"""

import datetime as dt

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from jinfu.core.reference import selectors
from jinfu.core.reference.size import UnknownStandard, classify_size, default_standard
from jinfu.core.reference.uscc import validate_uscc
from jinfu.core.reference.workdays import WorkdayDataUnavailable, add_workdays
from jinfu.core.web import MAX_OFFSET

router = Router(tags=["codes 参考代码"])


class DivisionRef(Schema):
    code: str
    name: str
    level: str
    full_name: str


class UsccOut(Schema):
    input: str
    code: str
    valid: bool
    reason_code: str | None
    reason_zh: str
    reason_en: str
    authority_code: str | None
    authority_name: str | None
    org_type_code: str | None
    org_type_name: str | None
    division_code: str | None
    organization_code: str | None
    expected_check_digit: str | None
    division: DivisionRef | None = None


class DivisionOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None


class ZoneOut(Schema):
    code: str
    name: str
    kind: str
    kind_display: str
    divisions: list[str]
    description: str
    source: str


class IndustryOut(Schema):
    code: str
    name: str
    level: str
    section: str
    parent: str | None


class IndustryPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[IndustryOut]


class SizeOut(Schema):
    size_class: str | None
    size_class_zh: str | None
    sector_code: str | None
    sector_name: str | None
    standard: str
    standard_title: str
    industry_code: str
    explanation_zh: str
    missing: list[str]


class WorkdayOut(Schema):
    start: dt.date
    days: int
    date: dt.date


@router.get("/uscc/{code}", response=UsccOut, auth=None, summary="校验统一社会信用代码 (GB 32100-2015)")
def check_uscc(request, code: str):
    result = validate_uscc(code)
    out = {f: getattr(result, f) for f in UsccOut.model_fields if f != "division"}
    out["division"] = selectors.division_info(result.division_code) if result.division_code else None
    return out


@router.get("/divisions", response=list[DivisionOut], auth=None, summary="行政区划 (GB/T 2260，重庆市)")
def divisions(request, parent: str | None = None):
    return [
        {"code": d.code, "name": d.name, "level": d.level, "parent": d.parent_id}
        for d in selectors.list_divisions(parent)
    ]


@router.get("/zones", response=list[ZoneOut], auth=None, summary="功能区/金融片区")
def zones(request):
    return [
        {
            "code": z.code,
            "name": z.name,
            "kind": z.kind,
            "kind_display": z.get_kind_display(),
            "divisions": sorted(d.code for d in z.divisions.all()),
            "description": z.description,
            "source": z.source,
        }
        for z in selectors.list_zones()
    ]


class IndustryQuery(Schema):
    q: str = ""
    level: str | None = None
    parent: str | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


@router.get("/industries", response=IndustryPage, auth=None, summary="国民经济行业分类 (GB/T 4754-2017)")
def industries(request, filters: Query[IndustryQuery]):
    count, items = selectors.search_industries(
        filters.q, filters.level, filters.parent, filters.limit, filters.offset
    )
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [
            {"code": i.code, "name": i.name, "level": i.level, "section": i.section, "parent": i.parent_id}
            for i in items
        ],
    }


@router.get("/size", response=SizeOut, auth=None, summary="企业规模划型 (中小企业划型标准)")
def size(
    request,
    industry: str,
    employees: int | None = None,
    revenue: float | None = None,
    total_assets: float | None = None,
    standard: str | None = None,
):
    try:
        result = classify_size(industry, employees, revenue, total_assets, standard or default_standard())
    except UnknownStandard as exc:
        raise HttpError(422, f"未知的划型标准版本：{exc.args[0]}") from None
    except ValueError as exc:
        raise HttpError(422, str(exc)) from None
    out = {f: getattr(result, f) for f in SizeOut.model_fields}
    out["missing"] = list(result.missing)
    return out


@router.get("/workdays/add", response=WorkdayOut, auth=None, summary="工作日推算（含法定节假日与调休）")
def workdays_add(request, start: dt.date, days: int):
    if abs(days) > 3660:
        raise HttpError(422, "days 超出范围 / days out of range")
    try:
        return {"start": start, "days": days, "date": add_workdays(start, days)}
    except WorkdayDataUnavailable as exc:
        raise HttpError(422, str(exc)) from None

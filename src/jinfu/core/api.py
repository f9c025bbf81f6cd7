"""Core endpoints: me, organizations, enterprise data under consent, grants, access records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from . import selectors, services
from .errors import JinfuError
from .models import Organization
from .principal import as_principal
from .web import BoundedLimitOffset

router = Router(tags=["core 基础"])


def _fail(exc: JinfuError):
    raise exc  # the API's error handler answers with the status and a bilingual body (core.api_errors)


def _need(request: HttpRequest, scope: str):
    p = as_principal(request.auth)
    if not p.has_api_scope(scope):
        raise HttpError(403, f"API 密钥缺少权限 {scope} / API key lacks scope {scope}")
    return p


class MeOut(Schema):
    username: str | None
    role: str
    organization_id: int | None
    organization_name: str | None
    channel: str
    api_scopes: list[str] | None


@router.get("/me", response=MeOut, summary="当前身份 / who am I")
def me(request):
    p = as_principal(request.auth)
    return {
        "username": p.user.username if p.user else None,
        "role": p.role,
        "organization_id": p.org_id,
        "organization_name": p.organization.name if p.organization else None,
        "channel": p.channel,
        "api_scopes": p.api_key.scopes if p.api_key else None,
    }


class OrgOut(Schema):
    id: int
    kind: str
    name: str
    uscc: str | None
    division_code: str | None
    zone_code: str | None
    is_synthetic: bool

    @staticmethod
    def resolve_division_code(obj):
        return obj.division_id

    @staticmethod
    def resolve_zone_code(obj):
        return obj.zone_id


@router.get("/orgs", response=list[OrgOut], summary="组织名录（公开字段）/ organization directory")
@paginate(BoundedLimitOffset)
def list_orgs(request, kind: str | None = None, q: str | None = None):
    _need(request, "orgs:read")
    return selectors.visible_organizations(request.auth, kind=kind, q=q)


class EnterpriseOut(Schema):
    public: dict
    sections: dict


@router.get(
    "/enterprises/{org_id}",
    response=EnterpriseOut,
    summary="企业信息（非公开部分需有效授权，每次读取都会记录）/ enterprise data under consent",
)
def enterprise_detail(request, org_id: int, scopes: str | None = None):
    p = _need(request, "orgs:read")
    wanted = [s.strip() for s in (scopes or "").split(",") if s.strip()] or None
    unknown = [s for s in wanted or [] if s not in selectors.SCOPE_FIELDS]
    if unknown:
        raise HttpError(
            422,
            f"不支持的数据范围：{', '.join(unknown)}（可选：{', '.join(selectors.SCOPE_FIELDS)}）/ "
            f"unsupported scopes: {', '.join(unknown)} (choose from {', '.join(selectors.SCOPE_FIELDS)})",
        )
    try:
        view = selectors.enterprise_view(p, org_id, wanted)
    except JinfuError as exc:
        _fail(exc)
    pub = dict(view["public"])
    pub["division"] = pub["division"].code if pub["division"] else None
    pub["zone"] = pub["zone"].code if pub["zone"] else None
    pub["industry"] = pub["industry"].code if pub.get("industry") else None
    return {"public": pub, "sections": _jsonable(view["sections"])}


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class GrantIn(Schema):
    grantee_id: int
    scopes: list[str]
    purpose: str
    expires_at: dt.datetime
    purpose_note: str = ""


class GrantOut(Schema):
    id: int
    enterprise_id: int
    grantee_id: int
    scopes: list[str]
    purpose: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    status: str


@router.get("/grants", response=list[GrantOut], summary="授权列表 / grants given or received")
def list_grants(request):
    _need(request, "enterprise_data:read")
    return list(selectors.grants_for(request.auth))


@router.post("/grants", response={201: GrantOut}, summary="企业授权机构 / grant access")
def create_grant(request, payload: GrantIn):
    grantee = Organization.objects.filter(pk=payload.grantee_id).first()
    if grantee is None:
        raise HttpError(422, "被授权机构不存在 / grantee not found")
    try:
        grant = services.grant_access(
            request.auth,
            grantee=grantee,
            scopes=payload.scopes,
            purpose=payload.purpose,
            expires_at=payload.expires_at,
            purpose_note=payload.purpose_note,
        )
    except JinfuError as exc:
        _fail(exc)
    return 201, grant


@router.post("/grants/{grant_id}/revoke", response=GrantOut, summary="撤销授权 / revoke a grant")
def revoke(request, grant_id: int):
    try:
        return services.revoke_grant(request.auth, grant_id)
    except JinfuError as exc:
        _fail(exc)


class AccessOut(Schema):
    at: dt.datetime
    enterprise_id: int
    accessor_org_id: int
    accessor_user: str | None
    scope: str
    purpose: str
    channel: str
    allowed: bool

    @staticmethod
    def resolve_accessor_user(obj):
        return obj.accessor_user.username if obj.accessor_user else None


@router.get("/access-records", response=list[AccessOut], summary="数据访问记录 / who read what and when")
@paginate(BoundedLimitOffset)
def access_records(request):
    _need(request, "enterprise_data:read")
    return selectors.access_records_for(request.auth)

"""Writes for the foundation: consent (授权) grants and revocations, users. Audited, in transactions."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from .errors import Forbidden, NotFound, ValidationFailed
from .models import Grant, Organization, Purpose, Role, Scope, User
from .principal import as_principal

MAX_GRANT_DAYS = 3 * 366


def grant_access(
    actor,
    *,
    grantee: Organization,
    scopes: list[str],
    purpose: str,
    expires_at: dt.datetime,
    purpose_note: str = "",
) -> Grant:
    """An enterprise user authorizes an institution to read scopes of the enterprise's data."""
    p = as_principal(actor)
    if p.role != Role.ENTERPRISE or p.organization is None or p.api_key is not None:
        raise Forbidden(
            "只有企业用户可以授权本企业数据", "Only an enterprise's own users can grant access to its data"
        )
    if grantee.kind != Organization.Kind.INSTITUTION:
        raise ValidationFailed(
            "只能授权给金融机构", "Grants can only be given to financial institutions", field="grantee"
        )
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in Scope.values]
    if not scopes or unknown:
        raise ValidationFailed(
            f"授权范围无效：{', '.join(unknown) or '未选择'}",
            f"Invalid scopes: {', '.join(unknown) or 'none chosen'}",
            field="scopes",
        )
    if purpose not in Purpose.values:
        raise ValidationFailed(f"用途无效：{purpose}", f"Invalid purpose: {purpose}", field="purpose")
    if not isinstance(expires_at, dt.datetime) or timezone.is_naive(expires_at):
        raise ValidationFailed(
            "到期时间须带时区（例如 2026-08-01T00:00:00+08:00）",
            "expires_at must carry a timezone offset (e.g. 2026-08-01T00:00:00+08:00)",
            field="expires_at",
        )
    now = timezone.now()
    if expires_at <= now:
        raise ValidationFailed(
            "到期时间必须晚于当前时间", "The expiry must be in the future", field="expires_at"
        )
    if expires_at > now + dt.timedelta(days=MAX_GRANT_DAYS):
        raise ValidationFailed("授权期限最长三年", "A grant may last at most three years", field="expires_at")
    with transaction.atomic():
        return Grant.objects.create(
            enterprise=p.organization,
            grantee=grantee,
            scopes=scopes,
            purpose=purpose,
            purpose_note=purpose_note[:255],
            granted_by=p.user,
            granted_at=now,
            expires_at=expires_at,
        )


def revoke_grant(actor, grant_id: int) -> Grant:
    """The enterprise revokes a grant at any time; it takes effect for the next read."""
    p = as_principal(actor)
    with transaction.atomic():
        grant = Grant.objects.select_for_update().filter(pk=grant_id).first()
        if grant is None or (grant.enterprise_id != p.org_id and not p.is_admin):
            raise NotFound("授权不存在", "Grant not found")
        if p.role != Role.ENTERPRISE and not p.is_admin:
            raise Forbidden("只有授权企业可以撤销", "Only the granting enterprise can revoke")
        if grant.revoked_at is None:
            grant.revoked_at = timezone.now()
            grant.revoked_by = p.user
            grant.save(update_fields=["revoked_at", "revoked_by"])
        return grant


ROLE_ORG_KIND = {
    Role.ENTERPRISE: {Organization.Kind.ENTERPRISE},
    Role.INSTITUTION: {Organization.Kind.INSTITUTION},
    Role.GOVERNMENT: {Organization.Kind.GOVERNMENT},
    Role.REGULATOR: {Organization.Kind.GOVERNMENT, Organization.Kind.STREET},
    Role.ADMIN: {None, Organization.Kind.GOVERNMENT},
}


def create_user(
    *,
    username: str,
    password: str,
    role: str,
    organization: Organization | None = None,
    display_name: str = "",
    email: str = "",
) -> User:
    """Create a user whose role fits its organization (an enterprise user belongs to an enterprise …)."""
    if role not in Role.values:
        raise ValidationFailed(f"未知角色：{role}", f"Unknown role: {role}", field="role")
    kind = organization.kind if organization is not None else None
    if kind not in ROLE_ORG_KIND[role]:
        raise ValidationFailed(
            f"角色“{Role(role).label}”不能属于该类组织",
            f"Role '{role}' cannot belong to an organization of kind '{kind}'",
            field="organization",
        )
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(
            f"用户名已存在：{username}", f"Username already exists: {username}", field="username"
        )
    candidate = User(username=username, display_name=display_name, email=email)
    try:
        validate_password(password, candidate)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "密码不符合要求：" + "；".join(exc.messages),
            "Password rejected: " + "; ".join(exc.messages),
            field="password",
        ) from exc
    user = User(
        username=username,
        role=role,
        organization=organization,
        display_name=display_name,
        email=email,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_password(password)
    user.save()
    return user


def can_register_enterprise(actor) -> bool:
    p = as_principal(actor)
    return p.is_admin or (p.role == Role.GOVERNMENT and p.api_key is None)


def can_edit_enterprise(actor, organization: Organization) -> bool:
    """The enterprise's own users (in the browser) and admins; nobody else sees its edit form, which shows
    private fields (legal representative's ID number, revenue, assets) outside any grant."""
    p = as_principal(actor)
    own = p.role == Role.ENTERPRISE and p.org_id == organization.pk and p.api_key is None
    return own or p.is_admin


def save_enterprise(actor, values: dict, *, organization: Organization | None = None):
    """Create an enterprise (admin, government in its division) or update one (the enterprise itself,
    admin) from a web form. The form's values go through the import engine's row rules, so a form and
    a spreadsheet are held to exactly the same standard; the write goes through the import's upsert.

    Raises ValidationFailed whose ``problems`` lists {field, value, rule, message_zh, message_en}."""
    from .imports import engine
    from .imports import services as imports

    p = as_principal(actor)
    if organization is None:
        if not can_register_enterprise(p):
            raise Forbidden(
                "只有平台管理员和政府用户可以登记企业",
                "Only admins and government users can register enterprises",
            )
    else:
        if not can_edit_enterprise(p, organization):
            raise Forbidden("无权修改该企业信息", "You may not edit this enterprise")
        values = dict(values, uscc=organization.uscc or values.get("uscc", ""))
    division_limit = p.organization.division_id if (p.role == Role.GOVERNMENT and p.organization) else None
    if (
        division_limit
        and division_limit != "500000"
        and values.get("division") not in ("", None, division_limit)
    ):
        raise ValidationFailed(
            "只能登记本辖区的企业", "You can only register enterprises in your own division", field="division"
        )
    fields = [c.field for c in engine.ENTERPRISE_COLUMNS]
    sheet = engine.Sheet(
        headers=fields, rows=[[values.get(f, "") for f in fields]], format="form", encoding=""
    )
    lookups = imports.build_lookups("enterprises")
    uscc = str(values.get("uscc") or "").strip().upper()
    lookups.existing = imports.existing_values("enterprises", [uscc]) if uscc else {}
    if organization is None and uscc in lookups.existing:
        raise ValidationFailed(
            f"统一社会信用代码 {uscc} 已登记", f"USCC {uscc} is already registered", field="uscc"
        )
    result = engine.validate_sheet("enterprises", sheet, lookups)
    if result.errors:
        exc = ValidationFailed("企业信息有误，请按提示修改", "The enterprise data has errors", field=None)
        exc.problems = result.errors
        raise exc
    imports.apply_enterprise_records(result.records, actor=p.user)
    return Organization.objects.get(uscc=result.records[0]["uscc"])

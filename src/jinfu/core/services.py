"""Writes for the foundation: consent (授权) grants and revocations, users. Audited, in transactions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from .errors import Forbidden, JinfuError, NotFound, ValidationFailed
from .models import Grant, Organization, Purpose, Role, Scope, User
from .principal import as_principal
from .text import clean_name

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
    purpose_note = clean_name(
        purpose_note, field="purpose_note", label_zh="用途说明", label_en="purpose note"
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
    username = clean_name(username, field="username", label_zh="用户名", label_en="username")
    display_name = clean_name(display_name, field="display_name", label_zh="姓名", label_en="display name")
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


@dataclass(frozen=True)
class WriteRefusal:
    """Why an actor may not create or change an enterprise: ``rule`` (import problem rule), ``field``
    (the value it concerns), messages, and whether it forbids the request as a whole (403) rather than
    naming a wrong value (422)."""

    rule: str
    field: str
    message_zh: str
    message_en: str
    forbidden: bool = True

    def error(self) -> JinfuError:
        if self.forbidden:
            return Forbidden(self.message_zh, self.message_en, code=self.rule)
        return ValidationFailed(self.message_zh, self.message_en, code=self.rule, field=self.field)


REFUSE_REGISTER = WriteRefusal(
    "permission.register",
    "uscc",
    "只有平台管理员和政府用户可以登记企业",
    "Only admins and government users can register enterprises",
)
REFUSE_DIVISION = WriteRefusal(
    "permission.division",
    "division",
    "只能登记本辖区的企业",
    "You can only register enterprises in your own division",
    forbidden=False,
)
REFUSE_JURISDICTION = WriteRefusal(
    "permission.jurisdiction",
    "uscc",
    "该主体不在您的辖区内",
    "This enterprise is outside your jurisdiction",
)
REFUSE_EDIT = WriteRefusal(
    "permission.edit", "uscc", "无权修改该企业信息", "You may not edit this enterprise"
)


def may_register_enterprises(actor) -> bool:
    """The roles that register enterprises: the platform operator and government offices."""
    p = as_principal(actor)
    return p.is_admin or p.role == Role.GOVERNMENT


def can_register_enterprise(actor) -> bool:
    """May this actor use the registration form (a web user; API keys use the import with its scope)."""
    p = as_principal(actor)
    return p.api_key is None and may_register_enterprises(p)


def enterprise_write_refusal(
    actor,
    *,
    division: str | None,
    existing_id: int | None = None,
    existing_division: str | None = None,
    zone: str | None = None,
    existing_zone: str | None = None,
) -> WriteRefusal | None:
    """The one rule for creating or changing an enterprise, for the form and every import row alike.

    ``division`` is the division the values ask for (empty: not given); ``existing_id`` and
    ``existing_division`` describe the enterprise already registered under the USCC (None: a new one).
    Creating needs the admin or government role; a government office registers only in its own
    jurisdiction (``Principal.jurisdiction``: a zone office in its zone); changing an existing enterprise needs the
    enterprise itself (web) or the admin. Returns None when allowed. The refusal never carries
    anything of the existing record."""
    p = as_principal(actor)
    if existing_id is None and not may_register_enterprises(p):
        return REFUSE_REGISTER
    limit = p.jurisdiction if p.role == Role.GOVERNMENT and not p.jurisdiction.citywide else None
    if limit is not None and division not in ("", None) and not limit.covers(division, zone or None):
        return REFUSE_DIVISION
    if existing_id is None:
        return None
    if limit is not None and not limit.covers(existing_division, existing_zone):
        return REFUSE_JURISDICTION
    own = p.role == Role.ENTERPRISE and p.org_id == existing_id and p.api_key is None
    if not (own or p.is_admin):
        return REFUSE_EDIT
    return None


def save_enterprise(actor, values: dict, *, organization: Organization | None = None):
    """Create an enterprise (admin, government in its division) or update one (the enterprise itself,
    admin) from a web form. The form's values go through the import engine's row rules, so a form and
    a spreadsheet are held to exactly the same standard; the write goes through the import's upsert.
    Who may write what is :func:`enterprise_write_refusal`, which every import row is checked with too.

    Raises ValidationFailed whose ``problems`` lists {field, value, rule, message_zh, message_en}."""
    from .imports import engine
    from .imports import services as imports

    p = as_principal(actor)
    if organization is None and p.api_key is not None:
        raise REFUSE_REGISTER.error()
    if organization is not None:
        values = dict(values, uscc=organization.uscc or values.get("uscc", ""))
    refusal = enterprise_write_refusal(
        p,
        division=values.get("division"),
        existing_id=organization.pk if organization is not None else None,
        existing_division=organization.division_id if organization is not None else None,
        zone=values.get("zone"),
        existing_zone=organization.zone_id if organization is not None else None,
    )
    if refusal is not None:
        raise refusal.error()
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

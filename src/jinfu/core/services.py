"""Writes for the foundation: consent (授权) grants and revocations, users. Audited, in transactions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from .audit import record_event
from .errors import Forbidden, JinfuError, NotFound, ValidationFailed
from .models import (
    DeclaredFact,
    Grant,
    Organization,
    Purpose,
    Role,
    Scope,
    SecurityEvent,
    Tag,
    TagCertification,
    User,
)
from .principal import as_principal
from .text import clean_name

MAX_GRANT_DAYS = 3 * 366


def dismiss_tour(user) -> None:
    """The user closed the first-login tour: it is not shown again (the help centre reopens it)."""
    User.objects.filter(pk=user.pk).update(tour_dismissed_at=timezone.now())


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
    Role.SECTOR: {Organization.Kind.SECTOR},
    Role.STREET: {Organization.Kind.STREET},
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
    Who may write what is :func:`enterprise_write_refusal`, which every import row is checked with too.

    Raises ValidationFailed whose ``problems`` lists {field, value, rule, message_zh, message_en}."""
    from .imports import engine
    from .imports import services as imports
    from .imports.organizations import ENTERPRISES

    p = as_principal(actor)
    if organization is None and p.api_key is not None:
        raise REFUSE_REGISTER.error()
    own = organization is not None and p.role == Role.ENTERPRISE and p.org_id == organization.pk
    own = own and p.api_key is None
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
    fields = [c.field for c in ENTERPRISES.columns]
    sheet = engine.Sheet(
        headers=fields, rows=[[values.get(f, "") for f in fields]], format="form", encoding=""
    )
    lookups = imports.prepare_enterprises(p)
    lookups.on_diff = None  # a form shows no diff
    uscc = str(values.get("uscc") or "").strip().upper()
    if organization is None and uscc and imports.existing_values("enterprises", [uscc]):
        raise ValidationFailed(
            f"统一社会信用代码 {uscc} 已登记", f"USCC {uscc} is already registered", field="uscc"
        )
    result = engine.validate_sheet(ENTERPRISES, sheet, lookups)
    if result.errors:
        exc = ValidationFailed("企业信息有误，请按提示修改", "The enterprise data has errors", field=None)
        exc.problems = result.errors
        raise exc
    record = result.records[0]
    with transaction.atomic():
        if own:
            record = _self_declared(p, organization, record)
        imports.apply_enterprise_records([record], actor=p.user)
    return Organization.objects.get(uscc=record["uscc"])


SELF_DECLARED_FIGURES = ("employees", "revenue", "total_assets")


def _self_declared(p, organization: Organization, record: dict) -> dict:
    """An enterprise editing itself: its figures are stored as self-declared (自报), never as the
    registration values rules read; it cannot change its tags (certified by departments or by rules)."""
    current = set(organization.enterprise.tags.values_list("code", flat=True))
    asked = record.get("tags")
    if asked is not None and set(asked) != current:
        exc = ValidationFailed(
            "企业标签由主管部门认定或按规则计算，企业不能自行设置",
            "Tags are certified by a department or computed by rules; an enterprise cannot set its own",
            field="tags",
        )
        exc.problems = [
            {
                "field": "tags",
                "value": ",".join(asked),
                "message_zh": exc.message_zh,
                "message_en": exc.message_en,
            }
        ]
        raise exc
    ent = organization.enterprise
    existing = {d.fact: d for d in DeclaredFact.objects.filter(enterprise=organization)}
    today = timezone.localdate()
    for fact in SELF_DECLARED_FIGURES:
        value = record.get(fact)
        old = existing.get(fact)
        if value is None:
            continue  # an empty field keeps what is there (as in an import)
        value = Decimal(str(value))
        registered = getattr(ent, fact)
        if old is None and registered is not None and Decimal(str(registered)) == value:
            continue  # the registration value re-submitted unchanged: nothing declared
        if old is not None and old.value == value:
            continue
        obj = old or DeclaredFact(enterprise=organization, fact=fact)
        obj.value, obj.as_of, obj.declared_by = value, today, p.user
        obj.save()
    return {k: v for k, v in record.items() if k not in (*SELF_DECLARED_FIGURES, "tags")}


def can_certify_tags(actor) -> bool:
    p = as_principal(actor)
    return p.api_key is None and (p.is_admin or p.role == Role.GOVERNMENT)


def certify_tag(
    actor,
    enterprise_pk: int,
    *,
    tag_code: str,
    evidence: str,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    evidence_ref: str = "",
) -> TagCertification:
    """A government department (in its jurisdiction) or the operator certifies a tag with its evidence.
    The tag is added to the enterprise; the certification is audited (django-auditlog) and a security
    event names who certified what."""
    from .selectors import get_organization

    p = as_principal(actor)
    if not can_certify_tags(p):
        raise Forbidden(
            "只有政府部门和平台管理员可以认定企业标签", "Only government users and admins certify tags"
        )
    org = get_organization(p, enterprise_pk)  # jurisdiction: a district office sees its own enterprises
    if org.kind != Organization.Kind.ENTERPRISE or not hasattr(org, "enterprise"):
        raise NotFound("企业不存在", "Enterprise not found")
    tag = Tag.objects.filter(code=tag_code).first()
    if tag is None:
        raise ValidationFailed(f"未知的标签：{tag_code}", f"Unknown tag: {tag_code}", field="tag")
    evidence = (evidence or "").strip()
    if len(evidence) < 4:
        raise ValidationFailed(
            "请填写认定依据（文件名称、文号或名单）",
            "Give the evidence (document, number or list) for the certification",
            field="evidence",
        )
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed(
            "有效期止不能早于有效期起", "valid_until cannot be before valid_from", field="valid_until"
        )
    with transaction.atomic():
        cert = TagCertification.objects.create(
            enterprise=org,
            tag=tag,
            evidence=evidence,
            evidence_ref=(evidence_ref or "").strip()[:255],
            valid_from=valid_from,
            valid_until=valid_until,
            certified_by=p.user,
            certifier_org=p.organization,
        )
        if cert.is_live():
            org.enterprise.tags.add(tag)
        record_event(
            SecurityEvent.Kind.ADMIN_ACTION,
            user=p.user,
            action="tag_certified",
            enterprise=org.pk,
            tag=tag.code,
            certification=cert.pk,
        )
    return cert


def revoke_certification(actor, certification_pk: int) -> TagCertification:
    p = as_principal(actor)
    if not can_certify_tags(p):
        raise Forbidden("只有政府部门和平台管理员可以撤销认定", "Only government users and admins revoke")
    from .selectors import get_organization

    with transaction.atomic():
        cert = TagCertification.objects.select_for_update().filter(pk=certification_pk).first()
        if cert is None:
            raise NotFound("认定记录不存在", "Certification not found")
        get_organization(p, cert.enterprise_id)
        if cert.revoked_at is None:
            cert.revoked_at = timezone.now()
            cert.save(update_fields=["revoked_at"])
            cert.enterprise.enterprise.tags.remove(cert.tag)
            record_event(
                SecurityEvent.Kind.ADMIN_ACTION,
                user=p.user,
                action="tag_certification_revoked",
                enterprise=cert.enterprise_id,
                tag=cert.tag.code,
                certification=cert.pk,
            )
    return cert

"""Reads, always filtered by who is asking (object-level permission lives here)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from .errors import ConsentRequired, NotFound
from .models import AccessRecord, ApiKey, Grant, Organization, Role, Scope, SecurityEvent
from .principal import as_principal

# Enterprise fields that are public registration data (国家企业信用信息公示系统): anyone signed in may read them.
PUBLIC_ENTERPRISE_FIELDS = (
    "name",
    "uscc",
    "legal_representative",
    "registered_capital",
    "established_on",
    "division",
    "zone",
    "industry",
    "address",
)
# Non-public fields by consent scope.
SCOPE_FIELDS = {
    Scope.BASIC: (
        "paid_in_capital",
        "employees",
        "size_class",
        "size_standard",
        "legal_rep_id_masked",
        "contact_phone",
        "tags",
    ),
    Scope.FINANCIALS: ("revenue", "total_assets"),
}


def visible_organizations(actor, *, kind: str | None = None, q: str | None = None) -> QuerySet[Organization]:
    """The organization directory as this actor may see it (public fields only; see enterprise_view for more)."""
    qs = Organization.objects.visible_to(actor, "read").select_related("division", "zone")
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__iexact=q.strip().upper()))
    return qs.order_by("kind", "name")


def get_organization(actor, pk: int) -> Organization:
    org = visible_organizations(actor).filter(pk=pk).first()
    if org is None:
        raise NotFound("组织不存在或无权查看", "Organization not found or not visible to you")
    return org


def live_grant(enterprise: Organization, grantee: Organization, scope: str, at=None) -> Grant | None:
    at = at or timezone.now()
    for grant in Grant.objects.filter(
        enterprise=enterprise, grantee=grantee, revoked_at__isnull=True, granted_at__lte=at, expires_at__gt=at
    ).order_by("-expires_at"):
        if scope in grant.scopes:
            return grant
    return None


def live_grant_scopes(grantee: Organization | None, *, enterprise_ids=None, at=None) -> dict[int, set[str]]:
    """Enterprise id → scopes it currently grants ``grantee`` (one query; for listings, before the check)."""
    if grantee is None:
        return {}
    at = at or timezone.now()
    grants = Grant.objects.filter(
        grantee=grantee, revoked_at__isnull=True, granted_at__lte=at, expires_at__gt=at
    )
    if enterprise_ids is not None:
        grants = grants.filter(enterprise_id__in=enterprise_ids)
    out: dict[int, set[str]] = {}
    for ent_id, scopes in grants.values_list("enterprise_id", "scopes"):
        out.setdefault(ent_id, set()).update(scopes)
    return out


def check_enterprise_access(actor, enterprise: Organization, scope: str) -> Grant | None:
    """Gate every read of an enterprise's non-public data.

    The enterprise itself always passes (no record). The platform operator passes and is recorded.
    Anyone else needs a live grant for the scope; the read is recorded either way (denials too),
    so the enterprise sees who tried to read what and when. API keys additionally need the
    `enterprise_data:read` scope.
    """
    p = as_principal(actor)
    record = _access_record(p, enterprise, scope, lambda: live_grant(enterprise, p.organization, scope))
    if record is None:
        return None
    if p.organization is not None or (p.is_admin and p.api_key is None):
        record.save()
    grant = record.grant
    if not record.allowed:
        label = Scope(scope).label
        raise ConsentRequired(
            f"没有{enterprise.name}对“{label}”的有效授权",
            f"No live grant from this enterprise for scope '{scope}'",
            field=scope,
        )
    return grant


def _access_record(p, enterprise: Organization, scope: str, find_grant) -> AccessRecord | None:
    """The (unsaved) record of one read of ``enterprise``'s ``scope`` by ``p``, its ``allowed`` saying whether
    the read passes; None for the enterprise reading itself (passes, not recorded). ``find_grant()``: the
    live grant of the scope to ``p``'s organization, or None."""
    if p.org_id == enterprise.pk and not p.is_admin:
        return None
    record = AccessRecord(
        enterprise=enterprise,
        accessor_org=p.organization or enterprise,
        accessor_user=p.user,
        scope=scope,
        channel=p.channel,
    )
    if p.is_admin and p.api_key is None:
        record.purpose = "other"  # the platform operator passes, recorded
        return record
    grant = None
    if p.organization is not None and p.has_api_scope("enterprise_data:read"):
        grant = find_grant()
    record.grant = grant
    record.allowed = grant is not None
    record.purpose = grant.purpose if grant else ""
    return record


def readable_scopes(actor, enterprise: Organization, scopes, *, live: set[str] | None = None) -> set[str]:
    """For a listing that shows many enterprises at once (the demand hall): which of ``scopes`` this actor
    may read of ``enterprise`` now.

    Every scope covered by a live grant goes through :func:`check_enterprise_access`, so each display of
    granted data is checked and recorded exactly like a profile page. A scope with no live grant is left
    out without a record: a row an institution scrolls past is not an attempt to read that enterprise's
    data, and a denial per row and page view would bury the real attempts. The enterprise itself reads
    all of its own scopes; the operator (no organization, no grants) reads none in a listing. ``live``:
    the scopes the enterprise grants the actor's organization, when the listing looked them up at once
    (:func:`live_grant_scopes`); otherwise they are looked up here.
    """
    p = as_principal(actor)
    if live is None and p.organization is not None:
        live = live_grant_scopes(p.organization, enterprise_ids=[enterprise.pk]).get(enterprise.pk, set())
    return readable_scopes_many(p, [(enterprise, scopes)], live={enterprise.pk: live or set()})[0]


def readable_scopes_many(actor, wanted, *, live: dict[int, set[str]]) -> list[set[str]]:
    """:func:`readable_scopes` for each (enterprise, scopes) of a listing's rows at once, in order: the same
    checks and the same access records (one per scope read, denials included), in one query for the
    grants and one insert for the records whatever the number of rows. ``live``: enterprise id → the
    scopes it grants the actor's organization (:func:`live_grant_scopes`)."""
    p = as_principal(actor)
    wanted = [(enterprise, set(scopes)) for enterprise, scopes in wanted]
    if p.organization is None:
        return [set() for _ in wanted]
    grants = _live_grants_by_scope(
        p.organization, {e.pk for e, scopes in wanted if scopes & live.get(e.pk, set())}
    )
    out, records = [], []
    for enterprise, scopes in wanted:
        if p.org_id == enterprise.pk and not p.is_admin:
            out.append(scopes)
            continue
        read = set()
        for scope in sorted(scopes & live.get(enterprise.pk, set())):
            found = grants.get((enterprise.pk, scope))
            record = _access_record(p, enterprise, scope, lambda found=found: found)
            records.append(record)
            if record.allowed:
                read.add(scope)
        out.append(read)
    AccessRecord.objects.bulk_create(records)
    return out


def _live_grants_by_scope(grantee: Organization, enterprise_ids: set[int]) -> dict[tuple[int, str], Grant]:
    """(enterprise id, scope) → the live grant :func:`live_grant` would pick (latest expiry), one query."""
    if not enterprise_ids:
        return {}
    at = timezone.now()
    out: dict[tuple[int, str], Grant] = {}
    for grant in Grant.objects.filter(
        enterprise_id__in=enterprise_ids,
        grantee=grantee,
        revoked_at__isnull=True,
        granted_at__lte=at,
        expires_at__gt=at,
    ).order_by("-expires_at"):
        for scope in grant.scopes:
            out.setdefault((grant.enterprise_id, scope), grant)
    return out


def _money(v) -> Decimal | None:
    return None if v is None else Decimal(str(v)).quantize(Decimal("0.01"))


def enterprise_view(actor, enterprise_pk: int, scopes: list[str] | None = None) -> dict:
    """An enterprise's profile as this actor may see it: public part plus each requested scope
    (default: all scopes that have fields), each marked allowed or locked."""
    org = get_organization(actor, enterprise_pk)
    if org.kind != Organization.Kind.ENTERPRISE:
        raise NotFound("该组织不是企业", "This organization is not an enterprise")
    ent = getattr(org, "enterprise", None)
    if ent is None:  # registered as an organization, details not yet filed
        public = {
            "id": org.pk,
            "name": org.name,
            "uscc": org.uscc,
            "division": org.division,
            "zone": org.zone,
            "address": org.address,
            "is_synthetic": org.is_synthetic,
        }
        return {"public": public, "sections": {}, "organization": org, "incomplete": True}
    public = {
        "id": org.pk,
        "name": org.name,
        "uscc": org.uscc,
        "legal_representative": ent.legal_representative,
        "registered_capital": ent.registered_capital,
        "established_on": ent.established_on,
        "division": org.division,
        "zone": org.zone,
        "industry": ent.industry,
        "address": org.address,
        "is_synthetic": org.is_synthetic,
    }
    sections = {}
    figures = None
    for scope in scopes or list(SCOPE_FIELDS):
        try:
            grant = check_enterprise_access(actor, org, scope)
        except ConsentRequired as exc:
            sections[scope] = {"allowed": False, "reason_zh": exc.message_zh, "reason_en": exc.message_en}
            continue
        figures = enterprise_figures(org.pk) if figures is None else figures
        data = {
            "paid_in_capital": ent.paid_in_capital,
            "employees": figures["employees"]["value"],
            "size_class": ent.get_size_class_display() if ent.size_class else "",
            "size_standard": ent.size_standard,
            "legal_rep_id_masked": ent.masked_id_number,
            "contact_phone": org.contact_phone,
            "tags": [t.name for t in ent.tags.all()],
            "revenue": _money(figures["revenue"]["value"]),
            "total_assets": _money(figures["total_assets"]["value"]),
        }
        fields = SCOPE_FIELDS[scope]
        sections[scope] = {
            "allowed": True,
            "grant_id": grant.pk if grant else None,
            "data": {k: data[k] for k in fields},
            "figures": {k: figures[k] for k in fields if k in figures},
        }
    return {"public": public, "sections": sections, "organization": org}


def grants_for(actor, *, enterprise: Organization | None = None) -> QuerySet[Grant]:
    """Grants an enterprise gave, or grants an institution received."""
    p = as_principal(actor)
    qs = Grant.objects.select_related("enterprise", "grantee", "granted_by")
    if p.is_admin:
        return qs.filter(enterprise=enterprise) if enterprise else qs
    if p.role == Role.ENTERPRISE:
        return qs.filter(enterprise_id=p.org_id)
    if p.role == Role.INSTITUTION:
        return qs.filter(grantee_id=p.org_id)
    return qs.none()


def access_records_for(actor) -> QuerySet[AccessRecord]:
    """Who read the enterprise's data (for the enterprise) or what this institution read."""
    p = as_principal(actor)
    qs = AccessRecord.objects.select_related("accessor_org", "accessor_user", "enterprise", "grant")
    if p.is_admin:
        return qs
    if p.role == Role.ENTERPRISE:
        return qs.filter(enterprise_id=p.org_id)
    if p.org_id:
        return qs.filter(accessor_org_id=p.org_id)
    return qs.none()


def api_keys_for(actor) -> QuerySet[ApiKey]:
    p = as_principal(actor)
    if p.is_admin:
        return ApiKey.objects.select_related("organization")
    if p.role == Role.INSTITUTION and p.api_key is None:
        return ApiKey.objects.filter(organization_id=p.org_id)
    return ApiKey.objects.none()


def security_events_for(actor, *, kind: str | None = None) -> QuerySet[SecurityEvent]:
    p = as_principal(actor)
    if not p.is_admin:
        return SecurityEvent.objects.none()
    qs = SecurityEvent.objects.select_related("user")
    return qs.filter(kind=kind) if kind else qs


def change_log_for(actor):
    """Record changes (who, when, before/after) from django-auditlog; admin only."""
    from auditlog.models import LogEntry

    p = as_principal(actor)
    if not p.is_admin:
        return LogEntry.objects.none()
    return LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")


def enterprise_overview(actor) -> dict:
    """Aggregates for the government and regulator homes: enterprises in the jurisdiction by size class,
    industry section and division; institutions by type. Aggregates only, no single firm's private data."""
    from django.db.models import Count

    from .models import EnterpriseProfile, Industry, InstitutionProfile

    p = as_principal(actor)
    if not (p.is_admin or p.role in (Role.GOVERNMENT, Role.REGULATOR)):
        return {}
    ents = EnterpriseProfile.objects.all()
    ents = ents.filter(p.jurisdiction.q("organization__division", "organization__zone"))
    by_size = dict(ents.values_list("size_class").annotate(n=Count("pk")))
    sections = dict(Industry.objects.filter(level=Industry.Level.SECTION).values_list("code", "name"))
    by_section = sorted(
        ((sections.get(s, s), n) for s, n in ents.values_list("industry__section").annotate(n=Count("pk"))),
        key=lambda x: -x[1],
    )
    by_division = list(
        ents.values_list("organization__division__name").annotate(n=Count("pk")).order_by("-n")[:40]
    )
    inst = dict(InstitutionProfile.objects.values_list("institution_type").annotate(n=Count("pk")))
    return {
        "total": ents.count(),
        "synthetic": ents.filter(organization__is_synthetic=True).count(),
        "by_size": [(label, by_size.get(value, 0)) for value, label in EnterpriseProfile.SizeClass.choices],
        "by_section": by_section,
        "by_division": by_division,
        "institutions": [(label, inst.get(value, 0)) for value, label in InstitutionProfile.Type.choices],
    }


# ---------------------------------------------------------------------------
# Facts with provenance: one figure per fact, the same on every page (docs/features.md)
# ---------------------------------------------------------------------------

FIGURE_LABELS = {
    "revenue": ("营业收入", "万元"),
    "employees": ("从业人员", "人"),
    "total_assets": ("资产总额", "万元"),
}


def certified_enterprises(tag_code: str, on=None) -> set[int]:
    """Enterprises holding a live certification of this tag (rules never remove those tags)."""
    from .models import TagCertification

    on = on or timezone.localdate()
    return set(
        TagCertification.objects.filter(tag__code=tag_code, revoked_at__isnull=True, valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .values_list("enterprise_id", flat=True)
    )


def enterprise_figures(org_id: int, row: dict | None = None) -> dict:
    """Revenue, employees and total assets as rules read them (verified, with source and date) and,
    beside them, what the enterprise declared itself (自报, never read by a rule). No permission check:
    callers check the scope first (basic / financials)."""
    from . import featureregistry
    from .features import feature_row
    from .models import DeclaredFact

    row = feature_row(org_id) if row is None else row
    declared = {d.fact: d for d in DeclaredFact.objects.filter(enterprise_id=org_id)}
    out = {}
    for fact, (label, unit) in FIGURE_LABELS.items():
        source, as_of = row.get(f"{fact}_source"), row.get(f"{fact}_as_of")
        d = declared.get(fact)
        out[fact] = {
            "label": label,
            "unit": unit,
            "value": row.get(fact),
            "source": source,
            "as_of": as_of,
            "source_label": featureregistry.source_label(source, as_of),
            "declared": {"value": d.value, "as_of": d.as_of} if d is not None else None,
        }
    return out

"""Pages: parse, call a selector or service, render. No business rules here."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import export_tables, exports, modules, selectors, services
from .apikeys import issue_key, revoke_key
from .errors import JinfuError
from .forms import ApiKeyForm, GrantForm, TagCertificationForm
from .models import Organization, ReferenceDataset, Role
from .principal import as_principal
from .selectors_calendar import missing_next_year
from .web import page


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")


def healthz(request):
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        db = "ok"
    except Exception as exc:  # the probe reports the failure instead of raising
        db = f"error: {exc.__class__.__name__}"
    status = 200 if db == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "degraded", "database": db, "vendor": connection.vendor},
        status=status,
    )


def _page(request, qs, per_page=25):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _error(request, exc: JinfuError):
    """Show a bilingual error in the reader's language first, the other one after it."""
    if (get_language() or "").startswith("en"):
        messages.error(request, f"{exc.message_en} ({exc.message_zh})")
    else:
        messages.error(request, f"{exc.message_zh}（{exc.message_en}）")


@page
def home(request):
    p = as_principal(request.user)
    ctx: dict = {"principal": p}
    if p.is_admin:
        template = "core/home_admin.html"
        ctx["datasets"] = ReferenceDataset.objects.order_by("key", "-loaded_at")
        ctx["events"] = selectors.security_events_for(request.user)[:10]
        ctx["counts"] = {k.label: Organization.objects.filter(kind=k).count() for k in Organization.Kind}
        ctx["overview"] = selectors.enterprise_overview(request.user)
        ctx["calendar_missing"] = missing_next_year()
    elif p.role == Role.ENTERPRISE:
        template = "core/home_enterprise.html"
        if p.organization is not None:
            ctx["view"] = selectors.enterprise_view(request.user, p.org_id)
        ctx["grants"] = selectors.grants_for(request.user)[:5]
        ctx["reads"] = selectors.access_records_for(request.user)[:8]
    elif p.role == Role.INSTITUTION:
        template = "core/home_institution.html"
        ctx["grants"] = [g for g in selectors.grants_for(request.user)[:50] if g.is_live()][:10]
        ctx["reads"] = selectors.access_records_for(request.user)[:8]
        ctx["keys"] = selectors.api_keys_for(request.user)
    elif p.role in (Role.GOVERNMENT, Role.REGULATOR):
        template = "core/home_government.html" if p.role == Role.GOVERNMENT else "core/home_regulator.html"
        ctx["overview"] = selectors.enterprise_overview(request.user)
        if p.role == Role.REGULATOR:
            local_types = ["microloan", "guarantee", "factoring", "leasing"]
            ctx["local_orgs"] = (
                selectors.visible_organizations(request.user, kind=Organization.Kind.INSTITUTION)
                .filter(institution__institution_type__in=local_types)
                .select_related("institution")[:20]
            )
    elif p.role in (Role.SECTOR, Role.STREET):
        # 行业主管部门 / 街镇 offices: their jurisdiction and the work modules give them (the menu)
        template = "core/home_office.html"
        ctx["menu"] = modules.menu_for(p.role)
    else:
        return HttpResponseForbidden("unknown role")
    return render(request, template, ctx)


@page
def org_list(request):
    kind = request.GET.get("kind") or None
    q = request.GET.get("q") or None
    qs = selectors.visible_organizations(request.user, kind=kind, q=q).select_related("enterprise__industry")
    if exports.requested(request):
        return exports.respond(request, export_tables.ORGANIZATIONS, qs)
    page = _page(request, qs)
    return render(
        request,
        "core/org_list.html",
        {
            "page": page,
            "kind": kind or "",
            "q": q or "",
            "kinds": Organization.Kind.choices,
            "has_synthetic": any(o.is_synthetic for o in page),
            "can_register": services.can_register_enterprise(request.user),
        },
    )


@page
def org_detail(request, pk: int):
    try:
        org = selectors.get_organization(request.user, pk)
        view = (
            selectors.enterprise_view(request.user, pk) if org.kind == Organization.Kind.ENTERPRISE else None
        )
    except JinfuError as exc:
        _error(request, exc)
        return redirect("org-list")
    p = as_principal(request.user)
    can_edit = p.is_admin or (p.role == Role.ENTERPRISE and p.org_id == org.pk)
    can_certify = view is not None and services.can_certify_tags(request.user)
    links = [
        (reverse(link.url_name, args=[org.pk]), link.label, link.data_link)
        for link in modules.org_links(
            role="admin" if p.is_admin else p.role, own=p.org_id == org.pk, kind=org.kind
        )
    ]
    return render(
        request,
        "core/org_detail.html",
        {"org": org, "view": view, "can_edit": can_edit, "can_certify": can_certify, "links": links},
    )


@page
def tag_certifications(request, pk: int):
    """A department or the operator certifies a tag (with evidence) or revokes a certification."""
    if not services.can_certify_tags(request.user):
        return HttpResponseForbidden("只有政府部门和平台管理员可以认定企业标签 / government and admins only")
    try:
        org = selectors.get_organization(request.user, pk)
    except JinfuError as exc:
        _error(request, exc)
        return redirect("org-list")
    form = TagCertificationForm(request.POST or None, initial={"valid_from": timezone.localdate()})
    if request.method == "POST":
        try:
            revoke = request.POST.get("revoke", "")
            if revoke:
                if not revoke.isdigit():
                    return HttpResponseForbidden("无效的认定记录 / invalid certification")
                services.revoke_certification(request.user, int(revoke))
                messages.success(request, _("已撤销认定"))
                return redirect("tag-certifications", org.pk)
            if form.is_valid():
                d = form.cleaned_data
                services.certify_tag(
                    request.user,
                    org.pk,
                    tag_code=d["tag"],
                    evidence=d["evidence"],
                    evidence_ref=d["evidence_ref"],
                    valid_from=d["valid_from"],
                    valid_until=d["valid_until"],
                )
                messages.success(request, _("标签认定已保存"))
                return redirect("tag-certifications", org.pk)
        except JinfuError as exc:
            _error(request, exc)
    certs = org.tag_certifications.select_related("tag", "certified_by", "certifier_org")
    return render(
        request,
        "core/tag_certifications.html",
        {"org": org, "form": form, "certs": certs, "today": timezone.localdate()},
        status=422 if request.method == "POST" and form.errors else 200,
    )


@page
def consent(request):
    p = as_principal(request.user)
    if p.role != Role.ENTERPRISE:
        return HttpResponseForbidden("只有企业用户可以管理授权 / enterprise users only")
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_access(
                request.user,
                grantee=form.cleaned_data["grantee"],
                scopes=form.cleaned_data["scopes"],
                purpose=form.cleaned_data["purpose"],
                purpose_note=form.cleaned_data["purpose_note"],
                expires_at=form.expires_at(),
            )
        except JinfuError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("授权已生效"))
            return redirect("consent")
    return render(
        request,
        "core/consent.html",
        {
            "form": form,
            "grants": selectors.grants_for(request.user),
            "reads": _page(request, selectors.access_records_for(request.user), 20),
        },
    )


@page
@require_POST
def consent_revoke(request, pk: int):
    try:
        services.revoke_grant(request.user, pk)
        messages.success(request, _("授权已撤销，机构将无法再读取相关数据"))
    except JinfuError as exc:
        _error(request, exc)
    return redirect("consent")


@page
def access_log(request):
    return render(
        request,
        "core/access_log.html",
        {"page": _page(request, selectors.access_records_for(request.user), 30)},
    )


@page
def api_keys(request):
    p = as_principal(request.user)
    if not (p.is_admin or p.role == Role.INSTITUTION):
        return HttpResponseForbidden("只有金融机构可以管理 API 密钥 / institutions only")
    form = ApiKeyForm(request.POST or None)
    plaintext = None
    if request.method == "POST" and form.is_valid() and p.organization is not None:
        _, plaintext = issue_key(
            organization=p.organization,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            created_by=request.user,
            expires_at=timezone.now() + dt.timedelta(days=form.cleaned_data["days"]),
        )
        form = ApiKeyForm()
    return render(
        request,
        "core/api_keys.html",
        {"form": form, "keys": selectors.api_keys_for(request.user), "plaintext": plaintext},
    )


@page
@require_POST
def api_key_revoke(request, pk: int):
    key = selectors.api_keys_for(request.user).filter(pk=pk).first()
    if key is None:
        return HttpResponseForbidden("无权操作 / not allowed")
    revoke_key(key, by=request.user)
    messages.success(request, _("密钥已撤销"))
    return redirect("api-keys")


@page
def audit(request):
    p = as_principal(request.user)
    if not p.is_admin:
        return HttpResponseForbidden("只有平台管理员可以查看审计日志 / admin only")
    tab = request.GET.get("tab", "security")
    if exports.requested(request):
        if tab == "changes":
            return exports.respond(request, export_tables.CHANGES, selectors.change_log_for(request.user))
        events = selectors.security_events_for(request.user, kind=request.GET.get("kind") or None)
        return exports.respond(request, export_tables.SECURITY_EVENTS, events)
    if tab == "changes":
        page = _page(request, selectors.change_log_for(request.user), 30)
        for entry in page:
            # a list of pairs: a changed field called "items" must not shadow dict.items in the template
            entry.change_rows = sorted(entry.changes_dict.items())
    else:
        page = _page(
            request, selectors.security_events_for(request.user, kind=request.GET.get("kind") or None), 30
        )
    return render(request, "core/audit.html", {"tab": tab, "page": page})


def _field_message(problem: dict) -> tuple[str, str]:
    """A form has one record: drop the import engine's "第 2 行「uscc」：" / "row 2, column 'uscc': "
    location, the message is shown next to its field already."""
    zh, en = problem["message_zh"], problem["message_en"]
    row, column = problem.get("row"), problem.get("column") or ""
    if row:
        zh = zh.removeprefix(f"第 {row} 行「{column}」：")
        en = en.removeprefix(f"row {row}, column '{column}': ")
    return zh, en


def _enterprise_form_context(
    values: dict, problems: list[dict], *, editing: bool, self_edit: bool = False
) -> dict:
    """``self_edit``: the enterprise edits itself; its tags are shown, not editable (they come from
    certifications and rules), and its figures are saved as self-declared (自报)."""
    from .imports.organizations import ENTERPRISE_COLUMNS
    from .models import Division, Industry, Zone

    by_field: dict[str, list[str]] = {}
    for pr in problems:
        zh, en = _field_message(pr)  # the page speaks the reader's language; the API keeps both
        by_field.setdefault(pr.get("field") or "", []).append(
            en if (get_language() or "").startswith("en") else zh
        )
    columns = [
        {
            "field": c.field,
            "label": c.label_zh,
            "label_en": c.label_en,
            "type": c.type,
            "required": c.required,
            "example": c.example,
            "value": values.get(c.field, ""),
            "errors": by_field.get(c.field, []),
            "locked": editing and c.field == "uscc",
            "display_only": self_edit and c.field == "tags",
            "declared": self_edit and c.field in services.SELF_DECLARED_FIGURES,
        }
        for c in ENTERPRISE_COLUMNS
    ]
    return {
        "columns": columns,
        "general_errors": by_field.get("", []),
        "divisions": Division.objects.filter(level=Division.Level.COUNTY).order_by("code"),
        "zones": Zone.objects.order_by("code"),
        "industries": Industry.objects.filter(level=Industry.Level.CLASS).order_by("code"),
        "editing": editing,
        "self_edit": self_edit,
    }


def _values_of(org: Organization) -> dict:
    ent = getattr(org, "enterprise", None)
    values = {
        "uscc": org.uscc or "",
        "name": org.name,
        "division": org.division_id or "",
        "zone": org.zone_id or "",
        "address": org.address,
        "contact_phone": org.contact_phone,
    }
    if ent is not None:
        values |= {
            "legal_representative": ent.legal_representative,
            "legal_rep_id_number": ent.legal_rep_id_number,
            "registered_capital": ent.registered_capital,
            "paid_in_capital": ent.paid_in_capital or "",
            "established_on": ent.established_on.isoformat(),
            "industry": ent.industry_id,
            "employees": ent.employees if ent.employees is not None else "",
            "revenue": ent.revenue if ent.revenue is not None else "",
            "total_assets": ent.total_assets if ent.total_assets is not None else "",
            "tags": ",".join(t.code for t in ent.tags.all()),
        }
    return values


@page
def enterprise_form(request, pk: int | None = None):
    """Register an enterprise (admin, government) or edit one (the enterprise itself, admin)."""
    from .imports.organizations import ENTERPRISE_COLUMNS

    org = None
    if pk is not None:
        try:
            org = selectors.get_organization(request.user, pk)
        except JinfuError as exc:
            _error(request, exc)
            return redirect("org-list")
        if not services.can_edit_enterprise(request.user, org):
            return HttpResponseForbidden(
                "只有企业本身和平台管理员可以修改企业信息 / the enterprise itself and admins only"
            )
    elif not services.can_register_enterprise(request.user):
        return HttpResponseForbidden("只有平台管理员和政府用户可以登记企业 / admins and government only")
    p = as_principal(request.user)
    self_edit = org is not None and p.role == Role.ENTERPRISE and p.org_id == org.pk
    problems: list[dict] = []
    if request.method == "POST":
        values = {c.field: request.POST.get(c.field, "").strip() for c in ENTERPRISE_COLUMNS}
        try:
            saved = services.save_enterprise(request.user, values, organization=org)
        except JinfuError as exc:
            problems = getattr(exc, "problems", None) or [
                {"field": exc.field, "message_zh": exc.message_zh, "message_en": exc.message_en}
            ]
            if exc.status == 403:
                return HttpResponseForbidden(f"{exc.message_zh} / {exc.message_en}")
        else:
            messages.success(request, _("企业信息已保存"))
            return redirect("org-detail", saved.pk)
    else:
        values = _values_of(org) if org is not None else {}
        if self_edit:
            values |= {d.fact: d.value for d in org.declared_facts.all()}
    ctx = _enterprise_form_context(values, problems, editing=org is not None, self_edit=self_edit)
    ctx["org"] = org
    return render(request, "core/enterprise_form.html", ctx, status=422 if problems else 200)


@page
def notifications(request):
    from .models import Notification

    qs = Notification.objects.filter(recipient=request.user)
    if request.method == "POST":
        qs.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("notifications")
    return render(request, "core/notifications.html", {"page": _page(request, qs, 30)})


@page
@require_POST
def tour_dismiss(request):
    """Close the first-login tour for good (the help centre reopens it): 204 for the script, a redirect back
    for a plain form post."""
    services.dismiss_tour(request.user)
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)

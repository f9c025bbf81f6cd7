"""Listing pages: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jinfu.core import exports
from jinfu.core.errors import JinfuError
from jinfu.core.models import Organization, Role
from jinfu.core.principal import as_principal
from jinfu.core.views import _error
from jinfu.core.web import page

from . import engine, selectors, services
from . import exports as export_tables
from .models import FinancialStatement, ListingProfile, ReserveEntry, Stage, Tier


def _p(request):
    return as_principal(request.user)


def _target(request, pk):
    """The enterprise a page is about: the enterprise user's own, or ``pk`` for everyone else."""
    p = _p(request)
    if p.role == Role.ENTERPRISE:
        return p.org_id
    if pk is None:
        raise Http404(_("请选择企业"))
    return pk


@page
def readiness(request, pk: int | None = None):
    p = _p(request)
    if p.role != Role.ENTERPRISE and pk is None:
        pk = request.GET.get("enterprise")
        if not pk:
            return redirect("listing:reserve")
    data = selectors.readiness(request.user, int(_target(request, pk)))
    return render(request, "listing/readiness.html", data)


@page
def financials(request):
    p = _p(request)
    if p.role != Role.ENTERPRISE:
        return HttpResponseForbidden("只有企业用户填报本企业财务报表 / enterprises only")
    errors, form = {}, {}
    if request.method == "POST":
        kind = request.POST.get("form")
        try:
            if kind == "profile":
                services.save_profile(request.user, request.POST.dict())
                messages.success(request, _("上市培育档案已保存"))
            elif kind == "delete":
                services.delete_statement(request.user, int(request.POST.get("pk", 0)))
                messages.success(request, _("报表已删除"))
            else:
                fs = services.save_statement(request.user, request.POST.dict())
                messages.success(request, _("%(year)s 年度报表已保存") % {"year": fs.year})
            return redirect("listing:financials")
        except JinfuError as exc:
            if exc.status == 403:
                raise
            errors[exc.field or "general"] = f"{exc.message_zh}（{exc.message_en}）"
            _error(request, exc)
            form = request.POST
    return render(
        request,
        "listing/financials.html",
        {
            "statements": selectors.statements(request.user, p.org_id),
            "profile": selectors.profile_of(p.organization),
            "errors": errors,
            "form": form,
            "sources": [
                c for c in FinancialStatement.Source.choices if c[0] != FinancialStatement.Source.SYNTHETIC
            ],
            "tiers_neeq": ListingProfile.NeeqTier.choices,
            "boards": ListingProfile.Board.choices,
        },
        status=422 if errors else 200,
    )


@page
def milestones(request, pk: int | None = None):
    org_pk = int(_target(request, pk or request.GET.get("enterprise")))
    errors = {}
    if request.method == "POST":
        try:
            services.record_milestone(
                request.user,
                org_pk,
                request.POST.get("stage", ""),
                request.POST.get("date", ""),
                document=request.FILES.get("document"),
                board=request.POST.get("board", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("上市进程节点已登记"))
            return redirect(
                request.path
                + (f"?enterprise={org_pk}" if pk is None and _p(request).role != Role.ENTERPRISE else "")
            )
        except JinfuError as exc:
            if exc.status == 403:
                raise
            errors[exc.field or "general"] = f"{exc.message_zh}（{exc.message_en}）"
            _error(request, exc)
    rows = list(selectors.milestones(request.user, org_pk))
    done = {m.stage for m in rows}
    return render(
        request,
        "listing/milestones.html",
        {
            "enterprise": Organization.objects.get(pk=org_pk),
            "milestones": rows,
            "stages": [(v, label, v in done) for v, label in Stage.choices],
            "next_stage": next((v for v in Stage.values if v not in done), None),
            "boards": ListingProfile.Board.choices,
            "errors": errors,
            "post": request.POST,
            "policies": selectors.listing_policies(request.user),
        },
        status=422 if errors else 200,
    )


@page
def reserve(request):
    p = _p(request)
    if not (p.is_admin or selectors.is_government(p)):
        return HttpResponseForbidden("只有政府用户可以办理储备库 / government only")
    g = request.GET
    flagged = True if g.get("flagged") == "1" else None
    entries = selectors.reserve_entries(
        request.user, tier=g.get("tier") or None, status=g.get("status") or None, flagged=flagged
    )
    if exports.requested(request):
        return exports.respond(request, export_tables.RESERVE, entries)
    by_tier = [(value, label, [e for e in entries if e.tier == value]) for value, label in Tier.choices]
    candidates = []
    q = (g.get("q") or "").strip()
    if q:
        candidates = list(
            selectors.enterprises_in_scope(request.user).filter(name__icontains=q).order_by("name")[:20]
        ) + list(selectors.enterprises_in_scope(request.user).filter(uscc__iexact=q.upper())[:1])
    return render(
        request,
        "listing/reserve.html",
        {
            "by_tier": by_tier,
            "tiers": Tier.choices,
            "statuses": ReserveEntry.Status.choices,
            "g": g,
            "candidates": candidates,
            "is_city": selectors.is_city_office(p) or p.is_admin,
            "criteria": engine.criteria_in_force(),
            "synthetic": any(e.is_synthetic for e in entries),
        },
    )


@page
@require_POST
def nominate(request):
    try:
        entry = services.nominate(
            request.user,
            int(request.POST.get("enterprise", 0)),
            request.POST.get("tier", ""),
            request.POST.get("reason", ""),
        )
        messages.success(request, _("已提名 %(name)s，待审核") % {"name": entry.enterprise.name})
    except JinfuError as exc:
        if exc.status == 403:
            raise
        _error(request, exc)
    return redirect("listing:reserve")


@page
@require_POST
def decide(request, pk: int):
    try:
        services.decide(request.user, pk, request.POST.get("action", ""), request.POST.get("note", ""))
        messages.success(request, _("已办理"))
    except JinfuError as exc:
        if exc.status == 403:
            raise
        _error(request, exc)
    return redirect(request.POST.get("next") or reverse("listing:reserve"))


@page
@require_POST
def reevaluate(request):
    p = _p(request)
    if not (p.is_admin or selectors.is_city_office(p)):
        return HttpResponseForbidden("复核由市级金融管理部门或平台发起 / city office or operator only")
    r = services.reevaluate_reserve(actor=request.user)
    messages.success(
        request,
        _(
            "复核完成：检查 %(checked)s 家，新增预警 %(flagged)s 家，解除预警 %(cleared)s 家（标准版本 %(version)s）"
        )
        % r,
    )
    return redirect("listing:reserve")


@page
def entry_detail(request, pk: int):
    entry = selectors.get_entry(request.user, pk)
    return render(
        request, "listing/entry.html", {"entry": entry, "events": entry.events.select_related("actor")}
    )


@page
def funnel(request):
    data = selectors.funnel(request.user)
    chart = {
        "tiers": [{"name": t["label"], "value": t["approved"]} for t in data["tiers"]],
        "stages": [{"name": s["label"], "value": s["count"]} for s in data["stages"]],
    }
    return render(request, "listing/funnel.html", {"f": data, "chart": chart})


@page
def standards(request):
    rb = engine.load_rulebook()
    return render(
        request,
        "listing/standards.html",
        {"boards": [(b, rb.versions[b]) for b in rb.boards], "criteria": engine.load_criteria()},
    )

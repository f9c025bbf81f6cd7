"""Financing pages: parse, call a selector or service, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jinfu.core import exports, workflow
from jinfu.core.errors import Forbidden, JinfuError, TooManyRequests, ValidationFailed
from jinfu.core.features import enterprise_features
from jinfu.core.models import Role
from jinfu.core.principal import as_principal
from jinfu.core.views import _error
from jinfu.core.views_attachments import panel as attachments_panel
from jinfu.core.web import page

from . import contacts, selectors, services
from . import exports as export_tables
from .models import Application, Demand, Product, RoadshowEvent, RoadshowProject

MARKET_PAGE_SIZE = 12
MARKET_CACHED_PAGES = 50  # a market page number beyond this is rendered, not cached


def _role(request):
    return as_principal(request.user).role


@page
def market(request):
    g = request.GET
    sort = selectors.market_sort(g.get("sort"))
    filters = {k: g.get(k) or None for k in ("category", "subtype", "amount", "term", "q")}
    see_managers = contacts.sees_product_contact(as_principal(request.user), None)

    def grid() -> dict:  # read only when the rendered grid is not cached under market_version
        products = selectors.catalog(request.user, sort=sort, **filters)
        pager = Paginator(products, MARKET_PAGE_SIZE).get_page(g.get("page"))
        eligible = selectors.market_eligibility(request.user, pager.object_list)
        return {
            "page": pager,
            "cards": [(p, eligible.get(p.pk)) for p in pager.object_list],
            "synthetic": any(p.is_synthetic for p in pager.object_list),
        }

    keep = {k: g.get(k, "") for k in ("q", "category", "subtype", "amount", "term")} | {"sort": sort}
    parts = (sorted(filters.items()), sort, g.get("page"), see_managers)
    bounded = _market_cacheable(filters, g.get("page") or "1")
    return render(
        request,
        "financing/market.html",
        {
            "grid": SimpleLazyObject(grid),
            "market_version": selectors.market_version(request.user, parts) if bounded else None,
            "categories": Product.Category.choices,
            "subtypes": Product.SUBTYPES,
            "sorts": [(k, label) for k, (label, _order) in selectors.MARKET_SORTS.items()],
            "sort": sort,
            "g": g,
            "qs": urlencode(keep) + "&",
            "see_managers": see_managers,
        },
    )


def _market_cacheable(filters: dict, page: str) -> bool:
    """Whether the market grid of these filters is cached: only the bounded variants (a category, a type, a
    page number up to MARKET_CACHED_PAGES); a search text or an amount is rendered each time, so that
    nobody can fill the cache with made-up filters."""
    return (
        not (filters["q"] or filters["amount"] or filters["term"])
        and filters["category"] in {None, *Product.Category.values}
        and filters["subtype"] in {None, *(k for k, _label in Product.SUBTYPES)}
        and page.isdigit()
        and int(page) <= MARKET_CACHED_PAGES
    )


@page
def product_detail(request, pk: int):
    product = selectors.get_product(request.user, pk)
    explanation = None
    if _role(request) == Role.ENTERPRISE:
        from . import rulebook

        rows = enterprise_features([request.user.organization_id]).to_dicts()
        rule = rulebook.compiled(product.eligibility_rule or "")
        if rule is not None and rows:
            explanation = {"passes": rule.passes(rows[0]), "clauses": rule.explain(rows[0])}
        else:
            explanation = {"passes": True, "clauses": []}
    return render(
        request,
        "financing/product.html",
        {
            "product": product,
            "manager_visible": contacts.sees_product_contact(as_principal(request.user), product),
            "explanation": explanation,
            "collateral": dict(Product.COLLATERAL),
            "support": dict(Product.POLICY_SUPPORT),
        },
    )


@page
def match(request):
    data = selectors.matches_for(request.user, category=request.GET.get("category") or None)
    return render(request, "financing/match.html", data | {"categories": Product.Category.choices})


@page
def apply(request, pk: int):
    product = selectors.get_product(request.user, pk)
    if _role(request) != Role.ENTERPRISE:
        return HttpResponseForbidden("只有企业用户可以申请融资 / enterprises only")
    demands = selectors.own_demands(request.user).filter(status__in=["open", "claimed"])
    errors = {}
    if request.method == "POST":
        if request.POST.get("consent") != "yes":
            errors["consent"] = _("申请须授权该机构查看您的基本信息、财务数据和信用评分")
        else:
            try:
                app = services.apply(
                    request.user,
                    product_id=product.pk,
                    amount=request.POST.get("amount"),
                    term_months=request.POST.get("term_months"),
                    purpose=request.POST.get("purpose", ""),
                    demand_id=request.POST.get("demand") or None,
                )
            except JinfuError as exc:
                if exc.status == 403:
                    raise
                errors[exc.field or "general"] = f"{exc.message_zh}（{exc.message_en}）"
            else:
                messages.success(request, _("申请已提交，机构将在 3 个工作日内受理"))
                return redirect("financing:application", pk=app.pk)
    return render(
        request,
        "financing/apply.html",
        {"product": product, "demands": demands, "errors": errors, "post": request.POST},
        status=422 if errors else 200,
    )


@page
def applications(request):
    role = _role(request)
    if role in (Role.GOVERNMENT, Role.REGULATOR, Role.SECTOR, Role.STREET):  # parties only; offices: kpis
        return HttpResponseForbidden("融资申请仅由申请企业和受理机构查看 / applicant and institution only")
    if role == Role.INSTITUTION:
        rows = selectors.queue(request.user)
        done = selectors.applications_for(request.user).filter(
            status__in=["disbursed", "rejected", "withdrawn"]
        )[:50]
        if exports.requested(request):
            return exports.respond(request, export_tables.QUEUE, rows + [{"app": a} for a in done])
        return render(request, "financing/queue.html", {"rows": rows, "done": done})
    return render(request, "financing/applications.html", {"apps": selectors.applications_for(request.user)})


@page
def application_detail(request, pk: int):
    app = selectors.get_application(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            services.transition(
                request.user,
                app.pk,
                action,
                expected_version=request.POST.get("lock_version") or app.lock_version,
                reason_code=request.POST.get("reason_code"),
                note=request.POST.get("note", ""),
                approved_amount=request.POST.get("approved_amount") or None,
                rate=request.POST.get("rate"),
                approved_term=request.POST.get("approved_term") or None,
                disbursed_on=request.POST.get("disbursed_on") or None,
            )
        except JinfuError as exc:
            if exc.status == 403:
                raise
            _error(request, exc)
        else:
            messages.success(request, _("已办理"))
        return redirect("financing:application", pk=app.pk)
    p = as_principal(request.user)
    return render(
        request,
        "financing/application.html",
        {
            "app": app,
            "events": app.events.select_related("actor"),
            "is_institution": p.org_id == app.institution_id,
            "is_enterprise": p.org_id == app.enterprise_id,
            "reasons": Application.REJECT_REASONS,
            "actions": [t.name for t in workflow.allowed(services.APPLICATIONS, app, p)],
            "attachments": attachments_panel(request, "financing.application", app),
        },
    )


DEMANDS_PAGE_SIZE = 20


@page
def demands(request):
    if _role(request) != Role.ENTERPRISE:
        return HttpResponseForbidden("只有企业可以发布融资需求 / enterprises only")
    errors = {}
    if request.method == "POST":
        try:
            services.create_demand(
                request.user,
                amount=request.POST.get("amount"),
                term_months=request.POST.get("term_months"),
                purpose=request.POST.get("purpose", ""),
                collateral_offered=request.POST.getlist("collateral_offered"),
                urgency=request.POST.get("urgency", "normal"),
                visible_fields=request.POST.getlist("visible_fields"),
                contact_name=request.POST.get("contact_name", ""),
                contact_phone=request.POST.get("contact_phone", ""),
            )
        except JinfuError as exc:
            if exc.status == 403:
                raise
            errors[exc.field or "general"] = f"{exc.message_zh}（{exc.message_en}）"
        else:
            messages.success(request, _("融资需求已发布到揭榜大厅"))
            return redirect("financing:demands")
    pager = Paginator(selectors.own_demands(request.user), DEMANDS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "financing/demands.html",
        {
            "demands": pager,
            "page": pager,
            "qs": "",
            "errors": errors,
            "post": request.POST,
            "collateral": Product.COLLATERAL,
            "urgencies": Demand.Urgency.choices,
            "visible": Demand.VISIBLE_FIELDS,
        },
        status=422 if errors else 200,
    )


@page
def hall(request):
    if exports.requested(request):
        return exports.respond(request, export_tables.HALL, selectors.demand_hall(request.user))
    pager = Paginator(selectors.hall_demands(request.user), selectors.HALL_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors.hall_rows(request.user, pager.object_list)
    return render(request, "financing/hall.html", {"rows": rows, "page": pager, "qs": ""})


@page
@require_POST
def claim(request, pk: int):
    try:
        services.claim_demand(request.user, pk)
    except JinfuError as exc:
        if exc.status == 403:
            raise
        _error(request, exc)
    else:
        messages.success(request, _("揭榜成功，有效期 5 个工作日"))
    return redirect("financing:hall")


@page
def workbench(request):
    if _role(request) != Role.INSTITUTION:
        return HttpResponseForbidden("只有金融机构可以使用工作台 / institutions only")
    return render(
        request,
        "financing/workbench.html",
        {"products": selectors.own_products(request.user), "queue": selectors.queue(request.user)[:10]},
    )


def _product_data(post) -> dict:
    data = {k: post.get(k, "") for k in services.PRODUCT_FIELDS}
    data["collateral"] = post.getlist("collateral")
    data["policy_support"] = post.getlist("policy_support")
    data["preferences"] = {}
    return data


@page
def product_edit(request, pk: int | None = None):
    product = selectors.own_products(request.user).filter(pk=pk).first() if pk else None
    if pk and product is None:
        raise Http404("product")
    if _role(request) != Role.INSTITUTION:
        return HttpResponseForbidden("只有金融机构可以编辑产品 / institutions only")
    error = None
    if request.method == "POST":
        try:
            saved = services.save_product(request.user, _product_data(request.POST), product=product)
            if request.POST.get("publish") == "1" and saved.status != Product.Status.PUBLISHED:
                services.set_product_status(request.user, saved.pk, Product.Status.PUBLISHED)
        except JinfuError as exc:
            if exc.status == 403:
                raise
            error = exc
        else:
            messages.success(request, _("产品已保存"))
            return redirect("financing:workbench")
    values = request.POST if request.method == "POST" else None
    return render(
        request,
        "financing/product_edit.html",
        {
            "product": product,
            "values": values,
            "error": error,
            "categories": Product.Category.choices,
            "subtypes": Product.SUBTYPES,
            "collateral": Product.COLLATERAL,
            "support": Product.POLICY_SUPPORT,
            "fields": services.rulebook.catalog(),
        },
        status=422 if error else 200,
    )


@page
@require_POST
def product_status(request, pk: int):
    try:
        services.set_product_status(request.user, pk, request.POST.get("status", ""))
    except JinfuError as exc:
        if exc.status == 403:
            raise
        _error(request, exc)
    return redirect("financing:workbench")


@page
@require_POST
def rule_check(request):
    """htmx: validate a rule as the officer types and preview how many enterprises would qualify, as the
    disclosure policy allows (enterprises: 403; too many previews: 429 with the reason)."""
    text = request.POST.get("eligibility_rule", "")
    status = 200
    try:
        ctx = {"ok": True, **services.preview_qualifying(request.user, text)}
    except TooManyRequests as exc:
        ctx, status = {"ok": False, "limited": True, "error": exc}, 429
    except Forbidden:
        raise
    except JinfuError as exc:
        ctx = {"ok": False, "error": exc, "position": getattr(exc, "position", None)}
    return render(request, "financing/_rule_check.html", ctx, status=status)


@page
def kpi_page(request):
    year = request.GET.get("year")
    try:
        data = selectors.kpis(
            request.user,
            year=int(year) if year and year.isdigit() else None,
            division=request.GET.get("division") or None,
        )
    except ValidationFailed as exc:  # an unknown division code in the query string
        return HttpResponseBadRequest(f"{exc.message_zh} / {exc.message_en}")
    chart = {
        "months": [m for m, _ in data["by_month"]],
        "amounts": [round(v["amount"], 2) for _, v in data["by_month"]],
        "counts": [v["n"] for _, v in data["by_month"]],
    }
    return render(request, "financing/kpis.html", {"k": data, "chart": chart})


@page
def funds(request):
    return render(request, "financing/funds.html", {"funds": selectors.funds(request.user)})


@page
def roadshows(request):
    role = _role(request)
    errors = {}
    if request.method == "POST" and role == Role.ENTERPRISE:
        try:
            services.publish_roadshow(
                request.user,
                title=request.POST.get("title", ""),
                summary=request.POST.get("summary", ""),
                stage=request.POST.get("stage", ""),
                amount_sought=request.POST.get("amount_sought"),
            )
        except JinfuError as exc:
            errors[exc.field or "general"] = f"{exc.message_zh}（{exc.message_en}）"
        else:
            messages.success(request, _("路演项目已发布"))
            return redirect("financing:roadshows")
    projects = selectors.roadshows(request.user)
    return render(
        request,
        "financing/roadshows.html",
        {
            "projects": projects,
            "events": selectors.upcoming_events(request.user),
            "stages": RoadshowProject.STAGES,
            "errors": errors,
            "is_enterprise": role == Role.ENTERPRISE,
        },
    )


@page
def roadshow_detail(request, pk: int):
    project = selectors.roadshows(request.user).filter(pk=pk).first()
    if project is None:
        raise Http404("project")
    return render(
        request,
        "financing/roadshow.html",
        {"project": project, "matches": selectors.fund_matches(request.user, project)},
    )


@page
@require_POST
def event_register(request, pk: int):
    event = RoadshowEvent.objects.filter(pk=pk).first()
    if event is None:
        raise Http404("event")
    try:
        services.register_event(request.user, event.pk)
    except JinfuError as exc:
        if exc.status == 403:
            raise
        _error(request, exc)
    else:
        messages.success(request, _("报名成功"))
    return redirect("financing:roadshows")

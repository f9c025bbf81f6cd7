"""Green pages: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jinfu.core import exports
from jinfu.core.errors import JinfuError
from jinfu.core.imports.engine import FileRejected
from jinfu.core.models import Division, Role
from jinfu.core.principal import as_principal
from jinfu.core.views_attachments import panel as attachments_panel
from jinfu.core.web import page

from . import engine, imports, richtext, selectors, services
from . import exports as export_tables
from .models import GreenNotice, GreenProject

FORM_FIELDS = {c.field for c in imports.PROJECT_COLUMNS} - {"catalogue"}


def _output_choices():
    return [(k, v[0], v[1]) for k, v in engine.OUTPUT_KINDS.items()]


MAX_UPLOAD = 5 * 1024 * 1024


def _run_upload(request, run, back: str):
    """The uploaded sheet through ``run(user, data, filename)``: (its result, None); a file refused as a
    whole gives (its problems, None); no file or one over MAX_UPLOAD: a message and (None, back to ``back``)."""
    upload = request.FILES.get("file")
    if upload is None or upload.size > MAX_UPLOAD:
        messages.error(request, _("请选择不超过 5 MB 的 xlsx 或 csv 文件"))
        return None, redirect(back)
    try:
        return run(request.user, upload.read(), upload.name), None
    except FileRejected as exc:
        return {"problems": exc.errors}, None


@page
@require_POST
def import_projects(request):
    """A project sheet (xlsx/csv, the columns of green/imports.py): all rows written, or none and the
    problems listed with their row and column."""
    p = as_principal(request.user)
    if p.role != Role.ENTERPRISE:
        return HttpResponseForbidden("只有企业用户导入绿色项目 / enterprises only")
    result, back = _run_upload(request, services.import_projects, "green:mine")
    if back is not None:
        return back
    if result.get("created"):
        messages.success(request, _("已导入 %(n)s 个项目，并已完成自动识别") % {"n": result["created"]})
        return redirect("green:mine")
    return mine(request, import_problems=result["problems"] or [{"message_zh": _("文件中没有项目")}])


@page
def mine(request, import_problems=None):
    p = as_principal(request.user)
    if p.role != Role.ENTERPRISE:
        return HttpResponseForbidden("只有企业用户提交绿色项目 / enterprises only")
    errors, form = {}, {}
    if import_problems is not None:
        request.method = "GET"  # the import's answer: the page with the problems, nothing else posted
    if request.method == "POST":
        try:
            project = services.submit_project(request.user, request.POST.dict())
            messages.success(request, _("项目已提交，并已按《绿色金融支持项目目录（2025年版）》完成自动识别"))
            return redirect("green:project", pk=project.pk)
        except JinfuError as exc:
            if exc.status == 403:
                raise
            key = exc.field if exc.field in FORM_FIELDS else "general"
            errors[key] = exc.message_zh  # shown next to its field, in Chinese
            form = request.POST
    return render(
        request,
        "green/mine.html",
        {
            "projects": selectors.projects_for(request.user),
            "green_notices": latest_notices(),
            "items": selectors.catalogue_items(),
            "outputs": _output_choices(),
            "grids": engine.GRIDS[1:],
            "errors": errors,
            "form": form,
            "labels": imports.LABELS,
            "import_problems": import_problems or [],
            "columns": imports.PROJECT_COLUMNS,
        },
    )


@page
def project(request, pk: int):
    p = as_principal(request.user)
    obj = selectors.get_project(request.user, pk)
    ident = selectors.latest_identification(obj)
    carbon, carbon_error = None, ""
    try:
        carbon = selectors.project_carbon(obj)
    except engine.GreenInputError as exc:
        carbon_error = exc.message_zh
    loans = [
        {"loan": ln, "figure": selectors.loan_carbon(ln) if carbon else None}
        for ln in selectors.loans_for(p, obj)
    ]
    claimed = any(row["loan"].institution_id == p.org_id for row in loans)
    return render(
        request,
        "green/project.html",
        {
            "project": obj,
            "ident": ident,
            "carbon": carbon,
            "carbon_error": carbon_error,
            "loans": loans,
            "events": obj.events.select_related("actor"),
            "can_decide": p.is_admin and ident is not None and ident.decision == "pending",
            "can_revoke": p.is_admin and ident is not None and ident.decision == "confirmed",
            "can_tier": obj.status == "confirmed"
            and (p.is_admin or (p.role == Role.GOVERNMENT and p.jurisdiction.covers(obj.division_id))),
            "can_claim": p.role == Role.INSTITUTION
            and obj.published
            and obj.status == "confirmed"
            and not claimed,
            "tiers": services.Tier.choices,
            "matched": selectors.matched_products(p, obj),
            "attachments": _project_files(request, obj),
        },
    )


def _project_files(request, obj) -> dict | None:
    """The project's documents for its parties (enterprise, assessor, claiming institution); None for a
    reader who sees the project but not its documents (an institution in the hall, a government office)."""
    try:
        return attachments_panel(request, "green.greenproject", obj)
    except JinfuError:
        return None


def _filter_context(projects, filters: dict) -> dict:
    return {
        "projects": projects,
        "filters": filters,
        "q": filters["q"],
        "item_choices": [(i.code, i.name) for i in selectors.catalogue_items().filter(level=1)],
        "tier_choices": [*services.Tier.choices, ("none", _("未分层"))],
        "status_choices": GreenProject.Status.choices,
        "division_choices": Division.objects.filter(
            pk__in=projects.order_by().values("division_id")
        ).values_list("code", "name"),
    }


def _submit(request, save, ok: str, to: str, *, fields: tuple[str, ...] | None = None):
    """A page's form: on POST ``save(user, data)``, then the message ``ok`` and a redirect to ``to``. Returns
    (the redirect or None, errors by field, the posted data to show again); a refusal (403) is raised, any
    other error is kept for the form under its field (one of ``fields`` when given) or "general"."""
    if request.method != "POST":
        return None, {}, {}
    try:
        save(request.user, request.POST.dict())
    except JinfuError as exc:
        if exc.status == 403:
            raise
        field = exc.field if exc.field and (fields is None or exc.field in fields) else "general"
        return None, {field: exc.message_zh}, request.POST
    messages.success(request, ok)
    return redirect(to), {}, {}


def _post(request, pk: int, call, ok: str):
    try:
        call()
        messages.success(request, ok)
    except JinfuError as exc:
        if exc.status == 403:
            return HttpResponseForbidden(f"{exc.message_zh} / {exc.message_en}")
        messages.error(request, exc.message_zh)
    return redirect("green:project", pk=pk)


@page
@require_POST
def decide(request, pk: int):
    obj = selectors.get_project(request.user, pk)
    ident = selectors.latest_identification(obj)
    confirm = request.POST.get("action") == "confirm"
    return _post(
        request,
        pk,
        lambda: services.decide(
            request.user, ident.pk if ident else 0, confirm=confirm, reason=request.POST.get("reason", "")
        ),
        _("已确认为绿色项目") if confirm else _("已驳回"),
    )


@page
@require_POST
def revoke(request, pk: int):
    obj = selectors.get_project(request.user, pk)
    ident = selectors.latest_identification(obj)
    return _post(
        request,
        pk,
        lambda: services.revoke(
            request.user, ident.pk if ident else 0, reason=request.POST.get("reason", "")
        ),
        _("已撤销绿色认定，并已向放贷机构与金融办发出预警"),
    )


@page
@require_POST
def tier(request, pk: int):
    publish = request.POST.get("publish") == "1"
    return _post(
        request,
        pk,
        lambda: services.set_tier(request.user, pk, request.POST.get("tier", ""), publish=publish),
        _("层级已更新"),
    )


@page
@require_POST
def claim(request, pk: int):
    return _post(request, pk, lambda: services.claim(request.user, pk), _("已认领该项目"))


@page
@require_POST
def loan(request, pk: int):
    row = selectors.loans_for(request.user).filter(pk=pk).first()
    if row is None:
        return HttpResponseForbidden("认领记录不存在 / claim not found")
    return _post(
        request,
        row.project_id,
        lambda: services.record_loan(request.user, pk, amount=request.POST.get("amount", "")),
        _("贷款已登记"),
    )


@page
def hall(request):
    p = as_principal(request.user)
    if p.role != Role.INSTITUTION:
        return HttpResponseForbidden("只有金融机构查看项目大厅 / institutions only")
    done, errors, form = _submit(
        request, services.save_product, _("绿色金融产品已发布"), "green:hall", fields=("name", "rule")
    )
    if done is not None:
        return done
    projects, filters = selectors.filter_projects(selectors.hall_for(request.user), request.GET)
    if exports.requested(request):
        return exports.respond(request, export_tables.HALL, projects)
    return render(
        request,
        "green/hall.html",
        {
            **_filter_context(projects, filters),
            "claimed": selectors.loans_for(request.user),
            "green_notices": latest_notices(),
            "portfolio": selectors.portfolio_carbon(request.user),
            "products": selectors.products_for(request.user).filter(institution_id=p.org_id),
            "errors": errors,
            "form": form,
        },
    )


@page
def overview(request):
    p = as_principal(request.user)
    if not (p.is_admin or p.role == Role.GOVERNMENT):
        return HttpResponseForbidden("只有政府部门与平台管理员查看绿色项目库 / government and operators only")
    projects, filters = selectors.filter_projects(selectors.projects_for(request.user), request.GET)
    if exports.requested(request):
        return exports.respond(request, export_tables.POOL, projects)
    pending = selectors.projects_for(request.user).filter(identifications__decision="pending").distinct()
    return render(
        request,
        "green/overview.html",
        {
            **_filter_context(projects, filters),
            "summary": selectors.pool_summary(request.user),
            "pending": pending,
            "is_admin": p.is_admin,
        },
    )


@page
def catalogues(request):
    return render(request, "green/catalogues.html", {"catalogues": selectors.catalogues()})


# --- institutions' green evaluation -----------------------------------------------------------------


@page
def reports(request):
    """An institution's quarterly green finance figures: the form, the import and what it reported."""
    p = as_principal(request.user)
    if p.role != Role.INSTITUTION:
        return HttpResponseForbidden("只有金融机构报送绿色金融数据 / institutions only")
    done, errors, form = _submit(request, services.save_report, _("已报送"), "green:reports")
    if done is not None:
        return done
    return _reports_page(request, errors=errors, form=form)


def _reports_page(request, *, errors=None, form=None, import_problems=None):
    return render(
        request,
        "green/reports.html",
        {
            "reports": selectors.reports_for(request.user),
            "columns": imports.REPORT_COLUMNS[:-1],
            "fields": [
                (c, (form or {}).get(c.field, ""), (errors or {}).get(c.field))
                for c in imports.REPORT_COLUMNS[:-1]
            ],
            "errors": errors or {},
            "import_problems": import_problems or [],
        },
    )


@page
@require_POST
def import_reports(request):
    p = as_principal(request.user)
    if p.role != Role.INSTITUTION:
        return HttpResponseForbidden("只有金融机构报送绿色金融数据 / institutions only")
    result, back = _run_upload(request, services.import_reports, "green:reports")
    if back is not None:
        return back
    if result.get("written"):
        messages.success(request, _("已导入 %(n)s 个季度的数据") % {"n": result["written"]})
        return redirect("green:reports")
    return _reports_page(request, import_problems=result["problems"] or [{"message_zh": _("文件中没有数据")}])


def _period(request, periods):
    raw = request.GET.get("period", "")
    for year, quarter in periods:
        if raw == f"{year}-{quarter}":
            return year, quarter
    return periods[0] if periods else None


@page
def evaluation(request):
    """The finance office's ranking of the institutions of its jurisdiction, each score with its working."""
    p = as_principal(request.user)
    if not (p.is_admin or p.role == Role.GOVERNMENT):
        return HttpResponseForbidden(
            "只有政府部门与平台管理员查看绿色金融评价 / government and operators only"
        )
    periods = selectors.evaluation_periods(request.user)
    chosen = _period(request, periods)
    return render(
        request,
        "green/evaluation.html",
        {
            "periods": periods,
            "chosen": chosen,
            "results": [
                {
                    "e": e,
                    "report": e.row["report"],
                    "qual": [
                        (key, label, getattr(e.row["report"], key))
                        for key, (label, _w) in engine.QUAL_ITEMS.items()
                    ],
                }
                for e in (selectors.evaluation(request.user, *chosen) if chosen else [])
            ],
        },
    )


@page
@require_POST
def qualitative(request, pk: int):
    report = selectors.reports_for(request.user).filter(pk=pk).first()
    back = redirect("green:evaluation")
    if report is None:
        return HttpResponseForbidden("报送记录不存在或不在本辖区 / report not in your jurisdiction")
    try:
        services.score_qualitative(request.user, pk, request.POST.dict())
        messages.success(request, _("定性评分已保存"))
    except JinfuError as exc:
        if exc.status in (403, 404):
            return HttpResponseForbidden(f"{exc.message_zh} / {exc.message_en}")
        messages.error(request, exc.message_zh)
    back["Location"] += f"?period={report.year}-{report.quarter}"
    return back


# ---------------------------------------------------------------------------
# Green home, news and notices (绿色资讯 / 通知公告)
# ---------------------------------------------------------------------------

NOTICE_FIELDS = ("title", "kind", "source", "body")


def latest_notices(limit: int = 5):
    """The newest published notices, for the green home and the enterprise's and institution's pages."""
    return selectors.published_notices()[:limit]


@page
def home(request):
    """绿色金融 for every signed-in user: the latest news and notices and the institutions' products on
    offer (the showcase: name, institution and terms; the eligibility rule is on the product API, public like every product's)."""
    return render(
        request,
        "green/home.html",
        {
            "notices": latest_notices(8),
            "products": selectors.products_for(request.user).filter(active=True),
        },
    )


def _notice_form(request, pk: int | None = None):
    """Save a draft from the posted form: (notice, {}) or (None, errors next to their fields)."""
    try:
        return services.save_notice(request.user, request.POST.dict(), pk), {}
    except JinfuError as exc:
        if exc.status in (403, 404):
            raise
        return None, {exc.field if exc.field in NOTICE_FIELDS else "general": exc.message_zh}


@page
def notices(request):
    """Published news and notices for every signed-in user; a finance office (and the operator) also
    writes drafts here and sees its own notices in every status (exported to Excel like other office
    tables)."""
    manages = selectors.can_manage_notices(request.user)
    errors, form = {}, {}
    if request.method == "POST":
        if not manages:
            return HttpResponseForbidden("只有金融工作部门或平台运营方发布通知 / finance offices only")
        notice, errors = _notice_form(request)
        if notice is not None:
            messages.success(request, _("草稿已保存，核对后可发布"))
            return redirect("green:notice", pk=notice.pk)
        form = request.POST
    managed = selectors.managed_notices(request.user)
    if exports.requested(request):
        return exports.respond(request, export_tables.NOTICES, managed)
    return render(
        request,
        "green/notices.html",
        {
            "notices": selectors.published_notices(),
            "managed": managed if manages else None,
            "kinds": GreenNotice.Kind.choices,
            "errors": errors,
            "form": form,
        },
    )


@page
def notice(request, pk: int):
    obj = selectors.get_notice(request.user, pk)
    manages = selectors.managed_notices(request.user).filter(pk=obj.pk).exists()
    errors, form = {}, {}
    if request.method == "POST":
        if not manages:
            return HttpResponseForbidden("只有发布单位可以修改通知 / the publishing office only")
        saved, errors = _notice_form(request, obj.pk)
        if saved is not None:
            messages.success(request, _("草稿已保存"))
            return redirect("green:notice", pk=obj.pk)
        form = request.POST
    try:
        files = attachments_panel(request, "green.greennotice", obj)
    except JinfuError:
        files = None
    return render(
        request,
        "green/notice.html",
        {
            "notice": obj,
            "body": richtext.render(obj.body),
            "manages": manages,
            "kinds": GreenNotice.Kind.choices,
            "attachments": files,
            "errors": errors,
            "form": form or {f: getattr(obj, f) for f in NOTICE_FIELDS},
        },
    )


@page
@require_POST
def notice_publish(request, pk: int):
    return _notice_step(request, pk, lambda: services.publish_notice(request.user, pk), _("已发布"))


@page
@require_POST
def notice_withdraw(request, pk: int):
    reason = request.POST.get("reason", "")
    return _notice_step(request, pk, lambda: services.withdraw_notice(request.user, pk, reason), _("已撤回"))


def _notice_step(request, pk: int, call, ok: str):
    try:
        call()
        messages.success(request, ok)
    except JinfuError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message_zh)
    return redirect("green:notice", pk=pk)

"""Brain pages: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jinfu.core import exports
from jinfu.core.errors import Forbidden, JinfuError
from jinfu.core.views import _error
from jinfu.core.web import page

from . import exports as export_tables
from . import reports, selectors, services
from .forms import ActualForm, AssignForm, ProgressForm, UploadForm
from .permissions import can_edit_plan, can_import_actuals, can_view_brain

brain_view = page(guard=can_view_brain, guard_message="金融产业大脑仅对政府用户开放 / government users only")


YEARS = range(2000, 2101)  # the plans' years; another number in the address is a typo: the default year


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or selectors.default_year())
    except ValueError:
        return selectors.default_year()
    return year if year in YEARS else selectors.default_year()


@brain_view
def overview(request):
    year = _year(request)
    context = {
        # computed only when the rendered grid is not cached under this version (the template's cache tag)
        "plans": SimpleLazyObject(lambda: selectors.plans_overview(request.user, year)),
        "overview_version": selectors.plans_overview_version(request.user, year),
        "year": year,
    }
    return render(request, "brain/overview.html", context)


@brain_view
def plan_detail(request, code: str):
    year = _year(request)
    plan = selectors.get_plan(request.user, code)
    overview = selectors.plans_overview(request.user, year, code=plan.code)[0]
    if exports.requested(request):
        return exports.respond(request, export_tables.INDICATORS, overview["rows"])
    return render(request, "brain/plan.html", {"o": overview, "plan": plan, "year": year})


@brain_view
def indicator_detail(request, code: str):
    year = _year(request)
    form = ActualForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.record_actual(
                request.user,
                indicator_code=code,
                year=d["year"],
                value=d["value"],
                unit=d["unit"] or None,
                period_kind=d["period_kind"],
                period=d["period"] or 0,
                source=d["source"],
                note=d["note"],
            )
        except Forbidden:
            raise
        except JinfuError as exc:
            for pr in getattr(exc, "problems", None) or [exc.as_dict()]:
                form.add_error(
                    pr.get("field") if pr.get("field") in form.fields else None,
                    f"{pr['message_zh']}（{pr['message_en']}）",
                )
        else:
            messages.success(request, _("实际值已保存"))
            return redirect("brain:indicator", code=code)
    ctx = selectors.indicator_detail(request.user, code, year)
    ctx["form"] = form
    return render(request, "brain/indicator.html", ctx, status=422 if form.errors else 200)


@page(
    guard=can_import_actuals,
    guard_message="只有负责规划的区县（功能区）政府用户可以导入实际值 / only the plan's district office imports actuals",
)
def actuals_import(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        result = services.import_actuals(request.user, f.read(), f.name, dry_run=form.cleaned_data["dry_run"])
        if not result["problems"] and not form.cleaned_data["dry_run"]:
            messages.success(request, _("已导入 %(n)s 条实际值") % {"n": result["written"]})
    return render(
        request,
        "brain/actuals_import.html",
        {"form": form, "result": result},
        status=422 if result and result["problems"] else 200,
    )


@brain_view
@require_POST
def indicator_feed(request, code: str):
    """An operator binds the indicator to a platform feed (with the plan's quote) or ends the binding."""
    try:
        if request.POST.get("action") == "unbind":
            services.unbind_feed(request.user, indicator_code=code)
            messages.success(request, _("已解除平台数据绑定"))
        else:
            services.bind_feed(
                request.user,
                indicator_code=code,
                feed_code=request.POST.get("feed", ""),
                quote=request.POST.get("quote", ""),
            )
            messages.success(request, _("已绑定平台数据"))
    except Forbidden:
        raise
    except JinfuError as exc:
        _error(request, exc)
    return redirect("brain:indicator", code=code)


@brain_view
@require_POST
def indicator_feed_refresh(request, code: str):
    """从平台数据更新: the plan's office (or an operator) recomputes the bound feed now."""
    stats = services.refresh_feeds(request.user, indicator_code=code)
    if stats["written"]:
        messages.success(request, _("已从平台数据更新实际值"))
    elif stats["unchanged"]:
        messages.success(request, _("平台数据没有变化，实际值保持不变"))
    elif stats["withheld"]:
        messages.warning(request, _("参与计算的记录过少，为保护单个机构的数据，本次不予填报"))
    else:
        messages.warning(request, _("平台数据暂不能计算该指标本年度的数值"))
    return redirect("brain:indicator", code=code)


@brain_view
def compare(request):
    available = selectors.available_canonicals(request.user)
    canonical = request.GET.get("c") or (available[0][0] if available else "")
    data = selectors.comparison(request.user, canonical, _year(request)) if canonical else None
    return render(
        request, "brain/compare.html", {"data": data, "available": available, "canonical": canonical}
    )


@brain_view
def index(request):
    return render(
        request, "brain/index.html", {"data": selectors.development_index(request.user, _year(request))}
    )


@brain_view
def task_board(request):
    services.refresh_task_statuses_daily()
    plan = request.GET.get("plan") or None
    plans = selectors.visible_plans(request.user)
    if plan is not None and plan not in {p.code for p in plans}:
        raise Http404("没有这个规划 / no such plan")
    if exports.requested(request):
        groups = selectors.task_board(request.user, plan_code=plan)
        rows = [{"owner": g["owner"], "task": t} for g in groups for t in g["tasks"]]
        return exports.respond(request, export_tables.TASKS, rows)
    return render(
        request,
        "brain/tasks.html",
        {
            # read only when the rendered board is not cached under this version (the template's cache tag)
            "groups": SimpleLazyObject(lambda: selectors.task_board(request.user, plan_code=plan)),
            "board_version": selectors.task_board_version(request.user, plan_code=plan),
            "plans": plans,
            "plan": plan,
        },
    )


@brain_view
def task_detail(request, code: str):
    task = selectors.get_task(request.user, code)
    form = ProgressForm(request.POST or None, request.FILES or None)
    can_report = services.can_report_on(request.user, task)
    if request.method == "POST":
        if not can_report:
            return HttpResponseForbidden("这不是您负责的任务，不能报送进展 / not your task")
        if form.is_valid():
            try:
                services.report_progress(
                    request.user,
                    task_code=code,
                    text=form.cleaned_data["text"],
                    percent=form.cleaned_data["percent"],
                    attachment=form.cleaned_data.get("attachment"),
                )
            except JinfuError as exc:
                _error(request, exc)
            else:
                messages.success(request, _("进展已报送"))
                return redirect("brain:task", code=code)
    assign_form = AssignForm(
        initial={"owner_org": task.owner_org, "owner_user": task.owner_user, "due_date": task.due_date}
    )
    return render(
        request,
        "brain/task.html",
        {
            "task": task,
            "form": form,
            "can_report": can_report,
            "can_assign": can_edit_plan(request.user, task.plan),
            "assign_form": assign_form,
            "reports": task.reports.select_related("reported_by"),
        },
    )


@brain_view
@require_POST
def task_assign(request, code: str):
    task = selectors.get_task(request.user, code)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {', '.join(v)}" for k, v in form.errors.items()))
        return redirect("brain:task", code=task.code)
    try:
        services.assign_task(
            request.user,
            task_code=task.code,
            owner_org=form.cleaned_data["owner_org"],
            owner_user=form.cleaned_data["owner_user"],
            due_date=form.cleaned_data["due_date"],
        )
    except Forbidden:
        raise
    except JinfuError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("任务分派已保存"))
    return redirect("brain:task", code=task.code)


@brain_view
def report_list(request):
    plans = list(selectors.visible_plans(request.user))
    if request.method == "POST":
        try:
            reports.request_report(
                request.user, plan_code=request.POST.get("plan", ""), year=request.POST.get("year", "")
            )
        except JinfuError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("监测报告已开始生成"))
            return redirect("brain:reports")
    jobs = selectors.visible_reports(request.user)[:30]
    return render(
        request, "brain/reports.html", {"plans": plans, "jobs": jobs, "year": selectors.default_year()}
    )


@brain_view
def report_download(request, pk: int, fmt: str):
    job = selectors.visible_reports(request.user).filter(pk=pk).first()
    if job is None or fmt not in ("docx", "xlsx") or not getattr(job, fmt):
        raise Http404("report not found")
    f = getattr(job, fmt)
    return FileResponse(
        f.open("rb"), as_attachment=True, filename=f"监测报告_{job.plan.code}_{job.year}.{fmt}"
    )


@brain_view
@require_POST
def refresh_tasks(request):
    stats = services.refresh_task_statuses()
    messages.success(
        request,
        _("已检查 %(n)s 项任务，新发逾期提醒 %(a)s 条") % {"n": stats["checked"], "a": stats["alerts"]},
    )
    return redirect("brain:tasks")

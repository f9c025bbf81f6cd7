"""Risk pages: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jinfu.core import exports
from jinfu.core.errors import ValidationFailed
from jinfu.core.principal import as_principal
from jinfu.core.web import page

from . import cases, collaboration, engine, imports, selectors, services, supervision
from . import exports as export_tables
from .models import Case, RoutingRule

MAX_UPLOAD = 20 * 1024 * 1024
REPORTS_KIND = "org_reports"


def _analyst(user) -> bool:
    return services.may_analyse(as_principal(user))


def _case_party(user) -> bool:
    """Regulators, the operator and the 行业主管 / 街镇 offices (their routed cases only)."""
    return cases.may_see_cases(as_principal(user))


CASE_GUARD = "案件仅对监管部门和承办单位开放 / regulators and their offices only"


@page(guard=_analyst, guard_message="风险监测仅对监管部门开放 / regulators only")
def overview(request):
    ctx = selectors.overview(request.user)
    ctx["division_chart"] = {
        "labels": [r["division"] for r in ctx["by_division"]],
        "series": [
            {"name": engine.COLOUR_LABELS[c], "colour": c, "data": [r[c] for r in ctx["by_division"]]}
            for c in engine.COLOURS
        ],
    }
    ctx["trend_chart"] = {
        "labels": [r["on"] for r in ctx["trend"]],
        "series": [
            {"name": engine.COLOUR_LABELS[c], "colour": c, "data": [r[c] for r in ctx["trend"]]}
            for c in engine.COLOURS
        ],
    }
    ctx["clusters"] = selectors.clusters(request.user, limit=10)
    return render(request, "risk/overview.html", ctx)


@page(guard=_analyst, guard_message="风险监测仅对监管部门开放 / regulators only")
def warning_list(request):
    f = {k: request.GET.get(k, "").strip()[:100] for k in ("colour", "division", "street", "q")}
    if exports.requested(request):
        rows = selectors.warnings(request.user, **f, limit=exports.MAX_ROWS)["rows"]
        return exports.respond(request, export_tables.WARNINGS, rows)
    data = selectors.warnings(request.user, **f)
    return render(
        request,
        "risk/warnings.html",
        {
            **data,
            "filters": f,
            "divisions": selectors.divisions(request.user),
            "colours": engine.COLOUR_LABELS,
        },
    )


@page(guard=_analyst, guard_message="风险监测仅对监管部门开放 / regulators only")
def firm(request, enterprise_id: int):
    ctx = selectors.firm(request.user, enterprise_id)
    ctx["colours"] = engine.COLOUR_LABELS
    ctx["form"] = {"colour": "", "reason": ""}
    return render(request, "risk/firm.html", ctx)


@page(guard=_analyst, guard_message="风险监测仅对监管部门开放 / regulators only")
@require_POST
def override(request, enterprise_id: int):
    colour, reason = request.POST.get("colour", ""), request.POST.get("reason", "")
    try:
        services.override_colour(request.user, enterprise_id, colour, reason)
    except ValidationFailed as exc:
        ctx = selectors.firm(request.user, enterprise_id)
        ctx.update(colours=engine.COLOUR_LABELS, form={"colour": colour, "reason": reason}, error=exc)
        return render(request, "risk/firm.html", ctx, status=422)
    messages.success(request, "预警颜色已调整，理由已记录")
    return redirect("risk:firm", enterprise_id=enterprise_id)


@page(guard=_analyst, guard_message="风险监测仅对监管部门开放 / regulators only")
def cluster_list(request):
    return render(request, "risk/clusters.html", {"clusters": selectors.clusters(request.user)})


def _may_import_any(user) -> bool:
    p = as_principal(user)
    return any(services.may_import(p, k) for k in imports.COLUMNS) or supervision.can_import_reports(p)


def _import_kinds(p) -> list[tuple[str, str]]:
    kinds = [(k, imports.KIND_LABELS[k]) for k in imports.COLUMNS if services.may_import(p, k)]
    if supervision.can_import_reports(p):
        kinds.append((REPORTS_KIND, imports.ORG_REPORTS.label_zh))
    return kinds


def _run_import(request, kind: str, upload) -> dict:
    commit = request.POST.get("dry_run") != "1"
    if kind == REPORTS_KIND:
        return supervision.import_reports(request.user, upload.read(), upload.name, commit=commit)
    return services.import_signals(
        request.user, kind, upload.read(), upload.name, source=request.POST.get("source", ""), commit=commit
    )


@page(guard=_may_import_any, guard_message="无权导入风险信号 / not allowed")
def import_page(request):
    p = as_principal(request.user)
    kinds = _import_kinds(p)
    ctx = {"kinds": kinds, "kind": request.POST.get("kind", kinds[0][0] if kinds else ""), "result": None}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            ctx["error"] = "请选择文件"
        elif upload.size > MAX_UPLOAD:
            ctx["error"] = "文件超过 20 MB"
        else:
            ctx["result"] = _run_import(request, ctx["kind"], upload)
    return render(
        request,
        "risk/imports.html",
        ctx,
        status=422 if ctx.get("error") or (ctx["result"] and not ctx["result"]["ok"]) else 200,
    )


@page(guard=_may_import_any, guard_message="无权导入风险信号 / not allowed")
def import_template(request, kind: str):
    if kind not in imports.COLUMNS and kind != REPORTS_KIND:
        raise Http404
    resp = HttpResponse(imports.template_csv(kind), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="risk-{kind}.csv"'
    return resp


@page(guard=_analyst, guard_message="风险监测仅对监管部门开放 / regulators only")
@require_POST
def recompute(request):
    counts = services.recompute()
    messages.success(
        request, f"已重算：红色 {counts['red']}，黄色 {counts['yellow']}，绿色 {counts['green']}"
    )
    return redirect("risk:overview")


# ---------------------------------------------------------------------------
# Cases, routing, tip-offs
# ---------------------------------------------------------------------------


@page(guard=_case_party, guard_message=CASE_GUARD)
def case_board(request):
    if exports.requested(request):
        data = cases.board(request.user, open_limit=exports.MAX_ROWS, closed_limit=exports.MAX_ROWS)
        return exports.respond(request, export_tables.CASES, data["open"] + data["closed"])
    return render(request, "risk/cases.html", cases.board(request.user))


@page(guard=_analyst, guard_message="案件仅对监管部门开放 / regulators only")
@require_POST
def case_open(request, enterprise_id: int):
    case = cases.open_case(request.user, enterprise_id, source=request.POST.get("source", "warning"))
    return redirect("risk:case", case_id=case.pk)


def _case_ctx(request, case, **extra):
    from jinfu.core import workflow
    from jinfu.core.views_attachments import panel

    p = as_principal(request.user)
    return {
        "attachments": panel(request, "risk.case", case),
        "collab": collaboration.board(request.user, case.pk),
        "case": case,
        "events": list(case.events.select_related("actor")),
        "actions": workflow.allowed(cases.CASES, case, request.user),
        "outcomes": [(k, v) for k, v in Case.Outcome.choices],
        "tipoffs": list(case.tipoffs.all()) if cases.may_work(p, case) else [],  # informants stay hidden
        "analyst": services.may_analyse(p),
        "today": timezone.localdate(),
        **extra,
    }


@page(guard=_case_party, guard_message=CASE_GUARD)
def case_detail(request, case_id: int):
    return render(request, "risk/case.html", _case_ctx(request, cases.get_case(request.user, case_id)))


@page(guard=_analyst, guard_message="案件仅对监管部门开放 / regulators only")
@require_POST
def case_step(request, case_id: int):
    from jinfu.core.errors import Conflict

    action = request.POST.get("action", "")
    form = {k: request.POST.get(k, "") for k in ("outcome", "reason", "note")}
    try:
        cases.transition(
            request.user,
            case_id,
            action,
            note=form["note"],
            expected_version=request.POST.get("version"),
            outcome=form["outcome"],
            reason=form["reason"],
        )
    except (ValidationFailed, Conflict) as exc:
        case = cases.get_case(request.user, case_id)
        return render(
            request, "risk/case.html", _case_ctx(request, case, error=exc, form=form), status=exc.status
        )
    messages.success(request, "已办理")
    return redirect("risk:case", case_id=case_id)


def _collab_post(request, case_id: int, write, done: str):
    """Run one collaboration write; on a refusal show the case page again with the message (4xx)."""
    from jinfu.core.errors import Conflict

    try:
        write()
    except (ValidationFailed, Conflict) as exc:
        case = cases.get_case(request.user, case_id)
        ctx = _case_ctx(request, case, collab_error=exc, collab_form=request.POST.dict())
        return render(request, "risk/case.html", ctx, status=exc.status)
    messages.success(request, done)
    return redirect(reverse("risk:case", args=[case_id]) + "#collaboration")


@page(guard=_analyst, guard_message="案件仅对监管部门开放 / regulators only")
@require_POST
def case_task_add(request, case_id: int):
    post = request.POST
    return _collab_post(
        request,
        case_id,
        lambda: collaboration.add_task(
            request.user,
            case_id,
            party=post.get("party", ""),
            title=post.get("title", ""),
            workdays_due=post.get("workdays", collaboration.DEFAULT_WORKDAYS),
        ),
        "任务已交办",
    )


@page(guard=_case_party, guard_message=CASE_GUARD)
@require_POST
def case_task_done(request, case_id: int, task_id: int):
    return _collab_post(
        request,
        case_id,
        lambda: collaboration.complete_task(
            request.user, case_id, task_id, reply=request.POST.get("reply", "")
        ),
        "任务已办结",
    )


@page(guard=_case_party, guard_message=CASE_GUARD)
@require_POST
def case_note_add(request, case_id: int):
    task = request.POST.get("task", "")
    return _collab_post(
        request,
        case_id,
        lambda: collaboration.add_note(
            request.user,
            case_id,
            text=request.POST.get("text", ""),
            task_pk=int(task) if task.isdigit() else None,
        ),
        "备注已记录",
    )


@page(guard=_analyst, guard_message="仅对监管部门开放 / regulators only")
def routing(request):
    ctx = {"rules": list(RoutingRule.objects.all()), "problems": []}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationFailed("请选择文件", "choose a file", field="file")
            n = cases.replace_routing(request.user, cases.parse_routing(upload.read(MAX_UPLOAD)))
        except cases.RoutingRejected as exc:
            ctx["problems"] = exc.problems
            return render(request, "risk/routing.html", ctx, status=422)
        except ValidationFailed as exc:
            ctx["problems"] = [{"message_zh": exc.message_zh}]
            return render(request, "risk/routing.html", ctx, status=422)
        messages.success(request, f"分派规则已更新，共 {n} 条")
        return redirect("risk:routing")
    return render(request, "risk/routing.html", ctx)


def tipoff(request):
    """The public tip-off form: no login."""
    from jinfu.core.audit import client_ip
    from jinfu.core.errors import TooManyRequests

    ctx = {"form": {}, "error": None, "done": None}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("subject", "text", "contact")}
        upload = request.FILES.get("attachment")
        try:
            if upload is not None and upload.size > cases.MAX_ATTACHMENT:
                raise ValidationFailed(
                    "附件不能超过 5 MB", "the attachment is larger than 5 MB", field="attachment"
                )
            att = (upload.name, upload.read(cases.MAX_ATTACHMENT + 1)) if upload is not None else None
            tip = cases.submit_tipoff(**form, attachment=att, ip=client_ip(request))
        except (ValidationFailed, TooManyRequests) as exc:
            ctx.update(form=form, error=exc)
            return render(request, "risk/tipoff.html", ctx, status=exc.status)
        ctx["done"] = tip.number
    return render(request, "risk/tipoff.html", ctx)


def tipoff_status(request):
    from jinfu.core.audit import client_ip
    from jinfu.core.errors import NotFound, TooManyRequests

    number = request.GET.get("number", "").strip()[:32]
    ctx = {"number": number, "status": None, "error": None}
    if number:
        try:
            ctx["status"] = cases.tipoff_status(number, ip=client_ip(request))
        except (NotFound, TooManyRequests) as exc:
            ctx["error"] = exc
            return render(request, "risk/tipoff_status.html", ctx, status=exc.status)
    return render(request, "risk/tipoff_status.html", ctx)


# ---------------------------------------------------------------------------
# Local financial organization supervision
# ---------------------------------------------------------------------------


def _supervisor(user) -> bool:
    return supervision.may_supervise(as_principal(user))


@page(guard=_supervisor, guard_message="地方金融组织监管仅对监管部门开放 / regulators only")
def local_finance(request):
    from .models import LocalFinanceOrg

    f = {k: request.GET.get(k, "").strip()[:20] for k in ("kind", "status", "grade")}
    data = supervision.board(request.user, **f)
    return render(
        request,
        "risk/local_finance.html",
        {
            **data,
            "filters": f,
            "kinds": LocalFinanceOrg.Kind.choices,
            "grades": [g for _t, g in supervision.params().grades],
        },
    )


@page(guard=_supervisor, guard_message="地方金融组织监管仅对监管部门开放 / regulators only")
def local_finance_org(request, org_id: int):
    return render(request, "risk/local_finance_org.html", supervision.detail(request.user, org_id))


@page(guard=_supervisor, guard_message="地方金融组织监管仅对监管部门开放 / regulators only")
@require_POST
def local_finance_address(request, org_id: int):
    reachable = request.POST.get("reachable")
    if reachable not in ("1", "0"):
        messages.error(request, "请选择核查结果")
    else:
        supervision.set_address_check(request.user, org_id, reachable == "1")
        messages.success(request, "地址核查结果已记录")
    return redirect("risk:local_finance_org", org_id=org_id)

"""Risk pages: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jinfu.core.errors import ValidationFailed
from jinfu.core.principal import as_principal
from jinfu.core.web import page

from . import engine, imports, selectors, services

MAX_UPLOAD = 20 * 1024 * 1024


def _analyst(user) -> bool:
    return services.may_analyse(as_principal(user))


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
    return any(services.may_import(p, k) for k in imports.COLUMNS)


@page(guard=_may_import_any, guard_message="无权导入风险信号 / not allowed")
def import_page(request):
    p = as_principal(request.user)
    kinds = [(k, imports.KIND_LABELS[k]) for k in imports.COLUMNS if services.may_import(p, k)]
    ctx = {"kinds": kinds, "kind": request.POST.get("kind", kinds[0][0] if kinds else ""), "result": None}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            ctx["error"] = "请选择文件"
        elif upload.size > MAX_UPLOAD:
            ctx["error"] = "文件超过 20 MB"
        else:
            ctx["result"] = services.import_signals(
                request.user,
                ctx["kind"],
                upload.read(),
                upload.name,
                source=request.POST.get("source", ""),
                commit=request.POST.get("dry_run") != "1",
            )
    return render(
        request,
        "risk/imports.html",
        ctx,
        status=422 if ctx.get("error") or (ctx["result"] and not ctx["result"]["ok"]) else 200,
    )


@page(guard=_may_import_any, guard_message="无权导入风险信号 / not allowed")
def import_template(request, kind: str):
    if kind not in imports.COLUMNS:
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

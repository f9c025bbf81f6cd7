"""Credit pages: parse, call a selector, render."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from jinfu.core import exports
from jinfu.core.errors import JinfuError
from jinfu.core.web import page

from . import exports as export_tables
from . import selectors
from .connectors.files import template_csv
from .sources import SOURCES


def _error(request, exc: JinfuError):
    return render(request, "credit/error.html", {"error": exc}, status=exc.status)


@page
def own_profile(request):
    if not request.user.organization_id:
        raise Http404
    return enterprise_profile(request, request.user.organization_id)


@page
def enterprise_profile(request, enterprise_id: int):
    try:
        ctx = selectors.profile(request.user, enterprise_id)
    except JinfuError as exc:
        return _error(request, exc)
    return render(request, "credit/profile.html", ctx)


@page
def distribution(request):
    try:
        ctx = selectors.distributions(request.user)
    except JinfuError as exc:
        return _error(request, exc)
    if exports.requested(request):
        return exports.respond(request, export_tables.DISTRIBUTION, list(ctx["by_division"].items()))
    return render(request, "credit/distribution.html", ctx)


@page
def template(request, source: str):
    if source not in SOURCES:
        raise Http404
    resp = HttpResponse(template_csv(source), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="credit-{source}.csv"'
    return resp

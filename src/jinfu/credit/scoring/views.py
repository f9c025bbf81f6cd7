"""Scorecard registry pages (platform admin): list, validation report, retrain, activate, retire."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jinfu.core.errors import JinfuError
from jinfu.core.web import page

from . import selectors, services


def _error(request, exc: JinfuError):
    return render(request, "credit/error.html", {"error": exc}, status=exc.status)


@page
def model_list(request):
    try:
        rows = selectors.models_for(request.user)
    except JinfuError as exc:
        return _error(request, exc)
    return render(request, "credit/scoring/models.html", {"rows": rows})


@page
def model_report(request, pk: int):
    try:
        ctx = selectors.model_report(request.user, pk)
    except JinfuError as exc:
        return _error(request, exc)
    return render(request, "credit/scoring/report.html", ctx)


@page
@require_POST
def retrain(request):
    try:
        model = services.train_model(request.user)
    except JinfuError as exc:
        return _error(request, exc)
    messages.success(request, f"已训练候选模型 {model.version}")
    return redirect("credit:credit_scoring:report", pk=model.pk)


@page
@require_POST
def activate(request, pk: int):
    try:
        model = services.activate_model(request.user, pk)
    except JinfuError as exc:
        messages.error(request, exc.message_zh)
        return redirect("credit:credit_scoring:models")
    messages.success(request, f"模型 {model.version} 已启用")
    return redirect("credit:credit_scoring:models")


@page
@require_POST
def retire(request, pk: int):
    try:
        model = services.retire_model(request.user, pk)
    except JinfuError as exc:
        messages.error(request, exc.message_zh)
        return redirect("credit:credit_scoring:models")
    messages.success(request, f"模型 {model.version} 已停用")
    return redirect("credit:credit_scoring:models")

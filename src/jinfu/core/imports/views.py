"""Import pages: upload, templates, job progress, problems, diff preview, commit. Thin: parse, call, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import export_tables, exports
from ..errors import JinfuError, NotFound
from ..models import ImportJob
from ..principal import as_principal
from . import engine, registry, selectors, services

RUNNING = {ImportJob.Status.QUEUED, ImportJob.Status.VALIDATING, ImportJob.Status.COMMITTING}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入类型"))
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))
    mode = forms.ChoiceField(
        label=_("方式"),
        choices=[("dry_run", _("仅校验（预览差异，不写入）")), ("commit", _("校验通过后直接提交"))],
        initial="dry_run",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, registry.label(k)) for k in kinds]


def _kinds(request) -> list[str]:
    p = as_principal(request.user)
    return [k for k in registry.job_kinds() if services.can_import(p, k)]


@login_required
@require_http_methods(["GET", "POST"])
def job_list(request):
    kinds = _kinds(request)
    if not kinds:
        return HttpResponseForbidden("无权导入数据 / not allowed to import")
    form = ImportForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.create_job(
                form.cleaned_data["kind"],
                form.cleaned_data["file"],
                request.user,
                commit=form.cleaned_data["mode"] == "commit",
            )
            job = services.submit_job(job)
        except JinfuError as exc:
            if exc.status == 403:
                return HttpResponseForbidden(f"{exc.message_zh} / {exc.message_en}")
            messages.error(request, f"{exc.message_zh}（{exc.message_en}）")
        else:
            return redirect("imports:job", job_id=job.pk)
    if request.method == "GET" and exports.requested(request):
        return exports.respond(request, export_tables.IMPORT_JOBS, selectors.visible_jobs(request.user))
    page = Paginator(selectors.visible_jobs(request.user), 25).get_page(request.GET.get("page"))
    templates = [(k, registry.label(k)) for k in kinds]
    return render(request, "core/imports/list.html", {"form": form, "page": page, "templates": templates})


@login_required
def template_download(request, kind: str, fmt: str):
    if kind not in registry.job_kinds() or fmt not in ("xlsx", "csv"):
        raise Http404
    if fmt == "csv":
        body, ctype = engine.template_csv(registry.get(kind)), "text/csv; charset=utf-8"
    else:
        body = engine.template_xlsx(registry.get(kind))
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="jinfu-{kind}-template.{fmt}"'
    return resp


def _job_or_404(request, job_id: int) -> ImportJob:
    try:
        return selectors.get_job(request.user, job_id)
    except NotFound as exc:
        raise Http404 from exc


def _int(v, default=1) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


@login_required
def job_detail(request, job_id: int):
    job = _job_or_404(request, job_id)
    summary = job.summary or {}
    errors, epage, epages = selectors.page_of(job.errors or [], _int(request.GET.get("epage")), 50)
    action = request.GET.get("action") or ""
    diff = summary.get("diff") or []
    if action in ("create", "update", "unchanged"):
        diff = [d for d in diff if d["action"] == action]
    drows, dpage, dpages = selectors.page_of(diff, _int(request.GET.get("dpage")), 50)
    importer = registry.get(job.kind)
    labels = {c.field: c.label_zh for c in importer.columns}
    for d in drows:
        d["change_list"] = [(labels.get(f, f), old, new) for f, (old, new) in d.get("changes", {}).items()]
    ctx = {
        "job": job,
        "summary": summary,
        "counts": summary.get("counts") or {},
        "errors": errors,
        "epage": epage,
        "epages": epages,
        "error_count": summary.get("error_count", len(job.errors or [])),
        "diff_rows": drows,
        "dpage": dpage,
        "dpages": dpages,
        "action": action,
        "running": job.status in RUNNING,
        "has_diff": importer.diff,
        "can_commit": job.status == ImportJob.Status.VALIDATED
        and services.can_import(as_principal(request.user), job.kind),
        "can_retry": services.can_retry(request.user, job),
    }
    return render(request, "core/imports/job.html", ctx)


@login_required
def job_progress(request, job_id: int):
    job = _job_or_404(request, job_id)
    running = job.status in RUNNING
    resp = render(request, "core/imports/_progress.html", {"job": job, "running": running})
    if not running and request.GET.get("was") == "running":
        resp["HX-Refresh"] = "true"  # the job finished: reload the page to show problems and diff
    return resp


def _act(request, job_id: int, action):
    """POST handlers of the job page: run ``action(job, user)``, report its outcome, back to the job."""
    job = _job_or_404(request, job_id)
    try:
        job = action(job, request.user)
    except JinfuError as exc:
        if exc.status == 403:
            return HttpResponseForbidden(f"{exc.message_zh} / {exc.message_en}")
        messages.error(request, f"{exc.message_zh}（{exc.message_en}）")
    else:
        if job.status == ImportJob.Status.COMMITTED:
            messages.success(request, job.message)
        elif job.status in (ImportJob.Status.FAILED, ImportJob.Status.INVALID):
            messages.error(request, job.message)
    return redirect("imports:job", job_id=job.pk)


@login_required
@require_POST
def job_commit(request, job_id: int):
    return _act(request, job_id, services.request_commit)


@login_required
@require_POST
def job_retry(request, job_id: int):
    """重试: run a failed (interrupted) job again from its stored file, for its owner."""
    return _act(request, job_id, services.retry_job)

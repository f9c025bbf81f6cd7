"""Import endpoints under /api/v1/imports/ (session + CSRF, or an API key with scope imports:write)."""

from __future__ import annotations

import datetime as dt

from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from ..errors import JinfuError
from ..models import ImportJob
from ..principal import as_principal
from . import selectors, services

router = Router(tags=["imports 数据导入"])


def _fail(exc: JinfuError):
    raise HttpError(exc.status, f"{exc.message_zh} / {exc.message_en}")


def _need(request):
    p = as_principal(request.auth)
    if not p.has_api_scope("imports:write"):
        raise HttpError(403, "API 密钥缺少权限 imports:write / API key lacks scope imports:write")
    return p


class ProblemOut(Schema):
    row: int
    column: str
    field: str
    value: str
    rule: str
    message_zh: str
    message_en: str


class JobOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    original_name: str
    encoding: str
    dry_run: bool
    total_rows: int
    processed_rows: int
    progress_percent: int
    message: str
    counts: dict
    committed: dict | None
    error_count: int
    errors: list[ProblemOut]
    errors_page: int
    errors_pages: int
    diff: list[dict]
    diff_truncated: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None


def _out(job: ImportJob, page: int = 1, per_page: int = 100) -> dict:
    s = job.summary or {}
    errors, page, pages = selectors.page_of(job.errors or [], page, per_page)
    diff = [d for d in (s.get("diff") or []) if d.get("action") == "update"][:per_page]
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "original_name": job.original_name,
        "encoding": job.encoding,
        "dry_run": not job.commit_requested,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "progress_percent": job.progress_percent,
        "message": job.message,
        "counts": s.get("counts") or {},
        "committed": s.get("committed"),
        "error_count": s.get("error_count", len(job.errors or [])),
        "errors": errors,
        "errors_page": page,
        "errors_pages": pages,
        "diff": diff,
        "diff_truncated": bool(s.get("diff_truncated")),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@router.get(
    "/{int:job_id}", response=JobOut, summary="导入任务状态、问题与差异 / import job status, problems, diff"
)
def get_import(request, job_id: int, page: int = 1, per_page: int = 100):
    p = _need(request)
    try:
        job = selectors.get_job(p, job_id)
    except JinfuError as exc:
        _fail(exc)
    return _out(job, page, min(max(per_page, 1), 1000))


@router.post("/{int:job_id}/commit", response=JobOut, summary="提交已校验的导入 / commit a validated dry run")
def commit_import(request, job_id: int):
    return _act(request, job_id, services.request_commit)


@router.post(
    "/{int:job_id}/retry",
    response=JobOut,
    summary="重试失败（中断）的导入 / retry a failed (interrupted) import from its stored file",
)
def retry_import(request, job_id: int):
    return _act(request, job_id, services.retry_job)


def _act(request, job_id: int, action) -> dict:
    """A job action as the caller: the job must be visible to them, ``action(job, principal)`` decides."""
    p = _need(request)
    try:
        job = action(selectors.get_job(p, job_id), p)
    except JinfuError as exc:
        _fail(exc)
    return _out(job)


@router.post(
    "/{kind}",
    response={201: JobOut},
    summary="上传导入文件（默认仅校验）/ upload a file to import (dry run by default)",
)
def create_import(request, kind: str, file: File[UploadedFile], dry_run: Form[bool] = True):
    p = _need(request)
    try:
        job = services.create_job(kind, file, p, commit=not dry_run)
        job = services.submit_job(job)
    except JinfuError as exc:
        _fail(exc)
    return Status(201, _out(job))

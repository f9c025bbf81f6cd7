"""Reads for import jobs, filtered by who is asking."""

from __future__ import annotations

from django.db.models import QuerySet

from ..errors import NotFound
from ..models import ImportJob
from ..principal import as_principal


def visible_jobs(actor) -> QuerySet[ImportJob]:
    """Admins see every job; a user sees the jobs they started; an API key sees the jobs it submitted."""
    p = as_principal(actor)
    qs = ImportJob.objects.select_related("created_by").defer("errors", "summary")
    if p.api_key is not None:
        return qs.filter(summary__owner__api_key_id=p.api_key.pk)
    if p.is_admin:
        return qs
    if p.user is None:
        return qs.none()
    return qs.filter(created_by=p.user)


def get_job(actor, job_id: int) -> ImportJob:
    p = as_principal(actor)
    qs = ImportJob.objects.select_related("created_by")
    if p.api_key is not None:
        qs = qs.filter(summary__owner__api_key_id=p.api_key.pk)
    elif not p.is_admin:
        qs = qs.filter(created_by=p.user) if p.user is not None else qs.none()
    job = qs.filter(pk=job_id).first()
    if job is None:
        raise NotFound("导入任务不存在", "import job not found")
    return job


def page_of(items: list, page: int, per_page: int = 50) -> tuple[list, int, int]:
    """A page of a stored list (errors, diff rows): (items, page, number of pages)."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(1, page), pages)
    return items[(page - 1) * per_page : page * per_page], page, pages

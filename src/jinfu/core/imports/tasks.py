"""Background import jobs (Django Tasks; the database backend in production, inline in tests)."""

from __future__ import annotations

from django.tasks import task


@task
def run_import_job(job_id: int) -> str:
    """Validate (and, when requested, commit) one ImportJob; returns its final status."""
    from .services import run_job

    return run_job(job_id).status


@task
def commit_import_job(job_id: int, user_id: int | None = None) -> str:
    """Commit a validated ImportJob in the background (large files)."""
    from ..models import ImportJob, User
    from .services import commit_job

    job = ImportJob.objects.get(pk=job_id)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    return commit_job(job, user).status

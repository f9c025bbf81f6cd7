"""重试 of an import job interrupted mid-run (issue 14): the job page's button and the API, for the job's
owner only, on failed jobs only, re-running from the stored upload with nothing half-written."""

from __future__ import annotations

import pytest
from django.test import Client

from jinfu.core import processes
from jinfu.core.imports import services
from jinfu.core.models import ImportJob, Organization, Role

from . import test_imports
from .test_imports import rows, write_csv

ref = test_imports.ref  # the reference-data fixture

pytestmark = pytest.mark.django_db
DEAD = "no-such-host:1"  # a process of another host is never judged: this one is declared dead below


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def _interrupted(tmp_path, user, ref, n=3, *, commit=True) -> ImportJob:
    """A job whose worker died mid-validation, then marked failed by the worker start-up recovery."""
    path = write_csv(tmp_path / "e.csv", rows(n, industry=ref["industry"]))
    with open(path, "rb") as fh:
        job = services.create_job("enterprises", fh, user, commit=commit, filename="e.csv")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATING, process=DEAD)
    job.refresh_from_db()
    return job


@pytest.fixture
def interrupted(tmp_path, admin, ref, monkeypatch):
    def make(user=None, **kw):
        job = _interrupted(tmp_path, user or admin, ref, **kw)
        monkeypatch.setattr(processes, "alive", lambda process: process != DEAD)
        assert services.recover_interrupted_jobs() == [job.pk]
        monkeypatch.undo()
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED and "中断" in job.message
        return job

    return make


def _enterprises() -> int:
    return Organization.objects.filter(kind="enterprise", uscc__isnull=False).count()


def test_the_owner_sees_retry_on_an_interrupted_job_and_it_commits_every_row(client, admin, interrupted):
    job = interrupted(n=3)
    before = _enterprises()
    client.force_login(admin)
    body = client.get(f"/imports/{job.pk}/").content.decode()
    assert f'action="/imports/{job.pk}/retry"' in body and "重试" in body and "csrfmiddlewaretoken" in body
    r = client.post(f"/imports/{job.pk}/retry")
    assert r.status_code == 302 and r["Location"] == f"/imports/{job.pk}/"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTED and job.summary["committed"]["created"] == 3
    assert _enterprises() == before + 3
    assert f'action="/imports/{job.pk}/retry"' not in client.get(f"/imports/{job.pk}/").content.decode()


def test_a_dry_run_job_retried_is_validated_again_and_writes_nothing(client, admin, interrupted):
    job = interrupted(n=2, commit=False)
    before = _enterprises()
    client.force_login(admin)
    client.post(f"/imports/{job.pk}/retry")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED and job.summary["counts"]["create"] == 2
    assert _enterprises() == before


@pytest.mark.parametrize("status", ["validated", "invalid", "committed", "queued", "validating"])
def test_a_job_that_did_not_fail_has_no_retry_and_a_post_is_refused(client, admin, interrupted, status):
    job = interrupted(n=2)
    ImportJob.objects.filter(pk=job.pk).update(status=status)
    before = _enterprises()
    client.force_login(admin)
    assert f'action="/imports/{job.pk}/retry"' not in client.get(f"/imports/{job.pk}/").content.decode()
    r = client.post(f"/imports/{job.pk}/retry", follow=True)
    assert r.status_code == 200 and "不能重试" in r.content.decode()
    job.refresh_from_db()
    assert job.status == status and _enterprises() == before


def test_another_admin_sees_the_job_but_may_not_retry_it(client, make_user, interrupted):
    job = interrupted(n=2)
    other = make_user("admin")
    client.force_login(other)
    page = client.get(f"/imports/{job.pk}/")
    assert page.status_code == 200 and f'action="/imports/{job.pk}/retry"' not in page.content.decode()
    assert client.post(f"/imports/{job.pk}/retry").status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


def test_a_user_who_cannot_see_the_job_gets_404(client, make_user, interrupted):
    job = interrupted(n=2)
    client.force_login(make_user("government"))
    assert client.post(f"/imports/{job.pk}/retry").status_code == 404
    assert client.post(f"/api/v1/imports/{job.pk}/retry").status_code == 404


def test_an_owner_who_lost_the_import_permission_is_refused(client, make_user, interrupted):
    gov = make_user("government")
    job = interrupted(gov, n=2)
    type(gov).objects.filter(pk=gov.pk).update(role=Role.REGULATOR)
    client.force_login(type(gov).objects.get(pk=gov.pk))
    assert client.post(f"/imports/{job.pk}/retry").status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


def test_retry_needs_post_and_csrf(admin, interrupted):
    job = interrupted(n=2)
    c = Client(enforce_csrf_checks=True)
    c.force_login(admin)
    assert c.get(f"/imports/{job.pk}/retry").status_code == 405
    assert c.post(f"/imports/{job.pk}/retry").status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


def test_a_retry_that_fails_again_writes_nothing_and_may_be_retried(client, admin, interrupted, monkeypatch):
    job = interrupted(n=3)
    before = _enterprises()
    real = services.apply_enterprise_records

    def half_then_crash(records, **kw):
        real(records[:1], **kw)  # one row written inside the import's transaction, then a crash
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "apply_enterprise_records", half_then_crash)
    client.force_login(admin)
    client.post(f"/imports/{job.pk}/retry")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and _enterprises() == before
    monkeypatch.undo()
    client.post(f"/imports/{job.pk}/retry")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTED and _enterprises() == before + 3


def test_api_retry_for_the_owner_and_refusals(client, admin, make_user, interrupted):
    job = interrupted(n=2)
    client.force_login(admin)
    r = client.post(f"/api/v1/imports/{job.pk}/retry")
    assert r.status_code == 200 and r.json()["status"] == "committed"
    again = client.post(f"/api/v1/imports/{job.pk}/retry")
    assert again.status_code == 422 and "不能重试" in again.json()["message_zh"]
    other = interrupted(n=2)
    client.force_login(make_user("admin"))
    refused = client.post(f"/api/v1/imports/{other.pk}/retry")
    assert refused.status_code == 403 and "导入人" in refused.json()["message_zh"]


def test_a_worker_that_died_after_its_commit_leaves_the_job_committed_and_never_writes_twice(
    client, admin, tmp_path, ref, monkeypatch
):
    path = write_csv(tmp_path / "e.csv", rows(3, industry=ref["industry"]))
    with open(path, "rb") as fh:
        job = services.submit_job(
            services.create_job("enterprises", fh, admin, commit=True, filename="e.csv")
        )
    assert job.status == ImportJob.Status.COMMITTED
    written = _enterprises()
    # the process died after the commit's transaction, before it recorded the job as committed
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.COMMITTING, process=DEAD, message="")
    monkeypatch.setattr(processes, "alive", lambda process: process != DEAD)
    assert services.recover_interrupted_jobs() == [job.pk]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTED and "进程退出前" in job.message
    # a job an older recovery marked failed: the retry is refused, nothing is written again
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
    client.force_login(admin)
    r = client.post(f"/imports/{job.pk}/retry", follow=True)
    assert "已全部写入" in r.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and _enterprises() == written

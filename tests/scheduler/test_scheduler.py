"""Scheduled jobs: declared through the module contract, run when due, a missed slot caught up once."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.contrib.admin.sites import site
from django.utils import timezone

from jinfu.cli import main
from jinfu.core import modules
from jinfu.core.modules import Schedule
from jinfu.scheduler import runner
from jinfu.scheduler.models import JobRun, ScheduledJob

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
CALLS: list = []


def record(now):
    CALLS.append(now)
    return f"ran for {now:%m-%d %H:%M}"


def boom(now):
    raise RuntimeError("数据源不可用")


@pytest.fixture
def one_job(monkeypatch):
    """Only a test job at 02:00 every night (the declared ones are checked separately)."""
    CALLS.clear()
    jobs = [Schedule("test.nightly", "0 2 * * *", "tests.scheduler.test_scheduler:record", "夜间测试任务")]
    monkeypatch.setattr(runner, "schedules", lambda: jobs)
    monkeypatch.setattr(modules, "schedules", lambda: jobs)
    return jobs


def at(day, hour, minute=0):
    return dt.datetime(2026, 7, day, hour, minute, tzinfo=TZ)


def test_every_module_declares_its_jobs_through_the_contract():
    names = {s.name for s in modules.schedules()}
    assert {
        "credit.nightly_refresh",
        "credit.monthly_psi",
        "brain.daily_task_check",
        "financing.claim_sla",
        "core.calendar_next_year",
    } <= names
    for s in modules.schedules():
        assert callable(modules.resolve(s.func))
        assert runner.trigger(s.cron)  # a valid crontab line


@pytest.mark.django_db
def test_a_new_job_waits_for_its_next_slot_then_runs_once_per_slot(one_job, time_machine):
    time_machine.move_to(at(1, 1, 0))
    assert runner.run_due() == []  # registered at 01:00: nothing before it is owed
    time_machine.move_to(
        at(
            1,
            2,
            0,
        )
        + dt.timedelta(seconds=5)
    )
    (run,) = runner.run_due()
    assert run.slot == at(1, 2) and run.outcome == "ok" and not run.catch_up
    assert runner.run_due() == []  # the same slot is never run twice
    time_machine.move_to(at(1, 14))
    assert runner.run_due() == []
    assert CALLS == [at(1, 2)]


@pytest.mark.django_db
def test_missed_nights_are_caught_up_once_never_twice(one_job, time_machine):
    time_machine.move_to(at(1, 1))
    runner.run_due()
    # the scheduler was down for three nights (02:00 on the 1st, 2nd and 3rd) and comes back on the 3rd at 09:00
    time_machine.move_to(at(3, 9))
    (run,) = runner.run_due()
    assert run.catch_up and run.slot == at(3, 2)  # one catch-up run, for the latest slot
    assert runner.run_due() == []  # a second tick (or a restart) does not run it again
    time_machine.move_to(at(4, 2, 1))
    (run,) = runner.run_due()
    assert run.slot == at(4, 2) and not run.catch_up
    assert CALLS == [at(3, 2), at(4, 2)]
    assert JobRun.objects.count() == 2


@pytest.mark.django_db
def test_two_schedulers_claim_a_slot_once(one_job, time_machine):
    time_machine.move_to(at(1, 1))
    runner.sync()
    stale = ScheduledJob.objects.get(name="test.nightly")  # a second process read the row before
    time_machine.move_to(at(1, 3))
    assert len(runner.run_due()) == 1
    assert runner._claim(stale, at(1, 2)) is False  # its conditional update finds the slot taken
    assert runner.run_job(stale, at(1, 2)) is None  # and the run record is unique per slot
    assert CALLS == [at(1, 2)]


@pytest.mark.django_db
def test_a_failing_job_is_recorded_with_its_error_and_the_others_still_run(monkeypatch, time_machine):
    CALLS.clear()
    jobs = [
        Schedule("test.boom", "0 2 * * *", "tests.scheduler.test_scheduler:boom"),
        Schedule("test.ok", "0 2 * * *", "tests.scheduler.test_scheduler:record"),
    ]
    monkeypatch.setattr(runner, "schedules", lambda: jobs)
    time_machine.move_to(at(1, 1))
    runner.run_due()
    time_machine.move_to(at(1, 2, 1))
    runs = {r.job.name: r for r in runner.run_due()}
    assert runs["test.boom"].outcome == "failed" and "数据源不可用" in runs["test.boom"].message
    assert runs["test.ok"].outcome == "ok"
    job = ScheduledJob.objects.get(name="test.boom")
    assert job.last_outcome == "failed" and job.last_duration is not None and job.last_started


@pytest.mark.django_db
def test_disabled_job_does_not_run(one_job, time_machine):
    time_machine.move_to(at(1, 1))
    runner.run_due()
    ScheduledJob.objects.filter(name="test.nightly").update(enabled=False)
    time_machine.move_to(at(1, 3))
    assert runner.run_due() == [] and CALLS == []


@pytest.mark.django_db
def test_declared_jobs_run_on_an_empty_platform(time_machine):
    """Each module's job runs end to end (nothing to do on an empty database, but no error)."""
    for name in (
        "credit.nightly_refresh",
        "credit.monthly_psi",
        "brain.daily_task_check",
        "financing.claim_sla",
    ):
        run = runner.run_now(name)
        assert run.outcome == "ok", run.message


@pytest.mark.django_db
def test_admin_shows_last_run_duration_and_outcome(one_job, client, make_user, time_machine):
    time_machine.move_to(at(1, 1))
    runner.run_due()
    time_machine.move_to(at(1, 2, 1))
    runner.run_due()
    client.force_login(make_user("admin"))  # after the clock moved (sessions expire when idle)
    assert ScheduledJob in site._registry and JobRun in site._registry
    response = client.get("/admin/scheduler/scheduledjob/")
    assert response.status_code == 200, response
    html = response.content.decode()
    assert "test.nightly" in html and "成功" in html
    job = ScheduledJob.objects.get(name="test.nightly")
    html = client.get(f"/admin/scheduler/scheduledjob/{job.pk}/change/").content.decode()
    assert "ran for 07-01 02:00" in html


@pytest.mark.django_db
def test_cli_lists_and_runs_a_job(one_job, capsys, time_machine):
    assert main(["scheduler", "run-now", "test.nightly"]) == 0
    assert main(["scheduler", "run-now", "nope"]) == 2
    assert main(["scheduler", "list"]) == 0
    out = capsys.readouterr().out
    assert "test.nightly\t0 2 * * *\ton" in out and " ok " in out
    assert timezone.now()  # the frozen test clock

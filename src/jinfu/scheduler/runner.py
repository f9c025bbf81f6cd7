"""Run the due scheduled jobs.

Cron arithmetic is APScheduler's ``CronTrigger`` (Asia/Shanghai). State is ours, in the database: each
``ScheduledJob`` keeps the last slot it claimed. At every tick, for each job, the latest slot ≤ now is due
when it is later than ``last_slot``; several missed slots (the scheduler was down over two nights) coalesce
into one catch-up run. Claiming is a conditional UPDATE (``last_slot`` unchanged since it was read) plus a
unique (job, slot) run record, so two scheduler processes, or a restart in the middle, never run a slot twice.
A job registered for the first time starts from its next slot (no catch-up of slots before it existed).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
import zoneinfo

from apscheduler.triggers.cron import CronTrigger
from django.db import IntegrityError, transaction
from django.utils import timezone

from jinfu.core import processes
from jinfu.core.modules import resolve, schedules

from .models import JobRun, Outcome, ScheduledJob

log = logging.getLogger("jinfu.scheduler")
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
TICK_SECONDS = 30


def trigger(cron: str) -> CronTrigger:
    return CronTrigger.from_crontab(cron, timezone=TZ)


def latest_slot(cron: str, after: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """The latest cron slot in (after, now], or None."""
    t = trigger(cron)
    slot, nxt = None, t.get_next_fire_time(None, after + dt.timedelta(microseconds=1))
    while nxt is not None and nxt <= now:
        slot = nxt
        nxt = t.get_next_fire_time(None, nxt + dt.timedelta(microseconds=1))
    return slot


def sync(now: dt.datetime | None = None) -> list[ScheduledJob]:
    """Create or update a ScheduledJob row per declared schedule; a new one starts at ``now``."""
    now = now or timezone.now()
    rows = []
    for s in schedules():
        job, created = ScheduledJob.objects.get_or_create(
            name=s.name, defaults={"cron": s.cron, "label": str(s.label), "last_slot": now}
        )
        if not created and (job.cron != s.cron or job.label != str(s.label)):
            job.cron, job.label = s.cron, str(s.label)
            job.save(update_fields=["cron", "label"])
        rows.append(job)
    return rows


def _claim(job: ScheduledJob, slot: dt.datetime) -> bool:
    return bool(
        ScheduledJob.objects.filter(pk=job.pk, last_slot=job.last_slot).update(last_slot=slot)
        if job.last_slot is not None
        else ScheduledJob.objects.filter(pk=job.pk, last_slot__isnull=True).update(last_slot=slot)
    )


PROCESS = processes.this_process()


def run_job(
    job: ScheduledJob, slot: dt.datetime, *, catch_up: bool = False, attempt: int = 1
) -> JobRun | None:
    """Run one claimed slot of a job and record it; None when another process already ran the slot."""
    func = {s.name: s.func for s in schedules()}[job.name]
    started = timezone.now()
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                job=job, slot=slot, catch_up=catch_up, started_at=started, attempt=attempt, process=PROCESS
            )
    except IntegrityError:
        return None
    t0 = time.perf_counter()
    try:
        message, outcome = str(resolve(func)(now=slot) or ""), Outcome.OK
    except Exception as exc:  # a failing job is recorded, and the scheduler goes on with the others
        log.exception("scheduled job %s failed", job.name)
        message, outcome = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}", Outcome.FAILED
    duration = time.perf_counter() - t0
    run.finished_at, run.duration, run.outcome, run.message = (
        timezone.now(),
        duration,
        outcome,
        message[:4000],
    )
    run.save(update_fields=["finished_at", "duration", "outcome", "message"])
    ScheduledJob.objects.filter(pk=job.pk).update(
        last_started=started, last_duration=duration, last_outcome=outcome, last_message=message[:500]
    )
    return run


def run_due(now: dt.datetime | None = None) -> list[JobRun]:
    """Run every job whose latest slot ≤ now has not been run yet (each at most once per call)."""
    now = now or timezone.now()
    runs = []
    for job in sync(now):
        if not job.enabled:
            continue
        slot = latest_slot(job.cron, job.last_slot or now, now)
        if slot is None or not _claim(job, slot):
            continue
        catch_up = now - slot > dt.timedelta(seconds=2 * TICK_SECONDS)
        run = run_job(job, slot, catch_up=catch_up)
        if run is not None:
            runs.append(run)
    return runs


def run_now(name: str) -> JobRun | None:
    """Run a job immediately (operator's request); recorded with the current time as its slot."""
    job = next(j for j in sync() if j.name == name)
    return run_job(job, timezone.now())


INTERRUPTED = (
    "中断：执行进程在运行中退出（已重试一次）/ interrupted: the scheduler process died mid-run (retried once)"
)


def recover_interrupted() -> list[JobRun]:
    """Runs left 'running' by a scheduler process of this host that no longer exists (killed, power loss)
    are marked failed, and each is retried once (attempt 2) — a job's writes are transactional, so the
    interrupted attempt left nothing half-written. The conditional UPDATE makes one process do it."""
    retries = []
    for run in JobRun.objects.filter(outcome=Outcome.RUNNING).select_related("job"):
        if processes.alive(run.process):
            continue
        if not JobRun.objects.filter(pk=run.pk, outcome=Outcome.RUNNING).update(
            outcome=Outcome.FAILED, finished_at=timezone.now(), message=INTERRUPTED
        ):
            continue
        ScheduledJob.objects.filter(pk=run.job_id).update(
            last_outcome=Outcome.FAILED, last_message=INTERRUPTED
        )
        if run.attempt == 1 and run.job.name in {s.name for s in schedules()}:
            retry = run_job(run.job, run.slot, catch_up=True, attempt=2)
            if retry is not None:
                retries.append(retry)
    return retries


def loop(stop=None) -> None:  # pragma: no cover - the long-running process (systemd unit)
    log.info("scheduler started: %s", ", ".join(s.name for s in schedules()))
    for run in recover_interrupted():
        log.warning("job %s slot %s interrupted earlier, retried: %s", run.job.name, run.slot, run.outcome)
    while not (stop and stop()):
        for run in run_due():
            log.info("job %s slot %s: %s in %.1fs", run.job.name, run.slot, run.outcome, run.duration or 0)
        time.sleep(TICK_SECONDS)

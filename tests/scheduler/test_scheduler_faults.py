"""Fault test: `kill -9` of the scheduler in the middle of a job. After restart the interrupted run is
marked failed, nothing it wrote is left half-done (the job writes in one transaction), and one retry
completes. Real processes on a file SQLite database (the test clock is not involved)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import datetime as dt, json, os, sys
import django
django.setup()
from django.utils import timezone
from jinfu.core.modules import Schedule
from jinfu.scheduler import runner
from jinfu.scheduler.models import JobRun, ScheduledJob
runner.schedules = lambda: [Schedule("test.slow", "0 2 * * *", "tests.scheduler.test_scheduler_faults:slow_job")]
if sys.argv[1] == "run":
    ScheduledJob.objects.create(name="test.slow", cron="0 2 * * *", last_slot=timezone.now() - dt.timedelta(days=2))
    runner.run_due()
else:
    runner.recover_interrupted()
    runs = [(r.attempt, r.outcome, r.message[:40]) for r in JobRun.objects.order_by("attempt")]
    partial = ScheduledJob.objects.filter(name__startswith="partial-").count()
    print(json.dumps({"runs": runs, "partial": partial}))
"""


def slow_job(now):
    """Writes three rows in one transaction; the first time it hangs inside the transaction."""
    from django.db import transaction

    from jinfu.scheduler.models import ScheduledJob

    marker = Path(os.environ["JINFU_FAULT_MARKER"])
    with transaction.atomic():
        for i in range(3):
            ScheduledJob.objects.create(name=f"partial-{i}", cron="0 0 * * *")
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(300)  # killed here
    return "done"


@pytest.mark.slow
def test_kill_9_mid_job_marks_the_run_failed_and_one_retry_completes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL", "JINFU_TEST"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        JINFU_DATA_DIR=str(tmp_path),
        JINFU_TESTING="1",
        DJANGO_SETTINGS_MODULE="jinfu.settings",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        JINFU_FAULT_MARKER=str(tmp_path / "started"),
    )
    py = sys.executable
    subprocess.run([py, "-m", "jinfu.cli", "migrate"], env=env, cwd=ROOT, check=True, timeout=600)
    child = subprocess.Popen([py, "-c", CHILD, "run"], env=env, cwd=ROOT)
    deadline = time.monotonic() + 300
    while not (tmp_path / "started").exists():
        assert child.poll() is None and time.monotonic() < deadline, "the job never started"
        time.sleep(0.2)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)

    out = subprocess.run(
        [py, "-c", CHILD, "recover"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    )
    state = json.loads(out.stdout.strip().splitlines()[-1])
    (first, retry) = state["runs"]
    assert first[0] == 1 and first[1] == "failed" and first[2].startswith("中断")
    assert retry[:2] == [2, "ok"]
    assert state["partial"] == 3  # the killed attempt's rows were rolled back; only the retry's remain

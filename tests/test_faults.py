"""Fault tests: `kill -9` of a `jinfu batch score --to-db` run in the middle of its writes (real processes on
a file SQLite database: a rerun completes without a duplicate row, and no batch is half-written), and the
database becoming unreachable (the real driver failing to connect: a closed port on PostgreSQL, a path that
does not exist on SQLite) — /healthz answers 503, pages a plain Chinese 503 page, the API a bilingual 503,
and service comes back by itself when the database does."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
ROWS, BATCH = 3000, 50

SETUP = """
import django
django.setup()
import polars as pl
from django.core.management import call_command
call_command("migrate", "--no-input", "-v", "0")
from jinfu.core.models import Organization
from jinfu.credit.scoring import engine as scoring
from jinfu.credit.models_scoring import ScorecardModel
rows, out = int(__import__("sys").argv[1]), __import__("sys").argv[2]
orgs = Organization.objects.bulk_create(
    Organization(name=f"企业{i}", kind="enterprise", uscc=f"91500000MA{i:08d}") for i in range(rows)
)
train = scoring.synthetic_features(2000, seed=3)
card = scoring.train(train, scoring.latent_default_labels(train, seed=3), seed=3)
ScorecardModel.objects.create(version="vf", points_table=card.points_table, status="active")
ids = [o.pk for o in Organization.objects.order_by("pk")]
scoring.synthetic_features(rows, seed=5).with_columns(pl.Series("org_id", ids)).write_parquet(out)
"""


def _env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL", "JINFU_TEST"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        JINFU_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="jinfu.settings",
        PYTHONPATH=str(ROOT / "src"),
        JINFU_BATCH_DB_ROWS=str(BATCH),
        JINFU_LOG_LEVEL="ERROR",
    )
    return env


def _records(db: Path) -> tuple[int, int]:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as c:
        return c.execute("SELECT COUNT(*), COUNT(DISTINCT enterprise_id) FROM credit_scorerecord").fetchone()


@pytest.mark.slow
def test_kill_9_during_batch_score_to_db_then_rerun_writes_each_row_once(tmp_path):
    env = _env(tmp_path)
    db, features = tmp_path / "db.sqlite3", tmp_path / "features.parquet"
    subprocess.run([sys.executable, "-c", SETUP, str(ROWS), str(features)], env=env, check=True, timeout=240)
    cmd = [sys.executable, "-m", "jinfu.cli", "batch", "score", "--input", str(features)]
    cmd += ["--output", str(tmp_path / "scores.parquet"), "--to-db"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    written = 0
    try:
        while proc.poll() is None and not 0 < written < ROWS:
            written = _records(db)[0]
            time.sleep(0.005)
        assert 0 < written < ROWS, "the run was not caught in the middle of its writes"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial = _records(db)[0]
    assert 0 < partial < ROWS and partial % BATCH == 0  # whole batches only: nothing half-written
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"written={ROWS}" in rerun.stdout
    assert _records(db) == (ROWS, ROWS)  # every enterprise once: the rerun replaced the killed run's rows


@contextlib.contextmanager
def unreachable_database():
    """Point the connection at a database that is not there (a closed port; a missing directory for
    SQLite) so that the real driver fails to connect; the live connection is kept aside and put back."""
    live = connection.connection
    saved = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed_port = s.getsockname()[1]
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port))
    else:
        connection.settings_dict["NAME"] = "/nonexistent-jinfu-dir/jinfu.sqlite3"
    connection.connection = None
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        connection.connection = live


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_database_unreachable_answers_503_and_service_recovers(make_user, reference_data):
    client = Client(raise_request_exception=False)
    client.force_login(make_user("government"))
    assert client.get("/healthz").status_code == 200
    assert client.get("/financing/").status_code == 200
    with unreachable_database():
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["database"].startswith("error")
        page = client.get("/financing/")
        text = page.content.decode()
        assert page.status_code == 503 and page["Retry-After"] == "30"
        assert "服务暂时不可用" in text and "数据库暂时无法连接" in text and "Traceback" not in text
        api = client.get("/api/v1/brain/plans")
        assert api.status_code == 503, api.content[:300]
        assert api["Content-Type"].startswith("application/json"), api.content.decode()[:600]
        assert "数据库" in api.json()["message_zh"]
    assert client.get("/healthz").status_code == 200  # back by itself: nothing restarted
    page = client.get("/financing/")
    assert page.status_code == 200 and "服务暂时不可用" not in page.content.decode()


IMPORT_CHILD = """
import csv, io, json, sys
import django
django.setup()
from jinfu.core.imports import services
from jinfu.core.models import ImportJob, Organization, Role, User
mode, arg = sys.argv[1], sys.argv[2]
if mode == "setup":
    sys.path.insert(0, sys.argv[3])
    from django.core.management import call_command
    from import_bench import HEADER, make_rows
    from jinfu.core.models import Division, Industry
    from jinfu.core.reference.loader import load_reference_data
    call_command("migrate", "--no-input", "-v", "0")
    load_reference_data()
    admin = User.objects.create_user(username="ops", password="x" * 16, role=Role.ADMIN)
    divisions = list(Division.objects.filter(code__startswith="5001").values_list("code", flat=True))
    industries = list(Industry.objects.filter(level=Industry.Level.CLASS).values_list("code", flat=True))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\\r\\n")
    w.writerow(HEADER)
    w.writerows(make_rows(int(arg), 7, divisions, industries))
    job = services.create_job("enterprises", buf.getvalue().encode(), admin, commit=True, filename="e.csv")
    print(job.pk)
elif mode == "run":
    services.run_job(int(arg))
else:
    if mode == "recover":
        services.recover_interrupted_jobs()
    else:
        services.retry_job(ImportJob.objects.get(pk=int(arg)), User.objects.get(username="ops"))
    job = ImportJob.objects.get(pk=int(arg))
    orgs = Organization.objects.filter(kind="enterprise").count()
    print(json.dumps({"status": job.status, "message": job.message, "orgs": orgs}))
"""


def _job(db: Path, pk: int) -> tuple[str, int]:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as c:
        return c.execute("SELECT status, processed_rows FROM core_importjob WHERE id = ?", (pk,)).fetchone()


@pytest.mark.slow
def test_kill_9_of_the_worker_mid_import_marks_the_job_failed_and_a_retry_completes(tmp_path):
    import json

    env = _env(tmp_path) | {"JINFU_IMPORT_SYNC_MAX_ROWS": "100000"}
    db, rows = tmp_path / "db.sqlite3", 3000

    def child(*args, check=True):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_CHILD, *map(str, args)], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0 or not check, out.stderr[-2000:]
        return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""

    pk = int(child("setup", rows, ROOT / "bench"))
    worker = subprocess.Popen(
        [sys.executable, "-c", IMPORT_CHILD, "run", str(pk)], env=env, stderr=subprocess.DEVNULL
    )
    try:
        state = ("queued", 0)
        while worker.poll() is None and not (
            state[0] == "committing" or (state[0] == "validating" and state[1])
        ):
            state = _job(db, pk)
            time.sleep(0.005)
        assert state[0] in ("validating", "committing"), f"the import was not caught mid-run: {state}"
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    assert _job(db, pk)[0] in ("validating", "committing")  # left running by the dead process
    after = json.loads(child("recover", pk))
    assert after["status"] == "failed" and "中断" in after["message"]
    assert after["orgs"] == 0  # nothing half-written: the commit is one transaction
    retried = json.loads(child("retry", pk))
    assert retried == {"status": "committed", "message": retried["message"], "orgs": rows}


WEB_SETUP = """
import json, sys
sys.path.insert(0, sys.argv[2])
import django
django.setup()
from django.core.management import call_command
call_command("migrate", "--no-input", "-v", "0")
from jinfu.core.reference.loader import load_reference_data
load_reference_data()
from jinfu.core.apikeys import issue_key
from tests.conftest import create_user
from tests.factories import apply_to, make_product
bank = create_user("institution")
product = make_product(bank)
apps = [apply_to(create_user("enterprise"), product).pk for _ in range(int(sys.argv[1]))]
_, key = issue_key(organization=bank.organization, name="fault", scopes=["financing:read", "financing:write"])
print(json.dumps({"key": key, "apps": apps}))
"""


def _serve(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "jinfu.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: kill -9 reaches gunicorn's master and workers
    )
    import http.client

    for _ in range(600):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    raise AssertionError("jinfu serve did not start")


def _accept(port: int, key: str, app_id: int) -> int:
    import http.client
    import json

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"action": "accept"})
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    try:
        conn.request("POST", f"/api/v1/financing/applications/{app_id}/transitions", body, headers)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0  # the server died under this request


def _timeline(db: Path) -> dict[int, tuple[str, int]]:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as c:
        return {
            pk: (status, accepted)
            for pk, status, accepted in c.execute(
                "SELECT a.id, a.status, (SELECT COUNT(*) FROM financing_applicationevent e "
                "WHERE e.application_id = a.id AND e.to_status = 'accepted') FROM financing_application a"
            )
        }


@pytest.mark.slow
def test_kill_9_of_the_web_server_during_transitions_leaves_each_all_or_nothing(tmp_path):
    """Transitions in flight when gunicorn is killed: every application is either accepted with exactly
    one timeline row or untouched with none; after a restart the remaining transitions complete."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    env, db, n = _env(tmp_path), tmp_path / "db.sqlite3", 120
    setup = subprocess.run(
        [sys.executable, "-c", WEB_SETUP, str(n), str(ROOT)], env=env, capture_output=True, text=True
    )
    assert setup.returncode == 0, setup.stderr[-2000:]
    world = json.loads(setup.stdout.strip().splitlines()[-1])
    port = _free_port()
    server = _serve(env, port)
    try:
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(_accept, port, world["key"], pk) for pk in world["apps"]]
            while sum(f.done() for f in futures) < n // 4:
                time.sleep(0.01)
            os.killpg(server.pid, signal.SIGKILL)
            statuses = [f.result() for f in futures]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    assert 0 < statuses.count(200) < n and 0 in statuses  # killed with transitions in flight
    after = _timeline(db)
    for status, accepted in after.values():
        assert (status, accepted) in {("accepted", 1), ("submitted", 0)}  # all or nothing
    server = _serve(env, port)
    try:
        left = [pk for pk, (status, _) in after.items() if status == "submitted"]
        assert left and all(_accept(port, world["key"], pk) == 200 for pk in left)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    assert set(_timeline(db).values()) == {("accepted", 1)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

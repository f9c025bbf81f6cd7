"""/metrics under `jinfu serve` with several gunicorn workers: every worker's requests are counted (Prometheus
multiprocess mode, one PROMETHEUS_MULTIPROC_DIR per run, emptied of an earlier run's files at start)."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.test_faults import _env

TOKEN = "metrics-token-for-the-test-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _wait_ready(port: int, server: subprocess.Popen) -> int:
    """Until /healthz answers; returns how many /healthz requests Django answered meanwhile."""
    for _ in range(900):
        assert server.poll() is None, "jinfu serve exited"
        try:
            if _get(port, "/healthz")[0] == 200:
                return 1
        except OSError:
            time.sleep(0.2)
    raise AssertionError("jinfu serve did not start")


def _worker_pids(metrics_dir) -> set[str]:
    return {
        m.group(1) for m in (re.match(r"histogram_(\d+)\.db$", p.name) for p in metrics_dir.iterdir()) if m
    }


@pytest.mark.slow
@pytest.mark.parametrize("operator_dir", [True, False], ids=["operator-dir", "per-run-dir"])
def test_metrics_add_up_the_requests_of_every_gunicorn_worker(tmp_path, operator_dir):
    """With the operator's PROMETHEUS_MULTIPROC_DIR (an earlier run's file in it is wiped) or without (serve
    makes a temporary one): /metrics counts every /healthz request, whichever of the two workers served it."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "histogram_1.db").write_bytes(b"left over by an earlier run")  # must be wiped
    port = _free_port()
    temp = tmp_path / "tmp"  # where serve makes its per-run directory
    temp.mkdir()
    env = _env(tmp_path) | {
        "JINFU_WEB_WORKERS": "2",
        "JINFU_WEB_THREADS": "1",
        "JINFU_METRICS_TOKEN": TOKEN,
        "TMPDIR": str(temp),
    }
    if operator_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    else:
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "jinfu.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        answered = _wait_ready(port, server)
        with ThreadPoolExecutor(8) as pool:
            # 8 at a time, at least 200; in the operator's directory, until both workers wrote their files
            while answered < 200 or (operator_dir and len(_worker_pids(metrics_dir)) < 2 and answered < 400):
                statuses = list(pool.map(lambda _: _get(port, "/healthz")[0], range(40)))
                assert statuses == [200] * 40
                answered += 40
        if operator_dir:
            assert len(_worker_pids(metrics_dir)) == 2, "both workers served requests"
        status, body = _get(port, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200, body[:500]
        counted = sum(
            float(line.rsplit(" ", 1)[1])
            for line in body.decode().splitlines()
            if line.startswith("jinfu_request_seconds_count{") and 'route="healthz"' in line
        )
        assert counted == answered  # one worker's share alone would be fewer
        if not operator_dir:
            assert [p.name for p in temp.iterdir()][0].startswith("jinfu-metrics-")
        # SIGTERM to `jinfu serve` alone (as systemd or the load bench sends it) stops gunicorn too and
        # removes the run's metrics directory
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        with pytest.raises(OSError):
            _get(port, "/healthz")
        assert list(temp.iterdir()) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)

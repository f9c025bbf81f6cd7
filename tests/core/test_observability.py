"""Request ids, JSON logs, slow-request and slow-query logs, and the operators' Prometheus endpoint."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from django.db import connection

from jinfu.core.observability import JsonFormatter, request_id
from jinfu.scheduler.models import JobRun, ScheduledJob

TOKEN = "t0ken-for-the-metrics-scraper"


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_a_wellformed_one_is_kept(client):
    a = client.get("/healthz")["X-Request-ID"]
    b = client.get("/healthz")["X-Request-ID"]
    assert len(a) == 32 and a != b
    assert client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"})["X-Request-ID"] == "lb-1234abcd"
    # a forged id that could break log lines is replaced
    assert client.get("/healthz", headers={"X-Request-ID": 'x"\n{evil}'})["X-Request-ID"] != 'x"\n{evil}'


def test_json_log_lines_carry_the_request_id_and_extras():
    token = request_id.set("rid-0001")
    try:
        record = logging.makeLogRecord(
            {"name": "jinfu.request", "levelname": "WARNING", "msg": "慢请求 %s", "args": ("x",)}
        )
        record.duration_ms = 1234.5
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert (
        line["request_id"] == "rid-0001" and line["message"] == "慢请求 x" and line["duration_ms"] == 1234.5
    )
    assert line["level"] == "WARNING" and line["ts"].endswith("+00:00")


@pytest.mark.django_db
def test_slow_requests_are_logged_with_route_status_and_duration(client, monkeypatch, caplog):
    monkeypatch.setenv("JINFU_SLOW_REQUEST_MS", "0")
    with caplog.at_level(logging.WARNING, logger="jinfu.request"):
        rid = client.get("/healthz")["X-Request-ID"]
    (rec,) = [r for r in caplog.records if r.name == "jinfu.request"]
    assert rec.route == "healthz" and rec.status == 200 and rec.duration_ms >= 0
    assert json.loads(JsonFormatter().format(rec))["message"] == "slow request"
    monkeypatch.setenv("JINFU_SLOW_REQUEST_MS", "60000")
    caplog.clear()
    client.get("/healthz")
    assert not [r for r in caplog.records if r.name == "jinfu.request"]
    assert rid


@pytest.mark.django_db
def test_slow_queries_are_logged_without_their_parameters(monkeypatch, caplog):
    monkeypatch.setenv("JINFU_SLOW_QUERY_MS", "0")
    connection.ensure_connection()
    from jinfu.core.observability import install_slow_query_log

    install_slow_query_log(None, connection)
    with caplog.at_level(logging.WARNING, logger="jinfu.sql"):
        with connection.cursor() as cur:
            cur.execute("SELECT %s", ["13800138000"])
    recs = [r for r in caplog.records if r.name == "jinfu.sql"]
    assert recs and "SELECT" in recs[-1].sql
    assert "13800138000" not in json.dumps([JsonFormatter().format(r) for r in recs], ensure_ascii=False)


@pytest.mark.django_db
def test_metrics_are_for_operators_only(client, make_user, monkeypatch):
    monkeypatch.setenv("JINFU_METRICS_TOKEN", TOKEN)
    assert client.get("/metrics").status_code == 403
    assert (
        client.get("/metrics", headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 403
    )
    client.force_login(make_user("government"))
    assert client.get("/metrics").status_code == 403
    client.force_login(make_user("admin"))
    assert client.get("/metrics").status_code == 200
    client.logout()
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    monkeypatch.setenv("JINFU_METRICS_TOKEN", "short")  # a weak token is never accepted
    assert client.get("/metrics", headers={"Authorization": "Bearer short"}).status_code == 403


@pytest.mark.django_db
def test_metrics_report_latency_jobs_and_queue_depth(client, monkeypatch):
    from django.utils import timezone

    monkeypatch.setenv("JINFU_METRICS_TOKEN", TOKEN)
    client.get("/healthz")
    now = timezone.now()
    job = ScheduledJob.objects.create(
        name="credit.nightly_refresh",
        cron="0 2 * * *",
        last_started=now,
        last_duration=12.5,
        last_outcome="failed",
    )
    JobRun.objects.create(job=job, slot=now, started_at=now, outcome="failed")
    from django_tasks_db.models import DBTaskResult

    for _ in range(3):  # three tasks waiting for the worker
        DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="jinfu.brain.tasks.generate_monitoring_report",
            queue_name="default",
            backend_name="default",
            run_after=now - dt.timedelta(minutes=1),
            exception_class_path="",
            traceback="",
        )

    body = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()
    assert 'jinfu_request_seconds_count{method="GET",route="healthz",status="200"}' in body
    assert 'jinfu_job_last_duration_seconds{job="credit.nightly_refresh"} 12.5' in body
    assert 'jinfu_job_last_success{job="credit.nightly_refresh"} 0.0' in body
    assert 'jinfu_job_failures{job="credit.nightly_refresh"} 1.0' in body
    assert 'jinfu_task_queue_depth{queue="default"} 3.0' in body

"""Observability: a request id on every request and log line, JSON logs, slow-request and slow-query logs,
and Prometheus metrics (request latency, scheduled-job durations and failures, task-queue depth) at
``/metrics`` for operators (an admin's session or ``Authorization: Bearer $JINFU_METRICS_TOKEN``).

Thresholds: ``JINFU_SLOW_REQUEST_MS`` (default 1000) and ``JINFU_SLOW_QUERY_MS`` (default 200). Slow-query
lines carry the SQL text without its parameters (they may hold personal data). Under gunicorn with several
workers set ``PROMETHEUS_MULTIPROC_DIR`` (an empty, writable directory) so that ``/metrics`` adds up every
worker's requests.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hmac
import json
import logging
import os
import re
import time
import uuid

from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
log = logging.getLogger("jinfu.request")
sql_log = logging.getLogger("jinfu.sql")

_RID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

REQUEST_SECONDS = Histogram(
    "jinfu_request_seconds",
    "Time spent in Django per request",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SLOW_QUERIES = Counter("jinfu_slow_queries_total", "Database queries slower than JINFU_SLOW_QUERY_MS")


def _ms(name: str, default: int) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return float(default)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any ``extra`` fields."""

    _STD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in self._STD and not k.startswith("_")})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"  # never the raw path: bounded label values
    return match.route or match.view_name or "unknown"


class RequestIdMiddleware:
    """First middleware: request id (the caller's ``X-Request-ID`` when well-formed, else a new one), echoed in
    the response; latency metric per route; a warning line for slow requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _RID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        request.request_id = rid
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - start
            response["X-Request-ID"] = rid
            REQUEST_SECONDS.labels(request.method, _route(request), str(response.status_code)).observe(
                elapsed
            )
            if elapsed * 1000 >= _ms("JINFU_SLOW_REQUEST_MS", 1000):
                user = getattr(request, "user", None)
                log.warning(
                    "slow request",
                    extra={
                        "method": request.method,
                        "route": _route(request),
                        "status": response.status_code,
                        "duration_ms": round(elapsed * 1000, 1),
                        "user_id": user.pk if user is not None and user.is_authenticated else None,
                    },
                )
            return response
        finally:
            request_id.reset(token)


def slow_query_wrapper(execute, sql, params, many, context):
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        ms = (time.perf_counter() - start) * 1000
        if ms >= _ms("JINFU_SLOW_QUERY_MS", 200):
            SLOW_QUERIES.inc()
            sql_log.warning(
                "slow query", extra={"duration_ms": round(ms, 1), "sql": str(sql)[:2000], "many": many}
            )


def install_slow_query_log(sender, connection, **kwargs):
    """connection_created receiver: every new database connection logs its slow queries."""
    if slow_query_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(slow_query_wrapper)


class DatabaseCollector:
    """Figures read from the database at scrape time, so they are right whichever process did the work:
    scheduled jobs (last duration, outcome, failures) and the background task queue depth."""

    def collect(self):
        from django.db.models import Count

        from jinfu.scheduler.models import JobRun, ScheduledJob

        last = GaugeMetricFamily(
            "jinfu_job_last_duration_seconds", "Duration of the job's last run", labels=["job"]
        )
        ok = GaugeMetricFamily("jinfu_job_last_success", "1 if the job's last run succeeded", labels=["job"])
        for job in ScheduledJob.objects.exclude(last_started=None):
            last.add_metric([job.name], job.last_duration or 0.0)
            ok.add_metric([job.name], 1.0 if job.last_outcome == "ok" else 0.0)
        failures = GaugeMetricFamily("jinfu_job_failures", "Failed runs recorded per job", labels=["job"])
        for row in JobRun.objects.filter(outcome="failed").values("job__name").annotate(n=Count("pk")):
            failures.add_metric([row["job__name"]], row["n"])
        queue = GaugeMetricFamily(
            "jinfu_task_queue_depth", "Background tasks waiting, per queue", labels=["queue"]
        )
        from django_tasks_db.models import DBTaskResult

        for row in DBTaskResult.objects.ready().values("queue_name").annotate(n=Count("pk")):
            queue.add_metric([row["queue_name"]], row["n"])
        yield from (last, ok, failures, queue)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        for collector in list(REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(DatabaseCollector())
    return registry


def _operator(request) -> bool:
    token = os.environ.get("JINFU_METRICS_TOKEN", "")
    auth = request.headers.get("Authorization", "")
    if token and len(token) >= 16 and auth.startswith("Bearer "):
        return hmac.compare_digest(auth[7:].encode(), token.encode())
    user = getattr(request, "user", None)
    return bool(
        user and user.is_authenticated and (user.is_superuser or getattr(user, "role", None) == "admin")
    )


def metrics(request):
    if not _operator(request):
        return JsonResponse(
            {"detail": "仅平台运维人员可查看 / operators only (admin session or bearer token)"}, status=403
        )
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)

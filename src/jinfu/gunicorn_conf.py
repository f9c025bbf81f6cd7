"""gunicorn settings of the web server: `jinfu serve` and deploy/jinfu-web.service start gunicorn with
``-c python:jinfu.gunicorn_conf``.

Sized for a small machine (the CI kind: 2 cores): one worker process per core, each with threads
(``gthread``), so that requests waiting for PostgreSQL leave the core to another, and few processes, so that
the in-process caches (online match, dashboards, the rule catalog) are filled once per process rather than
once per each of many. Keep-alive connections wait in the worker's poller, not in a thread.
``JINFU_WEB_WORKERS`` / ``JINFU_WEB_THREADS`` override the defaults.

Prometheus: with ``PROMETHEUS_MULTIPROC_DIR`` set (``jinfu serve`` makes one per run), every worker writes
its metrics there and ``/metrics`` adds them up; a worker that exits is marked dead.
"""

from __future__ import annotations

import os

worker_class = "gthread"
workers = int(os.environ.get("JINFU_WEB_WORKERS") or os.cpu_count() or 1)
threads = int(os.environ.get("JINFU_WEB_THREADS") or 8)
keepalive = 5  # seconds an idle client connection (nginx upstream, API client) is kept open
timeout = 60
graceful_timeout = 8  # on SIGTERM, in-flight requests finish within `jinfu serve`'s 10-second wait
accesslog = "-"
loglevel = "warning"


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

"""Brain page benchmark: server time of every finance-brain page on a full demo database.

    .venv/bin/python bench/pages_bench.py --enterprises 3000

Builds a fresh SQLite database in a temporary JINFU_DATA_DIR (migrate + jinfu.core.demo.build_demo, which
also loads the five plans and the synthetic brain data), logs in as demo_gov_city (city level: sees every
plan and task) with django.test.Client, and reads the ``Server-Timing: app;dur=…`` header that
jinfu.core.middleware.ServerTimingMiddleware adds: time spent in Django, without the client's overhead.
Each page is requested twice to warm up, then --requests times. Prints a table and ``RESULT`` lines.
"""
# make bench 30:

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PAGES = [
    ("overview", "/brain/"),
    ("plan", "/brain/plans/000/"),
    ("indicator", "/brain/indicators/000-I01/"),
    ("compare", "/brain/compare/"),
    ("index", "/brain/index/"),
    ("tasks", "/brain/tasks/"),
    ("task", "/brain/tasks/000-T01/"),
    ("reports", "/brain/reports/"),
    ("actuals_import", "/brain/actuals/import/"),
]
_DUR = re.compile(r"app;dur=([0-9.]+)")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n·q/100), at least 1
    return ordered[int(rank) - 1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--enterprises", type=int, default=3000)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = ap.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="jinfu-pages-bench-")
    os.environ["JINFU_DATA_DIR"] = tmp
    (Path(tmp) / "staticfiles").mkdir()  # whitenoise warns on every request when STATIC_ROOT is missing
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinfu.settings")
    os.environ["JINFU_TASKS"] = "immediate"
    os.environ["JINFU_TESTING"] = "1"  # allow the test client's 'testserver' host
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        from jinfu.core.demo import build_demo
        from jinfu.core.models import User

        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        build_demo(enterprises=args.enterprises)
        setup_s = time.perf_counter() - t

        client = Client()
        client.force_login(User.objects.get(username="demo_gov_city"))
        results = []
        for name, url in PAGES:
            samples = []
            for i in range(args.warmup + args.requests):
                resp = client.get(url)
                if resp.status_code != 200:
                    print(f"{url}: HTTP {resp.status_code}", file=sys.stderr)
                    return 1
                m = _DUR.search(resp.get("Server-Timing", ""))
                if m is None:
                    print(f"{url}: no Server-Timing header", file=sys.stderr)
                    return 1
                if i >= args.warmup:
                    samples.append(float(m.group(1)))
            results.append((name, url, statistics.median(samples), percentile(samples, 95), max(samples)))

        print(
            f"brain pages benchmark: {args.enterprises} enterprises, SQLite, demo_gov_city, "
            f"{args.requests} requests after {args.warmup} warm-ups (setup {setup_s:.1f}s)"
        )
        print(f"{'page':<30}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
        for _name, url, p50, p95, mx in results:
            print(f"{url:<30}{p50:>10.1f}{p95:>10.1f}{mx:>10.1f}")
        for name, _url, p50, p95, _mx in results:
            print(f"RESULT name=brain_page_{name} seconds={p95 / 1000:.4f} p50_ms={p50:.1f} p95_ms={p95:.1f}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Server time and queries per endpoint of the load mix (bench/load_bench.py), in-process.

Each endpoint of the load bench's mix is requested through django.test.Client as its role (pages with a
logged-in session, API calls with an API key), a few times to warm up, then --requests times. For each
endpoint: server time p50/p95 (no network, no queueing: the work Django does), queries per request, how
many of them repeat the same SQL text (N+1 candidates), and the online match's cache outcome. With
--profile LABEL the cProfile of that endpoint's requests is printed (top functions by cumulative time);
with --queries LABEL its SQL statements, most frequent first.

Needs a database built by bench/load_bench.py's setup (demo data): pass it with DATABASE_URL (a throwaway
PostgreSQL database) or JINFU_DATA_DIR (SQLite), and --build to build it first.

    DATABASE_URL=postgres://…/jinfu_bench .venv/bin/python bench/profile_endpoints.py --build --enterprises 1000
    DATABASE_URL=postgres://…/jinfu_bench .venv/bin/python bench/profile_endpoints.py --profile "api match"
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load_bench  # noqa: E402


def _normalise(sql: str) -> str:
    return re.sub(r"\b\d+\b", "?", re.sub(r"'[^']*'", "?", sql))


def _keys(data_dir: Path, build: bool, enterprises: int) -> dict:
    path = data_dir / "profile_keys.json"
    if build:
        ctx = load_bench.setup(data_dir, os.environ.get("DATABASE_URL"), enterprises, 11, 20)
        path.write_text(json.dumps(ctx["keys"]))
        return ctx["keys"]
    import django

    django.setup()
    return json.loads(path.read_text())


def _clients(keys: dict):
    from django.test import Client

    from jinfu.core.models import User

    out = {}
    for role, username, _ in load_bench.ROLES:
        client = Client()
        client.force_login(User.objects.get(username=username))
        out[role] = client
    return out


def _request(client, method: str, path: str, key: str | None, n: int):
    headers = {}
    if path.startswith("api:"):
        path = path[4:]
        headers["Authorization"] = f"Bearer {key}"
    if method == "POST":
        body = json.dumps({"amount": 100 + n % 7, "term_months": 12, "purpose": "采购原材料（压测示例）"})
        return client.post(path, body, content_type="application/json", headers=headers)
    return client.get(path, headers=headers)


def measure(clients, keys, requests: int, warmup: int, profile: str | None, show_queries: str | None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows, seen = [], set()
    for role, mix in load_bench.MIX.items():
        client = clients[role]
        role_keys = (keys.get(role.split("_")[0]) or [None])[:3]  # warmed up: the match cache's hits
        for label, method, path, _ in mix:
            if (role, label) in seen or (label in {r[0] for r in rows} and role != "enterprise"):
                continue
            seen.add((role, label))
            for i in range(max(warmup, len(role_keys))):
                _request(client, method, path, role_keys[i % len(role_keys)], i)
            times, queries, repeats, outcomes, statuses, sqls = [], [], [], Counter(), Counter(), Counter()
            prof = cProfile.Profile() if profile == label else None
            for i in range(requests):
                key = role_keys[i % len(role_keys)]
                with CaptureQueriesContext(connection) as ctx:
                    if prof:
                        prof.enable()
                    t = time.perf_counter()
                    r = _request(client, method, path, key, i)
                    times.append((time.perf_counter() - t) * 1000)
                    if prof:
                        prof.disable()
                texts = Counter(_normalise(q["sql"]) for q in ctx.captured_queries)
                sqls.update(texts)
                queries.append(len(ctx.captured_queries))
                repeats.append(sum(c - 1 for c in texts.values()))
                statuses[r.status_code] += 1
                if r.get("X-Jinfu-Cache"):
                    outcomes[r["X-Jinfu-Cache"]] += 1
            rows.append((label, role, times, queries, repeats, outcomes, statuses))
            if prof:
                pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
            if show_queries == label:
                for sql, count in sqls.most_common():
                    print(f"{count / requests:6.1f}× {sql[:300]}")
    return rows


def report(rows) -> None:
    print(
        f"{'endpoint':<34} {'role':<16} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'repeated':>8}"
        f" {'status':>10} cache"
    )
    for label, role, times, queries, repeats, outcomes, statuses in sorted(
        rows, key=lambda r: -statistics.median(r[2])
    ):
        p95 = load_bench.percentile(sorted(times), 95)
        status = ",".join(f"{s}×{n}" for s, n in statuses.items())
        cache = " ".join(f"{k}={v}" for k, v in outcomes.items())
        print(
            f"{label:<34} {role:<16} {statistics.median(times):>8.1f} {p95:>8.1f}"
            f" {statistics.median(queries):>8.0f} {statistics.median(repeats):>8.0f} {status:>10} {cache}"
        )
        print(
            f"RESULT name=endpoint label={label.replace(' ', '_')} p50_ms={statistics.median(times):.1f} "
            f"queries={statistics.median(queries):.0f}",
            file=sys.stderr,
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", action="store_true", help="migrate and build the demo data first")
    ap.add_argument("--enterprises", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--profile", help="cProfile this endpoint label, e.g. 'api match'")
    ap.add_argument("--queries", help="print the SQL of this endpoint label, most frequent first")
    args = ap.parse_args()
    data_dir = Path(os.environ.setdefault("JINFU_DATA_DIR", "var/profile")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "staticfiles").mkdir(exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinfu.settings")
    os.environ["JINFU_TESTING"] = "1"  # the test client's 'testserver' host
    os.environ.setdefault("JINFU_LOG_LEVEL", "ERROR")
    keys = _keys(data_dir, args.build, args.enterprises)
    rows = measure(_clients(keys), keys, args.requests, args.warmup, args.profile, args.queries)
    report(rows)
    load = os.getloadavg()
    print(f"load average: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Load: `jinfu serve` under N concurrent clients over a realistic mix, for a bounded time.

Builds a demo database (PostgreSQL when JINFU_BENCH_DATABASE_URL or DATABASE_URL is set — it must be a
throwaway database; otherwise SQLite in a temporary data directory), starts `jinfu serve` (gunicorn, no
background worker) on a free port and runs --clients threads for --seconds. Every role is played: the
page clients log in through the login form (CSRF token, session cookie) as the demo users, the API
clients use API keys (20 enterprises' keys, so the online match sees many enterprises); every client logs in
before the clock starts (an Argon2 login per client is not part of the mix). The mix has
pages and API calls, reads and writes (enterprises publish demands). Prints p50/p95/p99 and errors per
endpoint, the online-match cache hit rate (X-Jinfu-Cache), and RESULT lines.

    .venv/bin/python -u bench/load_bench.py --clients 50 --seconds 60
    .venv/bin/python -u bench/load_bench.py --clients 20 --seconds 30 --only match   # online match alone
    .venv/bin/python -u bench/load_bench.py --clients 50 --seconds 60 --think 1      # users who read

Two kinds of client (both are reported, under their own RESULT names):

- ``--think 0`` (closed loop): each client sends its next request the moment the last one answers. This
  measures capacity: throughput is what the server delivers, and latency is clients ÷ throughput by
  Little's law, however cheap a request is (50 clients at 80 req/s wait ~0.6 s on average).
- ``--think T``: after each answer a client waits an exponentially distributed time with mean T seconds
  (a person reading the page, an integrator's next call), as load-testing tools model users (Locust's
  ``wait_time``, JMeter's timers). Latency is the time from sending a request to its last byte; the think
  time is never counted in it.
"""

# make bench 65: --clients 50 --seconds 60
# make bench 66: --clients 20 --seconds 30 --only match
# make bench 67: --clients 50 --seconds 60 --think 1
# make bench 68: --clients 20 --seconds 30 --only match --think 1

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

# (role, demo user, weight among clients)
ROLES = [
    ("enterprise", "demo_enterprise", 16),
    ("institution", "demo_bank", 10),
    ("government", "demo_gov", 8),
    ("government_city", "demo_gov_city", 6),
    ("regulator", "demo_regulator", 5),
    ("admin", "demo_admin", 5),
]
# per role: (label, method, path or "api:" path, weight); "api:" requests carry the role's API key
MIX = {
    "enterprise": [
        ("page /financing/", "GET", "/financing/", 3),
        ("page /financing/match/", "GET", "/financing/match/", 2),
        ("page /financing/demands/", "GET", "/financing/demands/", 1),
        ("page /credit/profile/", "GET", "/credit/profile/", 1),
        ("api match", "GET", "api:/api/v1/financing/match", 6),
        ("api products", "GET", "api:/api/v1/financing/products", 1),
        ("api POST demand", "POST", "api:/api/v1/financing/demands", 1),
    ],
    "institution": [
        ("page /financing/workbench/", "GET", "/financing/workbench/", 2),
        ("page /financing/hall/", "GET", "/financing/hall/", 2),
        ("page /financing/applications/", "GET", "/financing/applications/", 1),
        ("api applications", "GET", "api:/api/v1/financing/applications", 2),
        ("api demand hall", "GET", "api:/api/v1/financing/demands/hall", 1),
    ],
    "government": [
        ("page /brain/", "GET", "/brain/", 2),
        ("page /credit/distribution/", "GET", "/credit/distribution/", 2),
        ("page /brain/tasks/", "GET", "/brain/tasks/", 1),
        ("page /financing/kpis/", "GET", "/financing/kpis/", 1),
        ("session api brain plans", "GET", "/api/v1/brain/plans", 2),
        ("session api credit distribution", "GET", "/api/v1/credit/distribution", 1),
    ],
    "regulator": [
        ("page /brain/", "GET", "/brain/", 1),
        ("page /credit/distribution/", "GET", "/credit/distribution/", 1),
        ("page /risk/", "GET", "/risk/", 2),
    ],
    "admin": [
        ("page /orgs/audit/", "GET", "/orgs/audit/", 1),
        ("page /brain/", "GET", "/brain/", 1),
        ("page /credit/distribution/", "GET", "/credit/distribution/", 1),
        ("page /financing/kpis/", "GET", "/financing/kpis/", 1),
    ],
}
MIX["government_city"] = MIX["government"]
MATCH_ONLY = [("api match", "GET", "api:/api/v1/financing/match", 1)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, server: subprocess.Popen, timeout: float = 300) -> None:
    """Until /healthz answers 200 (serve migrates first; a loaded machine takes a while)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise RuntimeError(f"jinfu serve exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("jinfu serve did not become ready")


def database_url() -> tuple[str | None, str]:
    url = os.environ.get("JINFU_BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        return url, "PostgreSQL"
    return None, (
        "SQLite (no JINFU_BENCH_DATABASE_URL/DATABASE_URL set: the production profile is PostgreSQL; SQLite "
        "serialises writers, so its write latencies are pessimistic)"
    )


def setup(
    data_dir: Path, db_url: str | None, enterprises: int, seed: int, api_enterprises: int, build: bool = True
) -> dict:
    os.environ["JINFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "jinfu.settings"
    if db_url:
        os.environ["DATABASE_URL"] = db_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", "-v", "0")
    from jinfu.core.apikeys import issue_key
    from jinfu.core.demo import build_demo
    from jinfu.core.models import Organization, User

    if build:
        build_demo(enterprises=enterprises, seed=seed)
    logins = json.loads((data_dir / "demo_logins.json").read_text())
    ents = list(
        Organization.objects.filter(kind="enterprise", enterprise__isnull=False).order_by("pk")[
            :api_enterprises
        ]
    )
    keys = {
        "enterprise": [
            issue_key(organization=o, name="load", scopes=["financing:read", "financing:write"])[1]
            for o in ents
        ],
        "institution": [
            issue_key(
                organization=User.objects.get(username="demo_bank").organization,
                name="load",
                scopes=["financing:read"],
            )[1]
        ],
    }
    return {"logins": logins, "keys": keys}


class Session:
    """One client's HTTP/1.1 connection with a cookie jar (session and CSRF cookies). ``keepalive=False``:
    a new connection per request, as nginx talks to gunicorn in deploy/nginx-jinfu.conf (no upstream
    keep-alive), so each request goes to whichever worker accepts it first; with keep-alive a client stays
    on the worker that accepted its connection, however busy that worker is."""

    keepalive = True

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        h = dict(headers or {})
        if not self.keepalive:
            h["Connection"] = "close"
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        for value in r.headers.get_all("Set-Cookie") or []:
            for k, morsel in SimpleCookie(value).items():
                self.cookies[k] = morsel.value
        if not self.keepalive:
            self.conn.close()
        return r, data

    def login(self, username: str, password: str) -> None:
        _, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password}).encode()
        r, _ = self.request(
            "POST",
            "/accounts/login/",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}/",
            },
        )
        if r.status != 302:
            raise RuntimeError(f"login {username}: HTTP {r.status}")


def demand_body(rng: random.Random) -> bytes:
    return json.dumps(
        {
            "amount": rng.choice([50, 100, 200, 500]),
            "term_months": rng.choice([6, 12, 24]),
            "purpose": "采购原材料（压测示例）",
        }
    ).encode()


def client_session(port: int, user: str, password: str, mix) -> Session:
    """A client's connection, logged in when its mix has pages (Argon2 makes a login cost a lot of CPU: the
    clients log in before the clock starts, as users who already have a session)."""
    s = Session(port)
    if any(not path.startswith("api:") for _, _, path, _ in mix):
        s.login(user, password)
        s.conn.close()  # idle while the others log in: the server may close it (keep-alive); reconnect
    return s


def run_client(port, role, user, password, keys, mix, deadline, rng, stats, lock, session=None, think=0.0):
    s = session or client_session(port, user, password, mix)
    key = rng.choice(keys) if keys else None
    labels = [m for m in mix for _ in range(m[3])]
    while time.monotonic() < deadline:
        if think:
            time.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                break
        label, method, path, _ = rng.choice(labels)
        headers, body = {}, None
        if path.startswith("api:"):
            path = path[4:]
            headers["Authorization"] = f"Bearer {key}"
        if method == "POST":
            body, headers["Content-Type"] = demand_body(rng), "application/json"
        start = time.perf_counter()
        try:
            r, data = s.request(method, path, body, headers)
            status, cache = r.status, r.headers.get("X-Jinfu-Cache")
            timing = re.search(r"app;dur=([\d.]+)", r.headers.get("Server-Timing") or "")
        except (OSError, http.client.HTTPException) as exc:
            status, data, cache, timing = 0, str(exc).encode(), None, None
        ms = (time.perf_counter() - start) * 1000
        ok = 200 <= status < 300
        with lock:
            st = stats[label]
            st["lat"].append(ms)
            if timing:
                st["server"].append(float(timing.group(1)))
            if not ok:
                st["errors"].append((status, data[:160]))
            if cache:
                st[cache] += 1


def warm_matches(port: int, keys: list[str], rounds: int) -> None:
    """Each enterprise key's match ``rounds`` times on new connections (each may land on either worker)."""
    s = Session(port)
    s.keepalive = False
    for _ in range(rounds):
        for key in keys:
            s.request("GET", "/api/v1/financing/match", None, {"Authorization": f"Bearer {key}"})


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(stats: dict, wall: float, clients: int, db: str, goal_page_ms: float, think: float = 0.0) -> int:
    kind = f"think time {think:g} s (exponential mean)" if think else "closed loop, no think time"
    kind += ", keep-alive" if Session.keepalive else ", a connection per request (as behind nginx)"
    print(f"\n{clients} clients, {kind}, {wall:.0f} s, database {db}")
    print(
        f"{'endpoint':<36} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
        f" {'server p50':>10} {'server p99':>10}"
    )
    total = errors = 0
    pages: list[float] = []
    for label in sorted(stats):
        st = stats[label]
        lat = sorted(st["lat"])
        total += len(lat)
        errors += len(st["errors"])
        if label.startswith("page "):
            pages.extend(lat)
        p50, p95, p99 = statistics.median(lat), percentile(lat, 95), percentile(lat, 99)
        srv = sorted(st["server"])
        s50, s99 = (statistics.median(srv), percentile(srv, 99)) if srv else (0.0, 0.0)
        print(
            f"{label:<36} {len(lat):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {len(st['errors']):>7}"
            f" {s50:>10.1f} {s99:>10.1f}"
        )
    for label, st in stats.items():
        for status, body in st["errors"][:2]:
            print(f"  error {label}: HTTP {status} {body!r}")
    all_lat = sorted(x for st in stats.values() for x in st["lat"])
    match = stats.get("api match")
    hits = match["hit"] if match else 0
    lookups = (match["hit"] + match["miss"]) if match else 0
    rate = hits / lookups if lookups else 0.0
    print(f"online match cache hit rate: {rate:.1%} ({hits}/{lookups})")
    page_p99 = percentile(sorted(pages), 99) if pages else 0.0
    suffix = f"_think{think:g}s".replace(".", "_") if think else ""
    print(
        f"RESULT name=load{suffix} clients={clients} think_s={think:g} requests={total} errors={errors} "
        f"req_s={total / wall:.1f} "
        f"p50_ms={statistics.median(all_lat):.1f} p99_ms={percentile(all_lat, 99):.1f} "
        f"page_p99_ms={page_p99:.1f} page_goal_ms={goal_page_ms:.0f} database={db.split()[0]}"
    )
    if match:
        lat = sorted(match["lat"])
        print(
            f"RESULT name=load_online_match{suffix} clients={clients} think_s={think:g} "
            f"p50_ms={statistics.median(lat):.1f} "
            f"p99_ms={percentile(lat, 99):.1f} cache_hit_rate={rate:.3f}"
        )
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--enterprises", type=int, default=2000)
    ap.add_argument("--api-enterprises", type=int, default=20)
    ap.add_argument("--only", choices=["mix", "match"], default="mix")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean think time in seconds between a client's requests (exponential); 0: closed loop",
    )
    ap.add_argument("--data-dir", help="the data directory (default: a new temporary one)")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="the database and --data-dir already hold the demo data (e.g. a copy of an earlier run's "
        "PostgreSQL database: CREATE DATABASE b TEMPLATE a), so that several runs compare on the same data",
    )
    ap.add_argument(
        "--keepalive",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="reuse each client's connection (default: a new one per request, as behind nginx)",
    )
    ap.add_argument(
        "--cold",
        action="store_true",
        help="no warm-up of each enterprise's match: every worker's first match per enterprise is a miss",
    )
    args = ap.parse_args()
    Session.keepalive = args.keepalive
    db_url, db = database_url()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="jinfu-load-"))
    t0 = time.perf_counter()
    ctx = setup(data_dir, db_url, args.enterprises, args.seed, args.api_enterprises, build=not args.reuse)
    print(f"setup: {time.perf_counter() - t0:.1f}s ({args.enterprises} demo enterprises, {db})", flush=True)
    port = _free_port()
    env = dict(os.environ, JINFU_DATA_DIR=str(data_dir), JINFU_LOG_LEVEL="ERROR")
    server = subprocess.Popen(
        [sys.executable, "-m", "jinfu.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stats: dict = defaultdict(lambda: {"lat": [], "server": [], "errors": [], "hit": 0, "miss": 0})
    lock = threading.Lock()
    try:
        wait_ready(port, server)
        rng = random.Random(args.seed)
        weighted = [r for r in ROLES for _ in range(r[2])]
        plan = []
        for i in range(args.clients):
            role, user, _ = (
                ("enterprise", "demo_enterprise", 1)
                if args.only == "match"
                else weighted[i * len(weighted) // args.clients]
            )
            mix = MATCH_ONLY if args.only == "match" else MIX[role]
            keys = ctx["keys"].get(role.split("_")[0], [])
            plan.append((role, user, keys, mix))
        # warm-up: every endpoint once per role (first requests import code and fill caches), then every API
        # key's match a few times, so that each worker has met each enterprise (a steady state: a server that
        # has run a while; a cold worker's first match per enterprise is a miss, counted if it falls inside)
        warm_deadline = time.monotonic() + min(20.0, args.seconds / 3)
        warm = [
            threading.Thread(
                target=run_client,
                args=(
                    port,
                    role,
                    user,
                    ctx["logins"][user],
                    keys,
                    mix,
                    warm_deadline,
                    random.Random(i),
                    defaultdict(lambda: {"lat": [], "server": [], "errors": [], "hit": 0, "miss": 0}),
                    lock,
                ),
            )
            for i, (role, user, keys, mix) in enumerate({p[0]: p for p in plan}.values())
        ]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        if not args.cold:
            warm_matches(port, ctx["keys"]["enterprise"], rounds=6)
        with ThreadPoolExecutor(4) as pool:
            sessions = list(pool.map(lambda p: client_session(port, p[1], ctx["logins"][p[1]], p[3]), plan))
        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=run_client,
                args=(
                    port,
                    role,
                    user,
                    ctx["logins"][user],
                    keys,
                    mix,
                    deadline,
                    random.Random(rng.random()),
                    stats,
                    lock,
                    session,
                    args.think,
                ),
            )
            for (role, user, keys, mix), session in zip(plan, sessions, strict=True)
        ]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} cores)")
    return report(stats, wall, args.clients, db, 1000, args.think)


if __name__ == "__main__":
    sys.exit(main())

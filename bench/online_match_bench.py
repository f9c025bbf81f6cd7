"""Online match of one enterprise over N published products through the API, with concurrent clients.

Builds a fresh demo database (temp JINFU_DATA_DIR), adds synthetic published products up to
--products, starts `jinfu serve` (gunicorn) on a free port, and has --clients threads call
GET /api/v1/financing/match with an enterprise's API key. Prints p50/p95/p99 and a RESULT line.

    .venv/bin/python bench/online_match_bench.py --products 1000 --clients 20 --requests 50
"""
# make bench 60: --products {products} --clients 20

from __future__ import annotations

import argparse
import http.client
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RULE_TEMPLATES = [
    "revenue >= {rev} AND employees >= {emp} AND established_years >= {yrs}",
    "industry_section IN ({secs}) AND revenue >= {rev}",
    "size_class IN ('small', 'micro') AND established_years >= {yrs} AND employees >= {emp}",
    "registered_capital >= {cap} AND industry_section IN ({secs}) AND established_years >= {yrs}",
    "(tag_high_tech = TRUE OR industry_section IN ({secs})) AND revenue >= {rev}",
    "division_code IN ({divs}) AND revenue >= {rev} AND employees >= {emp}",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(data_dir: Path, n_products: int, enterprises: int, seed: int) -> str:
    os.environ["JINFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "jinfu.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", "--no-input", "-v", "0")
    from jinfu.core.apikeys import issue_key
    from jinfu.core.demo import build_demo
    from jinfu.core.models import Organization, User
    from jinfu.financing import services
    from jinfu.financing.models import Product

    build_demo(enterprises=enterprises, seed=seed)
    rng = random.Random(seed)
    sections = ["'C'", "'I'", "'M'", "'F'", "'E'", "'L'"]
    divisions = ["'500103'", "'500105'", "'500112'", "'500107'", "'500106'", "'500108'"]
    insts = list(Organization.objects.filter(kind="institution"))
    have = Product.objects.filter(status="published").count()
    with transaction.atomic():
        for i in range(max(0, n_products - have)):
            rule = rng.choice(RULE_TEMPLATES).format(
                rev=rng.choice([50, 100, 300, 500, 1000, 2000]),
                emp=rng.choice([3, 5, 10, 20, 50]),
                yrs=rng.choice([1, 2, 3, 5]),
                cap=rng.choice([50, 100, 500, 1000]),
                secs=", ".join(rng.sample(sections, rng.randint(1, 3))),
                divs=", ".join(rng.sample(divisions, rng.randint(1, 3))),
            )
            lo = rng.choice([10, 50, 100, 300])
            p = Product.objects.create(
                institution=rng.choice(insts),
                code=f"B{i:05d}",
                name=f"基准产品{i:04d}",
                category="loan",
                subtype=rng.choice(["credit", "mortgage", "first_loan", "order_loan"]),
                amount_min=lo,
                amount_max=lo * rng.choice([5, 10, 20]),
                rate_min=round(rng.uniform(3, 5), 2),
                rate_max=6,
                term_min=rng.choice([3, 6, 12]),
                term_max=rng.choice([24, 36, 60]),
                collateral=rng.choice([[], [], ["real_estate"], ["receivables"]]),
                policy_support=rng.choice([[], ["interest_subsidy"], ["risk_compensation"]]),
                expected_days=10,
                eligibility_rule=rule,
                is_synthetic=True,
            )
            services._publish(p)
            p.save()
    ent = User.objects.get(username="demo_enterprise").organization
    _, key = issue_key(organization=ent, name="bench", scopes=["financing:read"])
    return key


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=50, help="requests per client after warm-up")
    ap.add_argument("--enterprises", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="jinfu-online-"))
    t0 = time.perf_counter()
    key = setup(data_dir, args.products, args.enterprises, args.seed)
    print(f"setup: {time.perf_counter() - t0:.1f}s ({args.products} products)", flush=True)
    port = _free_port()
    env = dict(os.environ, JINFU_DATA_DIR=str(data_dir))
    server = subprocess.Popen(
        [sys.executable, "-m", "jinfu.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {key}"}
        lat: list[float] = []
        errors = []
        cache = {"hit": 0, "miss": 0}
        lock = threading.Lock()

        def client(n_warm: int, n: int):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine = []
            for i in range(n_warm + n):
                s = time.perf_counter()
                conn.request("GET", "/api/v1/financing/match", headers=headers)
                r = conn.getresponse()
                body = r.read()
                d = time.perf_counter() - s
                state = r.getheader("X-Jinfu-Cache")
                if state in cache and i >= n_warm:
                    with lock:
                        cache[state] += 1
                if r.status != 200:
                    errors.append((r.status, body[:200]))
                elif i >= n_warm:
                    mine.append(d)
            with lock:
                lat.extend(mine)

        threads = [threading.Thread(target=client, args=(3, args.requests)) for _ in range(args.clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=10)
    if errors:
        print("errors:", errors[:3])
        return 1
    lat.sort()
    q = statistics.quantiles(lat, n=100)
    p50, p95, p99 = statistics.median(lat) * 1000, q[94] * 1000, q[98] * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'clients':>8} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}")
    print(f"{args.clients:>8} {len(lat):>9} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {len(lat) / wall:>7.1f}")
    lookups = cache["hit"] + cache["miss"]
    rate = cache["hit"] / lookups if lookups else 0.0
    print(f"match cache hit rate (X-Jinfu-Cache, after warm-up): {rate:.1%} ({cache['hit']}/{lookups})")
    print(
        f"RESULT name=online_match seconds={p99 / 1000:.4f} p50_ms={p50:.1f} p99_ms={p99:.1f} "
        f"products={args.products} clients={args.clients} peak_mb={peak:.0f} cache_hit_rate={rate:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

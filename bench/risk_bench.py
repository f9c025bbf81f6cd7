"""Risk benchmark: the 涉众风险指数 and its network for a city, against the obvious approach.

    python bench/risk_bench.py --enterprises 1000000 --edges 3000000 --signals 5000000

Measures, in one run on the same synthetic data:

* the engine (jinfu.risk.engine.run): measures, six dimensions, index and colour, bounded propagation from
  every red firm, clusters by connected components — wall time, excluding data generation;
* the obvious approach: a per-firm Python loop over each firm's texts (regex + ``word in text`` for the
  dictionary) and networkx for the network (a breadth-first search with cutoff from each red firm and
  ``connected_components``). It runs on a ``--naive-sample`` share of the firms (with their signals and the
  edges among them) and is extrapolated linearly to the full size — said so in the output;
* peak resident memory of the process (ru_maxrss), which includes the generated data.

Edges: firms sit in rings of 16 (a ring shares legal representatives, addresses and phones), edges are
random pairs inside a ring plus 2% random pairs across the city, so that the network has a giant component
of small diameter as well as many small clusters.
"""
# make bench 90: --enterprises {enterprises} --edges {enterprises*3} --signals {enterprises*5}

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from jinfu.risk import engine, reference  # noqa: E402

TODAY = dt.date(2026, 6, 30)
RING = 16
TEMPLATES = [
    "本公司专注软件开发与信息服务",
    "新品上市，欢迎选购",
    "保本保息，年化收益15%，名额有限",
    "养老公寓项目认购，月息1.5%，稳赚不赔",
    "原始股内部认购，高额回报",
    "区块链数字资产平台，固定收益12%",
    "元宇宙项目招募合伙人",
    "社区便民服务，诚信经营",
    "招聘销售人员若干",
    "消费返利，拉人头奖励",
    "投诉：承诺的收益没有兑付",
    "举报：以理财名义吸收资金",
]
KINDS = ["public_text"] * 8 + ["complaint", "tipoff", "hotline", "bank_alert"]


def generate(n: int, n_edges: int, n_signals: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1, dtype=np.int64)
    names = pl.Series(["科技有限公司", "商贸有限公司", "理财咨询有限公司", "财富管理有限公司", "餐饮店"])
    firms = pl.DataFrame(
        {
            "org_id": ids,
            "name": names.gather(rng.choice(5, n, p=[0.5, 0.4, 0.05, 0.03, 0.02])),
            "scope": pl.Series(["软件开发", "日用品销售", "投资理财咨询"]).gather(
                rng.choice(3, n, p=[0.5, 0.45, 0.05])
            ),
        }
    )
    t = rng.integers(0, len(TEMPLATES), n_signals)
    # signal owners skewed: most firms have few texts, some many
    rank = (rng.pareto(1.5, n_signals) * n / 50).astype(np.int64) % n
    owner = rng.permutation(n)[rank] + 1  # the busy firms are spread over the id range
    signals = _signals(rng, owner, t, n_signals)
    draws = int(n_edges * 1.4)  # random pairs repeat: draw more, keep n_edges distinct ones
    n_cross = draws // 50
    n_ring = draws - n_cross
    a = rng.integers(0, n, n_ring)
    b = (a // RING) * RING + rng.integers(0, RING, n_ring)
    a2 = rng.integers(0, n, n_cross)
    b2 = rng.integers(0, n, n_cross)
    a_all = np.concatenate([a, a2]) + 1
    b_all = np.minimum(np.concatenate([b, b2]), n - 1) + 1
    edges = (
        pl.DataFrame({"a": np.minimum(a_all, b_all), "b": np.maximum(a_all, b_all)})
        .filter(pl.col("a") != pl.col("b"))
        .unique(maintain_order=True)
        .head(n_edges)
    )
    violations = pl.DataFrame(
        {
            "org_id": ids,
            "penalties_3y": rng.poisson(0.05, n).astype(np.int64),
            "judgments_3y": rng.poisson(0.1, n).astype(np.int64),
            "dishonest_debtor": rng.random(n) < 0.01,
            "abnormal_listed": rng.random(n) < 0.02,
        }
    )
    return firms, signals, violations, edges


def _signals(rng, owner, t, n_signals):
    days = rng.integers(0, 500, n_signals)
    return pl.DataFrame(
        {
            "org_id": owner,
            "kind": pl.Series(KINDS).gather(t),
            "text": pl.Series(TEMPLATES).gather(t),
            "promised_return": pl.Series(np.full(n_signals, np.nan)).fill_nan(None),
            "days": days,
        }
    ).select(
        "org_id",
        "kind",
        "text",
        "promised_return",
        (pl.lit(TODAY) - pl.duration(days=pl.col("days"))).alias("occurred_on"),
    )


# ---------------------------------------------------------------------------
# The obvious approach
# ---------------------------------------------------------------------------

_ANNUAL = re.compile(engine._ANNUAL_RE)
_MONTHLY = re.compile(engine._MONTHLY_RE)


def naive(firms: pl.DataFrame, signals: pl.DataFrame, violations: pl.DataFrame, edges: pl.DataFrame, params):
    import networkx as nx

    since = TODAY - dt.timedelta(days=365)
    words = sorted(params.keywords)
    art9 = {w for w, c in params.keywords.items() if c == "art9"}
    by_firm: dict[int, list] = {}
    for rec in signals.iter_rows(named=True):
        by_firm.setdefault(rec["org_id"], []).append(rec)
    viol = {r["org_id"]: r for r in violations.iter_rows(named=True)}
    w, s = params.weights, params.scales
    base: dict[int, float] = {}
    for f in firms.iter_rows(named=True):
        max_r, comp, texts, alerts, found = None, 0, 0, 0, set()
        for rec in by_firm.get(f["org_id"], ()):
            if rec["occurred_on"] < since:
                continue
            k, text = rec["kind"], rec["text"] or ""
            if k in engine.TEXT_KINDS:
                rates = [float(m) for m in _ANNUAL.findall(text)] + [
                    12 * float(m) for m in _MONTHLY.findall(text)
                ]
                if rates:
                    max_r = max([max_r or 0.0, *rates])
                found.update(x for x in words if x in text)
            comp += k in engine.COMPLAINT_KINDS
            texts += k == "public_text"
            alerts += k == "bank_alert"
        own = f"{f['name']} {f['scope']}"
        own_words = {x for x in words if x in own}
        found |= own_words
        v = viol.get(f["org_id"]) or {}
        records = (v.get("penalties_3y") or 0) + (v.get("judgments_3y") or 0)
        records += bool(v.get("dishonest_debtor")) + bool(v.get("abnormal_listed"))
        y = 0.0 if max_r is None else min(max((max_r - params.lpr) / (params.ceiling - params.lpr), 0), 1)
        parts = (
            y * w["yield_deviation"],
            min(comp / s["complaints_full_at"], 1) * w["complaints"],
            min(texts / s["spread_full_at"], 1) * w["spread"],
            min((len(found) + len(own_words & art9)) / s["keywords_full_at"], 1) * w["keywords"],
            min((records + alerts) / s["violations_full_at"], 1) * w["violations"],
        )
        base[f["org_id"]] = round(sum(round(x, 2) for x in parts), 2)  # the engine's rounding
    g = nx.Graph()
    g.add_nodes_from(base)
    g.add_edges_from(edges.select("a", "b").iter_rows())
    network: dict[int, float] = {}
    for src, b in base.items():
        if b >= params.red:
            for node, hop in nx.single_source_shortest_path_length(g, src, cutoff=params.max_depth).items():
                if hop:
                    network[node] = max(network.get(node, 0.0), params.decay**hop)
    clusters = {}
    for comp_nodes in nx.connected_components(g):
        if len(comp_nodes) > 1:
            low = min(comp_nodes)
            for node in comp_nodes:
                clusters[node] = low
    colours = {}
    for fid, b in base.items():
        idx = round(min(b + round(network.get(fid, 0.0) * w["network"], 2), 100), 1)
        colours[fid] = "red" if idx >= params.red else "yellow" if idx >= params.yellow else "green"
    return colours


def sample(firms, signals, violations, edges, share: float):
    cut = max(int(firms.height * share), 1)
    keep = firms.head(cut)
    return (
        keep,
        signals.filter(pl.col("org_id") <= cut),
        violations.filter(pl.col("org_id") <= cut),
        edges.filter((pl.col("a") <= cut) & (pl.col("b") <= cut)),
    )


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    res = fn()
    return res, time.perf_counter() - t0, time.process_time() - c0


def stages(firms, signals, violations, edges, params) -> list[tuple[str, float, float]]:
    """Wall and CPU seconds of each stage of ``engine.run``, run one after the other (the sum is close to
    the whole run; the whole run is timed separately)."""
    rows = []
    m, w, c = _timed(lambda: engine.measures(firms, signals, violations, params, TODAY))
    rows.append(("1 measures (counts, rates, dictionary words, violations)", w, c))
    scored, w, c = _timed(lambda: engine.dimension_scores(m, params))
    rows.append(("1 dimension points", w, c))
    red = engine.red_sources(scored, params)
    dense, w, c = _timed(lambda: engine._Dense(edges))
    rows.append(("2 network: dense positions", w, c))
    _, w, c = _timed(lambda: engine.propagate(edges, red, params, dense))
    rows.append((f"2 network: propagation from {red.len():,} red firms", w, c))
    _, w, c = _timed(lambda: engine.components(edges, dense=dense))
    rows.append(("2 network: clusters (label propagation)", w, c))
    graph, w, c = _timed(lambda: engine.network(edges, red, params))
    rows.append(("2 network: whole stage (the three above + join)", w, c))
    _, w, c = _timed(lambda: engine.finish(scored, graph, params))
    rows.append(("3 index and colour", w, c))
    return rows


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=3_000_000)
    ap.add_argument("--signals", type=int, default=5_000_000)
    ap.add_argument(
        "--naive-sample", type=float, default=0.02, help="share of firms the naive approach runs on"
    )
    ap.add_argument("--budget", type=float, default=10.0, help="seconds the engine may take")
    args = ap.parse_args()
    params = reference.params()
    t0 = time.perf_counter()
    firms, signals, violations, edges = generate(args.enterprises, args.edges, args.signals)
    gen = time.perf_counter() - t0
    print(
        f"risk bench: {firms.height:,} enterprises, {edges.height:,} edges, {signals.height:,} signals "
        f"(generated in {gen:.1f} s); {os.cpu_count()} cores",
        flush=True,
    )
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    result = engine.run(firms, signals, violations, edges, params, TODAY)
    fast, fast_cpu = time.perf_counter() - t0, time.process_time() - c0
    counts = engine.colour_counts(result)
    clusters = result.filter(pl.col("cluster_size") >= 2)["cluster"].n_unique()
    print(
        f"engine: {fast:.2f} s wall, {fast_cpu:.2f} s CPU (all threads)  colours {counts}  clusters {clusters:,}  "
        f"(load average before: {load_before:.1f} on {os.cpu_count()} cores)",
        flush=True,
    )

    print(f"stages (load average {os.getloadavg()[0]:.1f}):            wall s    CPU s")
    for name, w, c in stages(firms, signals, violations, edges, params):
        print(f"  {name:<58} {w:6.2f} {c:8.2f}", flush=True)

    s_f, s_s, s_v, s_e = sample(firms, signals, violations, edges, args.naive_sample)
    t0, c0 = time.perf_counter(), time.process_time()
    colours = naive(s_f, s_s, s_v, s_e, params)
    slow_sample, slow_cpu = time.perf_counter() - t0, time.process_time() - c0
    scale = firms.height / s_f.height
    slow = slow_sample * scale
    check = engine.run(s_f, s_s, s_v, s_e, params, TODAY)
    agree = sum(1 for fid, c in check.select("org_id", "colour").iter_rows() if colours.get(fid) == c)
    print(
        f"naive (per-firm Python loop + networkx): {slow_sample:.2f} s on {s_f.height:,} firms, "
        f"{s_s.height:,} signals, {s_e.height:,} edges; extrapolated linearly ×{scale:.0f} → {slow:.1f} s; "
        f"same colour as the engine for {agree:,}/{s_f.height:,} firms",
        flush=True,
    )
    speedup = slow / fast
    cpu_speedup = slow_cpu * scale / fast_cpu
    print(
        f"speed-up: {speedup:.1f}× wall, {cpu_speedup:.1f}× CPU time   peak memory (process RSS, data included): "
        f"{peak_mb():,.0f} MB"
    )
    print(
        "| enterprises | edges | signals | engine s (wall / CPU) | naive s, extrapolated (wall / CPU) | speed-up | peak MB |"
    )
    print(
        f"| {firms.height:,} | {edges.height:,} | {signals.height:,} | {fast:.2f} / {fast_cpu:.2f} | "
        f"{slow:.1f} / {slow_cpu * scale:.1f} | {speedup:.1f}× | {peak_mb():,.0f} |"
    )
    ok = fast <= args.budget and speedup >= 5 and agree == s_f.height
    if not ok:
        print(f"FAILED: budget {args.budget} s, ≥ 5× and identical colours required", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

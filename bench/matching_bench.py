"""Matching benchmark: eligibility + top-10 products per enterprise, N enterprises × P products.

    .venv/bin/python bench/matching_bench.py --enterprises 1000000 --products 1000

Synthetic enterprises (the ENTERPRISE_FIELDS columns of ``bench/rules_eligibility_bench.py`` plus a
financing need: an open demand for ~30%, otherwise the inferred need of ``engine.infer_need``) and P
products (amount/term/rate ranges, collateral, policy support, and a ~5-clause eligibility rule from the
same realistic templates). In one process it times:

(a) optimized: ``jinfu.rules.batch.eligibility_chunks`` (shared clauses) + ``engine.Ranker.top_k`` per chunk
    (``engine.batch_top_k``: a chunk is ranked while the next one's eligibility is computed; also timed
    one after the other, to show the two parts; one untimed warm-up chunk first);
(b) naive Polars: one ``df.select(rule.to_polars())`` per rule for eligibility, + the same top-k;
(c) naive DuckDB: one SQL query per rule, + the same top-k;

checks that (a), (b) and (c) give the same top-10 (every row) and that (a) equals the brute-force top-10
on a sample of rows, then prints a table and ``RESULT`` lines.
"""
# make bench 50: --enterprises {enterprises} --products {products}

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from rules_eligibility_bench import product_rules, synthetic_features  # noqa: E402

from jinfu.financing import engine  # noqa: E402
from jinfu.rules import (  # noqa: E402
    ENTERPRISE_FIELDS,
    compile_rule,
    eligibility_chunks,
    eligibility_duckdb,
    eligibility_naive_polars,
)

COLLATERAL = ["房产抵押", "土地抵押", "设备抵押", "应收账款质押", "知识产权质押", "股权质押", "担保公司保证"]
OFFER_SETS = [
    [],
    [],
    [],
    ["房产抵押"],
    ["设备抵押"],
    ["应收账款质押"],
    ["房产抵押", "设备抵押"],
    ["担保公司保证"],
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_products(p: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed + 1)
    lo = np.round(np.exp(rng.uniform(np.log(10), np.log(2000), p)), -1).clip(10)
    term_lo = rng.choice([1, 3, 6, 12], p)
    rate_min = np.round(rng.uniform(2.8, 7.5, p), 2)
    return pl.DataFrame(
        {
            "product_id": np.arange(1, p + 1),
            "amount_min": lo,
            "amount_max": lo * rng.choice([3, 5, 10, 20, 50], p),
            "term_min": term_lo,
            "term_max": term_lo * rng.choice([2, 3, 6, 12], p),
            "rate_min": rate_min,
            "rate_max": np.round(rate_min + rng.uniform(0.5, 3.0, p), 2),
            "collateral": [
                []
                if rng.random() < 0.35
                else sorted(rng.choice(COLLATERAL, rng.integers(1, 4), replace=False))
                for _ in range(p)
            ],
            "policy_support": [
                sorted(rng.choice(list(engine.POLICY_SUPPORTS), rng.integers(0, 3), replace=False))
                for _ in range(p)
            ],
            "expected_days": rng.integers(3, 30, p),
        },
        schema_overrides={"collateral": pl.List(pl.String), "policy_support": pl.List(pl.String)},
    )


def with_demands(df: pl.DataFrame, seed: int) -> pl.DataFrame:
    """~30% of enterprises have an open financing demand; the others get the inferred need."""
    rng = np.random.default_rng(seed + 2)
    n = df.height
    has = rng.random(n) < 0.3
    amount = np.round(np.exp(rng.normal(np.log(300), 1.2, n)), -1).clip(10, 20000)
    offers = [OFFER_SETS[i] for i in rng.integers(0, len(OFFER_SETS), n)]
    df = df.with_columns(
        pl.Series("demand_amount", np.where(has, amount, np.nan)).fill_nan(None),
        pl.Series("demand_term", np.where(has, rng.choice([3, 6, 12, 24, 36, 60], n), 0)).replace(0, None),
        pl.Series("demand_collateral", offers, dtype=pl.List(pl.String)),
    )
    return engine.infer_needs(df)


def run_top_k(ranker, needs: dict, matrices, n: int, k: int):
    """Top-k over (offset, matrix) chunks into n × k arrays; returns (idx, scores, seconds in top-k)."""
    idx = np.empty((n, k), dtype=np.int32)
    sc = np.empty((n, k), dtype=np.float32)
    spent = 0.0
    for offset, m in matrices:
        t = time.perf_counter()
        sl = slice(offset, offset + m.shape[0])
        i, s = ranker.top_k({key: v[sl] for key, v in needs.items()}, m, k)
        idx[sl], sc[sl] = i, s
        spent += time.perf_counter() - t
    return idx, sc, spent


def chunks_of(matrix: np.ndarray, rows: int):
    for o in range(0, matrix.shape[0], rows):
        yield o, matrix[o : o + rows]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--chunk", type=int, default=200_000, help="rows per eligibility chunk")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=None, help="top-k worker threads (default min(2, CPUs))")
    ap.add_argument("--skip-naive", action="store_true", help="time only the optimized path")
    args = ap.parse_args(argv)
    k = args.k

    t0 = time.perf_counter()
    df = with_demands(synthetic_features(args.enterprises, args.seed), args.seed)
    texts = product_rules(args.products, args.seed)
    rules = [compile_rule(t, ENTERPRISE_FIELDS) for t in texts]
    products = synthetic_products(args.products, args.seed)
    # the needs as arrays (the columns a batch job reads from the feature table)
    needs = engine.needs_from_frame(df)
    setup = time.perf_counter() - t0
    print(
        f"{df.height:,} enterprises × {len(rules)} products ({sum(len(r.clauses) for r in rules)} rule clauses), "
        f"{int((~df['need_inferred']).sum()):,} with an open demand; set up in {setup:.1f} s"
    )

    # warm-up (untimed): one chunk through the whole path (first-use costs: thread pools, allocations)
    head = df.head(min(args.chunk, df.height))
    engine.batch_top_k(
        eligibility_chunks(rules, head, args.chunk),
        {key: v[: head.height] for key, v in needs.items()},
        engine.Ranker(products, threads=args.threads),
        head.height,
        k,
    )

    # (a) optimized: shared-clause eligibility chunks, each ranked by the engine while the next chunk's
    # eligibility is computed (engine.batch_top_k)
    ranker = engine.Ranker(products, threads=args.threads)
    t0 = time.perf_counter()
    idx_a, sc_a = engine.batch_top_k(eligibility_chunks(rules, df, args.chunk), needs, ranker, df.height, k)
    t_a = time.perf_counter() - t0
    mem_a = peak_mb()
    rows = [("(a) optimized: eligibility_chunks + top-k (overlapped)", t_a)]

    # the same one after the other, to show the two parts
    t_elig = 0.0

    def timed_chunks():
        nonlocal t_elig
        t0 = time.perf_counter()
        for item in eligibility_chunks(rules, df, args.chunk):
            t_elig += time.perf_counter() - t0
            yield item
            t0 = time.perf_counter()

    t0 = time.perf_counter()
    idx_s, sc_s = engine.batch_top_k(
        timed_chunks(), needs, engine.Ranker(products, threads=args.threads), df.height, k, overlap=False
    )
    t_seq = time.perf_counter() - t0
    t_topk = t_seq - t_elig
    assert np.array_equal(idx_a, idx_s) and np.array_equal(sc_a, sc_s, equal_nan=True)
    del idx_s, sc_s
    rows += [
        ("(a) not overlapped", t_seq),
        ("    of which eligibility (rules.batch)", t_elig),
        ("    of which top-k (financing.engine)", t_topk),
    ]

    t0 = time.perf_counter()
    push = pl.concat(
        [
            engine.push_list(
                idx_a[o : o + args.chunk], sc_a[o : o + args.chunk], ranker.product_ids, offset=o
            )
            for o in range(0, df.height, args.chunk)
        ]
    )
    rows.append(("push list (精准推送) frame from top-k", time.perf_counter() - t0))

    # exactness: (a) equals the dense brute force on a sample of rows
    sample = np.unique(np.linspace(0, df.height - 1, min(2000, df.height)).astype(np.int64))
    sample_needs = {
        key: (v[sample] if isinstance(v, np.ndarray) else v.gather(sample)) for key, v in needs.items()
    }
    e_sample = np.concatenate([m for _, m in eligibility_chunks(rules, df[sample], len(sample))])
    ref_i, ref_s = engine.top_k_bruteforce(sample_needs, products, e_sample, k)
    assert np.array_equal(idx_a[sample], ref_i), "top-k != brute force"
    assert np.array_equal(sc_a[sample], ref_s, equal_nan=True), "top-k scores != brute force"

    t_pol = t_duck = float("nan")
    if not args.skip_naive:
        # (b) naive Polars eligibility + the same top-k
        t0 = time.perf_counter()
        e = eligibility_naive_polars(rules, df)
        idx_b, sc_b, _ = run_top_k(
            engine.Ranker(products, threads=args.threads), needs, chunks_of(e, args.chunk), df.height, k
        )
        t_pol = time.perf_counter() - t0
        del e
        rows.append(("(b) naive Polars (select per rule) + top-k", t_pol))
        assert np.array_equal(idx_a, idx_b) and np.array_equal(sc_a, sc_b, equal_nan=True), "(a) != (b)"
        del idx_b, sc_b
        # (c) naive DuckDB eligibility + the same top-k
        t0 = time.perf_counter()
        e = eligibility_duckdb(rules, df)
        idx_c, sc_c, _ = run_top_k(
            engine.Ranker(products, threads=args.threads), needs, chunks_of(e, args.chunk), df.height, k
        )
        t_duck = time.perf_counter() - t0
        del e
        rows.append(("(c) naive DuckDB (query per rule) + top-k", t_duck))
        assert np.array_equal(idx_a, idx_c) and np.array_equal(sc_a, sc_c, equal_nan=True), "(a) != (c)"

    print(f"\n{'path':<56} {'seconds':>9}")
    for name, s in rows:
        print(f"{name:<56} {s:>9.2f}")
    filled = int(np.count_nonzero(idx_a >= 0))
    print(
        f"push list: {push.height:,} rows ({filled / df.height:.2f} products per enterprise, "
        f"{int(np.count_nonzero((idx_a >= 0).sum(axis=1) == 0)):,} enterprises with none); "
        f"top-k = brute force on {len(sample):,} rows"
        + ("" if args.skip_naive else "; (a) = (b) = (c) on every row")
    )
    print(
        f"RESULT name=matching_batch seconds={t_a:.3f} ratio_vs_polars_naive={t_pol / t_a:.2f} "
        f"ratio_vs_duckdb_naive={t_duck / t_a:.2f} peak_mb={mem_a:.0f} "
        f"sequential_seconds={t_seq:.3f} eligibility_seconds={t_elig:.3f} topk_seconds={t_topk:.3f} enterprises={df.height} products={len(rules)} k={k}"
    )
    if not args.skip_naive:
        print(f"RESULT name=matching_polars_naive seconds={t_pol:.3f}")
        print(f"RESULT name=matching_duckdb_naive seconds={t_duck:.3f}")


if __name__ == "__main__":
    main()

"""Eligibility benchmark: N enterprises × P product rules (about 5 clauses each).

    .venv/bin/python bench/rules_eligibility_bench.py --enterprises 1000000 --products 1000

Builds a synthetic enterprise feature table with the ENTERPRISE_FIELDS columns and P product rules
drawn from realistic templates, then times (a) shared-clause batch eligibility (``eligibility`` over
200k-row chunks, the way the ranking consumes it), (b) naive Polars, one ``select`` per rule, and
(c) naive DuckDB, one query per rule, in the same run; (a) is checked against (b) and (c) on a sample.
Prints a table and ``RESULT`` lines.
"""
# make bench 40: --enterprises {enterprises} --products {products}

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

import django
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
# The enterprise fields come from the feature sets the installed modules register when Django loads
# its apps (no database is touched).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinfu.settings")
django.setup()

from jinfu.rules import (  # noqa: E402
    ENTERPRISE_FIELDS,
    compile_rule,
    eligibility_chunks,
    eligibility_duckdb,
    eligibility_naive_polars,
)

SECTIONS = list("ABCDEFGHIJKLMNOPQRS")
DIVISIONS = [f"3201{i:02d}" for i in range(1, 14)] + [f"3202{i:02d}" for i in range(1, 8)]
SIZES = ["large", "medium", "small", "micro"]
GRADES = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_features(n: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)

    def with_nulls(values, share):
        s = pl.Series(values)
        return s.scatter(np.flatnonzero(rng.random(n) < share), None) if share else s

    revenue = np.round(rng.lognormal(6.0, 1.6, n), 1)
    reg = np.round(rng.lognormal(6.5, 1.5, n), 1)
    sec = rng.choice(SECTIONS, n)
    div2 = rng.integers(1, 97, n)
    return pl.DataFrame(
        {
            "uscc": [f"91320100MA{i:08d}" for i in range(n)],
            "division_code": rng.choice(DIVISIONS, n),
            "zone_code": with_nulls(rng.choice([f"Z{i:02d}" for i in range(12)], n), 0.6),
            "industry_code": [f"{d:02d}{x:02d}" for d, x in zip(div2, rng.integers(10, 99, n), strict=True)],
            "industry_section": sec,
            "industry_division": [f"{d:02d}" for d in div2],
            "size_class": rng.choice(SIZES, n, p=[0.02, 0.08, 0.3, 0.6]),
            "registered_capital": reg,
            "paid_in_capital": np.round(reg * rng.uniform(0.1, 1.0, n), 1),
            "revenue": with_nulls(revenue, 0.05),
            "total_assets": np.round(revenue * rng.uniform(0.5, 3, n), 1),
            "employees": with_nulls(rng.integers(1, 2000, n), 0.03),
            "established_years": np.round(rng.uniform(0, 30, n), 1),
            "credit_score": with_nulls(np.round(rng.normal(70, 12, n), 1), 0.3),
            "credit_grade": with_nulls(rng.choice(GRADES, n), 0.3),
            "is_first_loan": with_nulls(rng.random(n) < 0.4, 0.2),
            "tag_specialized": rng.random(n) < 0.05,
            "tag_high_tech": rng.random(n) < 0.1,
            "tag_tech_sme": rng.random(n) < 0.15,
            "tag_green": rng.random(n) < 0.08,
            "tag_above_scale": rng.random(n) < 0.2,
        }
    )


def product_rules(p: int, seed: int = 7) -> list[str]:
    r = random.Random(seed)

    def quoted(xs):
        return ", ".join(f"'{x}'" for x in xs)

    templates = [
        lambda: f"revenue >= {r.choice([50, 100, 300, 500, 1000, 2000, 5000])}",
        lambda: f"employees >= {r.choice([5, 10, 20, 50, 100, 300])}",
        lambda: f"established_years >= {r.choice([1, 2, 3, 5])}",
        lambda: f"industry_section IN ({quoted(sorted(r.sample(SECTIONS, r.randint(1, 5))))})",
        lambda: f"division_code IN ({quoted(sorted(r.sample(DIVISIONS, r.randint(1, 6))))})",
        lambda: (
            f"size_class IN ({quoted(r.choice([['small', 'micro'], ['medium', 'small', 'micro'], ['micro']]))})"
        ),
        lambda: r.choice(
            [
                f"credit_grade IN ({quoted(GRADES[: r.randint(1, 4)])})",
                f"credit_score >= {r.choice([60, 65, 70, 75, 80])}",
                f"(credit_grade IN ({quoted(GRADES[:3])}) OR credit_score >= {r.choice([70, 80])})",
            ]
        ),
        lambda: r.choice(
            ["tag_high_tech = TRUE", "tag_specialized = TRUE", "tag_tech_sme", "tag_green = TRUE"]
        ),
        lambda: f"registered_capital >= {r.choice([100, 500, 1000])}",
        lambda: "COALESCE(is_first_loan, FALSE)",
        lambda: f"total_assets BETWEEN {r.choice([0, 100])} AND {r.choice([5000, 20000, 40000])}",
    ]
    rules = []
    for _ in range(p):
        k = r.choice([4, 5, 5, 5, 6])
        rules.append(" AND ".join(t() for t in r.sample(templates, k)))
    return rules


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--chunk-rows", type=int, default=200_000)
    ap.add_argument("--skip-naive", action="store_true", help="time only the batch path")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    df = synthetic_features(args.enterprises, args.seed)
    texts = product_rules(args.products, args.seed)
    rules = [compile_rule(t, ENTERPRISE_FIELDS) for t in texts]
    distinct = len({c.key for r in rules for c in r.clauses})
    n_clauses = sum(len(r.clauses) for r in rules)
    setup = time.perf_counter() - t0
    print(
        f"frame {df.height:,} × {df.width} built, {len(rules)} rules ({n_clauses} clauses, {distinct} distinct) in {setup:.1f} s"
    )

    # (a) shared-clause batch, chunk-wise (each chunk's matrix consumed, e.g. counted)
    t0 = time.perf_counter()
    eligible = 0
    sample_rows = np.arange(0, df.height, max(1, df.height // 2000))
    sample_rules = np.arange(0, len(rules), max(1, len(rules) // 50))
    batch_sample = np.zeros((len(sample_rows), len(sample_rules)), dtype=bool)
    per_rule = np.zeros(len(rules), dtype=np.int64)
    for offset, m in eligibility_chunks(rules, df, args.chunk_rows):
        per_rule += m.sum(axis=0)
        in_chunk = (sample_rows >= offset) & (sample_rows < offset + m.shape[0])
        batch_sample[in_chunk] = m[sample_rows[in_chunk] - offset][:, sample_rules]
    eligible = int(per_rule.sum())
    t_batch = time.perf_counter() - t0
    mem_batch = peak_mb()
    rows = [("eligibility_batch (shared clauses, chunks)", t_batch)]

    t_pol = t_duck = float("nan")
    if not args.skip_naive:
        t0 = time.perf_counter()
        naive = eligibility_naive_polars(rules, df)
        t_pol = time.perf_counter() - t0
        rows.append(("naive Polars (one select per rule)", t_pol))
        assert np.array_equal(naive[sample_rows][:, sample_rules], batch_sample), "batch != naive Polars"
        assert int(naive.sum()) == eligible, "batch != naive Polars (counts)"
        del naive
        t0 = time.perf_counter()
        duck = eligibility_duckdb(rules, df)
        t_duck = time.perf_counter() - t0
        rows.append(("naive DuckDB (one query per rule)", t_duck))
        assert np.array_equal(duck[sample_rows][:, sample_rules], batch_sample), "batch != DuckDB"
        del duck

    print(f"\n{'path':<46} {'seconds':>9}")
    for name, s in rows:
        print(f"{name:<46} {s:>9.2f}")
    print(f"eligible pairs: {eligible:,} of {df.height * len(rules):,}; sample check passed")
    print(
        f"RESULT name=eligibility_batch seconds={t_batch:.3f} ratio_vs_polars_naive={t_pol / t_batch:.2f} "
        f"ratio_vs_duckdb_naive={t_duck / t_batch:.2f} peak_mb={mem_batch:.0f} "
        f"enterprises={df.height} products={len(rules)} distinct_clauses={distinct}"
    )
    if not args.skip_naive:
        print(f"RESULT name=eligibility_polars_naive seconds={t_pol:.3f}")
        print(f"RESULT name=eligibility_duckdb_naive seconds={t_duck:.3f}")


if __name__ == "__main__":
    main()

"""Batch eligibility (shared clauses, NumPy fast paths, packed bits) equals the naive paths."""

from __future__ import annotations

import random

import numpy as np
import polars as pl

from jinfu.rules import (
    ENTERPRISE_FIELDS,
    compile_rule,
    eligibility,
    eligibility_chunks,
    eligibility_duckdb,
    eligibility_naive_polars,
    eligibility_packed,
)

SECTIONS = list("ABCDEFGHI")
GRADES = ["AAA", "AA", "A", "BBB", "BB", "B", "C"]


def frame(n: int, seed: int = 3) -> pl.DataFrame:
    r = random.Random(seed)

    def maybe(v, p=0.15):
        return None if r.random() < p else v

    rows = [
        {
            "division_code": maybe(r.choice(["320102", "320104", "320105"])),
            "industry_section": maybe(r.choice(SECTIONS)),
            "size_class": maybe(r.choice(["large", "medium", "small", "micro"])),
            "revenue": maybe(float(r.choice([0, 30, 50, 320, 500, 1200, 6000, r.uniform(0, 9000)]))),
            "total_assets": maybe(r.uniform(0, 9000)),
            "employees": maybe(r.randint(0, 600)),
            "established_years": maybe(r.choice([0.5, 1, 2, 3, 5, 12.5])),
            "credit_score": maybe(r.uniform(40, 100), 0.4),
            "credit_grade": maybe(r.choice(GRADES), 0.4),
            "is_first_loan": maybe(r.random() < 0.5, 0.3),
            "tag_high_tech": maybe(r.random() < 0.3),
            "tag_green": r.random() < 0.2,
        }
        for _ in range(n)
    ]
    schema = {
        "division_code": pl.String,
        "industry_section": pl.String,
        "size_class": pl.String,
        "revenue": pl.Float64,
        "total_assets": pl.Float64,
        "employees": pl.Int64,
        "established_years": pl.Float64,
        "credit_score": pl.Float64,
        "credit_grade": pl.String,
        "is_first_loan": pl.Boolean,
        "tag_high_tech": pl.Boolean,
        "tag_green": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema)


def rules(p: int, seed: int = 5) -> list[str]:
    r = random.Random(seed)
    q = lambda xs: ", ".join(f"'{x}'" for x in xs)  # noqa: E731
    templates = [
        lambda: f"revenue {r.choice(['>=', '>', '<', '<=', '=', '<>'])} {r.choice([50, 320, 500, 1000])}",
        lambda: f"{r.choice([50, 500])} <= revenue",
        lambda: f"employees >= {r.choice([0, 10, 300])}",
        lambda: f"NOT employees < {r.choice([10, 100])}",
        lambda: f"established_years BETWEEN {r.choice([0, 1, 3])} AND {r.choice([5, 10])}",
        lambda: f"industry_section {r.choice(['', 'NOT '])}IN ({q(r.sample(SECTIONS, r.randint(1, 4)))})",
        lambda: "industry_section NOT IN ('A', NULL)",
        lambda: f"division_code IN ({q(r.sample(['320102', '320104', '320105'], 2))}, NULL)",
        lambda: f"size_class {r.choice(['=', '<>', '>'])} '{r.choice(['small', 'micro'])}'",
        lambda: f"credit_grade IN ({q(GRADES[: r.randint(1, 4)])}) OR credit_score >= {r.choice([60, 80])}",
        lambda: f"credit_grade IS {r.choice(['', 'NOT '])}NULL",
        lambda: r.choice(
            ["tag_high_tech", "NOT tag_high_tech", "tag_high_tech = FALSE", "tag_green <> TRUE"]
        ),
        lambda: r.choice(["is_first_loan IN (TRUE)", "COALESCE(is_first_loan, TRUE)", "NOT is_first_loan"]),
        lambda: "revenue / employees > 2",
        lambda: f"employees IN ({r.randint(0, 5)}, 10, 300)",
        lambda: "1 = 1",
    ]
    return [" AND ".join(t() for t in r.sample(templates, r.randint(1, 6))) for _ in range(p)]


def test_batch_equals_naive_on_generated_rules():
    df = frame(3000)
    compiled = [compile_rule(t, ENTERPRISE_FIELDS) for t in rules(400)]
    batch = eligibility(compiled, df)
    naive = eligibility_naive_polars(compiled, df)
    assert batch.shape == (df.height, len(compiled)) and batch.dtype == bool
    assert np.array_equal(batch, naive)
    assert np.array_equal(eligibility_duckdb(compiled[:60], df), naive[:, :60])
    rows = df.to_dicts()
    for j in range(0, len(compiled), 37):
        assert [compiled[j].passes(row) for row in rows] == batch[:, j].tolist(), compiled[j].text
    assert 0 < batch.sum() < batch.size


def test_chunks_and_packed_agree():
    df = frame(1001)
    compiled = [compile_rule(t, ENTERPRISE_FIELDS) for t in rules(50, seed=9)]
    whole = eligibility(compiled, df)
    parts = list(eligibility_chunks(compiled, df, chunk_rows=300))
    assert [o for o, _ in parts] == [0, 300, 600, 900]
    assert np.array_equal(np.vstack([m for _, m in parts]), whole)
    packed = eligibility_packed(compiled, df)
    assert np.array_equal(np.unpackbits(packed, axis=1, count=df.height).astype(bool).T, whole)


def test_nan_is_treated_as_null():
    df = pl.DataFrame({"revenue": [float("nan"), 600.0, None]})
    compiled = [
        compile_rule("revenue >= 500", ENTERPRISE_FIELDS),
        compile_rule("revenue < 500 OR TRUE", ENTERPRISE_FIELDS),
    ]
    m = eligibility(compiled, df)
    assert m[:, 0].tolist() == [False, True, False]
    assert [compiled[0].passes(r) for r in df.to_dicts()] == [False, True, False]

"""Feature-table refresh benchmark: generate source-record frames for N enterprises and time the pure
credit feature derivation (jinfu.credit.features.derive). Prints
`RESULT name=feature_refresh seconds=<s> peak_mb=<m>`."""
# make bench 70: --enterprises {enterprises}

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import numpy as np
import polars as pl

from jinfu.credit.features import derive


def frames(n: int, seed: int, today: dt.date) -> dict[str, pl.DataFrame]:
    r = np.random.default_rng(seed)
    ids = np.arange(1, n + 1, dtype=np.int64)
    months = [
        dt.date(today.year - (1 if today.month - k <= 0 else 0), (today.month - k - 1) % 12 + 1, 1)
        for k in range(1, 14)
    ]
    rep = lambda k: np.repeat(ids, k)  # noqa: E731
    return {
        "tax": pl.DataFrame(
            {
                "org_id": rep(3),
                "year": np.tile([today.year - 3, today.year - 2, today.year - 1], n),
                "credit_grade": r.choice(list("ABMCD"), 3 * n),
                "tax_paid": r.uniform(0, 500, 3 * n),
            }
        ),
        "social_insurance": pl.DataFrame(
            {
                "org_id": rep(13),
                "month": pl.Series(months * n, dtype=pl.Date),
                "insured": r.integers(1, 300, 13 * n),
            }
        ),
        "utility": pl.DataFrame(
            {
                "org_id": rep(12),
                "month": pl.Series(months[:12] * n, dtype=pl.Date),
                "kind": ["electricity"] * (12 * n),
                "cost": r.uniform(0, 10, 12 * n),
            }
        ),
        "procurement": pl.DataFrame(
            {
                "org_id": r.choice(ids, n // 10),
                "date": pl.Series([today - dt.timedelta(days=30)] * (n // 10)),
                "amount": r.uniform(1, 300, n // 10),
            }
        ),
        "court": pl.DataFrame(
            {
                "org_id": r.choice(ids, n // 20),
                "kind": r.choice(["dishonest_debtor", "enforcement", "judgment"], n // 20),
                "date": pl.Series([today - dt.timedelta(days=200)] * (n // 20)),
                "closed": r.random(n // 20) < 0.3,
            }
        ),
        "penalty": pl.DataFrame(
            {
                "org_id": r.choice(ids, n // 20),
                "date": pl.Series([today - dt.timedelta(days=400)] * (n // 20)),
            }
        ),
        "abnormal": pl.DataFrame(
            {
                "org_id": r.choice(ids, n // 30),
                "listed_on": pl.Series([today - dt.timedelta(days=90)] * (n // 30)),
                "removed_on": pl.Series([None] * (n // 30), dtype=pl.Date),
            }
        ),
        "ip": pl.DataFrame(
            {
                "org_id": r.choice(ids, n),
                "kind": r.choice(["invention", "utility", "design", "trademark", "software_copyright"], n),
            }
        ),
        "environment": pl.DataFrame(
            {
                "org_id": r.choice(ids, n // 3, replace=False),
                "year": [today.year - 1] * (n // 3),
                "rating": r.choice(list("绿蓝黄红黑"), n // 3),
            }
        ),
        "financials": pl.DataFrame(
            {
                "org_id": ids,
                "year": [today.year - 1] * n,
                "revenue": r.uniform(10, 50000, n),
                "net_profit": r.normal(100, 200, n),
                "total_assets": r.uniform(10, 50000, n),
                "net_assets": r.uniform(1, 5000, n),
                "rd_expense": r.uniform(0, 500, n),
                "operating_cash_flow": r.normal(50, 100, n),
            }
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    today = dt.date.today()
    f = frames(a.enterprises, a.seed, today)
    rows = sum(x.height for x in f.values())
    t = time.perf_counter()
    out = derive(pl.Series(np.arange(1, a.enterprises + 1, dtype=np.int64)), f, today)
    s = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert out.height == a.enterprises
    print(f"# {a.enterprises} enterprises, {rows} source records, {out.width} columns")
    print(f"RESULT name=feature_refresh seconds={s:.3f} peak_mb={peak:.0f}")


if __name__ == "__main__":
    main()

"""Scoring benchmark: batch-score N enterprises with the exported points table vs optbinning.

    .venv/bin/python bench/scoring_bench.py --enterprises 1000000

Trains a scorecard (optbinning BinningProcess + Scorecard) on 50,000 synthetic rows labelled by the
documented latent model (``engine.latent_default_labels``), then in the same process scores N synthetic rows
(a) with ``engine.score_frame`` (Polars/NumPy, the plain points table: score, grade, top-3 reason codes) and
(b) with optbinning's own ``Scorecard.score`` on a pandas DataFrame (score only), checks that the two
scores agree (|Δ| ≤ 0.05 points, score_frame rounds to 0.1), and prints
``RESULT name=scoring_batch seconds=<s> ratio_vs_optbinning=<x> peak_mb=<m>``.
Peak memory is the process's max RSS (it includes the optbinning run and the input frames).
"""
# make bench 80: --enterprises {enterprises}

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from jinfu.credit.scoring import engine  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enterprises", type=int, default=int(os.environ.get("BENCH_ENTERPRISES", 1_000_000)))
    ap.add_argument("--train-rows", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    train_df = engine.synthetic_features(args.train_rows, seed=args.seed)
    y = engine.latent_default_labels(train_df, seed=args.seed)
    card = engine.train(train_df, y, seed=args.seed)
    t_train = time.perf_counter() - t0

    df = engine.synthetic_features(args.enterprises, seed=args.seed + 1)
    compiled = engine.compile_card(card.points_table)
    engine.score_frame(compiled, df.head(1000))  # warm-up
    t0 = time.perf_counter()
    out = engine.score_frame(compiled, df)
    t_ours = time.perf_counter() - t0
    mem = peak_mb()

    pdf = engine._to_pandas(df, card.features)
    t0 = time.perf_counter()
    ref = card.model.score(pdf)
    t_optb = time.perf_counter() - t0
    diff = float(np.max(np.abs(ref - out["score"].to_numpy())))
    y_val = engine.latent_default_labels(df, seed=args.seed + 1)
    m = engine.validate(y_val, out["score"].to_numpy())

    print(f"train {args.train_rows:,} rows: {t_train:.2f} s; {len(card.points_table)} bins")
    print(f"score_frame {args.enterprises:,} rows (score+grade+3 reasons): {t_ours:.3f} s")
    print(f"optbinning Scorecard.score (pandas, score only): {t_optb:.3f} s; max |Δscore| = {diff:.3f}")
    print(f"validation on the scored rows: AUC {m['auc']:.3f} Gini {m['gini']:.3f} KS {m['ks']:.3f}")
    if diff > 0.051:
        print("MISMATCH between score_frame and optbinning", file=sys.stderr)
        return 1
    print(
        f"RESULT name=scoring_batch seconds={t_ours:.3f} ratio_vs_optbinning={t_optb / t_ours:.2f} "
        f"peak_mb={mem:.0f} rows={args.enterprises}"
    )
    print(f"RESULT name=scoring_optbinning seconds={t_optb:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""City-scale batch benchmark: matching and scoring N enterprises × P products, Polars vs Spark local[2].

    .venv/bin/python -u bench/spark_bench.py --enterprises 3700000 --products 1000

One process: synthetic feature table (the rule catalog's columns, a financing need for ~30%, the scorecard's
features) written to Parquet; the registered ``match`` and ``score`` batch jobs (``jinfu.batch``) run
(a) on Polars and (b) on Spark ``local[2]`` through ``mapInArrow``, over the same Parquet, with the same
pure engines; the outputs are compared (row counts and a sample of rows must be equal). Peak memory is
sampled from /proc every 0.2 s over the process tree (the JVM and Spark's Python workers included).

The per-partition cost (seconds of one core per partition of R rows, from the Spark wall time × 2 cores ÷
partitions) gives the cluster estimate printed at the end: the number of executor cores that bring the
nightly batch of --target-enterprises under --target-seconds. ``--fraction`` runs a stated share of N and
scales the times linearly (the engines are linear in rows: every chunk is independent).
"""
# make bench 110: --enterprises 3700000 --products {products} --fraction {spark_fraction} --partitions 4

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from matching_bench import synthetic_products, with_demands  # noqa: E402
from rules_eligibility_bench import product_rules, synthetic_features  # noqa: E402

from jinfu.batch import runner  # noqa: E402
from jinfu.credit.scoring import batch as score_batch  # noqa: E402
from jinfu.credit.scoring import engine as scoring  # noqa: E402
from jinfu.financing import batch as match_batch  # noqa: E402


class TreeMemory:
    """Peak resident memory (MB) of this process and all its descendants, sampled from /proc."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def _children() -> dict[int, list[int]]:
        kids: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                    kids.setdefault(ppid, []).append(int(d))
                except (OSError, ValueError, IndexError):
                    pass
        return kids

    def sample(self) -> float:
        kids, todo, total = self._children(), [os.getpid()], 0
        while todo:
            pid = todo.pop()
            todo.extend(kids.get(pid, []))
            try:
                with open(f"/proc/{pid}/statm") as fh:
                    total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except OSError:
                pass
        return total / 2**20

    def _loop(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.sample())

    def __enter__(self):
        self.peak = self.sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._stop.clear()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def build_table(n: int, seed: int, path: Path) -> None:
    """Write the synthetic feature table in slices of 500,000 rows (bounded memory)."""
    parts = []
    step = 500_000
    for i, offset in enumerate(range(0, n, step)):
        m = min(step, n - offset)
        df = with_demands(synthetic_features(m, seed=seed + i), seed=seed + i)
        df = df.drop([c for c in df.columns if c.startswith("need_")])
        card = scoring.synthetic_features(m, seed=seed + 100 + i)
        df = pl.concat([df, card.select([c for c in card.columns if c not in df.columns])], how="horizontal")
        df = df.with_columns(pl.Series("org_id", np.arange(offset + 1, offset + m + 1), dtype=pl.Int64))
        part = path / f"part-{i:04d}.parquet"
        df.write_parquet(part)
        parts.append(part)
        del df, card


def _sampled(path: Path) -> pl.DataFrame:
    """Every 997th enterprise's output rows, read lazily (the full 3.7 M-row outputs are never in memory)."""
    files = str(path / "*.parquet") if path.is_dir() else str(path)
    return pl.scan_parquet(files).filter(pl.col("org_id") % 997 == 0).collect()


def timed(label: str, fn):
    with TreeMemory() as mem:
        t0 = time.perf_counter()
        res = fn()
        secs = time.perf_counter() - t0
    print(f"  {label:<34} {secs:8.1f} s   peak {mem.peak:7.0f} MB", flush=True)
    return res, secs, mem.peak


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enterprises", type=int, default=3_700_000)
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--fraction", type=float, default=1.0, help="run this share of --enterprises")
    ap.add_argument("--partitions", type=int, default=0, help="Spark partitions (default: 250,000 rows each)")
    ap.add_argument("--target-enterprises", type=int, default=3_700_000)
    ap.add_argument("--target-seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", default="")
    args = ap.parse_args(argv)

    n = max(1000, int(args.enterprises * args.fraction))
    parts = args.partitions or max(2, math.ceil(n / 250_000))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="jinfu-spark-bench-"))
    table = work / "features"
    table.mkdir(parents=True, exist_ok=True)
    print(
        f"spark_bench: {n:,} enterprises × {args.products:,} products (fraction {args.fraction:g} of "
        f"{args.enterprises:,}); Spark local[2], {parts} partitions; cpus={os.cpu_count()}",
        flush=True,
    )

    t0 = time.perf_counter()
    build_table(n, args.seed, table)
    print(f"  synthetic table → Parquet            {time.perf_counter() - t0:8.1f} s", flush=True)
    products = synthetic_products(args.products, seed=args.seed)
    rules = product_rules(args.products, seed=args.seed)
    train = scoring.synthetic_features(50_000, seed=args.seed)
    card = scoring.train(train, scoring.latent_default_labels(train, seed=args.seed), seed=args.seed)
    contexts = {
        "match": match_batch.context_for(products, rules),
        "score": {"model_id": 0, "version": "bench", "points_table": card.points_table, "grade_bands": None},
    }
    jobs = {"match": match_batch, "score": score_batch}
    from jinfu.batch.registry import BatchJob

    def job(name):
        mod = jobs[name]
        return BatchJob(
            name=name,
            help="",
            schema=mod.SCHEMA,
            run=mod.run,
            prepare=dict,
            key=("org_id", "rank") if name == "match" else ("org_id",),
        )

    results = {}
    print("Polars (one process):", flush=True)
    for name in jobs:
        out = work / f"{name}-polars.parquet"
        res, secs, peak = timed(
            name,
            lambda name=name, out=out: runner.run(
                job(name),
                engine="polars",
                input_path=str(table),
                output_path=str(out),
                context=contexts[name],
            ),
        )
        results[("polars", name)] = (secs, peak, res.rows_out)

    print("Spark local[2] (mapInArrow):", flush=True)
    from jinfu.batch.sparkenv import session

    _, t_start, _ = timed("session start", lambda: session("local[2]"))
    first = sorted(table.glob("*.parquet"))[0]
    timed(
        "warm-up (Python workers' imports)",
        lambda: runner.run(
            job("score"),
            engine="spark",
            input_path=str(first),
            output_path=str(work / "warm"),
            master="local[2]",
            context=contexts["score"],
        ),
    )
    for name in jobs:
        out = work / f"{name}-spark"
        res, secs, peak = timed(
            name,
            lambda name=name, out=out: runner.run(
                job(name),
                engine="spark",
                input_path=str(table),
                output_path=str(out),
                master="local[2]",
                partitions=parts,
                context=contexts[name],
            ),
        )
        results[("spark", name)] = (secs, peak, res.rows_out)

    for name in jobs:
        a, b = results[("polars", name)][2], results[("spark", name)][2]
        if a != b:
            print(f"MISMATCH {name}: polars {a} rows, spark {b} rows", file=sys.stderr)
            return 1
        key = list(job(name).key)
        pa_ = _sampled(work / f"{name}-polars.parquet")
        sp_ = _sampled(work / f"{name}-spark")
        if not pa_.sort(key).equals(sp_.sort(key)):
            print(f"MISMATCH {name}: sampled rows differ", file=sys.stderr)
            return 1

    scale = args.target_enterprises / n
    print(
        f"\nsame rows on both engines (counts + every 997th enterprise). Scaled to "
        f"{args.target_enterprises:,} enterprises (× {scale:.2f}):"
    )
    total_spark = 0.0
    for name in jobs:
        ps, pp, _ = results[("polars", name)]
        ss, sp, _ = results[("spark", name)]
        total_spark += ss
        print(
            f"RESULT name=batch_{name} enterprises={n} products={args.products} polars_s={ps:.1f} "
            f"spark_local2_s={ss:.1f} polars_peak_mb={pp:.0f} spark_peak_mb={sp:.0f} "
            f"polars_s_at_target={ps * scale:.0f} spark_s_at_target={ss * scale:.0f}"
        )
    per_part = total_spark * 2 / parts  # core-seconds per partition (match + score)
    rows_per_part = n / parts
    core_seconds = per_part * args.target_enterprises / rows_per_part
    budget = args.target_seconds - 60 - t_start  # driver export, scheduling, session start
    cores = math.ceil(core_seconds / budget)
    print(
        f"RESULT name=spark_cluster_estimate partition_rows={rows_per_part:.0f} "
        f"core_s_per_partition={per_part:.1f} core_s_total={core_seconds:.0f} "
        f"session_start_s={t_start:.1f} budget_s={budget:.0f} cores_needed={cores} "
        f"executors_4core={math.ceil(cores / 4)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

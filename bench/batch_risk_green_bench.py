"""Batch benchmark: the ``risk`` and ``green`` batch jobs on Polars and on Spark local[2], same inputs.

    .venv/bin/python -u bench/batch_risk_green_bench.py --enterprises 1000000 --projects 1000000 --fraction 1

One process: the risk benchmark's synthetic city (N firms, 3N edges, 5N text signals: bench/risk_bench.py)
and the green benchmark's synthetic projects (bench/green_bench.py) written to Parquet; the registered jobs
(docs/batch.md) run (a) on Polars, (b) on Spark ``local[2]`` — risk: stage 1 in org_id hash partitions,
the graph on the driver, stage 3 in partitions; green: ``mapInArrow`` per partition. The outputs must be
equal row for row (sorted by key). ``--fraction`` runs a stated share of N and says so. Peak memory is sampled
over the process tree (JVM and Python workers included). Prints ``RESULT name=batch_risk|batch_green …``.
"""
# make bench 115: --enterprises {enterprises} --projects {enterprises} --fraction {spark_fraction} --partitions 4

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from green_bench import synthetic as synthetic_projects  # noqa: E402
from risk_bench import TODAY  # noqa: E402
from risk_bench import generate as synthetic_city  # noqa: E402
from spark_bench import TreeMemory  # noqa: E402

from jinfu.batch import runner  # noqa: E402
from jinfu.batch.registry import BatchJob, Plan  # noqa: E402
from jinfu.green import batch as green_batch  # noqa: E402
from jinfu.risk import batch as risk_batch  # noqa: E402
from jinfu.risk import reference  # noqa: E402

JOBS = {
    # the registered jobs without their Django ``prepare`` (the contexts are given)
    "risk": BatchJob(
        "risk", "", risk_batch.SCHEMA, None, dict, plan=Plan(risk_batch.run_polars, risk_batch.run_spark)
    ),
    "green": BatchJob("green", "", green_batch.SCHEMA, green_batch.run, dict, key=("project_id",)),
}


def timed(label: str, fn):
    with TreeMemory() as mem:
        t0, c0 = time.perf_counter(), time.process_time()
        res = fn()
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"  {label:<34} {secs:8.1f} s wall {cpu:8.1f} s driver CPU   peak {mem.peak:7.0f} MB", flush=True)
    return res, secs, mem.peak


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--projects", type=int, default=1_000_000)
    ap.add_argument("--fraction", type=float, default=1.0, help="run this share of the sizes")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--workdir", default="")
    args = ap.parse_args(argv)
    n = max(1000, int(args.enterprises * args.fraction))
    n_projects = max(1000, int(args.projects * args.fraction))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="jinfu-batch-bench-"))
    inputs = {"risk": work / "risk-in", "green": work / "projects.parquet"}
    print(
        f"batch_risk_green_bench: {n:,} firms, {3 * n:,} edges, {5 * n:,} signals; {n_projects:,} projects "
        f"(fraction {args.fraction:g}); Spark local[2], {args.partitions} partitions; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    firms, signals, violations, edges = synthetic_city(n, 3 * n, 5 * n)
    inputs["risk"].mkdir(parents=True, exist_ok=True)
    for name, df in (("firms", firms), ("signals", signals), ("violations", violations), ("edges", edges)):
        df.write_parquet(inputs["risk"] / f"{name}.parquet")
    synthetic_projects(n_projects, seed=7).write_parquet(inputs["green"])
    synthetic_projects(1000, seed=8).write_parquet(work / "warm.parquet")
    del firms, signals, violations, edges
    contexts = {"risk": {"params": reference.params(), "today": TODAY}, "green": {"catalogue": "gfspc2025"}}

    def go(name: str, engine: str, out: Path, **kw):
        return runner.run(
            JOBS[name],
            engine=engine,
            input_path=str(inputs[name]),
            output_path=str(out),
            context=contexts[name],
            **kw,
        )

    results = {}
    print("Polars (one process):", flush=True)
    for name in JOBS:
        res, secs, peak = timed(name, lambda name=name: go(name, "polars", work / f"{name}-polars.parquet"))
        results[("polars", name)] = (secs, peak, res.rows_out)
    print("Spark local[2]:", flush=True)
    from jinfu.batch.sparkenv import session

    timed("session start", lambda: session("local[2]"))
    timed(
        "warm-up (Python workers' imports)",
        lambda: runner.run(
            JOBS["green"],
            engine="spark",
            input_path=str(work / "warm.parquet"),
            output_path=str(work / "warm"),
            context=contexts["green"],
        ),
    )
    for name in JOBS:
        res, secs, peak = timed(
            name,
            lambda name=name: go(
                name, "spark", work / f"{name}-spark", master="local[2]", partitions=args.partitions
            ),
        )
        results[("spark", name)] = (secs, peak, res.rows_out)
    ok = True
    for name, job in JOBS.items():
        key = list(job.key)
        a = runner.read_output(str(work / f"{name}-polars.parquet")).sort(key)
        b = runner.read_output(str(work / f"{name}-spark")).sort(key)
        same = a.equals(b)
        ok &= same
        ps, pp, rows = results[("polars", name)]
        ss, sp, _ = results[("spark", name)]
        print(
            f"RESULT name=batch_{name} rows={rows} fraction={args.fraction:g} polars_s={ps:.1f} "
            f"spark_local2_s={ss:.1f} polars_peak_mb={pp:.0f} spark_peak_mb={sp:.0f} identical={same}"
        )
    if not ok:
        print("MISMATCH: Polars and Spark outputs differ", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

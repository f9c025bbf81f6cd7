"""Green benchmark: identify N synthetic projects against every item of the 2025 catalogue
(《绿色金融支持项目目录（2025年版）》) and compute their carbon, batch (Polars) vs the per-project loop.

    .venv/bin/python bench/green_bench.py --projects 1000000

(a) ``engine.identify_frame`` + ``engine.carbon_frame`` over all N projects (every rule of every 2025
item: industry-code prefixes, keywords, quantity thresholds; electricity factor joined by year and grid);
(b) the obvious loop — ``engine.identify_one`` (jieba words + keywords) and ``engine.carbon_one`` for each
project, the path the web pages use — timed on a sample (``--sample``) and extrapolated linearly to N
(said so in the output); the sample's results are checked to agree with the batch.
Also (c) the same rules as a plain Python loop without jieba (substring tests), a conservative baseline.
Prints ``RESULT name=green_batch seconds=<s> loop_extrapolated_seconds=<s> ratio=<x> ratio_plain_loop=<x>
peak_mb=<m> cpu_seconds=<s>`` (the 1M bound, 10 s, is on the batch's CPU time, all threads); peak
memory is the process's max RSS (input frames included).
"""
# make bench 100: --projects 1000000

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from jinfu.green import engine  # noqa: E402

PLACES = ["南岸区", "渝中区", "江北区", "两江新区", "高新区", "九龙坡区", "沙坪坝区", "巴南区"]
PHRASES = [
    "厂房屋顶分布式光伏发电",
    "既有建筑改造与节能改造",
    "公共充电站及充电桩建设",
    "污水处理厂提标改造",
    "绿色建筑示范楼宇",
    "余热回收利用",
    "工业固废资源化利用",
    "风电场建设",
    "储能电站",
    "生态修复与湿地保护",
    "碳核查与节能诊断服务",
    "绿色家电以旧换新",
    "办公楼装修",
    "商业综合体运营",
    "软件开发外包",
    "物流仓储扩建",
    "餐饮连锁门店",
    "高效电机替换",
    "中水回用系统",
    "生物质锅炉煤改气",
]
INDUSTRIES = ["4416", "4415", "4620", "5267", "4790", "6511", "7724", "4210", "", ""]
KINDS = list(engine.OUTPUT_KINDS)
GRIDS = ["national", "西南", "华中", "华东"]


def synthetic(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    place = np.array(PLACES)[rng.integers(0, len(PLACES), n)]
    a = np.array(PHRASES)[rng.integers(0, len(PHRASES), n)]
    b = np.array(PHRASES)[rng.integers(0, len(PHRASES), n)]
    df = pl.DataFrame(
        {
            "project_id": np.arange(n, dtype=np.int64),
            "place": place,
            "a": a,
            "b": b,
            "no": rng.integers(1, 100_000, n),
            "industry_code": np.array(INDUSTRIES)[rng.integers(0, len(INDUSTRIES), n)],
            "output_kind": np.array(KINDS)[rng.integers(0, len(KINDS), n)],
            "annual_output": rng.gamma(2.0, 800.0, n).round(2),
            "factor_year": rng.integers(2021, 2024, n).astype(np.int32),
            "grid": np.array(GRIDS)[rng.integers(0, len(GRIDS), n)],
        }
    )
    # 2021 has only the national factor: regional rows of 2021 use 2022 (the services refuse a missing pair)
    df = df.with_columns(
        pl.when((pl.col("factor_year") == 2021) & (pl.col("grid") != "national"))
        .then(pl.lit(2022, pl.Int32))
        .otherwise(pl.col("factor_year"))
        .alias("factor_year"),
        pl.concat_str(
            [
                pl.col("place"),
                pl.col("a"),
                pl.lit("，配套"),
                pl.col("b"),
                pl.lit("，第"),
                pl.col("no").cast(pl.Utf8),
                pl.lit("号项目"),
            ]
        ).alias("description"),
    )
    return df.drop("place", "a", "b", "no")


CATALOGUE = "gfspc2025"  # --catalogue: gic2019 exercises the third-level rules of the 2019 catalogue


def batch(df: pl.DataFrame) -> pl.DataFrame:
    ident = engine.identify_frame(df, CATALOGUE)
    carbon = engine.carbon_frame(df)
    return ident.join(carbon, on="project_id")


def loop(rows: list[dict]) -> list[tuple]:
    out = []
    for r in rows:
        matches = engine.identify_one(r, CATALOGUE)
        fig = engine.carbon_one(
            r["output_kind"],
            r["annual_output"],
            engine.OUTPUT_KINDS[r["output_kind"]][1],
            r["factor_year"],
            r["grid"],
        )
        out.append(
            (
                r["project_id"],
                matches[0].item if matches else None,
                matches[0].confidence if matches else 0.0,
                float(fig.value),
            )
        )
    return out


def loop_plain(rows: list[dict]) -> int:
    """The same rules without jieba (substring tests only) and carbon by a dict lookup: the cheapest
    per-project loop, a conservative baseline."""
    table = engine.rules(CATALOGUE)
    factors = {(f["year"], f["grid"]): f["value"] for f in engine.factor_table()["factors"]}
    hits = 0
    for r in rows:
        desc, code = r["description"], r["industry_code"] or ""
        best = 0.0
        for rule in table:
            ind = any(code.startswith(p) for p in rule.industries)
            kws = sum(1 for k in rule.keywords if k in desc)
            if ind or kws:
                thr = r["output_kind"] in rule.output_kinds and r["annual_output"] > 0
                best = max(best, engine.confidence(ind, kws, thr))
        kind = engine.OUTPUT_KINDS[r["output_kind"]][2]
        _red = r["annual_output"] * factors[(r["factor_year"], r["grid"])] if kind == "grid" else 0.0
        hits += best > 0
    return hits


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=int(os.environ.get("BENCH_PROJECTS", 1_000_000)))
    ap.add_argument("--sample", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--catalogue", default=CATALOGUE, choices=["gfspc2025", "gltic2024", "gic2019"])
    args = ap.parse_args(argv)
    globals()["CATALOGUE"] = args.catalogue

    df = synthetic(args.projects, args.seed)
    n_items = len(engine.rules(CATALOGUE))
    batch(df.head(1000))  # warm-up (regex compilation)
    t0, c0 = time.perf_counter(), time.process_time()
    out = batch(df)
    t_batch = time.perf_counter() - t0
    cpu_batch = time.process_time() - c0  # all threads of the process: the bound is on CPU, not wall time
    mem = peak_mb()

    sample = df.head(args.sample).to_dicts()
    engine.tokens("预热")  # jieba loads its dictionary once, outside the timing
    t0 = time.perf_counter()
    ref = loop(sample)
    t_sample = time.perf_counter() - t0
    t_loop = t_sample * args.projects / len(sample)

    plain_rows = df.head(args.sample * 4).to_dicts()
    t0 = time.perf_counter()
    loop_plain(plain_rows)
    t_plain = (time.perf_counter() - t0) * args.projects / len(plain_rows)

    got = out.sort("project_id").head(len(sample))
    bad = 0
    for (pid, item, conf, red), row in zip(ref, got.iter_rows(named=True), strict=True):
        assert row["project_id"] == pid
        if (
            row["best_item"] != item
            or abs(row["confidence"] - conf) > 1e-9
            or abs(row["reduction_t"] - red) > 1e-6 * max(1, red)
        ):
            bad += 1
    matched = out.filter(pl.col("match_count") > 0).height
    print(f"projects={args.projects:,} catalogue={CATALOGUE} rules={n_items} matched={matched:,}")
    print(f"batch identify+carbon: {t_batch:.2f} s wall, {cpu_batch:.2f} s CPU; peak RSS {mem:.0f} MB")
    print(
        f"per-project loop: {t_sample:.2f} s for {len(sample):,} projects, extrapolated to "
        f"{args.projects:,}: {t_loop:.0f} s (measured on a sample, not run in full)"
    )
    print(
        f"per-project loop without jieba (substring rules, dict factors), extrapolated from "
        f"{len(plain_rows):,}: {t_plain:.0f} s (ratio {t_plain / t_batch:.1f}×)"
    )
    print(f"agreement on the sample: {len(sample) - bad}/{len(sample)}")
    ratio = t_loop / t_batch
    print(
        f"RESULT name=green_batch seconds={t_batch:.2f} loop_extrapolated_seconds={t_loop:.1f} "
        f"ratio={ratio:.1f} ratio_plain_loop={t_plain / t_batch:.1f} peak_mb={mem:.0f} cpu_seconds={cpu_batch:.2f}"
    )
    ok = bad == 0 and min(ratio, t_plain / t_batch) >= 5 and (args.projects < 1_000_000 or cpu_batch <= 10)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

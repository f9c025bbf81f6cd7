"""The 涉众风险指数 as a registered batch job (``jinfu batch risk --engine polars|spark``).

Input: a directory of Parquet files with the engine's schemas — ``firms.parquet`` (engine.FIRMS),
``signals.parquet`` (engine.SIGNALS), ``violations.parquet`` (engine.VIOLATIONS) and either ``edges.parquet``
(a, b) or ``attributes.parquet`` (engine.ATTRIBUTES, turned into edges by ``engine.edges_from_attributes``).
``--input db`` writes the directory from the database (``services.load_frames``, what ``recompute`` reads).
Output: one row per firm, the columns of ``engine.run``.

The rows are not independent: the network needs the whole graph. Both paths run the engine's three pure
stages (no second implementation):

* Polars: ``engine.run`` in one process (stage 1, 2, 3 in turn).
* Spark: stage 1 (``engine.score_firms``) in partitions — firms, signals and violations are unioned into one
  tagged frame and hash-partitioned by org_id, so each partition holds every row of its firms; stage 2
  (``engine.network``: propagation from the red firms, clusters) on the driver with Polars over the edge list
  (3 M edges are ~50 MB; the walks are a few vectorised gathers); stage 3 (``engine.finish``, per firm) in
  partitions after a Spark join of the scored firms with the graph table. Splitting the graph itself by
  connected component would not help: the synthetic city and real ones have one giant component.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl

from . import engine

SCORED = {
    "org_id": pl.Int64,
    "complaints_365": pl.Int64,
    "texts_365": pl.Int64,
    "bank_alerts_365": pl.Int64,
    "module_365": pl.Int64,
    "max_return": pl.Float64,
    "words": pl.List(pl.String),
    "n_words": pl.Int64,
    "art9_own": pl.Int64,
    "records": pl.Int64,
    **{f"pts_{d}": pl.Float64 for d in engine.DIMENSIONS if d != "network"},
    "base": pl.Float64,
}
SCHEMA = {
    **SCORED,
    **{k: v for k, v in engine.GRAPH.items() if k != "org_id"},
    "pts_network": pl.Float64,
    "index": pl.Float64,
    "colour": pl.String,
}
INPUTS = {
    "firms": engine.FIRMS,
    "signals": engine.SIGNALS,
    "violations": engine.VIOLATIONS,
}
_TAG = "_table"


def check_inputs(input_path: str) -> None:
    """Every file the job reads is there, before any engine starts (a bilingual error naming the file)."""
    from jinfu.core.errors import ValidationFailed

    d = Path(input_path)
    missing = [f"{n}.parquet" for n in INPUTS if not (d / f"{n}.parquet").is_file()]
    if not (d / "edges.parquet").is_file() and not (d / "attributes.parquet").is_file():
        missing.append("edges.parquet 或/or attributes.parquet")
    if missing:
        names = "、".join(missing)
        raise ValidationFailed(
            f"风险批处理的输入目录 {d} 缺少：{names}",
            f"the risk job's input directory {d} lacks: {', '.join(missing)}",
            field="input",
        )


def _read(input_path: str, name: str, schema: dict) -> pl.DataFrame:
    return engine.frame(pl.read_parquet(Path(input_path) / f"{name}.parquet"), schema)


def edges(context: dict, input_path: str) -> pl.DataFrame:
    """The edge list: ``edges.parquet``, or the edges of shared attributes in ``attributes.parquet``."""
    d = Path(input_path)
    if (d / "edges.parquet").exists():
        return engine.frame(pl.read_parquet(d / "edges.parquet"), engine.EDGES)
    attrs = engine.frame(pl.read_parquet(d / "attributes.parquet"), engine.ATTRIBUTES)
    return engine.edges_from_attributes(attrs, context["params"].max_group_size)


def run_polars(context: dict, input_path: str, output_path: str) -> tuple[int, int]:
    check_inputs(input_path)
    f = {name: _read(input_path, name, schema) for name, schema in INPUTS.items()}
    out = engine.run(
        f["firms"],
        f["signals"],
        f["violations"],
        edges(context, input_path),
        context["params"],
        context["today"],
    )
    out = out.select(pl.col(c).cast(t) for c, t in SCHEMA.items())
    out.write_parquet(output_path)
    return f["firms"].height, out.height


def score_partition(context: dict, df: pl.DataFrame) -> pl.DataFrame:
    """Stage 1 on one Spark partition of the tagged union (every row of the partition's firms)."""
    parts = {name: engine.frame(df.filter(pl.col(_TAG) == name), schema) for name, schema in INPUTS.items()}
    scored = engine.score_firms(
        parts["firms"], parts["signals"], parts["violations"], context["params"], context["today"]
    )
    return scored.select(list(SCORED))


def finish_partition(context: dict, df: pl.DataFrame) -> pl.DataFrame:
    """Stage 3 on one Spark partition: scored firms left-joined with their graph rows."""
    graph = df.select(list(engine.GRAPH)).filter(pl.col("cluster").is_not_null())
    return engine.finish(df.select(list(SCORED)), graph, context["params"])


def run_spark(spark, context: dict, input_path: str, output_path: str, partitions: int | None) -> int:
    from pyspark.sql import functions as F

    from jinfu.batch.arrowschema import spark_ddl
    from jinfu.batch.runner import whole_partition

    check_inputs(input_path)
    d = Path(input_path).resolve()
    tables = []
    for name, schema in INPUTS.items():
        sdf = spark.read.parquet(str(d / f"{name}.parquet"))
        tables.append(sdf.select([c for c in schema if c in sdf.columns]).withColumn(_TAG, F.lit(name)))
    tagged = tables[0]
    for t in tables[1:]:
        tagged = tagged.unionByName(t, allowMissingColumns=True)
    n = partitions or spark.sparkContext.defaultParallelism
    stage = Path(f"{Path(output_path).resolve()}.stages")
    shutil.rmtree(stage, ignore_errors=True)
    try:
        scored = tagged.repartition(n, "org_id").mapInArrow(
            whole_partition(score_partition, context, SCORED), spark_ddl(SCORED)
        )
        scored.write.mode("overwrite").parquet(str(stage / "scored"))
        # stage 2 on the driver: the whole graph at once
        red = engine.red_sources(pl.scan_parquet(str(stage / "scored" / "*.parquet")), context["params"])
        graph = engine.network(edges(context, input_path), red, context["params"])
        stage.joinpath("graph").mkdir(parents=True)
        graph.write_parquet(stage / "graph" / "graph.parquet")
        joined = spark.read.parquet(str(stage / "scored")).join(
            spark.read.parquet(str(stage / "graph")), on="org_id", how="left"
        )
        out = joined.mapInArrow(whole_partition(finish_partition, context, SCHEMA), spark_ddl(SCHEMA))
        out.write.mode("overwrite").parquet(str(Path(output_path).resolve()))
        return pl.scan_parquet(str(d / "firms.parquet")).select(pl.len()).collect().item()
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def prepare(today: dt.date | None = None) -> dict:
    from django.utils import timezone

    from . import reference

    return {"params": reference.params(), "today": today or timezone.localdate()}


def export(path: str) -> int:
    """The job's input directory from the database: what ``services.recompute`` reads."""
    from .services import load_frames

    d = Path(path)
    d.mkdir(parents=True, exist_ok=True)
    f = load_frames()
    for name in INPUTS:
        f[name].write_parquet(d / f"{name}.parquet")
    f["attrs"].write_parquet(d / "attributes.parquet")
    return f["firms"].height


def register_batch_jobs() -> None:
    from jinfu.batch.registry import BatchJob, Plan, register

    register(
        BatchJob(
            name="risk",
            help="涉众风险指数、关联传播与团伙 / risk index, network propagation and clusters per firm",
            schema=SCHEMA,
            run=None,
            prepare=prepare,
            plan=Plan(polars=run_polars, spark=run_spark),
            export=export,
            input_help="a directory: firms, signals, violations and edges (or attributes) .parquet",
        )
    )

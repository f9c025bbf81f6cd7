"""Run a registered batch job with Polars (one process) or Spark (``mapInArrow``, one Python worker per
partition), reading the feature table from Parquet and writing Parquet; optionally storing the results in
the database, one transaction per batch (the job's ``write``, on the driver, from the written Parquet).

Both engines call the job's same pure ``run``: there is no second implementation of any rule or score.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .arrowschema import arrow_schema, spark_ddl, to_arrow
from .registry import BatchJob

CHUNK_ROWS = 200_000  # rows per call of ``run`` (Polars path and within a Spark partition)
DB_BATCH_ROWS = int(os.environ.get("JINFU_BATCH_DB_ROWS", "5000"))  # rows per database transaction


@dataclass
class BatchResult:
    job: str
    engine: str
    rows_in: int
    rows_out: int
    seconds: float
    written: int = 0


def _chunks(df: pl.DataFrame, rows: int) -> Iterator[pl.DataFrame]:
    for offset in range(0, df.height, rows):
        yield df.slice(offset, rows)


def run_polars(job: BatchJob, context, input_path: str, output_path: str) -> tuple[int, int]:
    """Chunk by chunk: a slice of the input is read, run and appended to the output file, so memory is
    bounded by the chunk, not by the table (3.7 M enterprises × 10 matches fit on a small machine)."""
    import pyarrow.parquet as pq

    scan = pl.scan_parquet(_files(input_path))
    rows_in = scan.select(pl.len()).collect().item()
    _clear(output_path)
    rows_out, partial = 0, Path(f"{output_path}.partial")
    try:  # a failing slice leaves no output file behind, not half of one
        with pq.ParquetWriter(partial, arrow_schema(job.schema)) as writer:
            for offset in range(0, rows_in, CHUNK_ROWS):
                out = to_arrow(job.run(context, scan.slice(offset, CHUNK_ROWS).collect()), job.schema)
                writer.write_table(out)
                rows_out += out.num_rows
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output_path)
    return rows_in, rows_out


def partition_runner(run, context, schema: dict, chunk_rows: int = CHUNK_ROWS):
    """The function ``mapInArrow`` calls once per partition: Arrow batches in, Arrow batches (cast to the
    declared schema) out; ``run`` sees up to ``chunk_rows`` rows at a time."""

    def per_partition(batches):
        import pyarrow as pa

        pending, n = [], 0

        def flush():
            df = pl.from_arrow(pa.Table.from_batches(pending))
            yield from to_arrow(run(context, df), schema).to_batches()

        for batch in batches:
            if batch.num_rows == 0:
                continue
            pending.append(batch)
            n += batch.num_rows
            if n >= chunk_rows:
                yield from flush()
                pending, n = [], 0
        if pending:
            yield from flush()

    return per_partition


def run_spark(
    job: BatchJob, context, input_path: str, output_path: str, master: str, partitions: int | None = None
) -> tuple[int, int]:
    from .sparkenv import session

    spark = session(master)
    sdf = spark.read.parquet(str(Path(input_path).resolve()))
    if partitions:
        sdf = sdf.repartition(partitions)
    out = sdf.mapInArrow(partition_runner(job.run, context, job.schema), spark_ddl(job.schema))
    _clear(output_path)
    out.write.mode("overwrite").parquet(str(Path(output_path).resolve()))
    return -1, -1  # counted from the written files by the caller (one pass over the data only)


def whole_partition(fn, context, schema: dict):
    """The function ``mapInArrow`` calls once per partition when ``fn(context, frame)`` needs the whole
    partition at once (e.g. every row of the firms a hash partitioning put there): no chunking."""

    def per_partition(batches):
        import pyarrow as pa

        batches = [b for b in batches if b.num_rows]
        if batches:
            df = pl.from_arrow(pa.Table.from_batches(batches))
            yield from to_arrow(fn(context, df), schema).to_batches()

    return per_partition


def _run_plan(job: BatchJob, context, engine: str, input_path, output_path, master, partitions):
    if engine == "polars":
        return job.plan.polars(context, input_path, output_path)
    if engine == "spark":
        from .sparkenv import session

        _clear(output_path)
        rows_in = job.plan.spark(session(master), context, input_path, output_path, partitions)
        return rows_in, _count(output_path)
    raise ValueError(f"unknown engine {engine}")


def _clear(path: str) -> None:
    p = Path(path)
    if p.is_dir():
        shutil.rmtree(p)
    elif p.exists():
        p.unlink()


def _files(path: str) -> str:
    p = Path(path)
    return str(p / "*.parquet") if p.is_dir() else str(p)


def _count(path: str) -> int:
    return pl.scan_parquet(_files(path)).select(pl.len()).collect().item()


def read_output(path: str) -> pl.DataFrame:
    return pl.read_parquet(_files(path))


def write_db(job: BatchJob, context, output_path: str, batch_rows: int = DB_BATCH_ROWS) -> int:
    """Store the results with the job's writer, one transaction per ``batch_rows`` rows."""
    if job.write is None:
        return 0
    written = 0
    for chunk in _chunks(read_output(output_path), batch_rows):
        written += job.write(context, chunk)
    return written


def run(
    job: BatchJob,
    *,
    engine: str,
    input_path: str,
    output_path: str,
    master: str = "local[2]",
    partitions: int | None = None,
    to_db: bool = False,
    context=None,
) -> BatchResult:
    context = job.prepare() if context is None else context
    t0 = time.perf_counter()
    if job.plan is not None:
        rows_in, rows_out = _run_plan(job, context, engine, input_path, output_path, master, partitions)
    elif engine == "polars":
        rows_in, rows_out = run_polars(job, context, input_path, output_path)
    elif engine == "spark":
        run_spark(job, context, input_path, output_path, master, partitions)
        rows_in = pl.scan_parquet(_files(input_path)).select(pl.len()).collect().item()
        rows_out = _count(output_path)
    else:
        raise ValueError(f"unknown engine {engine}")
    seconds = time.perf_counter() - t0
    written = write_db(job, context, output_path) if to_db else 0
    return BatchResult(job.name, engine, rows_in, rows_out, seconds, written)

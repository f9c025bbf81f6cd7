"""The batch-job registry. No Django here: a job is a pure ``run`` over a Polars frame plus two Django-side
callables that the module provides (``prepare`` reads what the run needs from the database on the driver;
``write`` stores one batch of results in one transaction).

``run(context, frame) -> frame`` must be a module-level function (Spark ships it to its Python workers by
reference) and must not depend on how the rows are split into partitions: the Polars and the Spark paths
then give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl


@dataclass(frozen=True)
class Plan:
    """For a job whose rows are not independent (the risk network needs the whole graph): its own Polars and
    Spark plans, composed of the module's pure engine stages — still one implementation of every rule.

    ``polars(context, input_path, output_path) -> (rows_in, rows_out)``;
    ``spark(spark, context, input_path, output_path, partitions) -> rows_in`` (the runner counts the output).
    """

    polars: Callable[[Any, str, str], tuple[int, int]]
    spark: Callable[[Any, Any, str, str, int | None], int]


@dataclass(frozen=True)
class BatchJob:
    name: str  # the verb: `jinfu batch NAME`
    help: str
    schema: dict[str, pl.DataType]  # the output columns, in order; Spark's schema is derived from it
    run: Callable[[Any, pl.DataFrame], pl.DataFrame] | None  # pure, per partition (None with a ``plan``)
    prepare: Callable[[], Any]  # Django: the picklable context (products, rules, scorecard …)
    write: Callable[[Any, pl.DataFrame], int] | None = None  # Django: one batch → the DB, one transaction
    key: tuple[str, ...] = ("org_id",)  # the columns that identify an output row (for comparisons)
    plan: Plan | None = None  # instead of ``run``: whole-input Polars and Spark plans
    # Django: write this job's input from the database to a path (`--input db`); None = the feature table
    export: Callable[[str], int] | None = None
    input_help: str = "the enterprise feature table (jinfu batch features)"


_JOBS: dict[str, BatchJob] = {}


def register(job: BatchJob) -> BatchJob:
    _JOBS[job.name] = job
    return job


def jobs() -> dict[str, BatchJob]:
    return dict(_JOBS)


def get(name: str) -> BatchJob:
    return _JOBS[name]

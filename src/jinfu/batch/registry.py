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
class BatchJob:
    name: str  # the verb: `jinfu batch NAME`
    help: str
    schema: dict[str, pl.DataType]  # the output columns, in order; Spark's schema is derived from it
    run: Callable[[Any, pl.DataFrame], pl.DataFrame]  # pure, per partition
    prepare: Callable[[], Any]  # Django: the picklable context (products, rules, scorecard …)
    write: Callable[[Any, pl.DataFrame], int] | None = None  # Django: one batch → the DB, one transaction
    key: tuple[str, ...] = ("org_id",)  # the columns that identify an output row (for comparisons)


_JOBS: dict[str, BatchJob] = {}


def register(job: BatchJob) -> BatchJob:
    _JOBS[job.name] = job
    return job


def jobs() -> dict[str, BatchJob]:
    return dict(_JOBS)


def get(name: str) -> BatchJob:
    return _JOBS[name]

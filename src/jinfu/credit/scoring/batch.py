"""Batch scoring as a registered batch job (``jinfu batch score``): :func:`run` is ``engine.score_frame``
with the active model's points table (pure); :func:`write` stores one batch of ScoreRecords in one
transaction through ``services.store_scores`` (the same code as ``services.score_all``)."""

from __future__ import annotations

import polars as pl

from . import engine

N_REASONS = 3
SCHEMA = {
    "org_id": pl.Int64,
    "score": pl.Float64,
    "grade": pl.String,
    **{
        name: dt
        for r in range(1, N_REASONS + 1)
        for name, dt in ((f"reason_{r}", pl.String), (f"gap_{r}", pl.Float64))
    },
}

_CARDS: dict = {}  # per worker process: the compiled card of the current model


def _card(context: dict) -> engine.CompiledCard:
    key = context["model_id"], context["version"]
    if key not in _CARDS:
        _CARDS.clear()
        _CARDS[key] = engine.compile_card(context["points_table"], context["grade_bands"])
    return _CARDS[key]


def run(context: dict, df: pl.DataFrame) -> pl.DataFrame:
    if df.height == 0:
        return pl.DataFrame(schema=SCHEMA)
    for f in engine.FEATURES:  # a feature the table lacks is null (as services.feature_frame does)
        if f not in df.columns:
            df = df.with_columns(pl.lit(None).alias(f))
    out = engine.score_frame(_card(context), df, n_reasons=N_REASONS)
    return out.with_columns(df["org_id"].cast(pl.Int64)).select(
        pl.col(name).cast(dt) if name in out.columns or name == "org_id" else pl.lit(None, dt).alias(name)
        for name, dt in SCHEMA.items()
    )


def prepare() -> dict:
    from . import services

    model = services._require_active()
    return {
        "model_id": model.pk,
        "version": model.version,
        "points_table": model.points_table,
        "grade_bands": model.grade_bands,
        "batch": services.scoring_batch(model),
    }


def write(context: dict, out: pl.DataFrame) -> int:
    from django.db import transaction

    from ..models_scoring import ScorecardModel
    from . import services

    model = ScorecardModel.objects.get(pk=context["model_id"])
    with transaction.atomic():
        return services.store_scores(model, out, batch=context.get("batch", ""))


def register_batch_jobs() -> None:
    from jinfu.batch.registry import BatchJob, register

    register(
        BatchJob(
            name="score",
            help="批量信用评分（启用中的评分卡）/ score every enterprise with the active scorecard",
            schema=SCHEMA,
            run=run,
            prepare=prepare,
            write=write,
        )
    )

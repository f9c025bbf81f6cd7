"""Green identification and carbon as a registered batch job (``jinfu batch green --engine polars|spark``).

Input: a projects Parquet — project_id, industry_code, description, output_kind, annual_output (in the
kind's stored unit), factor_year, grid; ``--input db`` writes it from the GreenProject table. Output per
project: the best catalogue item, its confidence and the number of items matched
(``engine.identify_frame``: one Aho-Corasick pass over the descriptions), the electricity factor used and
the annual reduction (``engine.carbon_frame``). Every row is independent, so :func:`run` is the ordinary
per-partition run (``mapInArrow`` on Spark). Results go to Parquet only: an identification in the database
is a proposal an assessor decides on (services.identify, one project at a time, audited), not a bulk write.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from . import engine

SCHEMA = {
    "project_id": pl.Int64,
    "best_item": pl.String,
    "confidence": pl.Float64,
    "match_count": pl.Int32,
    "factor": pl.Float64,
    "reduction_t": pl.Float64,
}
PROJECTS = {
    "project_id": pl.Int64,
    "industry_code": pl.String,
    "description": pl.String,
    "output_kind": pl.String,
    "annual_output": pl.Float64,
    "factor_year": pl.Int32,
    "grid": pl.String,
}


def run(context: dict, df: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in PROJECTS if c not in df.columns]
    if missing:
        from jinfu.core.errors import ValidationFailed

        raise ValidationFailed(
            f"项目 Parquet 缺少列：{'、'.join(missing)}",
            f"the projects Parquet lacks the columns: {', '.join(missing)}",
            field="input",
        )
    if df.height == 0:
        return pl.DataFrame(schema=SCHEMA)
    projects = df.select(pl.col(c).cast(t) for c, t in PROJECTS.items())
    ident = engine.identify_frame(projects, context["catalogue"])
    carbon = engine.carbon_frame(projects)
    out = ident.join(carbon, on="project_id", how="left", maintain_order="left")
    return out.select(pl.col(c).cast(t) for c, t in SCHEMA.items())


def prepare() -> dict:
    from .selectors import LATEST

    return {"catalogue": LATEST}


def export(path: str) -> int:
    """Every green project, in the columns :func:`run` reads."""
    from .models import GreenProject

    rows = GreenProject.objects.order_by("pk").values_list(
        "pk", "industry_code", "description", "output_kind", "annual_output", "factor_year", "grid"
    )
    df = pl.DataFrame(
        [
            (pk, ind, desc, kind, float(out) if out is not None else None, year, grid)
            for pk, ind, desc, kind, out, year, grid in rows
        ],
        schema=PROJECTS,
        orient="row",
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(path)
    return df.height


def register_batch_jobs() -> None:
    from jinfu.batch.registry import BatchJob, register

    register(
        BatchJob(
            name="green",
            help="绿色项目识别与碳减排测算 / green catalogue identification and carbon reduction per project",
            schema=SCHEMA,
            run=run,
            prepare=prepare,
            key=("project_id",),
            export=export,
            input_help="a projects Parquet (project_id, industry_code, description, output_kind, "
            "annual_output, factor_year, grid)",
        )
    )

"""Batch jobs on Spark (local[2], mapInArrow) give the same rows as on Polars; Java detection; the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from django.db import IntegrityError

from jinfu.batch import registry, runner
from jinfu.batch.arrowschema import spark_ddl, to_arrow
from jinfu.batch.sparkenv import detect_java_home
from jinfu.credit.scoring import batch as score_batch
from jinfu.credit.scoring import engine as scoring
from jinfu.financing import batch as match_batch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from matching_bench import synthetic_products, with_demands  # noqa: E402
from rules_eligibility_bench import product_rules, synthetic_features  # noqa: E402

N = 3000
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def spark():
    from jinfu.batch.sparkenv import session

    s = session("local[2]")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def features(tmp_path_factory) -> Path:
    """N enterprises: the rule catalog's columns, a financing need, the scorecard's features, an org_id."""
    df = with_demands(synthetic_features(N, seed=11), seed=11)
    df = df.drop([c for c in df.columns if c.startswith("need_")])
    card_features = scoring.synthetic_features(N, seed=12).drop(["uscc"], strict=False)
    extra = [c for c in card_features.columns if c not in df.columns]
    df = pl.concat([df, card_features.select(extra)], how="horizontal")
    df = df.with_columns(pl.Series("org_id", np.arange(1, N + 1) * 7, dtype=pl.Int64))
    path = tmp_path_factory.mktemp("batch") / "features.parquet"
    df.write_parquet(path)
    return path


@pytest.fixture(scope="module")
def card():
    train = scoring.synthetic_features(2000, seed=3)
    return scoring.train(train, scoring.latent_default_labels(train, seed=3), seed=3)


def _both(spark, job, context, features, tmp_path):
    pol = runner.run(
        job,
        engine="polars",
        input_path=str(features),
        output_path=str(tmp_path / "p.parquet"),
        context=context,
    )
    spk = runner.run(
        job,
        engine="spark",
        input_path=str(features),
        output_path=str(tmp_path / "s"),
        master="local[2]",
        partitions=2,
        context=context,
    )
    a = runner.read_output(str(tmp_path / "p.parquet")).sort(list(job.key))
    b = runner.read_output(str(tmp_path / "s")).sort(list(job.key))
    return pol, spk, a, b


@pytest.mark.spark
def test_match_on_spark_is_row_for_row_the_polars_result(spark, features, tmp_path):
    products = synthetic_products(60, seed=5)
    rules = product_rules(60, seed=5)
    rules[3] = ""  # a product open to everyone
    context = match_batch.context_for(products, rules)
    pol, spk, a, b = _both(spark, registry.get("match"), context, features, tmp_path)
    assert pol.rows_in == spk.rows_in == N
    assert a.height == b.height > N  # several products per enterprise
    assert a.columns == b.columns == list(match_batch.SCHEMA)
    assert a.equals(b)
    # the open product is eligible for everyone: every enterprise has at least one match
    assert a["org_id"].n_unique() == N


@pytest.mark.spark
def test_score_on_spark_is_row_for_row_the_polars_result(spark, features, card, tmp_path):
    context = {"model_id": 1, "version": "t", "points_table": card.points_table, "grade_bands": None}
    pol, spk, a, b = _both(spark, registry.get("score"), context, features, tmp_path)
    assert a.height == b.height == N
    assert a.equals(b)
    # and it is the engine's own score, not a re-implementation
    direct = scoring.score_frame(card.points_table, pl.read_parquet(features).sort("org_id"))
    assert a["score"].to_list() == direct["score"].to_list()
    assert a["reason_1"].to_list() == direct["reason_1"].cast(pl.String).to_list()


@pytest.mark.spark
def test_polars_arrow_output_is_cast_to_the_declared_plain_types(spark):
    df = pl.DataFrame({"org_id": [1, 2], "grade": pl.Series(["A", None], dtype=pl.Enum(["A", "B"]))})
    table = to_arrow(df, {"org_id": pl.Int64, "grade": pl.String})
    assert str(table.schema.field("grade").type) == "string"  # not string_view / dictionary
    assert spark_ddl({"org_id": pl.Int64, "score": pl.Float32}) == "`org_id` bigint, `score` float"
    assert spark.createDataFrame(table.to_pandas()).count() == 2


def test_java_home_detection(tmp_path):
    jdk = tmp_path / "java-17-openjdk-amd64"
    (jdk / "bin").mkdir(parents=True)
    (jdk / "bin" / "java").write_text("")
    assert detect_java_home({"JAVA_HOME": str(jdk), "PATH": ""}, globs=()) == str(jdk)
    # a JAVA_HOME without a java falls back to the Debian package's directory
    assert detect_java_home(
        {"JAVA_HOME": "/nowhere", "PATH": ""}, globs=(str(tmp_path / "java-17-*"),)
    ) == str(jdk)
    assert detect_java_home({"PATH": ""}, globs=()) is None


def test_score_job_writes_one_transaction_per_batch(db, card):
    from jinfu.core.models import Organization
    from jinfu.credit.models_scoring import ScorecardModel, ScoreRecord

    train = scoring.synthetic_features(3, seed=3)
    model = ScorecardModel.objects.create(version="vt", points_table=card.points_table, status="active")
    orgs = [
        Organization.objects.create(name=f"企业{i}", kind="enterprise", uscc=f"91500000MA{i:08d}")
        for i in range(3)
    ]
    out = pl.DataFrame({"org_id": [o.pk for o in orgs]}).with_columns(
        scoring.score_frame(card.points_table, train.head(3)).select(list(score_batch.SCHEMA)[1:])
    )
    ctx = score_batch.prepare()
    assert ctx["model_id"] == model.pk
    assert score_batch.write(ctx, out) == 3
    assert ScoreRecord.objects.filter(model=model).count() == 3
    bad = out.with_columns(pl.Series("score", [600.0, 610.0, None]))  # the third row has no score
    with pytest.raises(IntegrityError):
        score_batch.write(ctx, bad)
    assert ScoreRecord.objects.filter(model=model).count() == 3  # nothing half-written


def test_cli_scores_the_database_feature_table_and_stores_the_records(db, card, make_user, tmp_path, capsys):
    from jinfu.cli import main
    from jinfu.credit.models_scoring import ScorecardModel, ScoreRecord

    ents = [make_user("enterprise").organization for _ in range(3)]
    ScorecardModel.objects.create(version="vcli", points_table=card.points_table, status="active")
    features = tmp_path / "f.parquet"
    assert main(["batch", "features", "--output", str(features)]) == 0
    assert pl.read_parquet(features)["org_id"].is_in([e.pk for e in ents]).sum() == 3
    out = tmp_path / "scores.parquet"
    assert main(["batch", "score", "--engine", "polars", "--output", str(out), "--to-db"]) == 0
    assert "written=" in capsys.readouterr().out
    scored = pl.read_parquet(out)
    assert set(scored["org_id"]) >= {e.pk for e in ents}
    rec = ScoreRecord.objects.get(enterprise=ents[0])
    assert rec.score == scored.filter(pl.col("org_id") == ents[0].pk)["score"].item()

"""Batch jobs on Spark (local[2], mapInArrow) give the same rows as on Polars; Java detection; the CLI."""

from __future__ import annotations

import datetime as dt
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
from jinfu.green import batch as green_batch
from jinfu.green import engine as green_engine
from jinfu.risk import batch as risk_batch
from jinfu.risk import engine as risk_engine
from jinfu.risk import reference as risk_reference

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


def _both(spark, job, context, features, tmp_path, partitions=2):
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
        partitions=partitions,
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


# ---------------------------------------------------------------------------
# risk and green (issue 14): the same pure engines as batch jobs
# ---------------------------------------------------------------------------

RISK_TODAY = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def risk_inputs(tmp_path_factory) -> Path:
    """3,000 firms, 9,000 edges (rings and a giant component), 15,000 signals: the benchmark's generator."""
    from risk_bench import generate

    firms, signals, violations, edges = generate(3000, 9000, 15000, seed=21)
    d = tmp_path_factory.mktemp("risk") / "in"
    d.mkdir()
    # a firm's violations row is missing, another firm has no signal at all, ids not in file order
    firms.sample(fraction=1.0, shuffle=True, seed=2).write_parquet(d / "firms.parquet")
    signals.filter(pl.col("org_id") != 17).write_parquet(d / "signals.parquet")
    violations.filter(pl.col("org_id") != 5).write_parquet(d / "violations.parquet")
    edges.write_parquet(d / "edges.parquet")
    return d


def _risk_context():
    return {"params": risk_reference.params(), "today": RISK_TODAY}


def test_risk_job_on_polars_is_the_engine_run(risk_inputs, tmp_path):
    ctx = _risk_context()
    res = runner.run(
        registry.get("risk"),
        engine="polars",
        input_path=str(risk_inputs),
        output_path=str(tmp_path / "r.parquet"),
        context=ctx,
    )
    out = runner.read_output(str(tmp_path / "r.parquet"))
    f = {
        n: pl.read_parquet(risk_inputs / f"{n}.parquet") for n in ("firms", "signals", "violations", "edges")
    }
    direct = risk_engine.run(f["firms"], f["signals"], f["violations"], f["edges"], ctx["params"], RISK_TODAY)
    assert res.rows_in == res.rows_out == 3000
    assert dict(direct.schema) == risk_batch.SCHEMA  # the declared schema is the engine's, column for column
    assert out.equals(direct)
    assert set(out["colour"]) == {"red", "yellow", "green"} and out["hop"].max() == 2


@pytest.mark.spark
def test_risk_on_spark_is_row_for_row_the_polars_result(spark, risk_inputs, tmp_path):
    pol, spk, a, b = _both(spark, registry.get("risk"), _risk_context(), risk_inputs, tmp_path, partitions=3)
    assert pol.rows_in == spk.rows_in == 3000
    assert a.height == b.height == 3000
    assert a.equals(b)
    assert a.filter(pl.col("hop") > 0).height > 0 and a["cluster_size"].max() > 2  # the graph stage ran


def _projects(n: int) -> pl.DataFrame:
    from green_bench import synthetic

    return synthetic(n, seed=13)


def test_green_job_is_identify_frame_and_carbon_frame(tmp_path):
    df = _projects(2000)
    df.write_parquet(tmp_path / "projects.parquet")
    res = runner.run(
        registry.get("green"),
        engine="polars",
        input_path=str(tmp_path / "projects.parquet"),
        output_path=str(tmp_path / "g.parquet"),
        context={"catalogue": "gfspc2025"},
    )
    out = runner.read_output(str(tmp_path / "g.parquet"))
    direct = green_engine.identify_frame(df, "gfspc2025").join(green_engine.carbon_frame(df), on="project_id")
    assert res.rows_in == res.rows_out == 2000
    assert out.columns == list(green_batch.SCHEMA)
    assert out.select(direct.columns).equals(direct.with_columns(pl.col("match_count").cast(pl.Int32)))
    assert out["best_item"].drop_nulls().n_unique() > 3 and (out["reduction_t"] > 0).sum() > 100


@pytest.mark.spark
def test_green_on_spark_is_row_for_row_the_polars_result(spark, tmp_path):
    _projects(3000).write_parquet(tmp_path / "projects.parquet")
    pol, spk, a, b = _both(
        spark, registry.get("green"), {"catalogue": "gfspc2025"}, tmp_path / "projects.parquet", tmp_path
    )
    assert pol.rows_in == spk.rows_in == 3000
    assert a.height == b.height == 3000
    assert a.equals(b)


def test_cli_risk_and_green_read_the_database_and_refuse_to_db(
    db, make_user, reference_data, tmp_path, capsys
):
    from jinfu.cli import main
    from jinfu.green import services as green_services
    from jinfu.green.loader import load_catalogues

    ents = [make_user("enterprise") for _ in range(3)]
    out = tmp_path / "risk.parquet"
    assert main(["batch", "risk", "--output", str(out)]) == 0
    risk = pl.read_parquet(out)
    assert set(risk["org_id"]) >= {u.organization_id for u in ents}
    assert risk["colour"].is_in(["red", "yellow", "green"]).all()
    load_catalogues()
    project = green_services.submit_project(ents[0], _solar())
    assert main(["batch", "green", "--output", str(tmp_path / "green.parquet")]) == 0
    green = pl.read_parquet(tmp_path / "green.parquet")
    row = green.filter(pl.col("project_id") == project.pk).row(0, named=True)
    assert row["best_item"] == "4"  # 分布式光伏, as the page's identification says
    assert row["reduction_t"] == pytest.approx(2200 * row["factor"])
    capsys.readouterr()
    assert main(["batch", "green", "--output", str(tmp_path / "x.parquet"), "--to-db"]) == 2
    assert "不写回数据库" in capsys.readouterr().err


def _solar() -> dict:
    from django.utils import timezone

    return {
        "name": "屋顶分布式光伏项目",
        "description": "利用厂房屋顶建设分布式光伏发电设施，装机 2 MW",
        "division": "500108",
        "location": "南岸区茶园",
        "industry_code": "4416",
        "catalogue": "gfspc2025",
        "item": "4",
        "total_investment": "1200",
        "financing_need": "800",
        "construction_start": str(timezone.localdate() + dt.timedelta(days=30)),
        "construction_months": "6",
        "output_kind": "renewable_mwh",
        "annual_output": "2200",
        "output_unit": "MWh",
        "grid": "西南",
        "factor_year": "2023",
    }


def test_cli_names_a_missing_risk_input_file_or_green_column(db, risk_inputs, tmp_path, capsys):
    from jinfu.cli import main

    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("firms", "signals"):
        (partial / f"{name}.parquet").write_bytes((risk_inputs / f"{name}.parquet").read_bytes())
    assert main(["batch", "risk", "--input", str(partial), "--output", str(tmp_path / "r.parquet")]) == 2
    err = capsys.readouterr().err
    assert "violations.parquet" in err and "edges.parquet" in err and "缺少" in err and "lacks" in err
    assert not (tmp_path / "r.parquet").exists()
    _projects(10).drop("grid").write_parquet(tmp_path / "p.parquet")
    assert (
        main(["batch", "green", "--input", str(tmp_path / "p.parquet"), "--output", str(tmp_path / "g")]) == 2
    )
    assert "grid" in capsys.readouterr().err
    assert list(tmp_path.glob("g*")) == []  # no output, not even an empty or partial file

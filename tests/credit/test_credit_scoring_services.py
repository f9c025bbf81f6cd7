"""Scorecard registry, activation audit, online/batch scoring, PSI monitoring and permissions.

Needs the ``credit`` app with the scoring models (``jinfu.credit.models`` imports ``models_scoring``);
skipped until both have landed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from django.apps import apps
from django.utils import timezone

from jinfu.credit.scoring import engine


def _scoring_installed() -> bool:
    try:
        apps.get_model("credit", "ScorecardModel")
    except LookupError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _scoring_installed(), reason="credit app without the scoring models")


@pytest.fixture(scope="module")
def frame():
    df = engine.synthetic_features(3000, seed=11)
    return df.with_columns(
        pl.Series("org_id", np.arange(df.height), dtype=pl.Int64),
        pl.Series("uscc", [f"U{i:017d}" for i in range(df.height)]),
    )


@pytest.fixture
def trained(db, make_user, frame):
    from jinfu.credit.scoring import services

    admin = make_user("admin")
    model = services.train_model(admin, seed=5, frame=frame)
    return admin, model


def test_training_stores_a_candidate_and_its_validation_report(trained):
    _, model = trained
    report = model.reports.get()
    assert model.status == "candidate" and model.version == "v1"
    assert report.passed and report.auc > 0.7 and report.ks > 0.3 and report.psi < 0.1
    assert report.gini == pytest.approx(2 * report.auc - 1)
    assert "tax_grade" in report.bin_tables and report.metrics["validation"]["n"] == 900
    assert model.points_table and model.params["label_source"] == "demo_latent_model"


def test_only_admins_train_and_activate(db, make_user, trained, frame):
    from jinfu.core.errors import Forbidden
    from jinfu.credit.scoring import services

    _, model = trained
    ent = make_user("enterprise")
    with pytest.raises(Forbidden):
        services.train_model(ent, frame=frame)
    with pytest.raises(Forbidden):
        services.activate_model(ent, model.pk)


def test_activation_refused_when_validation_failed_and_audited(db, make_user, trained):
    from auditlog.models import LogEntry

    from jinfu.core.errors import ValidationFailed
    from jinfu.core.models import SecurityEvent
    from jinfu.credit.models import ScorecardModel, ValidationReport
    from jinfu.credit.scoring import services

    admin, good = trained
    bad = ScorecardModel.objects.create(version="bad", points_table=good.points_table, features=good.features)
    ValidationReport.objects.create(
        model=bad, auc=0.55, gini=0.1, ks=0.08, psi=0.02, passed=False, failures=["AUC 0.550 低于 0.65"]
    )
    with pytest.raises(ValidationFailed) as err:
        services.activate_model(admin, bad.pk)
    assert "验证未通过" in err.value.message_zh
    bad.refresh_from_db()
    assert bad.status == "candidate"
    assert SecurityEvent.objects.filter(
        kind="admin_action", detail__action="scorecard_activate_refused"
    ).exists()

    services.activate_model(admin, good.pk)
    good.refresh_from_db()
    assert good.status == "active" and good.activated_by == admin and good.activated_at
    ev = SecurityEvent.objects.get(kind="admin_action", detail__action="scorecard_activate")
    assert ev.user == admin and ev.detail["model"] == "v1"
    assert LogEntry.objects.get_for_object(good).filter(changes__icontains="active").exists()

    # a second passing model replaces the first, which is retired
    second = services.train_model(
        admin,
        seed=6,
        frame=engine.synthetic_features(3000, seed=12).with_columns(
            pl.Series("org_id", np.arange(3000), dtype=pl.Int64),
            pl.Series("uscc", [f"V{i:017d}" for i in range(3000)]),
        ),
    )
    services.activate_model(admin, second.pk)
    good.refresh_from_db()
    assert good.status == "retired" and ScorecardModel.objects.filter(status="active").count() == 1
    services.retire_model(admin, second.pk)
    assert services.active_model() is None


def test_online_and_batch_scoring_write_score_records(db, make_user, trained):
    from jinfu.credit.models import ScoreRecord
    from jinfu.credit.scoring import services

    admin, model = trained
    services.activate_model(admin, model.pk)
    ent = make_user("enterprise")
    rec = services.score_enterprise(ent.organization)
    assert rec.model == model and rec.grade in {g for g, _ in engine.DEFAULT_GRADE_BANDS} | {"C"}
    assert 300 < rec.score < 900
    n = services.score_all()
    assert n >= 1 and ScoreRecord.objects.filter(enterprise=ent.organization).count() == 2


def test_psi_monitor_alerts_admins_above_025(db, make_user, trained):
    from jinfu.core.models import Notification
    from jinfu.credit.scoring import services

    admin, model = trained
    services.activate_model(admin, model.pk)
    make_user("enterprise")
    # the training distribution far above today's scores → shifted
    model.refresh_from_db()
    model.params["train_scores_sample"] = [900.0 + i for i in range(100)]
    model.save()
    mon = services.monitor_psi("2026-11")
    assert mon.psi > 0.25 and mon.alert
    assert Notification.objects.filter(recipient=admin, kind="credit_psi").count() == 1
    services.monitor_psi("2026-11")  # same period: updated, not notified twice
    assert Notification.objects.filter(recipient=admin, kind="credit_psi").count() == 1


def test_credit_view_permissions(db, make_user, trained):
    from jinfu.core.errors import ConsentRequired, Forbidden
    from jinfu.core.models import Grant, Purpose
    from jinfu.credit.scoring import selectors, services

    admin, model = trained
    services.activate_model(admin, model.pk)
    ent = make_user("enterprise")
    own = selectors.credit_view(ent, ent.organization)
    assert own["grade"] and own["score"] and own["model"] == "v1"
    assert {p["family"] for p in own["pre_credit"]} == {"credit_loan", "tax_loan", "knowledge_value_loan"}
    assert 0 <= own["innovation"]["score"] <= 100
    bank = make_user("institution")
    with pytest.raises(ConsentRequired):
        selectors.credit_view(bank, ent.organization)
    now = timezone.now()
    Grant.objects.create(
        enterprise=ent.organization,
        grantee=bank.organization,
        scopes=["credit_score"],
        purpose=Purpose.CREDIT_ASSESSMENT,
        granted_at=now - dt.timedelta(days=1),
        expires_at=now + dt.timedelta(days=30),
    )
    assert selectors.credit_view(bank, ent.organization)["score"] == own["score"]
    gov = make_user("government")
    with pytest.raises(Forbidden):
        selectors.credit_view(gov, ent.organization)
    services.score_all()
    dist = selectors.score_distribution(gov)
    assert dist["n"] >= 1 and sum(dist["by_grade"].values()) == dist["n"]
    with pytest.raises(Forbidden):
        selectors.score_distribution(ent)


def test_model_pages(client, db, make_user, trained):
    from jinfu.core.models import SecurityEvent

    admin, model = trained
    client.force_login(admin)
    r = client.get("/credit/models/")
    assert r.status_code == 200 and "v1" in r.content.decode()
    r = client.get(f"/credit/models/{model.pk}/report/")
    body = r.content.decode()
    assert r.status_code == 200 and "KS" in body and "纳税信用等级" in body
    r = client.post(f"/credit/models/{model.pk}/activate/")
    assert r.status_code == 302
    model.refresh_from_db()
    assert model.status == "active"
    assert SecurityEvent.objects.filter(detail__action="scorecard_activate").exists()
    ent = make_user("enterprise")
    client.force_login(ent)
    assert client.get("/credit/models/").status_code == 403
    assert client.post(f"/credit/models/{model.pk}/retire/").status_code == 302
    model.refresh_from_db()
    assert model.status == "active"


def test_score_partial_renders_the_credit_view(db, make_user, trained):
    from django.template.loader import render_to_string
    from django.utils.html import escape

    from jinfu.credit.scoring import selectors, services

    admin, model = trained
    services.activate_model(admin, model.pk)
    ent = make_user("enterprise")
    view = selectors.credit_view(ent, ent.organization)
    html = render_to_string("credit/_score.html", {"credit": view})
    assert view["grade"] in html and "预授信额度" in html and "技术评估" in html
    for r in view["reasons"]:
        assert escape(r["text"]) in html
    for line in view["pre_credit"]:
        assert escape(line["steps"][0]) in html


def test_score_api_needs_a_credit_score_grant(client, make_user):
    """GET /api/v1/credit/score/{id}: the enterprise itself reads it; an institution without a grant gets 403."""
    ent = make_user("enterprise")
    bank = make_user("institution")
    client.force_login(ent)
    own = client.get(f"/api/v1/credit/score/{ent.organization.pk}")
    assert own.status_code == 200 and "innovation" in own.json() and "grade" in own.json()
    client.force_login(bank)
    assert client.get(f"/api/v1/credit/score/{ent.organization.pk}").status_code == 403

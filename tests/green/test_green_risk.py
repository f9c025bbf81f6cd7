"""Green risk warning: an environmental penalty (credit's penalty records, authority an ecology/environment
department) or a withdrawn 绿色 label on an enterprise with green loans alerts each lending institution
about its own loans and the finance office covering the project — once per event; nobody else hears of it,
and an enterprise without green loans raises nothing."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jinfu.core.errors import Forbidden, ValidationFailed
from jinfu.core.models import Notification
from jinfu.credit import models as cm
from jinfu.green import selectors, services
from jinfu.green.jobs import risk_scan
from jinfu.green.models import GreenEvent, Identification

from .test_green_services import solar, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _lent(world, amount="500"):  # noqa: F811
    project = services.submit_project(world["ent"], solar())
    services.decide(world["admin"], selectors.latest_identification(project).pk, confirm=True)
    services.set_tier(world["gov"], project.pk, "pool", publish=True)
    loan = services.claim(world["bank"], project.pk)
    services.record_loan(
        world["bank"], loan.pk, amount=amount, granted_on=timezone.localdate() - dt.timedelta(days=30)
    )
    return project


def _penalty(org_id, authority, days_ago=1, no="渝环罚〔2026〕1号"):
    batch = cm.SourceBatch.objects.get_or_create(
        source="penalty", source_system="信用中国（重庆）", adapter="file", status="applied"
    )[0]
    return cm.PenaltyRecord.objects.create(
        enterprise_id=org_id,
        batch=batch,
        source_system="信用中国（重庆）",
        fetched_at=timezone.now(),
        decision_no=no,
        date=timezone.localdate() - dt.timedelta(days=days_ago),
        authority=authority,
        amount=5,
        reason="超标排放废水",
    )


def _alerts(user):
    return list(Notification.objects.filter(recipient=user, kind="green_risk"))


def test_environmental_penalty_alerts_lender_and_covering_office_once(world):  # noqa: F811
    project = _lent(world)
    _penalty(world["ent"].organization_id, "重庆市南岸区生态环境局")
    _penalty(world["ent"].organization_id, "重庆市南岸区市场监督管理局", no="南市监罚〔2026〕2号")
    assert risk_scan(timezone.now()) == "notified=2"
    [bank_note] = _alerts(world["bank"])
    assert "生态环境局" in bank_note.title + bank_note.body and "500" in bank_note.body
    assert bank_note.url == f"/green/projects/{project.pk}/"
    assert "超标排放废水" in bank_note.body
    [gov_note] = _alerts(world["gov"])
    assert "市场监督" not in gov_note.body  # not an environmental authority
    for outsider in (world["bank2"], world["gov_other"], world["ent"], world["ent2"]):
        assert _alerts(outsider) == []
    assert risk_scan(timezone.now()) == "notified=0"  # once per penalty


def test_no_alert_without_green_loans_or_for_a_penalty_before_the_loan(world):  # noqa: F811
    _penalty(world["ent2"].organization_id, "重庆市生态环境局")  # no green loan at all
    _lent(world)
    _penalty(world["ent"].organization_id, "重庆市生态环境局", days_ago=400, no="old")
    assert services.scan_environmental_penalties() == 0
    assert not Notification.objects.filter(kind="green_risk").exists()


def test_revoking_the_label_is_audited_and_alerts_the_lender(world, django_capture_on_commit_callbacks):  # noqa: F811
    project = _lent(world, amount="300")
    ident = selectors.latest_identification(project)
    with pytest.raises(Forbidden):
        services.revoke(world["gov"], ident.pk, reason="x")
    with pytest.raises(ValidationFailed) as e:
        services.revoke(world["admin"], ident.pk, reason="  ")
    assert e.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(world["admin"], ident.pk, reason="复核发现项目实为燃煤锅炉改造")
    ident.refresh_from_db()
    project.refresh_from_db()
    assert ident.decision == Identification.Decision.REVOKED and project.status == "revoked"
    assert not project.published and not selectors.hall_for(world["bank2"]).exists()
    event = GreenEvent.objects.get(project=project, kind="revoked")
    assert event.detail["reason"] == "复核发现项目实为燃煤锅炉改造" and event.actor == world["admin"]
    [note] = _alerts(world["bank"])
    assert "撤销" in note.body and "燃煤锅炉" in note.body and "300" in note.body
    assert (
        len(_alerts(world["gov"])) == 1
        and _alerts(world["bank2"]) == []
        and _alerts(world["gov_other"]) == []
    )
    with pytest.raises(ValidationFailed):
        services.revoke(world["admin"], ident.pk, reason="再次")


def test_revoked_enterprise_is_no_longer_green(world):  # noqa: F811
    from jinfu.core import featureregistry

    project = _lent(world)
    [gs] = [fs for fs in featureregistry.feature_sets() if fs.name == "green"]
    org = world["ent"].organization_id
    assert gs.load([org], timezone.localdate()).collect().to_dicts()[0]["green_certified"] is True
    services.revoke(world["admin"], selectors.latest_identification(project).pk, reason="标签撤销")
    assert gs.load([org], timezone.localdate()).collect().to_dicts() == []


def test_revoke_page_form_for_the_assessor_only(world):  # noqa: F811
    project = _lent(world)
    url = f"/green/projects/{project.pk}/"
    admin, bank = Client(), Client()
    admin.force_login(world["admin"])
    bank.force_login(world["bank"])
    assert 'id="green-revoke"' in admin.get(url).content.decode()
    assert 'id="green-revoke"' not in bank.get(url).content.decode()
    assert bank.post(url + "revoke/", {"reason": "x"}).status_code == 403
    r = admin.post(url + "revoke/", {"reason": "复核不符"})
    assert r.status_code == 302
    assert selectors.latest_identification(project).decision == "revoked"

"""企业环境信用评价 (importer green.env_credit) and green's risk signals into risk (core/feeds.py):

- bad input names the row and field and writes nothing; only the operator imports;
- a downgrade against the enterprise's previous rated year raises the green risk warning (its lender and
  the covering office, once) and hands a signal to risk; an upgrade raises nothing;
- risk keeps each handed-over signal once (source + record), counts it in 违规度 and lists it, with its
  provenance, on the firm's page.
"""

from __future__ import annotations

import random

import pytest
from django.test import Client
from django.utils import timezone

from jinfu.core import feeds
from jinfu.core.errors import Forbidden
from jinfu.core.models import Notification, Organization
from jinfu.core.reference.uscc import generate_uscc
from jinfu.green import selectors, services
from jinfu.green.models import EnvCreditRating
from jinfu.risk import services as risk_services
from jinfu.risk.models import ModuleSignal, RiskScore

from .test_green_risk import _lent
from .test_green_services import solar, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
HEAD = "企业统一社会信用代码,环境信用等级,评价年度,评价机关,文号"


def _csv(*rows: str) -> bytes:
    return "\n".join((HEAD, *rows)).encode("utf-8")


@pytest.fixture(autouse=True)
def _registered(world):  # noqa: F811
    """The rated enterprises carry their USCC, as registered enterprises do."""
    for i, who in enumerate(("ent", "ent2")):
        Organization.objects.filter(pk=world[who].organization_id).update(
            uscc=generate_uscc("500108", random.Random(900 + i))
        )


def _uscc(user) -> str:
    return Organization.objects.get(pk=user.organization_id).uscc


def _row(world, rating: str, year: int, doc: str = "渝环〔2026〕12号") -> str:  # noqa: F811
    return f"{_uscc(world['ent'])},{rating},{year},重庆市生态环境局,{doc}"


def test_bad_rows_are_named_by_row_and_field_and_nothing_is_written(world):  # noqa: F811
    year = timezone.localdate().year
    res = services.import_env_credit(
        world["admin"],
        _csv(
            f"{generate_uscc('500103', random.Random(5))},环保良好企业,{year - 1},重庆市生态环境局,渝环〔2026〕1号",
            f"{_uscc(world['ent'])},A级,{year - 1},重庆市生态环境局,渝环〔2026〕1号",  # not a level of the scale
            f"{_uscc(world['ent2'])},环保良好企业,{year + 1},重庆市生态环境局,渝环〔2026〕1号",  # future year
            f"{_uscc(world['ent2'])},环保良好企业,{year - 2},,渝环〔2026〕1号",  # no authority
        ),
        "env.csv",
    )
    found = {(e["row"], e["field"], e["rule"]) for e in res["problems"]}
    assert (2, "enterprise_uscc", "green.enterprise_unknown") in found  # a valid code, not on the platform
    assert (4, "rating_year", "range.future_period") in found
    assert {(e["row"], e["field"]) for e in res["problems"]} >= {(3, "rating"), (5, "authority")}
    assert all(e["message_zh"] and e["message_en"] for e in res["problems"])
    assert res["written"] == 0 and not EnvCreditRating.objects.exists()


def test_only_the_operator_imports_ratings(world):  # noqa: F811
    with pytest.raises(Forbidden):
        services.import_env_credit(world["gov"], _csv(_row(world, "环保良好企业", 2025)), "env.csv")


def test_a_downgrade_warns_the_lender_and_office_once_and_reaches_risk(
    world,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    _lent(world)
    year = timezone.localdate().year
    first = services.import_env_credit(world["admin"], _csv(_row(world, "环保诚信企业", year - 2)), "a.csv")
    assert (first["written"], first["downgrades"]) == (1, 0), first["problems"]
    with django_capture_on_commit_callbacks(execute=True):
        res = services.import_env_credit(
            world["admin"], _csv(_row(world, "警示", year - 1, "渝环〔2026〕9号")), "b.csv"
        )
    assert res["downgrades"] == 1
    rating = EnvCreditRating.objects.get(rating_year=year - 1)
    assert (rating.rating, rating.rank) == (
        "环保警示企业",
        3,
    )  # the file's level, ordered by the 办法's scale
    [bank_note] = Notification.objects.filter(recipient=world["bank"], kind="green_risk")
    assert (
        "环保诚信企业" in bank_note.body
        and "环保警示企业" in bank_note.body
        and "渝环〔2026〕9号" in bank_note.body
    )
    assert Notification.objects.filter(recipient=world["gov"], kind="green_risk").count() == 1
    assert not Notification.objects.filter(recipient__in=[world["bank2"], world["gov_other"]]).exists()
    [sig] = ModuleSignal.objects.all()
    assert (sig.source, sig.kind, sig.enterprise_id) == (
        "green.risk_warnings",
        "env_credit_downgrade",
        world["ent"].organization_id,
    )
    assert sig.record == f"env_credit:{rating.pk}:3" and sig.dimension == "violations"
    # the hourly kernel job delivers again: nothing new
    assert feeds.deliver_signals() == {"offered": 1, "received": 0, "known": 1, "refused": 0}
    # an upgrade raises nothing
    with django_capture_on_commit_callbacks(execute=True):
        up = services.import_env_credit(world["admin"], _csv(_row(world, "环保良好企业", year)), "c.csv")
    assert up["downgrades"] == 0 and ModuleSignal.objects.count() == 1
    assert Notification.objects.filter(kind="green_risk").count() == 2


def test_a_revoked_label_counts_in_violations_and_shows_on_the_firm_page(
    world,  # noqa: F811
    make_user,
    django_capture_on_commit_callbacks,
):
    project = _lent(world)
    org = world["ent"].organization_id
    risk_services.recompute()
    before = RiskScore.objects.get(pk=org).measures
    assert before["module_365"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(
            world["admin"], selectors.latest_identification(project).pk, reason="实为燃煤锅炉改造"
        )
    [sig] = ModuleSignal.objects.filter(enterprise_id=org)
    assert sig.kind_label == "绿色认定撤销" and "燃煤锅炉" in sig.text
    assert sig.occurred_on == timezone.localdate()
    risk_services.recompute()
    after = RiskScore.objects.get(pk=org).measures
    assert after["module_365"] == 1 and after["pts_violations"] > before["pts_violations"]
    regulator = make_user(
        "regulator",
        org=Organization.objects.create(kind="government", name="南岸区处非办", division_id="500108"),
    )
    far = make_user(
        "regulator",
        org=Organization.objects.create(kind="government", name="渝中区处非办", division_id="500103"),
    )
    c = Client()
    c.force_login(regulator)
    html = c.get(f"/risk/firms/{org}/").content.decode()
    assert "其他模块报送的风险信号" in html and "绿色金融风险预警" in html and "绿色认定撤销" in html
    assert "其他模块报送的风险信号 1 条" in html  # the 违规度 working counts it
    c.force_login(far)
    assert c.get(f"/risk/firms/{org}/").status_code == 404


def test_the_sink_refuses_unknown_dimensions_and_enterprises(world):  # noqa: F811
    today = timezone.localdate()
    ok = feeds.FeedSignal("x.src", "1", world["ent"].organization_id, today, "k", "类别", "内容")
    bad_dim = feeds.FeedSignal(
        "x.src", "2", world["ent"].organization_id, today, "k", "类别", "内容", "network"
    )
    bad_org = feeds.FeedSignal("x.src", "3", world["bank"].organization_id, today, "k", "类别", "内容")
    assert risk_services.receive_signals([ok, bad_dim, bad_org]) == {"received": 1, "known": 0, "refused": 2}
    assert risk_services.receive_signals([ok]) == {"received": 0, "known": 1, "refused": 0}

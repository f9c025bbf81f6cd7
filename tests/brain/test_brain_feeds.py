"""Indicators fed by platform data (core/feeds.py, brain/services.py refresh_feeds): a module's feed computes
its quantity over the indicator's scope only, the brain writes it through the correction path (a rerun with
the same data adds nothing, a changed value adds a row and retires the old one), bindings are the
operator's and audited, and only the plan's office refreshes.

Expected numbers are counted by hand from the fixture rows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jinfu.brain import services
from jinfu.brain.models import Actual, FeedBinding
from jinfu.core import feeds
from jinfu.core.errors import Forbidden, ValidationFailed
from jinfu.core.jurisdiction import DIVISION, Jurisdiction
from jinfu.core.models import Organization, SecurityEvent
from jinfu.risk.models import Case, CaseEvent
from tests.green.test_green_services import solar, world  # noqa: F401  (fixture)
from tests.risk.test_supervision import _org

pytestmark = pytest.mark.django_db

SHELL_MISSING = "003-I23"  # 渝中区 “空壳”“失联”地方金融组织, bound in the plan file to risk.lfo_shell_missing
YUZHONG, JIANGBEI = "500103", "500105"


@pytest.fixture
def plans(db):
    from jinfu.brain.loader import load_plans

    load_plans()


def _gov(make_user, division: str, name: str):
    return make_user(
        "government", org=Organization.objects.create(kind="government", name=name, division_id=division)
    )


@pytest.fixture
def yuzhong(make_user, plans):
    return _gov(make_user, YUZHONG, "渝中区金融办")


@pytest.fixture
def nanan(make_user, plans):
    return _gov(make_user, "500108", "南岸区金融办")


def _reporting(division: str):
    """An organization that reports, pays tax and insures staff, at a reachable address: neither flag."""
    from jinfu.risk.models import OrgReport
    from tests.risk.test_supervision import _period

    org = _org(division=division, address_reachable=True)
    OrgReport.objects.create(
        org=org,
        period_end=_period(),
        net_assets=10000,
        total_assets=20000,
        paid_in_capital=20000,
        guarantee_balance=50000,
        tax_paid=100,
        insured_staff=20,
    )
    return org


def _lost(division: str, synthetic: bool = False):
    """A 失联 organization: no report and its address unreachable."""
    org = _org(kind="microloan", division=division, address_reachable=False)
    if synthetic:
        type(org).objects.filter(pk=org.pk).update(is_synthetic=True)
    return org


def _current(code: str, year: int) -> Actual:
    return Actual.objects.get(indicator__code=code, year=year, period_kind="year", is_current=True)


def test_the_seeded_binding_is_the_plan_files_true_match_with_its_quote(plans):
    binding = FeedBinding.objects.get(indicator__code=SHELL_MISSING)
    assert binding.feed == "risk.lfo_shell_missing" and binding.channel == "seed"
    assert "“空壳”“失联”机构动态清零" in binding.quote
    # the green loan balance targets (001-I04, 003-I09) count every bank's green loans in 渝中区, not the
    # loans recorded on the platform: they are not bound
    assert set(FeedBinding.objects.values_list("indicator__code", flat=True)) == {SHELL_MISSING}


def test_feed_counts_the_indicators_district_only(plans):
    _lost(YUZHONG), _lost(YUZHONG), _reporting(YUZHONG)
    _lost(JIANGBEI)
    today = timezone.localdate()
    start = dt.date(today.year, 1, 1)
    yz = feeds.compute("risk.lfo_shell_missing", Jurisdiction(DIVISION, division=YUZHONG), start, today)
    jb = feeds.compute("risk.lfo_shell_missing", Jurisdiction(DIVISION, division=JIANGBEI), start, today)
    assert (yz.value, jb.value) == (2.0, 1.0)
    assert yz.inputs == 3  # 渝中区's three organizations were assessed, not 江北区's


def test_refresh_writes_provenance_and_a_rerun_is_idempotent_then_a_change_corrects(plans):
    _lost(YUZHONG), _lost(YUZHONG), _lost(JIANGBEI)
    year = timezone.localdate().year
    assert services.refresh_feeds()["written"] == 1
    a = _current(SHELL_MISSING, year)
    assert (a.value, a.inputs, a.channel, a.feed) == (2.0, 2, "feed", "risk.lfo_shell_missing")
    assert a.source.startswith("平台数据（风险监测）") and a.computed_at is not None
    assert not a.is_synthetic
    assert services.refresh_feeds() == {"written": 0, "unchanged": 1, "skipped": 0, "withheld": 0}
    assert Actual.objects.filter(indicator__code=SHELL_MISSING, year=year).count() == 1
    _lost(YUZHONG)
    assert services.refresh_feeds()["written"] == 1
    rows = list(Actual.objects.filter(indicator__code=SHELL_MISSING, year=year).order_by("pk"))
    assert [(r.value, r.is_current) for r in rows] == [(2.0, False), (3.0, True)]
    assert rows[0].superseded_by_id == rows[1].pk


def test_no_platform_record_in_the_scope_writes_no_zero(plans):
    """渝中区 with no organization on the platform: 0 would read as 动态清零 achieved; nothing is written."""
    _lost(JIANGBEI)
    assert services.refresh_feeds() == {"written": 0, "unchanged": 0, "skipped": 1, "withheld": 0}
    assert not Actual.objects.filter(indicator__code=SHELL_MISSING).exists()


def test_the_daily_job_counts_full_days_to_yesterday(plans):
    from jinfu.brain.jobs import daily_feed_refresh

    _lost(YUZHONG)
    assert daily_feed_refresh(timezone.now()) == "written=1 unchanged=0 skipped=0 withheld=0"
    assert _current(SHELL_MISSING, timezone.localdate().year).note == (
        f"截至 {timezone.localdate() - dt.timedelta(days=1):%Y-%m-%d}"
    )


def test_only_the_plans_office_refreshes_and_the_manual_action_is_audited(plans, yuzhong, nanan, make_user):
    _lost(YUZHONG)
    with pytest.raises(Forbidden):
        services.refresh_feeds(nanan, indicator_code=SHELL_MISSING)
    with pytest.raises(Forbidden):
        services.refresh_feeds(make_user("regulator"), indicator_code=SHELL_MISSING)
    assert not Actual.objects.filter(indicator__code=SHELL_MISSING, channel="feed").exists()
    assert services.refresh_feeds(yuzhong, indicator_code=SHELL_MISSING)["written"] == 1
    event = SecurityEvent.objects.filter(detail__action="brain_feed_refresh").get()
    assert event.user == yuzhong and event.detail["written"] == 1
    c = Client()
    c.force_login(nanan)
    assert c.post(f"/brain/indicators/{SHELL_MISSING}/feed/refresh/").status_code == 403
    c.force_login(yuzhong)
    assert c.post(f"/brain/indicators/{SHELL_MISSING}/feed/refresh/").status_code == 302


def test_binding_is_the_operators_checked_and_audited(plans, yuzhong, make_user):
    admin = make_user("admin")
    with pytest.raises(Forbidden):
        services.bind_feed(yuzhong, indicator_code="003-I05", feed_code="risk.red_warnings", quote="x")
    with pytest.raises(ValidationFailed) as e:  # 件 is not 家
        services.bind_feed(
            admin, indicator_code="003-I05", feed_code="risk.cases_opened", quote="金融机构总量"
        )
    assert e.value.field == "feed"
    with pytest.raises(ValidationFailed) as e:  # a growth rate takes no platform figure
        services.bind_feed(admin, indicator_code="003-I38", feed_code="risk.disposal_rate", quote="年均增长")
    assert e.value.field == "feed"
    with pytest.raises(ValidationFailed) as e:
        services.bind_feed(admin, indicator_code="003-I05", feed_code="risk.red_warnings", quote="  ")
    assert e.value.field == "quote"
    services.bind_feed(
        admin, indicator_code="003-I05", feed_code="risk.red_warnings", quote="金融机构总量突破500家"
    )
    event = SecurityEvent.objects.filter(detail__action="brain_feed_bind", detail__indicator="003-I05").get()
    assert event.user == admin and event.detail["feed"] == "risk.red_warnings"
    services.unbind_feed(admin, indicator_code="003-I05")
    assert not FeedBinding.objects.filter(indicator__code="003-I05").exists()
    assert SecurityEvent.objects.filter(detail__action="brain_feed_unbind").count() == 1
    c = Client()
    c.force_login(yuzhong)
    assert (
        c.post("/brain/indicators/003-I05/feed/", {"feed": "risk.red_warnings", "quote": "x"}).status_code
        == 403
    )


def test_indicator_page_shows_the_source_computed_at_inputs_and_synthetic_flag(plans, yuzhong):
    _lost(YUZHONG, synthetic=True), _lost(YUZHONG)
    services.refresh_feeds()
    assert _current(SHELL_MISSING, timezone.localdate().year).is_synthetic
    c = Client()
    c.force_login(yuzhong)
    html = c.get(f"/brain/indicators/{SHELL_MISSING}/").content.decode()
    assert "来源：平台数据（风险监测）" in html and "“空壳”“失联”地方金融组织" in html
    assert "计算所用记录 2 条" in html and "示例数据" in html
    assert "从平台数据更新" in html and "绑定平台数据" not in html  # the office refreshes, binds nothing
    [fed] = c.get(f"/api/v1/brain/indicators/{SHELL_MISSING}/actuals").json()
    assert (fed["feed"], fed["inputs"], fed["channel"]) == ("risk.lfo_shell_missing", 2, "feed")
    assert fed["computed_at"] and fed["is_synthetic"] is True


def _lend_in(world, division: str, amount: str):  # noqa: F811
    from jinfu.green import selectors as green_selectors
    from jinfu.green import services as green

    project = green.submit_project(world["ent"], solar(division=division))
    green.decide(world["admin"], green_selectors.latest_identification(project).pk, confirm=True)
    green.set_tier(world["admin"], project.pk, "pool", publish=True)
    loan = green.claim(world["bank"], project.pk)
    return green.record_loan(world["bank"], loan.pk, amount=amount, granted_on=timezone.localdate())


def test_a_money_sum_over_fewer_than_k_records_is_withheld(plans, world, settings):  # noqa: F811
    """One recorded loan would show one institution's loan to every office that reads the brain."""
    # for the test's sake only: the plan's 绿色贷款余额 counts every bank's loans, not the platform's
    services.bind_feed(
        world["admin"], indicator_code="003-I09", feed_code="green.loan_balance", quote="绿色贷款余额"
    )
    settings.JINFU_DISCLOSURE_MIN_GROUP = 2
    _lend_in(world, YUZHONG, "500")
    assert services.refresh_feeds(indicator_code="003-I09")["withheld"] == 1
    assert not Actual.objects.filter(indicator__code="003-I09", channel="feed").exists()
    settings.JINFU_DISCLOSURE_MIN_GROUP = 1
    settings.JINFU_DISCLOSURE_DOMINANCE = (
        1.0  # one borrower is all of the sum: allowed only with no dominance rule
    )
    assert services.refresh_feeds(indicator_code="003-I09")["written"] == 1
    a = _current("003-I09", timezone.localdate().year)
    assert (a.value, a.entered_value, a.entered_unit) == (0.05, 500.0, "万元")  # 500 万元 = 0.05 亿元


def test_green_feeds_per_district(world):  # noqa: F811
    from jinfu.green import selectors as green_selectors

    loan = _lend_in(world, "500108", "800")
    _lend_in(world, YUZHONG, "300")
    today = timezone.localdate()
    start, nanan_j = dt.date(today.year, 1, 1), Jurisdiction(DIVISION, division="500108")
    assert feeds.compute("green.loan_balance", nanan_j, start, today).value == 800.0
    assert feeds.compute("green.financing", nanan_j, start, today).value == 800.0
    assert feeds.compute("green.financing", nanan_j, start, today - dt.timedelta(days=1)).value == 0.0
    assert feeds.compute("green.pool_pool", nanan_j, start, today).value == 1.0
    assert feeds.compute("green.pool_recommended", nanan_j, start, today).value == 0.0
    carbon = feeds.compute("green.carbon", nanan_j, start, today)
    assert (
        carbon.value == pytest.approx(float(green_selectors.loan_carbon(loan).value)) and carbon.inputs == 1
    )


def test_feed_cases_opened_closed_and_disposal_rate_per_district(db, reference_data):
    def case(n: int, division: str, closed: bool = False) -> Case:
        c = Case.objects.create(number=f"FX{n}", subject="某公司", division_id=division, source="manual")
        if closed:
            CaseEvent.objects.create(case=c, from_status="handling", to_status="closed")
        return c

    case(1, YUZHONG, closed=True), case(2, YUZHONG), case(3, YUZHONG), case(4, JIANGBEI, closed=True)
    today = timezone.localdate()
    start, yz = dt.date(today.year, 1, 1), Jurisdiction(DIVISION, division=YUZHONG)
    assert feeds.compute("risk.cases_opened", yz, start, today).value == 3.0
    assert feeds.compute("risk.cases_closed", yz, start, today).value == 1.0
    rate = feeds.compute("risk.disposal_rate", yz, start, today)
    assert (rate.value, rate.inputs) == (33.33, 3)  # 1 closed of 3 opened
    last_year = dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    assert feeds.compute("risk.disposal_rate", yz, *last_year) is None  # no case opened: no rate


def test_a_money_sum_from_one_borrower_is_withheld_however_many_loans(plans, world, settings):  # noqa: F811
    """k loans of one enterprise are still one enterprise's borrowing: the disclosure policy counts the
    enterprises contributing to a sum (core/disclosure.py), not the records."""
    services.bind_feed(
        world["admin"], indicator_code="003-I09", feed_code="green.loan_balance", quote="绿色贷款余额"
    )
    settings.JINFU_DISCLOSURE_MIN_GROUP = 2
    _lend_in(world, YUZHONG, "500")
    _lend_in(world, YUZHONG, "700")  # a second project of the same enterprise: 2 records, 1 borrower
    assert services.refresh_feeds(indicator_code="003-I09")["withheld"] == 1
    assert not Actual.objects.filter(indicator__code="003-I09", channel="feed").exists()


def test_a_money_sum_dominated_by_one_borrower_is_withheld(plans, world, make_user, settings):  # noqa: F811
    """Two borrowers, one of them 800 of 810 万元: the total is (almost) that enterprise's borrowing."""
    from jinfu.green import selectors as green_selectors
    from jinfu.green import services as green

    services.bind_feed(
        world["admin"], indicator_code="003-I09", feed_code="green.loan_balance", quote="绿色贷款余额"
    )
    settings.JINFU_DISCLOSURE_MIN_GROUP = 2
    _lend_in(world, YUZHONG, "800")
    other = make_user(
        "enterprise",
        org=Organization.objects.create(
            kind="enterprise", name="另一家企业", uscc="91500103MA5U000X2Q", division_id=YUZHONG
        ),
    )
    project = green.submit_project(other, solar(division=YUZHONG))
    green.decide(world["admin"], green_selectors.latest_identification(project).pk, confirm=True)
    green.set_tier(world["admin"], project.pk, "pool", publish=True)
    loan = green.claim(world["bank"], project.pk)
    green.record_loan(world["bank"], loan.pk, amount="10", granted_on=timezone.localdate())
    assert services.refresh_feeds(indicator_code="003-I09")["withheld"] == 1
    settings.JINFU_DISCLOSURE_DOMINANCE = 1.0
    assert services.refresh_feeds(indicator_code="003-I09")["written"] == 1


def test_a_carbon_sum_is_withheld_like_money(world, settings):  # noqa: F811
    """Tonnes of CO2 from one borrower's loans are that enterprise's figure: the carbon feed hands over each
    borrower's part and the brain applies the same disclosure rule as to money (k borrowers, dominance)."""
    from types import SimpleNamespace

    _lend_in(world, YUZHONG, "500")
    _lend_in(world, YUZHONG, "700")  # the same enterprise's second project
    today = timezone.localdate()
    carbon = feeds.compute(
        "green.carbon", Jurisdiction(DIVISION, division=YUZHONG), dt.date(today.year, 1, 1), today
    )
    assert carbon.inputs == 2 and len(carbon.parts) == 1 and carbon.parts[0] == pytest.approx(carbon.value)
    feed = SimpleNamespace(unit="tCO2/年")
    settings.JINFU_DISCLOSURE_MIN_GROUP = 2
    assert services._withheld(feed, carbon) is True  # one borrower
    settings.JINFU_DISCLOSURE_MIN_GROUP, settings.JINFU_DISCLOSURE_DOMINANCE = 1, 1.0
    assert services._withheld(feed, carbon) is False
    count = feeds.FeedValue(3.0, 3)  # a count carries no parts: not a sum over enterprises
    settings.JINFU_DISCLOSURE_MIN_GROUP = 5
    assert services._withheld(SimpleNamespace(unit="个"), count) is False

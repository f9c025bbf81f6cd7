"""Listing services, selectors, pages and API: statements validation, permissions (grants), the
reserve workflow (criteria, four eyes, city-level review), re-evaluation flags and milestone order."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from jinfu.core.errors import Conflict, ConsentRequired, Forbidden, ValidationFailed
from jinfu.core.models import AccessRecord, Grant, Notification, Organization, Purpose, Scope
from jinfu.listing import selectors, services
from jinfu.listing.models import FinancialStatement, Milestone, ReserveEntry, ReserveEvent

pytestmark = pytest.mark.django_db
LAST = timezone.localdate().year - 1


@pytest.fixture
def ent(make_user, reference_data):
    u = make_user("enterprise")
    Organization.objects.filter(pk=u.organization_id).update(division_id="500103")
    u.organization.refresh_from_db()
    return u


def gov(make_user, division, name):
    return make_user(
        "government", org=Organization.objects.create(kind="government", name=name, division_id=division)
    )


@pytest.fixture
def district(make_user):
    return gov(make_user, "500103", "渝中区金融办")


@pytest.fixture
def district2(make_user):
    return make_user("government", org=Organization.objects.get(name="渝中区金融办"))


@pytest.fixture
def city(make_user):
    return gov(make_user, "500000", "重庆市地方金融管理局")


def fill(user, years=3, revenue=60000, profit=12000, **extra):
    for i in range(years):
        services.save_statement(
            user,
            {
                "year": LAST - i,
                "revenue": revenue,
                "net_profit": profit,
                "operating_cash_flow": 8000,
                "rd_expense": 3000,
                "total_assets": 90000,
                "net_assets": 50000,
                "roe": 12,
                **extra,
            },
        )


# -- statements ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad,field,zh",
    [
        ({"year": LAST + 1}, "year", "尚未结束"),
        ({"year": 1980}, "year", "不能早于"),
        ({"revenue": -1}, "revenue", "不能为负数"),
        ({"rd_expense": -5}, "rd_expense", "不能为负数"),
        ({"revenue": "abc"}, "revenue", "不是有效的数字"),
        ({"revenue": "1e12"}, "revenue", "超出合理范围"),
        ({"net_profit": ""}, "net_profit", "请填写"),
        ({"roe": 5000}, "roe", "-1000%"),
        ({"net_assets": 100, "total_assets": 50}, "net_assets", "净资产不能大于资产总额"),
    ],
)
def test_bad_statement_is_rejected_and_nothing_written(ent, bad, field, zh):
    data = {"year": LAST, "revenue": 1000, "net_profit": 100} | bad
    with pytest.raises(ValidationFailed) as e:
        services.save_statement(ent, data)
    assert e.value.field == field and zh in e.value.message_zh and e.value.message_en
    assert not FinancialStatement.objects.exists()


def test_statement_upsert_and_negative_profit_allowed(ent):
    services.save_statement(ent, {"year": LAST, "revenue": "1,000", "net_profit": -50})
    services.save_statement(ent, {"year": LAST, "revenue": 2000, "net_profit": 100})
    fs = FinancialStatement.objects.get()
    assert fs.revenue == Decimal("2000.00") and fs.net_profit == 100 and not fs.is_synthetic


def test_only_the_enterprise_enters_its_statements(ent, district, make_user):
    with pytest.raises(Forbidden):
        services.save_statement(district, {"year": LAST, "revenue": 1, "net_profit": 1})
    with pytest.raises(Forbidden):
        services.save_statement(ent, {"year": LAST, "revenue": 1, "net_profit": 1}, enterprise_pk=999999)


def test_institution_needs_live_financials_grant(ent, make_user):
    fill(ent, years=1)
    bank = make_user("institution")
    with pytest.raises(ConsentRequired):
        selectors.statements(bank, ent.organization_id)
    with pytest.raises(ConsentRequired):
        selectors.readiness(bank, ent.organization_id)
    assert AccessRecord.objects.filter(accessor_org=bank.organization, allowed=False).count() == 2
    now = timezone.now()
    Grant.objects.create(
        enterprise=ent.organization,
        grantee=bank.organization,
        scopes=[Scope.BASIC],
        purpose=Purpose.LOAN_APPLICATION,
        granted_at=now,
        expires_at=now + dt.timedelta(days=5),
        granted_by=ent,
    )
    with pytest.raises(ConsentRequired):  # a grant without "financials" is not enough
        selectors.statements(bank, ent.organization_id)
    Grant.objects.create(
        enterprise=ent.organization,
        grantee=bank.organization,
        scopes=[Scope.FINANCIALS],
        purpose=Purpose.LOAN_APPLICATION,
        granted_at=now,
        expires_at=now + dt.timedelta(days=5),
        granted_by=ent,
    )
    assert selectors.statements(bank, ent.organization_id).count() == 1


def test_government_sees_readiness_in_division_but_not_raw_statements(ent, district, make_user):
    fill(ent)
    data = selectors.readiness(district, ent.organization_id)
    assert data["fiscal_year"] == LAST
    with pytest.raises(Forbidden):
        selectors.statements(district, ent.organization_id)
    other = gov(make_user, "500112", "渝北区金融办")
    with pytest.raises(Forbidden):
        selectors.readiness(other, ent.organization_id)


def test_readiness_reports_main_board_gap(ent):
    fill(ent, profit=9000)  # 3 × 9000 = 2.7亿 total, last year 9000 < 1亿
    data = selectors.readiness(ent, ent.organization_id)
    main = next(b for b in data["boards"] if b.board == "main")
    c = next(c for c in main.standards[0].conditions if c.key == "np_y1")
    assert c.met is False and c.gap == pytest.approx(1000) and "还差 1,000万元" in c.message_zh


# -- reserve --------------------------------------------------------------------------------------


def test_nomination_requires_criteria(ent, district):
    fill(ent, years=1, revenue=4000, profit=100)
    with pytest.raises(ValidationFailed) as e:
        services.nominate(district, ent.organization_id, "district")
    assert "不符合" in e.value.message_zh and not ReserveEntry.objects.exists()


def test_reserve_workflow_four_eyes_and_city_review(
    ent, district, district2, city, make_user, django_capture_on_commit_callbacks
):
    fill(ent)
    entry = services.nominate(district, ent.organization_id, "district", "营收 6 亿")
    with pytest.raises(ValidationFailed):  # one open entry per tier
        services.nominate(district2, ent.organization_id, "district")
    with pytest.raises(Forbidden):  # four eyes
        services.decide(district, entry.pk, "approve")
    with pytest.raises(Forbidden):  # enterprises cannot review
        services.decide(ent, entry.pk, "approve")
    other = gov(make_user, "500112", "渝北区金融办")
    with pytest.raises(Forbidden):
        services.decide(other, entry.pk, "approve")
    with django_capture_on_commit_callbacks(execute=True):  # the notice goes out on commit
        services.decide(district2, entry.pk, "approve", "同意")
    with pytest.raises(ValidationFailed):  # approved → approve again is illegal (a Conflict)
        services.decide(city, entry.pk, "approve")
    with pytest.raises(ValidationFailed):  # removal needs a reason
        services.decide(district2, entry.pk, "remove")
    # city tier: nominated by the district, decided only by the city office
    c = services.nominate(district, ent.organization_id, "city")
    with pytest.raises(Forbidden):
        services.decide(district2, c.pk, "approve")
    services.decide(city, c.pk, "reject", "材料不全")
    assert ReserveEntry.objects.get(pk=c.pk).status == "rejected"
    actions = list(ReserveEvent.objects.filter(entry=entry).values_list("action", flat=True))
    assert actions == ["nominate", "approve"]
    assert Notification.objects.filter(recipient=ent, title__contains="审核通过").exists()


def test_reevaluation_flags_and_notifies_then_clears(ent, district, district2, city):
    fill(ent)
    entry = services.nominate(district, ent.organization_id, "district")
    services.decide(district2, entry.pk, "approve")
    assert services.reevaluate_reserve()["flagged"] == 0
    FinancialStatement.objects.filter(enterprise=ent.organization, year=LAST).update(
        revenue=100, net_profit=-10
    )
    r = services.reevaluate_reserve()
    assert r == {"checked": 1, "flagged": 1, "cleared": 0, "version": r["version"]}
    entry.refresh_from_db()
    assert entry.status == "approved" and entry.flagged and "营业收入" in entry.flag_reason  # kept, flagged
    assert Notification.objects.filter(recipient=district, title__contains="复核预警").exists()
    assert Notification.objects.filter(recipient=city, title__contains="复核预警").exists()
    assert services.reevaluate_reserve()["flagged"] == 0  # no duplicate flag
    FinancialStatement.objects.filter(enterprise=ent.organization, year=LAST).update(
        revenue=60000, net_profit=1
    )
    assert services.reevaluate_reserve()["cleared"] == 1
    assert list(entry.events.values_list("action", flat=True)) == ["nominate", "approve", "flag", "unflag"]


def test_city_key_needs_a_met_standard_and_shareholding_reform(ent, district):
    fill(ent, revenue=60000, profit=12000)  # meets 创业板 standard 1 and more
    with pytest.raises(ValidationFailed) as e:
        services.nominate(district, ent.organization_id, "city_key")
    assert "上市进程阶段" in e.value.message_zh
    services.record_milestone(ent, ent.organization_id, "shareholding_reform", dt.date(2024, 3, 1))
    assert services.nominate(district, ent.organization_id, "city_key").status == "nominated"


# -- milestones ------------------------------------------------------------------------------------


def test_milestones_in_order_with_clear_errors(ent, district, make_user):
    o = ent.organization_id
    with pytest.raises(ValidationFailed) as e:
        services.record_milestone(ent, o, "application_accepted", dt.date(2024, 5, 1))
    assert "请先登记“股份制改造”" in e.value.message_zh and "before" in e.value.message_en
    services.record_milestone(ent, o, "shareholding_reform", "2024-01-10")
    with pytest.raises(ValidationFailed) as e:
        services.record_milestone(district, o, "tutoring_filed", dt.date(2023, 12, 31))
    assert "不能早于" in e.value.message_zh and e.value.field == "date"
    with pytest.raises(ValidationFailed):
        services.record_milestone(ent, o, "tutoring_filed", timezone.localdate() + dt.timedelta(days=1))
    with pytest.raises(ValidationFailed):
        services.record_milestone(ent, o, "shareholding_reform", "2024-02-01")  # duplicate
    services.record_milestone(district, o, "tutoring_filed", "2024-06-01")
    with pytest.raises(Forbidden):
        services.record_milestone(
            gov(make_user, "500112", "渝北区金融办"), o, "application_accepted", "2024-07-01"
        )
    assert list(Milestone.objects.values_list("stage", flat=True)) == [
        "shareholding_reform",
        "tutoring_filed",
    ]
    assert Milestone.objects.last().policy_tag == "listing.stage.tutoring_filed"
    f = selectors.funnel(district)
    assert [s["count"] for s in f["stages"]][:3] == [1, 1, 0]


# -- pages and API ---------------------------------------------------------------------------------


def test_pages_render(client, ent, district, city):
    fill(ent)
    client.force_login(ent)
    for url in ("/listing/readiness/", "/listing/financials/", "/listing/milestones/", "/listing/standards/"):
        assert client.get(url).status_code == 200, url
    r = client.post(
        "/listing/financials/", {"form": "statement", "year": LAST + 1, "revenue": 1, "net_profit": 1}
    )
    assert r.status_code == 422 and "尚未结束" in r.content.decode()
    assert client.get("/listing/reserve/").status_code == 403
    client.force_login(district)
    assert client.get(f"/listing/readiness/{ent.organization_id}/").status_code == 200
    r = client.post("/listing/reserve/nominate/", {"enterprise": ent.organization_id, "tier": "district"})
    assert r.status_code == 302 and ReserveEntry.objects.count() == 1
    assert "渝中区金融办" in client.get("/listing/reserve/").content.decode()
    assert client.get("/listing/funnel/").status_code == 200
    client.force_login(city)
    r = client.post(f"/listing/reserve/{ReserveEntry.objects.get().pk}/decide/", {"action": "approve"})
    assert ReserveEntry.objects.get().status == "approved"
    assert client.post("/listing/reserve/reevaluate/").status_code == 302


def test_api_scopes_and_readiness(client, ent, make_user):
    from jinfu.core.apikeys import issue_key

    fill(ent)
    client.force_login(ent)
    r = client.get(f"/api/v1/listing/readiness/{ent.organization_id}")
    assert r.status_code == 200 and {b["board"] for b in r.json()["boards"]} == {
        "main",
        "star",
        "chinext",
        "bse",
    }
    assert client.get("/api/v1/listing/standards").status_code == 200
    client.logout()
    bank = make_user("institution")
    _, key = issue_key(
        organization=bank.organization, name="k", scopes=["listing:read", "enterprise_data:read"]
    )
    h = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(f"/api/v1/listing/statements/{ent.organization_id}", **h).status_code == 403  # no grant
    _, key2 = issue_key(organization=bank.organization, name="k2", scopes=["orgs:read"])
    r = client.get("/api/v1/listing/standards", HTTP_AUTHORIZATION=f"Bearer {key2}")
    assert r.status_code == 403 and "listing:read" in r.content.decode()


def test_milestones_page_links_listing_policies(client, ent):
    from jinfu.policy.loader import load_policies

    load_policies()
    client.force_login(ent)
    html = client.get("/listing/milestones/").content.decode()
    assert "渝中区鼓励企业挂牌上市扶持办法" in html and "重庆高新区鼓励企业上市挂牌扶持办法" in html


def test_a_decision_on_an_entry_in_another_state_is_a_409_conflict(ent, district, district2, city):
    """The workflow kernel: deciding an entry someone already decided is a Conflict (409), not a 422."""
    fill(ent)
    entry = services.nominate(district, ent.organization_id, "district", "营收 6 亿")
    services.decide(district2, entry.pk, "reject", "材料不全")
    with pytest.raises(Conflict) as err:
        services.decide(city, entry.pk, "approve")
    assert err.value.status == 409 and "未通过" in err.value.message_zh
    assert ReserveEvent.objects.filter(entry=entry).count() == 2

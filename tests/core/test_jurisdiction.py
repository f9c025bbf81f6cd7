"""Jurisdiction once (issue 10 item 3): the rule table through the kernel (core/jurisdiction.py), one
regression per former copy of the rule, and the financing KPIs defaulted to the asker's jurisdiction.

The copies disagreed on zone offices (an office with a zone and no division was city-level everywhere but
in the brain) and on offices without a place (a street grid or a government user without a division saw
the whole city). docs/architecture.md, "Jurisdiction", writes the rule down."""

from decimal import Decimal

import pytest

from jinfu.core import jurisdiction as jur
from jinfu.core.errors import Forbidden
from jinfu.core.models import Notification, Organization

pytestmark = pytest.mark.django_db

HITECH = "cq-hitech"  # 重庆高新区: divisions 500106, 500107
JFB = "cq-jfb-ctm"  # 解放碑—朝天门: inside 500103


def office(make_user, *, division=None, zone=None, kind="government", role="government", name="测试金融办"):
    org = Organization.objects.create(kind=kind, name=name, division_id=division, zone_id=zone)
    return make_user(role, org=org)


@pytest.fixture
def places(reference_data):
    """Enterprises: in 渝中 (500103), in 江北 (500105), in 高新区 (500107 + zone), in 科学城 (500106 + zone)."""

    def ent(name, division, zone=None):
        return Organization.objects.create(kind="enterprise", name=name, division_id=division, zone_id=zone)

    return {
        "own_division": ent("渝中企业", "500103"),
        "other_division": ent("江北企业", "500105"),
        "own_zone": ent("高新区企业", "500107", HITECH),
        "other_zone": ent("科学城企业", "500106", "cq-science-city"),
    }


@pytest.fixture
def principals(make_user, reference_data):
    district = office(make_user, division="500103", name="渝中区金融办")
    return {
        "admin": make_user("admin"),
        "city": office(make_user, division="500000", name="市金融管理局"),
        "city_no_division": office(make_user, name="市金融办（未设区划）"),
        "district": district,
        "street": office(make_user, division="500103", kind="street", name="解放碑街道网格"),
        "zone": office(make_user, zone=HITECH, name="高新区金融办"),
        "zone_with_division": office(
            make_user, division="500107", zone=HITECH, name="高新区金融办（九龙坡）"
        ),
        "regulator": make_user("regulator", org=district.organization),
        "street_without_division": office(make_user, kind="street", role="regulator", name="无区划网格"),
        "enterprise": make_user("enterprise"),
        "institution": make_user("institution"),
    }


# principal → (own division 500103, other division 500105, own zone 高新区, other zone 科学城)
RULE = {
    "admin": (jur.PLATFORM, (True, True, True, True)),
    "city": (jur.CITY, (True, True, True, True)),
    "city_no_division": (jur.CITY, (True, True, True, True)),
    "district": (jur.DIVISION, (True, False, False, False)),
    "street": (jur.STREET, (True, False, False, False)),
    "zone": (jur.ZONE, (False, False, True, False)),
    "zone_with_division": (jur.ZONE, (False, False, True, False)),
    "regulator": (jur.DIVISION, (True, False, False, False)),
    "street_without_division": (jur.NONE, (False, False, False, False)),
    "enterprise": (jur.NONE, (False, False, False, False)),
    "institution": (jur.NONE, (False, False, False, False)),
}


@pytest.mark.parametrize("who", list(RULE))
def test_rule_table(who, principals, places):
    level, expected = RULE[who]
    user = principals[who]
    assert jur.of(_p(user)).level == level
    ents = [places[k] for k in ("own_division", "other_division", "own_zone", "other_zone")]
    assert tuple(jur.covers(user, e.division_id, e.zone_id) for e in ents) == expected
    governed = set(Organization.objects.visible_to(user, "govern").values_list("pk", flat=True))
    assert tuple(e.pk in governed for e in ents) == expected


def test_government_user_without_office_governs_nothing(make_user):
    from jinfu.core.principal import Principal

    p = Principal(organization=None, role="government")
    assert p.jurisdiction.level == jur.NONE
    assert not Organization.objects.visible_to(p, "govern").exists()


def _p(user):
    from jinfu.core.principal import as_principal

    return as_principal(user)


# ---------------------------------------------------------------------------
# One regression per former copy
# ---------------------------------------------------------------------------


def test_org_directory_zone_office_sees_its_zone_only(principals, places):
    """core/selectors.visible_organizations: a zone office (zone, no division) used to count as city-level."""
    from jinfu.core.selectors import visible_organizations

    ids = set(visible_organizations(principals["zone"], kind="enterprise").values_list("pk", flat=True))
    assert places["own_zone"].pk in ids
    assert not ids & {places["own_division"].pk, places["other_division"].pk, places["other_zone"].pk}


def test_enterprise_overview_street_without_division_sees_nothing(principals, make_user):
    """core/selectors.enterprise_overview: a street grid with no division used to see the whole city."""
    from jinfu.core.selectors import enterprise_overview

    make_user("enterprise")  # an enterprise with a profile somewhere
    assert enterprise_overview(principals["street_without_division"])["total"] == 0
    assert enterprise_overview(principals["city"])["total"] >= 1


def test_enterprise_form_zone_office_registers_in_its_zone_only(principals):
    """core/services.enterprise_write_refusal: a zone office used to register enterprises anywhere."""
    from jinfu.core.services import REFUSE_DIVISION, enterprise_write_refusal

    zone = principals["zone"]
    assert enterprise_write_refusal(zone, division="500105") is REFUSE_DIVISION
    assert enterprise_write_refusal(zone, division="500107", zone=HITECH) is None
    district = principals["district"]
    assert enterprise_write_refusal(district, division="500105") is REFUSE_DIVISION
    assert enterprise_write_refusal(district, division="500103") is None


def test_disclosure_zone_office_previews_over_its_zone(principals, make_user):
    """core/disclosure.authorize: a zone office's previews used to run over the whole city."""
    from jinfu.core import disclosure

    inside, outside = make_user("enterprise").organization, make_user("enterprise").organization
    Organization.objects.filter(pk=inside.pk).update(division_id="500107", zone_id=HITECH)
    Organization.objects.filter(pk=outside.pk).update(division_id="500107", zone_id=None)
    gate = disclosure.authorize(principals["zone"], "policy_rule")
    assert (gate.division, gate.zone) == (None, HITECH)
    assert set(disclosure._population(gate)["org_id"].to_list()) == {inside.pk}
    gate = disclosure.authorize(principals["zone_with_division"], "policy_rule")
    assert set(disclosure._population(gate)["org_id"].to_list()) == {inside.pk}


@pytest.fixture
def plans(db):
    from jinfu.brain.loader import load_plans

    load_plans()


def test_brain_task_board_street_without_division_is_not_city_level(principals, plans):
    """brain/permissions.is_city_level: a street grid with no division used to read every task board."""
    from jinfu.brain.models import Plan
    from jinfu.brain.permissions import can_view_tasks, is_city_level

    street = principals["street_without_division"]
    assert not is_city_level(street)
    assert not any(can_view_tasks(street, plan) for plan in Plan.objects.all())
    assert is_city_level(principals["city"])


def test_brain_zone_office_with_a_division_edits_its_zone_plans_only(make_user, plans):
    """brain/permissions._covers: a zone office with a division set also edited its division's plans."""
    from jinfu.brain.models import Plan
    from jinfu.brain.permissions import can_edit_plan, can_view_tasks

    jfb = office(make_user, division="500103", zone=JFB, name="解放碑—朝天门片区办")
    assert not can_edit_plan(jfb, Plan.objects.get(code="001"))  # 渝中区 plan, no zone
    assert not can_view_tasks(jfb, Plan.objects.get(code="001"))
    hitech = office(make_user, zone=HITECH, name="高新区金融办")
    assert can_edit_plan(hitech, Plan.objects.get(code="004"))  # 高新区 plan


@pytest.fixture
def policies(reference_data):
    from jinfu.policy.models import Budget, Policy, PolicyItem

    out = {}
    for key, division in (("yuzhong", "500103"), ("city", None)):
        pol = Policy.objects.create(
            code=f"t-{key}",
            title=f"{key} 政策",
            issuer=key,
            division_id=division,
            status=Policy.Status.PUBLISHED,
        )
        item = PolicyItem.objects.create(
            policy=pol, code=f"t-{key}-1", title="奖励", annual_budget=Decimal(100)
        )
        Budget.objects.create(item=item, period="2026", total=Decimal(100), remaining=Decimal(100))
        out[key] = item
    return out


def test_policy_zone_office_governs_city_policies_not_a_districts(principals, policies):
    """policy/services.can_govern and policy/selectors._gov_filter: a zone office (no division) used to
    govern every district's policies and see their budgets."""
    from jinfu.policy import selectors, services

    zone = principals["zone"]
    assert not services.can_govern(zone, "500103")
    assert services.can_govern(zone, None)
    assert {b.item_id for b in selectors.budgets(zone)} == {policies["city"].pk}
    district = principals["district"]
    assert services.can_govern(district, "500103") and not services.can_govern(district, "500105")
    assert {b.item_id for b in selectors.budgets(district)} == {policies["city"].pk, policies["yuzhong"].pk}
    assert len(selectors.budgets(principals["admin"])) == 2


def test_policy_claim_notifications_follow_the_jurisdiction(principals, policies):
    """policy/services._notify_government: a zone office was told of every district's claims."""
    from jinfu.policy import services

    services._notify_government(policies["yuzhong"], title="新的兑现申请", url="/policy/")
    told = set(Notification.objects.values_list("recipient__organization__name", flat=True))
    assert {"渝中区金融办", "市金融管理局", "市金融办（未设区划）"} <= told
    assert "高新区金融办" not in told and "解放碑街道网格" not in told


def test_listing_reserve_zone_office(principals, places):
    """listing/selectors (enterprises_in_scope, in_division, is_city_office): a zone office used to be a
    city-level office, see every enterprise and nominate any of them."""
    from jinfu.listing import selectors, services

    zone = principals["zone"]
    assert set(selectors.enterprises_in_scope(zone)) == {places["own_zone"]}
    assert not selectors.is_city_office(_p(zone))
    assert selectors.is_city_office(_p(principals["city_no_division"]))
    with pytest.raises(Forbidden):
        services.nominate(zone, places["other_division"].pk, "district")
    assert set(selectors.enterprises_in_scope(principals["district"])) == {places["own_division"]}


# ---------------------------------------------------------------------------
# Financing KPIs (issue 11)
# ---------------------------------------------------------------------------


def test_kpis_default_to_a_district_users_own_division(principals, places):
    from jinfu.financing import selectors

    k = selectors.kpis(principals["district"])
    assert k["enterprises"] == Organization.objects.filter(kind="enterprise", division_id="500103").count()
    assert k["scope_label"] == "渝中区"
    assert k["divisions"] == [("500103", "渝中区")]
    city = selectors.kpis(principals["city"])
    assert city["enterprises"] == Organization.objects.filter(kind="enterprise").count()
    assert ("500105", "江北区") in city["divisions"] and len(city["divisions"]) > 30
    picked = selectors.kpis(principals["city"], division="500105")
    assert picked["enterprises"] == 1 and picked["scope_label"] == "江北区"
    zone = selectors.kpis(principals["zone"])
    assert zone["enterprises"] == 1 and zone["divisions"] == []


def test_kpis_api_refuses_another_division(client, principals, places):
    client.force_login(principals["district"])
    resp = client.get("/api/v1/financing/kpis?division=500105")
    assert resp.status_code == 403
    assert "本辖区" in resp.json()["detail"] and "enterprises" not in resp.json()
    own = client.get("/api/v1/financing/kpis?division=500103")
    assert own.status_code == 200 and own.json()["enterprises"] == 1
    client.force_login(principals["city"])
    assert client.get("/api/v1/financing/kpis?division=500105").json()["enterprises"] == 1
    assert client.get("/api/v1/financing/kpis?division=999999").status_code == 422


def test_kpi_page_picker(client, principals, places):
    client.force_login(principals["city"])
    html = client.get("/financing/kpis/").content.decode()
    assert '<select id="kpi-division" name="division">' in html and '<option value="500105"' in html
    assert client.get("/financing/kpis/?division=999999").status_code == 400
    client.force_login(principals["district"])
    html = client.get("/financing/kpis/").content.decode()
    assert 'name="division"' not in html and "渝中区" in html
    assert client.get("/financing/kpis/?division=500105").status_code == 403


def test_credit_distributions_follow_the_jurisdiction(principals, places):
    """credit/selectors.distributions: a district office used to see the whole city's credit counts."""
    from jinfu.credit import selectors
    from jinfu.credit.models import FeatureSnapshot

    for org in places.values():
        FeatureSnapshot.objects.create(enterprise=org, values={"tax_grade": "A"})
    assert set(selectors.distributions(principals["district"])["by_division"]) == {"渝中区"}
    assert set(selectors.distributions(principals["zone"])["by_division"]) == {"九龙坡区"}
    assert len(selectors.distributions(principals["city"])["by_division"]) == 4

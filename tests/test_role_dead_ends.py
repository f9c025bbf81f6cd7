"""Role dead ends (issue 11 items 4 and 5): a notification links only to a page its recipient can open,
and each role's pages offer only what it can use."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jinfu.core.models import Notification, Role
from jinfu.core.notify import notify
from jinfu.policy import services as policy_services
from tests.factories import TODAY, make_item, set_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def gov(make_user, reference_data):
    user = make_user("government")
    user.organization.division_id = "500103"
    user.organization.save()
    return user


@pytest.fixture
def policy(gov):
    data = {"code": "t-dead-ends", "title": "渝中区扶持办法", "issuer": "渝中区", "division_id": "500103"}
    return policy_services.publish_policy(gov, policy_services.save_policy(gov, data).pk)


@pytest.fixture
def ent(make_user, reference_data):
    user = make_user("enterprise")
    set_profile(user.organization, registered_capital=50000, paid_in_capital=30000)
    return user


def test_policy_claim_notifies_government_users_not_regulators_in_the_same_office(
    gov, policy, ent, make_user
):
    regulator = make_user("regulator", org=gov.organization)
    item = make_item(gov, policy)
    claim = policy_services.submit_claim(ent, item.pk, today=TODAY)
    assert Notification.objects.filter(recipient=gov, kind="policy_claim", url=f"/policy/claims/{claim.pk}/")
    assert not Notification.objects.filter(recipient=regulator).exists()


def test_policy_claim_link_opens_for_every_recipient(gov, policy, ent, make_user, client):
    make_user("regulator", org=gov.organization)
    item = make_item(gov, policy)
    policy_services.submit_claim(ent, item.pk, today=TODAY)
    sent = Notification.objects.filter(kind="policy_claim").exclude(url="").select_related("recipient")
    assert sent
    for n in sent:
        client.force_login(n.recipient)
        assert client.get(n.url).status_code == 200, (n.recipient.role, n.url)


def test_notify_keeps_the_text_but_drops_a_link_the_role_cannot_open(make_user, client):
    officer = make_user("government")
    regulator = make_user("regulator", org=officer.organization)
    sent = notify(
        [officer, regulator],
        kind="listing",
        title="储备库复核预警",
        url="/listing/reserve/",
        link_roles=(Role.GOVERNMENT,),
    )
    assert sent == 2
    assert Notification.objects.get(recipient=officer).url == "/listing/reserve/"
    mine = Notification.objects.get(recipient=regulator)
    assert mine.url == "" and mine.title == "储备库复核预警"
    client.force_login(regulator)
    html = client.get(reverse("notifications")).content.decode()
    assert "储备库复核预警" in html and 'href="/listing/reserve/"' not in html


def test_reserve_decision_links_only_for_government(make_user, reference_data):
    from jinfu.listing import services as listing_services

    officer = make_user("government")
    firm = make_user("enterprise")
    orgs = [firm.organization, officer.organization]
    listing_services._reserve_notice(orgs, title="入库审核通过", url="/listing/reserve/", key="k1").send()
    assert Notification.objects.get(recipient=officer).url == "/listing/reserve/"
    assert Notification.objects.get(recipient=firm).url == ""


@pytest.fixture
def plans(db, reference_data):
    from jinfu.brain.loader import load_plans

    load_plans()


def _brain_gov(make_user, division: str):
    from jinfu.core.models import Organization

    org = Organization.objects.create(kind="government", name=f"{division}金融办", division_id=division)
    return make_user("government", org=org)


def test_brain_menu_offers_actuals_import_only_to_offices_that_edit_a_plan(client, make_user, plans):
    district = _brain_gov(make_user, "500108")  # 南岸区: edits its own plan
    city = _brain_gov(make_user, "500000")  # the city office reads every plan, edits none
    regulator = make_user("regulator")
    for user, offered in ((district, True), (city, False), (regulator, False)):
        client.force_login(user)
        html = client.get(reverse("brain:overview")).content.decode()
        assert ("导入实际值" in html) is offered, user.username
        status = client.get(reverse("brain:actuals-import")).status_code
        assert status == (200 if offered else 403), user.username


def test_financing_applications_are_refused_to_government_and_regulators(client, make_user):
    """Applications are between an enterprise and an institution: the offices read the KPIs instead of an
    always-empty enterprise copy of the page."""
    for role in ("government", "regulator"):
        client.force_login(make_user(role))
        resp = client.get(reverse("financing:applications"))
        assert resp.status_code == 403, role
        assert "我的申请" not in resp.content.decode()
    client.force_login(make_user("enterprise"))
    assert client.get(reverse("financing:applications")).status_code == 200

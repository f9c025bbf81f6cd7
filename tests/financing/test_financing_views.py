"""Financing pages and API: who may open which page, the htmx rule check, and the API used by
institutions' systems (queue and decisions with an API key) and by enterprises (match list)."""

from __future__ import annotations

import pytest
from django.test import Client

from jinfu.core.apikeys import issue_key
from jinfu.core.models import EnterpriseProfile
from jinfu.financing import services
from jinfu.financing.models import Application, ApplicationEvent, Demand, Product
from tests.factories import apply_to, make_product

ROLES = ["enterprise", "institution", "government", "regulator", "admin"]


@pytest.fixture
def world(make_user, reference_data):
    """Institution A with a published product and an application from enterprise E; one user of every
    role (the enterprise and institution users are E's and A's)."""
    bank = make_user("institution")
    ent = make_user("enterprise")
    product = make_product(bank)
    draft = make_product(bank, publish=False, name="未发布产品")
    app = apply_to(ent, product)
    users = {
        "enterprise": ent,
        "institution": bank,
        "government": make_user("government"),
        "regulator": make_user("regulator"),
        "admin": make_user("admin"),
    }
    return {"bank": bank, "ent": ent, "product": product, "draft": draft, "app": app, "users": users}


def _pages(w) -> dict[str, str]:
    return {
        "market": "/financing/",
        "product": f"/financing/products/{w['product'].pk}/",
        "match": "/financing/match/",
        "apply": f"/financing/products/{w['product'].pk}/apply/",
        "applications": "/financing/applications/",
        "application": f"/financing/applications/{w['app'].pk}/",
        "demands": "/financing/demands/",
        "hall": "/financing/hall/",
        "workbench": "/financing/workbench/",
        "product_new": "/financing/workbench/products/new/",
        "kpis": "/financing/kpis/",
        "funds": "/financing/funds/",
        "roadshows": "/financing/roadshows/",
    }


# expected status per page: (enterprise, institution, government, regulator, admin)
EXPECTED = {
    "market": (200, 200, 200, 200, 200),
    "product": (200, 200, 200, 200, 200),
    "match": (200, 403, 403, 403, 403),  # the match list is the asking enterprise's
    "apply": (200, 403, 403, 403, 403),
    "applications": (200, 200, 403, 403, 200),  # the parties see their own; the offices read the KPIs
    "application": (200, 200, 404, 404, 200),  # the applicant, the receiving institution, the operator
    "demands": (200, 403, 403, 403, 403),
    "hall": (403, 200, 403, 403, 200),
    "workbench": (403, 200, 403, 403, 403),
    "product_new": (403, 200, 403, 403, 403),
    "kpis": (403, 403, 200, 200, 200),
    "funds": (200, 200, 200, 200, 200),
    "roadshows": (200, 200, 200, 200, 200),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_anonymous_is_sent_to_login(client, world, name):
    url = _pages(world)[name]
    r = client.get(url)
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/") and "next=" in r["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(EXPECTED))
def test_permission_matrix(client, world, name, role):
    client.force_login(world["users"][role])
    r = client.get(_pages(world)[name])
    expected = EXPECTED[name][ROLES.index(role)]
    assert r.status_code == expected, f"{role} GET {name}: {r.status_code}, expected {expected}"


def test_other_institutions_and_enterprises_get_404_for_an_application(client, world, make_user):
    url = f"/financing/applications/{world['app'].pk}/"
    for role in ("institution", "enterprise"):
        client.force_login(make_user(role))
        assert client.get(url).status_code == 404
        # nor can they act on it by POST
        r = client.post(url, {"action": "accept", "lock_version": 0})
        assert r.status_code == 404
    world["app"].refresh_from_db()
    assert world["app"].status == "submitted"


def test_queue_lists_only_the_institutions_own_applications(client, world, make_user):
    other_bank = make_user("institution")
    other_app = apply_to(world["ent"], make_product(other_bank, name="他行产品"))
    client.force_login(world["bank"])
    body = client.get("/financing/applications/").content.decode()
    assert f"/financing/applications/{world['app'].pk}/" in body
    assert f"/financing/applications/{other_app.pk}/" not in body


def test_a_draft_product_is_visible_only_to_its_institution_and_the_operator(client, world, make_user):
    url = f"/financing/products/{world['draft'].pk}/"
    expected = {"enterprise": 404, "institution": 200, "government": 404, "regulator": 404, "admin": 200}
    for role, status in expected.items():
        client.force_login(world["users"][role])
        assert client.get(url).status_code == status, role
    client.force_login(make_user("institution"))
    assert client.get(url).status_code == 404
    client.force_login(world["ent"])
    assert client.get(f"/financing/products/{world['draft'].pk}/apply/").status_code == 404


def test_market_lists_published_products_only(client, world):
    client.force_login(world["ent"])
    body = client.get("/financing/").content.decode()
    assert world["product"].name in body
    assert "未发布产品" not in body


def test_institution_b_cannot_edit_institution_as_product_page(client, world, make_user):
    client.force_login(make_user("institution"))
    url = f"/financing/workbench/products/{world['product'].pk}/edit/"
    assert client.get(url).status_code == 404
    r = client.post(f"/financing/workbench/products/{world['product'].pk}/status/", {"status": "offline"})
    assert r.status_code == 403
    world["product"].refresh_from_db()
    assert world["product"].status == Product.Status.PUBLISHED


def test_apply_form_needs_consent_and_then_creates_the_application(client, world):
    client.force_login(world["ent"])
    url = f"/financing/products/{world['product'].pk}/apply/"
    n = Application.objects.count()
    r = client.post(url, {"amount": "50", "term_months": "12", "purpose": "补充流动资金"})
    assert r.status_code == 422 and Application.objects.count() == n
    r = client.post(url, {"amount": "5000", "term_months": "12", "purpose": "x", "consent": "yes"})
    assert r.status_code == 422 and Application.objects.count() == n  # above the 500 limit
    assert "500" in r.content.decode()
    r = client.post(url, {"amount": "50", "term_months": "12", "purpose": "补充流动资金", "consent": "yes"})
    assert Application.objects.count() == n + 1
    app = Application.objects.latest("pk")
    assert r.status_code == 302 and r["Location"] == f"/financing/applications/{app.pk}/"
    assert app.purpose == "补充流动资金" and app.grant is not None


def test_application_page_posts_the_workflow_steps(client, world):
    app = world["app"]
    url = f"/financing/applications/{app.pk}/"
    client.force_login(world["bank"])
    assert client.post(url, {"action": "accept", "lock_version": 0}).status_code == 302
    # a stale page (version 0 again) does not act twice
    client.post(url, {"action": "start_due_diligence", "lock_version": 0})
    app.refresh_from_db()
    assert (app.status, app.lock_version) == ("accepted", 1)
    client.post(url, {"action": "start_due_diligence", "lock_version": 1})
    client.post(url, {"action": "approve", "lock_version": 2, "rate": "4.1", "approved_amount": "90"})
    app.refresh_from_db()
    assert (app.status, str(app.rate), str(app.approved_amount)) == ("approved", "4.100", "90.00")
    # the enterprise cannot disburse its own loan: 403, nothing changed
    client.force_login(world["ent"])
    assert client.post(url, {"action": "disburse", "lock_version": 3}).status_code == 403
    app.refresh_from_db()
    assert app.status == "approved"


def test_demands_page_publishes_a_demand(client, world):
    client.force_login(world["ent"])
    r = client.post("/financing/demands/", {"amount": "0", "term_months": "12", "purpose": "设备"})
    assert r.status_code == 422 and not Demand.objects.exists()
    r = client.post(
        "/financing/demands/",
        {"amount": "200", "term_months": "12", "purpose": "设备", "visible_fields": ["industry"]},
    )
    assert r.status_code == 302
    d = Demand.objects.get()
    assert d.visible_fields == ["industry"] and d.amount == 200


def test_hall_page_hides_the_name_and_claims(client, world, make_user):
    d = services.create_demand(
        world["ent"], amount="200", term_months=12, purpose="设备更新", visible_fields=["revenue"]
    )
    other = make_user("institution")  # no grant from the enterprise (world's bank has one)
    client.force_login(other)
    body = client.get("/financing/hall/").content.decode()
    assert "设备更新" in body and world["ent"].organization.name not in body
    client.force_login(world["bank"])  # the application's grant includes basic
    assert world["ent"].organization.name in client.get("/financing/hall/").content.decode()
    r = client.post(f"/financing/hall/{d.pk}/claim/")
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.status == "claimed"
    client.force_login(world["ent"])
    assert client.post(f"/financing/hall/{d.pk}/claim/").status_code == 403


# ---------------------------------------------------------------------------
# htmx rule check
# ---------------------------------------------------------------------------


def test_rule_check_counts_qualifying_enterprises_or_shows_the_error(client, world, make_user):
    # An institution's preview counts only the rule's clauses over public registration fields (the
    # disclosure policy, tests/core/test_disclosure.py); groups below k are withheld.
    others = [make_user("enterprise") for _ in range(12)]
    big = [o.organization for o in others[:2]]
    EnterpriseProfile.objects.filter(organization__in=big).update(registered_capital=5000, revenue=50000)
    assert EnterpriseProfile.objects.count() == 13  # world's and 12 more at 500 万元 registered capital
    client.force_login(world["bank"])
    url = "/financing/workbench/rule-check/"
    body = client.post(url, {"eligibility_rule": "registered_capital >= 100"}).content.decode()
    assert 'data-rule-ok="1"' in body and "13 家企业符合（共 13 家）" in body
    body = client.post(url, {"eligibility_rule": "registered_capital >= 1000"}).content.decode()
    assert 'data-suppressed="1"' in body and "少于 10 家" in body and "2 家" not in body
    body = client.post(url, {"eligibility_rule": "revenue >= 10000 and registered_capital >= 100"}).content
    # the clause left out is named as a sentence, not as rule text
    assert "最多 13 家企业符合" in body.decode() and "营业收入不低于 10000 万元" in body.decode()
    assert "revenue" not in body.decode()
    body = client.post(url, {"eligibility_rule": ""}).content.decode()
    assert "13 家企业符合（共 13 家）" in body  # no rule: everyone
    body = client.post(url, {"eligibility_rule": "revnue >= 10"}).content.decode()
    assert 'data-rule-ok="0"' in body and "revnue" in body
    assert client.get(url).status_code == 405


# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------


def _key(org, scopes):
    _, plaintext = issue_key(organization=org, name="核心系统", scopes=scopes)
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def test_institution_key_pulls_its_queue_and_posts_decisions_without_csrf(world, make_user):
    other_bank = make_user("institution")
    other_app = apply_to(world["ent"], make_product(other_bank, name="他行产品"))
    auth = _key(world["bank"].organization, ["financing:read", "financing:write"])
    c = Client(enforce_csrf_checks=True)

    r = c.get("/api/v1/financing/applications", **auth)
    assert r.status_code == 200
    rows = r.json()
    assert [row["id"] for row in rows] == [world["app"].pk]  # not the other bank's
    assert other_app.pk not in [row["id"] for row in rows]
    assert rows[0]["status"] == "submitted" and rows[0]["product_version"] == 1
    assert rows[0]["lock_version"] == 0

    url = f"/api/v1/financing/applications/{world['app'].pk}/transitions"
    r = c.post(url, {"action": "accept", "expected_version": 0}, content_type="application/json", **auth)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted" and r.json()["lock_version"] == 1
    # a stale version is a 409
    r = c.post(
        url, {"action": "start_due_diligence", "expected_version": 0}, content_type="application/json", **auth
    )
    assert r.status_code == 409
    # an illegal step is a 409; rejecting without a reason is a 422
    r = c.post(url, {"action": "disburse"}, content_type="application/json", **auth)
    assert r.status_code == 409
    r = c.post(url, {"action": "reject"}, content_type="application/json", **auth)
    assert r.status_code == 422
    r = c.post(url, {"action": "reject", "reason_code": "R04"}, content_type="application/json", **auth)
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["reason_code"] == "R04"
    ev = ApplicationEvent.objects.filter(application=world["app"]).last()
    assert (ev.from_status, ev.to_status) == ("accepted", "rejected")

    # the other bank's application is not reachable with this key
    r = c.post(
        f"/api/v1/financing/applications/{other_app.pk}/transitions",
        {"action": "accept"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 403
    assert c.get(f"/api/v1/financing/applications/{other_app.pk}", **auth).status_code == 404
    other_app.refresh_from_db()
    assert other_app.status == "submitted"


def test_a_key_without_financing_write_cannot_decide(world):
    read_only = _key(world["bank"].organization, ["financing:read"])
    url = f"/api/v1/financing/applications/{world['app'].pk}/transitions"
    r = Client().post(url, {"action": "accept"}, content_type="application/json", **read_only)
    assert r.status_code == 403
    world["app"].refresh_from_db()
    assert world["app"].status == "submitted" and world["app"].lock_version == 0
    assert Client().get("/api/v1/financing/applications", **read_only).status_code == 200
    no_financing = _key(world["bank"].organization, ["orgs:read"])
    assert Client().get("/api/v1/financing/applications", **no_financing).status_code == 403


def test_enterprise_key_cannot_apply_for_itself(world):
    """Applying grants data access, which only the enterprise's own users may give."""
    auth = _key(world["ent"].organization, ["financing:read", "financing:write"])
    n = Application.objects.count()
    r = Client().post(
        "/api/v1/financing/applications",
        {"product_id": world["product"].pk, "amount": "50", "term_months": 12, "purpose": "x"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 403 and Application.objects.count() == n


def test_match_api_ranks_eligible_products_and_explains_ineligible_ones(world):
    bank = world["bank"]
    eligible = make_product(bank, name="人人可贷", eligibility_rule="employees >= 10")
    ineligible = make_product(bank, name="大企业专享贷", eligibility_rule="revenue >= 100000")
    auth = _key(world["ent"].organization, ["financing:read"])
    r = Client().get("/api/v1/financing/match", **auth)
    assert r.status_code == 200, r.content
    results = {row["product_name"]: row for row in r.json()["results"]}
    assert set(results) == {"科创信用贷", "人人可贷", "大企业专享贷"}  # the draft is not offered
    ok, bad = results["人人可贷"], results["大企业专享贷"]
    assert ok["product_id"] == eligible.pk and ok["eligible"] is True
    for component in ("amount", "term", "rate", "collateral", "approval", "policy"):
        assert 0.0 <= ok[component] <= 1.0
    assert 0.0 < ok["score"] <= 100.0 and ok["failed_clauses"] == []
    assert bad["product_id"] == ineligible.pk and bad["eligible"] is False
    assert len(bad["failed_clauses"]) == 1 and "100000" in bad["failed_clauses"][0]
    # eligible products come first
    order = [row["eligible"] for row in r.json()["results"]]
    assert order == sorted(order, reverse=True)


def test_match_api_is_for_enterprises(world):
    auth = _key(world["bank"].organization, ["financing:read"])
    assert Client().get("/api/v1/financing/match", **auth).status_code == 403

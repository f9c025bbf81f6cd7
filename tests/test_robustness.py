"""Robustness (issue 9, cases 10 and 11): inputs that used to end in a bare 500 now get a 4xx with a message,
and absurd values (an actual of 10^30, a disbursement before the application, a term outside the product's
limits) are refused against the domain, naming the field and the rule."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from jinfu.core.errors import ValidationFailed
from jinfu.core.models import Organization
from jinfu.financing import services as financing
from jinfu.financing.models import Application
from jinfu.policy import services as policy_services
from jinfu.policy.models import Claim, Payout
from tests.factories import TODAY as POLICY_DAY
from tests.factories import apply_to, make_item, make_product, set_profile


def _json(resp) -> dict:
    return json.loads(resp.content)


def _bilingual(resp):
    """An API error body names the problem in Chinese and English."""
    body = _json(resp)
    assert body.get("message_zh") and body.get("message_en"), body
    return body


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture
def bank(make_user):
    return make_user("institution")


@pytest.fixture
def ent(make_user, reference_data):
    return make_user("enterprise")


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def gov(make_user, reference_data):
    user = make_user("government")
    user.organization.division_id = "500103"
    user.organization.save()
    return user


@pytest.fixture
def the_policy(gov):
    pol = policy_services.save_policy(
        gov,
        {
            "code": "t-robust",
            "title": "渝中区金融科技扶持办法",
            "issuer": "渝中区",
            "division_id": "500103",
            "full_text": "对新引进的金融科技企业给予落户奖励。",
        },
    )
    return policy_services.publish_policy(gov, pol.pk)


def _disbursable(bank, ent) -> Application:
    product = make_product(bank)
    app = apply_to(ent, product)
    for action in ("accept", "start_due_diligence"):
        app = financing.transition(bank, app.pk, action)
    return financing.transition(bank, app.pk, "approve", rate="4.5")


# ---------------------------------------------------------------------------
# Case 10: unhandled 500s
# ---------------------------------------------------------------------------


def test_grant_with_a_naive_expiry_is_a_422_not_a_500(client, ent, bank):
    client.force_login(ent)
    naive = (timezone.localtime() + dt.timedelta(days=30)).replace(tzinfo=None).isoformat()
    resp = client.post(
        "/api/v1/grants",
        {
            "grantee_id": bank.organization_id,
            "scopes": ["basic"],
            "purpose": "loan_application",
            "expires_at": naive,
        },
        content_type="application/json",
    )
    assert resp.status_code == 422
    body = _bilingual(resp)
    assert body["field"] == "expires_at" and "时区" in body["message_zh"]


def test_push_for_a_missing_item_is_a_404_on_the_api_and_the_page(client, gov):
    client.force_login(gov)
    resp = client.post("/api/v1/policy/items/987654/push")
    assert resp.status_code == 404
    assert _bilingual(resp)["code"] == "not_found"
    page = client.post("/policy/manage/items/987654/push/")
    assert page.status_code == 404


def test_a_payout_with_a_reused_voucher_is_a_409_naming_the_voucher(client, gov, the_policy, make_user):
    item = make_item(gov, the_policy, publicity_days=0)
    claims = []
    for _ in range(2):
        user = make_user("enterprise")
        set_profile(user.organization, registered_capital=50000, paid_in_capital=30000)
        claim = policy_services.submit_claim(user, item.pk, today=POLICY_DAY)
        claims.append(policy_services.approve(gov, claim.pk, today=POLICY_DAY))
    policy_services.pay(gov, claims[0].pk, voucher="ZC-2026-001")
    client.force_login(gov)
    resp = client.post(
        f"/api/v1/policy/claims/{claims[1].pk}/decision",
        {"action": "pay", "voucher": "ZC-2026-001"},
        content_type="application/json",
    )
    assert resp.status_code == 409, resp.content
    assert _bilingual(resp)["field"] == "voucher"
    claims[1].refresh_from_db()
    assert claims[1].status == Claim.Status.PUBLICITY  # nothing half-written
    assert Payout.objects.filter(voucher="ZC-2026-001").count() == 1


@pytest.mark.parametrize("revenue", ["1e30", "1e400", "-1e30"])
def test_a_statement_with_an_absurd_revenue_is_a_422(client, ent, revenue):
    client.force_login(ent)
    year = timezone.localdate().year - 1
    resp = client.post(
        "/api/v1/listing/statements",
        f'{{"year": {year}, "revenue": {revenue}, "net_profit": 10}}',
        content_type="application/json",
    )
    assert resp.status_code == 422, resp.content
    body = _bilingual(resp)
    assert body["field"] == "revenue"


@pytest.mark.parametrize(
    "field,value",
    [("lock_version", "abc"), ("disbursed_on", "not-a-date"), ("disbursed_on", "2026-02-30")],
)
def test_bad_decision_fields_on_the_page_are_a_message_not_a_500(client, bank, ent, field, value):
    app = _disbursable(bank, ent)
    client.force_login(bank)
    resp = client.post(
        f"/financing/applications/{app.pk}/", {"action": "disburse", field: value}, follow=True
    )
    assert resp.status_code in (200, 422)
    text = resp.content.decode()
    assert ("版本" in text) if field == "lock_version" else ("放款日期" in text)
    app.refresh_from_db()
    assert app.status == "approved"


@pytest.mark.parametrize("query", ["term=1.5", "amount=abc", "amount=1e400", "term=99999999999999999999"])
def test_market_filters_that_are_not_numbers_are_a_400_with_a_message(client, ent, query):
    client.force_login(ent)
    resp = client.get(f"/financing/?{query}")
    assert resp.status_code in (400, 422)
    assert ("期限" in resp.content.decode()) or ("金额" in resp.content.decode())


@pytest.mark.parametrize("query", ["term=1.5", "amount=abc"])
def test_api_catalog_filters_that_are_not_numbers_are_a_422(client, ent, query):
    client.force_login(ent)
    resp = client.get(f"/api/v1/financing/products?{query}")
    assert resp.status_code == 422


def test_audit_changes_tab_shows_an_entry_whose_key_is_items(client, admin):
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    org = Organization.objects.create(kind="institution", name="变更测试银行")
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Organization),
        object_pk=str(org.pk),
        object_id=org.pk,
        object_repr=str(org),
        action=LogEntry.Action.UPDATE,
        changes={"items": ["旧清单", "新清单"], "name": ["旧名", "新名"]},
    )
    client.force_login(admin)
    resp = client.get("/orgs/audit/?tab=changes")
    assert resp.status_code == 200
    text = resp.content.decode()
    assert "旧清单" in text and "新清单" in text and "新名" in text


# ---------------------------------------------------------------------------
# Case 11: absurd values against the domain
# ---------------------------------------------------------------------------


@pytest.fixture
def city(make_user):
    """A platform admin (may enter actuals for every plan), with the seed plans loaded."""
    from jinfu.brain.loader import load_plans

    load_plans()
    return make_user("admin")


def _indicator(**filters):
    from jinfu.brain.models import Indicator

    ind = Indicator.objects.select_related("plan").filter(**filters).order_by("code").first()
    assert ind is not None, filters
    return ind


def _record(user, ind, value, unit=None):
    from jinfu.brain import services as brain

    year = max(ind.plan.period_start, min(ind.plan.period_end, timezone.localdate().year - 1))
    return brain.record_actual(
        user, indicator_code=ind.code, year=year, value=value, unit=unit, source="区统计局年报"
    )


@pytest.mark.parametrize(
    "filters,value,unit",
    [
        ({"unit": "亿元"}, "1e30", None),
        ({"unit": "亿元"}, "2000000", "亿元"),  # 200 万亿元: more than the whole country's GDP
        ({"unit": "%", "kind": "share"}, "130", None),
        ({"unit": "%", "kind": "annual_growth"}, "5000", None),
        ({"unit": "%"}, "-150", None),
        ({"unit": "家"}, "1e12", None),
    ],
)
def test_implausible_actuals_are_refused_naming_the_rule(city, filters, value, unit):
    from jinfu.brain.models import Actual

    ind = _indicator(**filters)
    with pytest.raises(ValidationFailed) as e:
        _record(city, ind, value, unit)
    assert e.value.field == "value" and e.value.code == "range.implausible"
    assert ind.unit in e.value.message_zh
    assert not Actual.objects.filter(indicator=ind).exists()


@pytest.mark.parametrize(
    "filters,value",
    [({"unit": "亿元"}, "1500"), ({"unit": "%", "kind": "share"}, "35"), ({"unit": "家"}, "12")],
)
def test_plausible_actuals_still_pass(city, filters, value):
    actual = _record(city, _indicator(**filters), value)
    assert actual.is_current


def test_a_disbursement_before_the_submission_is_refused(bank, ent):
    app = _disbursable(bank, ent)
    before = timezone.localtime(app.submitted_at).date() - dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as e:
        financing.transition(bank, app.pk, "disburse", disbursed_on=before.isoformat())
    assert e.value.field == "disbursed_on" and "提交" in e.value.message_zh
    with pytest.raises(ValidationFailed):
        financing.transition(bank, app.pk, "disburse", disbursed_on="2020-01-01")
    app.refresh_from_db()
    assert app.status == "approved" and app.disbursed_on is None
    on_day = financing.transition(bank, app.pk, "disburse", disbursed_on=timezone.localdate().isoformat())
    assert on_day.status == "disbursed"


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"approved_term": "48"}, "approved_term"),
        ({"approved_term": "3"}, "approved_term"),
        ({"approved_amount": "5"}, "approved_amount"),
    ],
)
def test_an_approval_outside_the_product_versions_limits_is_refused(bank, ent, kwargs, field):
    product = make_product(bank)  # 10–500 万元, 6–36 months
    app = apply_to(ent, product, amount="100", term=12)
    for action in ("accept", "start_due_diligence"):
        app = financing.transition(bank, app.pk, action)
    with pytest.raises(ValidationFailed) as e:
        financing.transition(bank, app.pk, "approve", rate="4.5", **kwargs)
    assert e.value.field == field
    assert "产品" in e.value.message_zh
    app.refresh_from_db()
    assert app.status == "due_diligence" and app.approved_term is None


def test_an_approval_within_the_limits_passes(bank, ent):
    product = make_product(bank)
    app = apply_to(ent, product, amount="100", term=12)
    for action in ("accept", "start_due_diligence"):
        app = financing.transition(bank, app.pk, action)
    app = financing.transition(bank, app.pk, "approve", rate="4.5", approved_term="36", approved_amount="10")
    assert (app.approved_term, app.approved_amount) == (36, Decimal("10"))


# ---------------------------------------------------------------------------
# API: 401 for unauthenticated writes, documented error responses
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/v1/grants", {"grantee_id": 1, "scopes": ["basic"], "purpose": "other", "expires_at": "x"}),
        ("/api/v1/financing/demands", {"amount": "10", "term_months": 12, "purpose": "采购"}),
        ("/api/v1/policy/items/1/push", {}),
    ],
)
def test_an_unauthenticated_write_is_a_401_not_a_csrf_403(db, path, body):
    from django.test import Client

    resp = Client(enforce_csrf_checks=True).post(path, body, content_type="application/json")
    assert resp.status_code == 401
    assert _bilingual(resp)["code"] == "unauthenticated"


def test_a_logged_in_write_without_the_csrf_token_is_a_bilingual_403(ent):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(ent)
    resp = client.post("/api/v1/financing/demands", {"amount": "10"}, content_type="application/json")
    assert resp.status_code == 403
    assert "CSRF" in _bilingual(resp)["message_en"]


def test_every_operation_documents_the_shared_error_responses(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert set(schema["components"]["schemas"]["Error"]["required"]) >= {"code", "message_zh", "message_en"}
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) > 40
    for path, method, op in operations:
        for status in ("401", "403", "404", "409", "422"):
            response = op["responses"].get(status)
            assert response, f"{method.upper()} {path} does not document {status}"
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_a_domain_error_body_names_the_field_and_code(client, ent):
    client.force_login(ent)
    resp = client.post(
        "/api/v1/financing/demands",
        {"amount": "-5", "term_months": 12, "purpose": "采购"},
        content_type="application/json",
    )
    assert resp.status_code == 422
    body = _bilingual(resp)
    assert (body["code"], body["field"]) == ("validation", "amount")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/orgs?offset=217596131778042232832", "/api/v1/codes/industries?offset=217596131778042232832"],
)
def test_a_number_the_database_cannot_hold_is_a_422(client, ent, path):
    client.force_login(ent)
    resp = client.get(path)
    assert resp.status_code == 422
    _bilingual(resp)


def test_an_unknown_api_url_is_a_json_404(client, ent):
    client.force_login(ent)
    resp = client.post("/api/v1/imports/-5/commit")
    assert resp.status_code == 404 and resp["Content-Type"].startswith("application/json")
    assert _bilingual(resp)["code"] == "not_found"
    assert client.get("/no-such-page/").status_code == 404


def test_the_new_policy_form_opens_for_a_government_officer(client, gov):
    client.force_login(gov)
    resp = client.get("/policy/manage/policies/new/")
    assert resp.status_code == 200
    assert 'name="title" value=""' in resp.content.decode()


@pytest.mark.parametrize("role", ["institution", "government", "regulator"])
def test_only_the_enterprise_and_admins_open_its_edit_form(client, make_user, ent, role):
    """The form shows private fields (the legal representative's ID number, revenue) outside any grant."""
    from jinfu.core.models import EnterpriseProfile

    EnterpriseProfile.objects.filter(organization=ent.organization).update(
        legal_rep_id_number="110101199001011234"
    )
    other = make_user(role)
    if role == "government":
        other.organization.division_id = ent.organization.division_id or "500103"
        other.organization.save()
    client.force_login(other)
    resp = client.get(f"/orgs/{ent.organization_id}/edit/")
    assert resp.status_code in (302, 403)
    assert "110101199001011234" not in resp.content.decode()
    client.force_login(ent)
    assert client.get(f"/orgs/{ent.organization_id}/edit/").status_code == 200

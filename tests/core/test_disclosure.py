"""Aggregate disclosure (jinfu.core.disclosure; docs/security.md "Aggregate disclosure"): the rule editors'
previews of counts and sums over enterprises. Issue 9 case 1: a rule naming one USCC with a revenue formula
returned that enterprise's exact revenue to any role; a binary search on a count recovered revenue."""

from __future__ import annotations

import random
import re

import pytest
from django.urls import reverse

from jinfu.core.admin import DisclosureRecordAdmin
from jinfu.core.apikeys import issue_key
from jinfu.core.models import DisclosureRecord, EnterpriseProfile
from jinfu.core.reference.uscc import generate_uscc
from jinfu.credit.models import FeatureSnapshot

POLICY_API = "/api/v1/policy/rules/check"
FINANCING_API = "/api/v1/financing/rules/check"
SECRET_REVENUE = 12345.67  # 万元: the value the attacker is after
DISTRICT = "500103"  # 渝中区
OTHER_DISTRICT = "500105"  # 江北区
_RNG = random.Random(20260630)


def _enterprise(make_user, division=DISTRICT, **profile):
    user = make_user("enterprise")
    org = user.organization
    org.division_id = division
    org.uscc = generate_uscc(division, _RNG)
    org.save()
    if profile:
        EnterpriseProfile.objects.filter(organization=org).update(**profile)
    return user


@pytest.fixture
def district(make_user, reference_data):
    """A district of 12 enterprises: the target with a secret revenue, tax and court record, 11 ordinary."""
    target = _enterprise(make_user, revenue=SECRET_REVENUE)
    FeatureSnapshot.objects.create(
        enterprise=target.organization,
        values={
            "tax_paid": 432.1,
            "tax_grade": "A",
            "insured_headcount": 7731,
            "penalties_3y": 13,
            "dishonest_debtor": True,
        },
    )
    others = [_enterprise(make_user) for _ in range(11)]  # revenue 3000 万元 each
    return {"target": target, "uscc": target.organization.uscc, "others": others}


def _gov(make_user, division):
    user = make_user("government")
    user.organization.division_id = division
    user.organization.save()
    return user


def _post(client, url, body, key=None):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.post(url, body, content_type="application/json", **extra)


def _numbers(value) -> list:
    """Every number in a JSON answer (where a leaked value would be)."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def _callers(make_user):
    """Every role that can reach the preview API, as (label, logged-in user or None, API key or None)."""
    bank = make_user("institution")
    _, policy_key = issue_key(organization=bank.organization, name="k", scopes=["policy:read"])
    return [
        ("city government", _gov(make_user, "500000"), None),
        ("district government", _gov(make_user, DISTRICT), None),
        ("admin", make_user("admin"), None),
        ("regulator", make_user("regulator"), None),
        ("institution (web)", bank, None),
        ("institution API key with policy:read", None, policy_key),
    ]


# ---------------------------------------------------------------------------
# The attack from the issue
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "formula", "secret"),
    [
        ("uscc = '{uscc}'", "revenue", 12345.67),
        ("uscc = '{uscc}'", "tax_paid", 432.1),
        ("uscc = '{uscc}'", "insured_headcount", 7731),
        ("uscc = '{uscc}'", "penalties_3y", 13),
        ("uscc = '{uscc}' AND dishonest_debtor", "", None),
        ("uscc = '{uscc}' AND tax_grade = 'A'", "", None),
        ("uscc IN ('{uscc}', '{other}')", "revenue", 15345.67),
    ],
)
def test_a_rule_naming_one_enterprise_reveals_nothing_to_any_role(
    client, make_user, district, settings, rule, formula, secret
):
    settings.JINFU_DISCLOSURE_RATE = (1000, 600)
    text = rule.format(uscc=district["uscc"], other=district["others"][0].organization.uscc)
    for label, user, key in _callers(make_user):
        client.logout()
        if user is not None:
            client.force_login(user)
        r = _post(client, POLICY_API, {"eligibility_rule": text, "benefit_formula": formula}, key)
        assert r.status_code == 200, label
        data = r.json()
        assert data["valid"] is True, label
        assert data["qualifying"] is None and data["estimate_total"] is None, label
        assert data["suppressed"] is True, label
        assert "identifier" in {x["code"] for x in data["reasons"]}, label
        if secret is not None:
            assert secret not in _numbers(data), label
            assert len(str(secret)) < 4 or str(secret) not in r.content.decode(), label
    client.force_login(district["target"])  # an enterprise may not preview at all
    assert (
        _post(client, POLICY_API, {"eligibility_rule": text, "benefit_formula": formula}).status_code == 403
    )


def test_the_government_editor_page_shows_no_single_enterprise(client, make_user, district):
    client.force_login(_gov(make_user, DISTRICT))
    body = client.post(
        reverse("policy:rule-check"),
        {"eligibility_rule": f"uscc = '{district['uscc']}'", "benefit_formula": "revenue"},
    ).content.decode()
    assert 'data-rule-ok="1"' in body and 'data-suppressed="1"' in body
    assert "12345.67" not in body and "符合条件的企业数不予显示" in body
    assert "规则指定了具体企业" in body


# ---------------------------------------------------------------------------
# Binary search on a threshold
# ---------------------------------------------------------------------------


def _answer(response) -> tuple:
    d = response.json()
    return d["qualifying"], d["total"], d["suppressed"], d.get("estimate_total")


def test_a_count_never_tells_which_side_of_a_threshold_an_enterprise_is(
    client, make_user, district, settings
):
    """A binary search needs the answer to differ between `revenue > x` just below and just above the
    target's revenue. For every role the two answers are the same, with or without the target's USCC, and
    the attacker's 24-step search learns nothing."""
    settings.JINFU_DISCLOSURE_RATE = (1000, 600)
    uscc = district["uscc"]
    bank = make_user("institution")
    _, fin_key = issue_key(organization=bank.organization, name="f", scopes=["financing:read"])
    callers = [*_callers(make_user), ("institution financing key", None, fin_key)]
    for label, user, key in callers:
        client.logout()
        if user is not None:
            client.force_login(user)
        url, field = (FINANCING_API, "rule") if key == fin_key else (POLICY_API, "eligibility_rule")
        for template in ("revenue > {x}", "uscc = '" + uscc + "' AND revenue > {x}"):
            below = _post(client, url, {field: template.format(x=12345.66)}, key)
            above = _post(client, url, {field: template.format(x=12345.68)}, key)
            assert below.status_code == above.status_code == 200, label
            assert _answer(below) == _answer(above), (label, template)
            assert "12345" not in below.content.decode().replace("12345.66", "")
    # the attacker's search from the issue, as an institution on the workbench: every step answers the same
    client.logout()
    client.force_login(bank)
    lo, hi, answers = 0.0, 1_000_000.0, set()
    for _ in range(24):
        mid = round((lo + hi) / 2, 2)
        body = client.post(reverse("financing:rule-check"), {"eligibility_rule": f"revenue > {mid}"}).content
        # the clause left out is echoed back as a sentence (「营业收入高于 X 万元」): the threshold is the asker's own
        answers.add(re.sub(r"高于 [\d,.]+ 万元", "高于 X 万元", body.decode()).replace(str(mid), "X"))
        lo, hi = (mid, hi) if "1 家" in body.decode() else (lo, mid)
    assert len(answers) == 1


def test_enterprises_may_not_use_the_rule_previews(client, make_user, district):
    ent = district["target"]
    client.force_login(ent)
    assert (
        client.post(reverse("financing:rule-check"), {"eligibility_rule": "revenue > 1"}).status_code == 403
    )
    assert client.post(reverse("policy:rule-check"), {"eligibility_rule": "revenue > 1"}).status_code == 403
    _, key = issue_key(organization=ent.organization, name="e", scopes=["financing:read", "policy:read"])
    client.logout()
    assert _post(client, FINANCING_API, {"rule": "revenue > 1"}, key).status_code == 403
    assert _post(client, POLICY_API, {"eligibility_rule": "revenue > 1"}, key).status_code == 403
    denied = DisclosureRecord.objects.filter(outcome="denied")
    assert denied.count() == 4 and {r.channel for r in denied} == {"web", "api"}


# ---------------------------------------------------------------------------
# Jurisdiction, minimum group size, sums
# ---------------------------------------------------------------------------


def test_a_district_office_previews_its_own_district_and_the_city_office_the_city(
    client, make_user, district, settings
):
    for _ in range(15):
        _enterprise(make_user, division=OTHER_DISTRICT, revenue=1000)
    body = {"eligibility_rule": "revenue >= 1000", "benefit_formula": "revenue * 0.01"}
    client.force_login(_gov(make_user, DISTRICT))
    d = _post(client, POLICY_API, body).json()
    # 12 enterprises in 渝中区: everyone qualifies, but then the complement (0) is below k: withheld
    assert d["scope"] == DISTRICT and d["scope_label"] == "渝中区" and d["total"] == 12
    assert d["qualifying"] is None and "small_complement" in {x["code"] for x in d["reasons"]}
    d = _post(client, POLICY_API, {"eligibility_rule": "", "benefit_formula": "revenue * 0.01"}).json()
    assert d["total"] == d["qualifying"] == 12
    assert d["estimate_total"] == pytest.approx(round(11 * 30 + SECRET_REVENUE * 0.01, 2))
    client.force_login(_gov(make_user, OTHER_DISTRICT))
    d = _post(client, POLICY_API, {"eligibility_rule": "", "benefit_formula": "revenue * 0.01"}).json()
    assert d["total"] == d["qualifying"] == 15 and d["estimate_total"] == 150.0
    client.force_login(_gov(make_user, "500000"))
    d = _post(client, POLICY_API, {"eligibility_rule": "revenue <= 2000"}).json()
    assert d["scope"] == "" and d["scope_label"] == "全市" and d["total"] == 27 and d["qualifying"] == 15
    d = _post(client, POLICY_API, {"eligibility_rule": "revenue <= 3000"}).json()
    assert d["qualifying"] is None  # all but the target: the complement of one is withheld too


def test_counts_below_k_are_withheld_and_k_is_a_setting(client, make_user, district, settings):
    EnterpriseProfile.objects.filter(
        organization__in=[u.organization for u in district["others"][:9]]
    ).update(registered_capital=5000)
    client.force_login(make_user("institution"))
    d = _post(client, POLICY_API, {"eligibility_rule": "registered_capital >= 5000"}).json()
    assert d["qualifying"] is None and d["suppressed"] is True and d["min_group_size"] == 10
    assert [x["code"] for x in d["reasons"]] == ["small_group"]
    assert "少于 10 家" in d["reasons"][0]["message_zh"]
    EnterpriseProfile.objects.filter(organization=district["target"].organization).update(
        registered_capital=5000
    )
    d = _post(client, POLICY_API, {"eligibility_rule": "registered_capital >= 5000"}).json()
    assert d["qualifying"] == 10 and d["total"] == 12 and d["suppressed"] is False
    settings.JINFU_DISCLOSURE_MIN_GROUP = 11
    d = _post(client, POLICY_API, {"eligibility_rule": "registered_capital >= 5000"}).json()
    assert d["qualifying"] is None and d["min_group_size"] == 11


def test_institutions_see_counts_of_public_clauses_only_and_never_sums(client, make_user, district):
    _, key = issue_key(organization=make_user("institution").organization, name="p", scopes=["policy:read"])
    d = _post(
        client,
        POLICY_API,
        {"eligibility_rule": "registered_capital >= 100 AND revenue > 5000", "benefit_formula": "revenue"},
        key,
    ).json()
    assert d["qualifying"] == 12 and d["upper_bound"] is True and d["excluded_clauses"] == ["revenue > 5000"]
    assert d["estimate_total"] is None and d["private_fields"] == ["revenue"]
    assert {"private_clauses", "government_only"} <= {x["code"] for x in d["reasons"]}
    # the reason names the clause left out as a sentence, not as rule text (an officer reads it)
    (left_out,) = [x for x in d["reasons"] if x["code"] == "private_clauses"]
    assert "营业收入" in left_out["message_zh"] and "revenue" not in left_out["message_zh"]
    assert "revenue >" not in left_out["message_en"]
    # a sum over public fields is still a sum: government only
    d = _post(
        client, POLICY_API, {"eligibility_rule": "", "benefit_formula": "registered_capital"}, key
    ).json()
    assert d["qualifying"] == 12 and d["estimate_total"] is None


def test_a_sum_one_enterprise_dominates_is_withheld(client, make_user, district):
    EnterpriseProfile.objects.filter(organization=district["target"].organization).update(revenue=1_000_000)
    client.force_login(_gov(make_user, DISTRICT))
    d = _post(client, POLICY_API, {"eligibility_rule": "", "benefit_formula": "revenue"}).json()
    assert d["qualifying"] == 12 and d["estimate_total"] is None
    assert "dominance" in {x["code"] for x in d["reasons"]}
    # fewer than k enterprises with a value: the sum is one of them (others have no tax record)
    d = _post(client, POLICY_API, {"eligibility_rule": "", "benefit_formula": "tax_paid"}).json()
    assert d["estimate_total"] is None and "few_contributors" in {x["code"] for x in d["reasons"]}


# ---------------------------------------------------------------------------
# Rate limit and access records
# ---------------------------------------------------------------------------


def test_previews_are_rate_limited(client, make_user, district, settings):
    settings.JINFU_DISCLOSURE_RATE = (3, 600)
    bank = make_user("institution")
    _, key = issue_key(organization=bank.organization, name="r", scopes=["financing:read"])
    for _ in range(3):
        assert _post(client, FINANCING_API, {"rule": "revenue > 1"}, key).status_code == 200
    r = _post(client, FINANCING_API, {"rule": "revenue > 1"}, key)
    assert r.status_code == 429
    detail = r.json()["detail"]
    assert "预览过于频繁" in detail and "Too many previews" in detail
    # an invalid rule is validation only (no aggregate): not counted, still answered
    assert _post(client, FINANCING_API, {"rule": "revnue > 1"}, key).json()["valid"] is False
    client.force_login(bank)  # the web user has a budget of its own; its 4th preview gets plain Chinese
    for _ in range(3):
        assert (
            client.post(reverse("financing:rule-check"), {"eligibility_rule": "revenue > 1"}).status_code
            == 200
        )
    r = client.post(reverse("financing:rule-check"), {"eligibility_rule": "revenue > 1"})
    assert r.status_code == 429 and 'data-rate-limited="1"' in r.content.decode()
    assert "预览过于频繁" in r.content.decode() and "Too many" not in r.content.decode()
    assert DisclosureRecord.objects.filter(outcome="throttled").count() == 2


def test_every_preview_over_private_fields_is_recorded(client, make_user, district):
    gov = _gov(make_user, DISTRICT)
    client.force_login(gov)
    text = f"uscc = '{district['uscc']}'"
    _post(client, POLICY_API, {"eligibility_rule": text, "benefit_formula": "revenue"})
    rec = DisclosureRecord.objects.get()
    assert (rec.accessor_user, rec.accessor_org, rec.role, rec.channel) == (
        gov,
        gov.organization,
        "government",
        "api",
    )
    assert rec.surface == "policy.rule_check" and rec.rule_text == text and rec.formula_text == "revenue"
    assert rec.private_fields == ["revenue"] and rec.jurisdiction == DISTRICT
    assert rec.group_size == 1 and rec.population == 12 and rec.outcome == "suppressed"
    assert "identifier" in rec.reasons
    # a preview over public fields only is not recorded
    _post(client, POLICY_API, {"eligibility_rule": "registered_capital > 1"})
    assert DisclosureRecord.objects.count() == 1
    # an institution's key on the financing API: recorded with the key
    key_obj, key = issue_key(
        organization=make_user("institution").organization, name="a", scopes=["financing:read"]
    )
    client.logout()
    _post(client, FINANCING_API, {"rule": "revenue > 1 AND registered_capital > 1"}, key)
    rec = DisclosureRecord.objects.order_by("-pk").first()
    assert (
        rec.api_key_prefix == key_obj.prefix
        and rec.channel == "api"
        and rec.surface == "financing.rule_check"
    )
    assert rec.private_fields == ["revenue"] and rec.group_size == 12 and rec.outcome == "shown"
    # the htmx editor is recorded as the web channel
    client.force_login(gov)
    client.post(reverse("policy:rule-check"), {"eligibility_rule": "tax_grade = 'A'", "benefit_formula": ""})
    rec = DisclosureRecord.objects.order_by("-pk").first()
    assert rec.channel == "web" and rec.private_fields == ["tax_grade"] and rec.group_size == 1
    # append-only: no change in code, no add/change/delete in the admin
    rec.outcome = "shown"
    with pytest.raises(ValueError):
        rec.save()
    admin = DisclosureRecordAdmin(DisclosureRecord, None)
    assert not admin.has_add_permission(None)
    assert not admin.has_change_permission(None, rec) and not admin.has_delete_permission(None, rec)


# ---------------------------------------------------------------------------
# The financing API takes a typed body
# ---------------------------------------------------------------------------


def test_the_financing_rule_check_api_takes_a_json_body(client, make_user, district):
    bank = make_user("institution")
    _, key = issue_key(organization=bank.organization, name="j", scopes=["financing:read"])
    r = _post(client, FINANCING_API, {"rule": "registered_capital >= 100"}, key)
    assert r.status_code == 200
    assert r.json()["valid"] is True and r.json()["qualifying"] == 12 and r.json()["total"] == 12
    r = _post(client, FINANCING_API, {"rule": "revnue >= 10"}, key)
    d = r.json()
    assert r.status_code == 200 and d["valid"] is False and d["code"] == "unknown_field"
    assert d["start"] == 0 and d["end"] == 6 and "revnue" in d["message_en"]
    r = _post(client, FINANCING_API, {"rule": 42}, key)
    assert r.status_code == 422  # a typed body: a number is not a rule
    schema = client.get("/api/v1/openapi.json").json()
    op = schema["paths"][FINANCING_API]["post"]
    assert "requestBody" in op and not op.get("parameters")
    out = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"qualifying", "suppressed", "reasons"} <= set(schema["components"]["schemas"][out]["properties"])


# ---------------------------------------------------------------------------
# Browser: the product editor shows the withheld preview and the rate limit (htmx swaps the 429)
# ---------------------------------------------------------------------------


@pytest.mark.browser
def test_product_editor_shows_withheld_counts_and_the_rate_limit(
    live_app, page, make_user, settings, screenshot
):
    settings.JINFU_DISCLOSURE_RATE = (2, 600)
    bank = make_user("institution")
    for _ in range(3):
        make_user("enterprise")
    page.goto(f"{live_app}/accounts/login/")
    page.fill("#id_username", bank.username)
    page.fill("#id_password", bank.raw_password)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    page.goto(f"{live_app}/financing/workbench/products/new/")  # preview 1: the empty rule, on load
    check = page.locator("#rule-check")
    check.locator("[data-rule-ok]").wait_for()
    page.fill("#p-rule", "revenue >= 1000")  # preview 2
    page.locator('#rule-check [data-disclosure-reason="private_clauses"]').wait_for()
    text = check.inner_text()
    assert "不予显示" in text and "少于 10 家" in text and "营业收入不低于 1000 万元" in text
    assert "revenue" not in text  # the clause left out reads as a sentence, not as rule text
    screenshot(page, "01-withheld")
    page.fill("#p-rule", "revenue >= 2000")  # preview 3: over the limit
    page.locator('#rule-check [data-rate-limited="1"]').wait_for()
    assert "预览过于频繁" in check.inner_text()
    screenshot(page, "02-rate-limited")

"""Policy pages and API: library search, 我可享受的政策, claim flow, review/ledger pages, Excel export,
the live rule check, menus, API scopes."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from jinfu.core.apikeys import issue_key
from jinfu.policy import services
from jinfu.policy.models import Claim, Payout
from tests.factories import FINTECH_BENEFIT, FINTECH_RULE, set_profile


@pytest.fixture
def setup(make_user, reference_data, client):
    gov = make_user("government")
    gov.organization.division_id = "500103"
    gov.organization.save()
    pol = services.save_policy(
        gov,
        {
            "code": "v-fintech",
            "title": "渝中区关于推进金融科技应用与发展扶持办法",
            "issuer": "渝中区",
            "division_id": "500103",
            "full_text": "对新引进的金融科技企业，按实缴资本的2%给予最高1000万元落户奖励。",
            "interpretation": "注册资本金5000万元以上",
            "faq": [{"q": "以上含本数吗？", "a": "含"}],
        },
    )
    services.publish_policy(gov, pol.pk)
    item = services.save_item(
        gov,
        pol.pk,
        {
            "title": "落户奖励",
            "mode": "apply",
            "eligibility_rule": FINTECH_RULE,
            "benefit_formula": FINTECH_BENEFIT,
            "cap": "1000",
            "annual_budget": "5000",
            "publicity_days": 0,
            "required_materials": ["营业执照"],
            "status": "open",
        },
    )
    ent = make_user("enterprise")
    set_profile(ent.organization, registered_capital=50000, paid_in_capital=30000)
    return {"gov": gov, "ent": ent, "policy": pol, "item": item}


def test_library_search_page(setup, client):
    client.force_login(setup["ent"])
    r = client.get(reverse("policy:library"), {"q": "落户奖励"})
    assert r.status_code == 200 and "v-fintech" in r.content.decode()
    r = client.get(reverse("policy:library"), {"q": "火星殖民"})
    assert 'data-empty="1"' in r.content.decode()
    r = client.get(reverse("policy:policy", args=[setup["policy"].pk]))
    body = r.content.decode()
    assert "政策解读" in body and "以上含本数吗" in body and 'data-estimate="' in body


def test_mine_claim_and_review_flow(setup, client):
    ent, gov, item = setup["ent"], setup["gov"], setup["item"]
    client.force_login(ent)
    body = client.get(reverse("policy:mine")).content.decode()
    assert f'data-eligible="{item.code}"' in body and "600.00" in body
    # missing material → a clear error, nothing written
    r = client.post(reverse("policy:claim", args=[item.pk]), {}, follow=True)
    assert "营业执照" in r.content.decode() and not Claim.objects.exists()
    r = client.post(reverse("policy:claim", args=[item.pk]), {"materials": ["营业执照"]})
    claim = Claim.objects.get()
    assert r.status_code == 302 and claim.estimated_amount == 600
    assert client.get(reverse("policy:claim-detail", args=[claim.pk])).status_code == 200
    assert client.get(reverse("policy:review")).status_code == 403
    client.force_login(gov)
    assert f'data-review="{claim.pk}"' in client.get(reverse("policy:review")).content.decode()
    client.post(
        reverse("policy:claim-detail", args=[claim.pk]), {"action": "approve", "version": claim.lock_version}
    )
    claim.refresh_from_db()
    assert claim.status == "publicity"
    client.post(reverse("policy:claim-detail", args=[claim.pk]), {"action": "pay"})
    assert Payout.objects.get().amount == 600
    assert "600.00" in client.get(reverse("policy:ledger")).content.decode()
    r = client.get(reverse("policy:ledger"), {"format": "xlsx"})
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(r.content)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert 600.0 in values and "落户奖励" in values
    body = client.get(reverse("policy:dashboard")).content.decode()
    assert 'id="policy-chart"' in body and "<script>" not in body.split('id="policy-chart"')[0][-2000:]


def test_other_enterprise_cannot_see_claim(setup, client, make_user):
    claim = services.submit_claim(setup["ent"], setup["item"].pk, materials=["营业执照"])
    client.force_login(make_user("enterprise"))
    assert client.get(reverse("policy:claim-detail", args=[claim.pk])).status_code == 404


def test_rule_check_htmx(setup, client):
    client.force_login(setup["gov"])
    url = reverse("policy:rule-check")
    r = client.post(
        url, {"eligibility_rule": "registered_capital >= 5000", "benefit_formula": "paid_in_capital > 1"}
    )
    body = r.content.decode()
    assert 'data-rule-ok="0"' in body and 'data-rule-field="benefit_formula"' in body and "数值" in body
    r = client.post(url, {"eligibility_rule": "foo >= 1", "benefit_formula": "1"})
    assert 'data-rule-field="eligibility_rule"' in r.content.decode()
    r = client.post(url, {"eligibility_rule": FINTECH_RULE, "benefit_formula": FINTECH_BENEFIT})
    assert 'data-rule-ok="1"' in r.content.decode()
    client.force_login(setup["ent"])
    assert client.post(url, {"eligibility_rule": "1 = 1"}).status_code == 403


def test_item_editor_rejects_non_numeric_benefit(setup, client):
    client.force_login(setup["gov"])
    url = reverse("policy:item-new", args=[setup["policy"].pk])
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {
            "title": "新事项",
            "mode": "apply",
            "status": "draft",
            "benefit_formula": "registered_capital > 1",
            "review_days": 5,
            "publicity_days": 5,
        },
    )
    assert 'data-error-field="benefit_formula"' in r.content.decode()
    assert setup["policy"].items.count() == 1


def test_menus(setup, client):
    client.force_login(setup["ent"])
    assert reverse("policy:mine") in client.get(reverse("policy:library")).content.decode()
    client.force_login(setup["gov"])
    assert reverse("policy:review") in client.get(reverse("policy:library")).content.decode()


def test_api_scopes_and_claim(setup, client, make_user):
    ent = setup["ent"]
    _, key = issue_key(organization=ent.organization, name="t", scopes=["policy:read"])
    h = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    r = client.get("/api/v1/policy/policies", {"q": "落户奖励"}, **h)
    assert r.status_code == 200 and r.json()[0]["code"] == "v-fintech"
    mine = client.get("/api/v1/policy/mine", **h).json()
    assert mine["eligible"][0]["estimate"] == "600.00"
    r = client.post(
        "/api/v1/policy/claims",
        {"item_id": setup["item"].pk, "materials": ["营业执照"]},
        content_type="application/json",
        **h,
    )
    assert r.status_code == 403
    _, wkey = issue_key(organization=ent.organization, name="w", scopes=["policy:read", "policy:write"])
    r = client.post(
        "/api/v1/policy/claims",
        {"item_id": setup["item"].pk, "materials": ["营业执照"]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {wkey}",
    )
    assert r.status_code == 201 and r.json()["estimated_amount"] == "600.00"
    r = client.post(
        "/api/v1/policy/claims",
        {"item_id": setup["item"].pk, "materials": ["营业执照"]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {wkey}",
    )
    assert r.status_code == 409 and "重复" in r.json()["detail"]
    # The rule preview is an editor's tool over other enterprises: an enterprise's key is refused (even
    # for an invalid rule); an institution's key gets the validation answer.
    r = client.post(
        "/api/v1/policy/rules/check", {"eligibility_rule": "x > 1"}, content_type="application/json", **h
    )
    assert r.status_code == 403
    bank = make_user("institution")
    _, bkey = issue_key(organization=bank.organization, name="b", scopes=["policy:read"])
    r = client.post(
        "/api/v1/policy/rules/check",
        {"eligibility_rule": "x > 1"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bkey}",
    )
    assert r.json()["valid"] is False and r.json()["field"] == "eligibility_rule"


def test_publicity_is_public_but_private_details_are_not(setup, client, make_user):
    claim = services.submit_claim(setup["ent"], setup["item"].pk, materials=["营业执照"])
    services.approve(setup["gov"], claim.pk)
    services.publish_policy(setup["gov"], setup["policy"].pk)
    other = make_user("enterprise")
    client.force_login(other)
    assert f'data-publicity="{claim.pk}"' in client.get(reverse("policy:publicity")).content.decode()
    body = client.get(reverse("policy:claim-detail", args=[claim.pk])).content.decode()
    assert "测算依据" not in body and "营业执照" not in body and "提交异议" in body

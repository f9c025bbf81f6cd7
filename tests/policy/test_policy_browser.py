"""Browser journey: an enterprise sees a policy it qualifies for and claims it; a government officer
approves it (zero-day publicity), pays it, and the ledger and dashboard show it."""

from __future__ import annotations

import pytest

from jinfu.policy import services
from tests.factories import FINTECH_BENEFIT, FINTECH_RULE, set_profile


def _login(page, base_url, user):
    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/accounts/login/" not in page.url, "login failed"


@pytest.mark.browser
def test_enterprise_claims_and_government_pays(live_app, page, screenshot, make_user):
    gov = make_user("government")
    gov.organization.division_id = "500103"
    gov.organization.save()
    policy = services.save_policy(
        gov,
        {
            "code": "b-fintech",
            "title": "渝中区关于推进金融科技应用与发展扶持办法",
            "issuer": "渝中区",
            "division_id": "500103",
            "full_text": "对新引进的金融科技企业，注册资本金5000万元以上的，按实缴资本的2%给予最高1000万元落户奖励。",
        },
    )
    services.publish_policy(gov, policy.pk)
    item = services.save_item(
        gov,
        policy.pk,
        {
            "title": "新引进金融科技企业落户奖励",
            "mode": "apply",
            "eligibility_rule": FINTECH_RULE,
            "benefit_formula": FINTECH_BENEFIT,
            "cap": "1000",
            "annual_budget": "3000",
            "required_materials": ["营业执照"],
            "publicity_days": 0,
            "status": "open",
        },
    )
    ent = make_user("enterprise")
    set_profile(ent.organization, registered_capital=50000, paid_in_capital=30000)

    # the enterprise finds the policy by a word inside its text, then sees what it qualifies for
    _login(page, live_app, ent)
    page.goto(f"{live_app}/policy/?q=落户奖励")
    assert page.locator('[data-policy="b-fintech"]').count() == 1
    page.goto(f"{live_app}/policy/mine/")
    card = page.locator(f'[data-eligible="{item.code}"]')
    assert card.count() == 1
    assert card.locator(f'[data-estimate="{item.code}"]').inner_text() == "600 万元"
    screenshot(page, "mine")
    with page.expect_navigation():
        card.locator(f'[data-claim="{item.code}"]').click()
    page.check('input[name="materials"][value="营业执照"]')
    with page.expect_navigation():
        page.click("[data-submit-claim]")
    assert page.locator('[data-claim-status="submitted"]').count() == 1
    assert page.locator('[data-event="submitted"]').count() == 1

    # the officer reviews, approves (zero-day publicity) and pays
    _login(page, live_app, gov)
    page.goto(f"{live_app}/policy/review/")
    row = page.locator("[data-review]").first
    with page.expect_navigation():
        row.locator("a").first.click()
    with page.expect_navigation():
        page.click('[data-action="approve"]')
    assert page.locator('[data-claim-status="publicity"]').count() == 1
    with page.expect_navigation():
        page.click('[data-action="pay"]')
    assert page.locator('[data-claim-status="paid"]').count() == 1
    assert page.locator('[data-event="paid"]').count() == 1
    page.goto(f"{live_app}/policy/ledger/")
    assert page.locator("[data-payout]").count() == 1
    assert "600.00" in page.locator("[data-payout]").inner_text()
    screenshot(page, "ledger")
    page.goto(f"{live_app}/policy/dashboard/")
    page.wait_for_selector('[data-policy-chart="policies"][data-rendered="1"]')
    assert page.locator('[data-kpi="paid-total"]').inner_text() == "600.00"
    screenshot(page, "dashboard")

"""Browser journey (Chromium): an enterprise finds a product and applies, an institution approves and
disburses, and the government's KPI page changes."""

from __future__ import annotations

import re

import pytest

from jinfu.financing.models import Application
from tests.factories import make_product


def _login(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/accounts/login/" not in page.url, f"{user.username} could not log in"


def _kpi(page, name) -> str:
    return page.locator(f'[data-kpi="{name}"] .v').inner_text().strip()


def _step(page, action, screenshot, name, fill=None):
    form = page.locator(f'form[data-action="{action}"]')
    for field, value in (fill or {}).items():
        form.locator(f'[name="{field}"]').fill(value)
    with page.expect_navigation():
        form.locator("button").click()
    screenshot(page, name)


@pytest.mark.browser
def test_enterprise_applies_institution_disburses_kpis_change(live_app, browser, page, make_user, screenshot):
    bank = make_user("institution")
    ent = make_user("enterprise")
    gov = make_user("government")
    product = make_product(bank, name="科创信用贷", eligibility_rule="revenue >= 1000")

    def context():
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        ctx.set_default_timeout(15_000)
        return ctx

    # the government's KPI page before
    gov_ctx = context()
    gp = gov_ctx.new_page()
    _login(gp, live_app, gov)
    gp.goto(f"{live_app}/financing/kpis/")
    disbursed_before = int(_kpi(gp, "disbursed"))
    amount_before = float(_kpi(gp, "amount").replace(",", ""))
    screenshot(gp, "01-kpis-before")

    # the enterprise finds the product in 产品超市 and applies
    _login(page, live_app, ent)
    page.goto(f"{live_app}/financing/")
    screenshot(page, "02-market")
    with page.expect_navigation():
        page.get_by_role("link", name="科创信用贷").first.click()
    assert page.url.endswith(f"/financing/products/{product.pk}/")
    assert page.locator('[data-eligible="yes"]').is_visible()
    screenshot(page, "03-product")
    with page.expect_navigation():
        page.locator("a.btn", has_text="申请").click()
    page.fill("#a-amount", "120")
    page.fill("#a-term", "12")
    page.fill("#a-purpose", "研发投入与设备更新")
    page.check('input[name="consent"]')
    screenshot(page, "04-apply-form")
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    m = re.search(r"/financing/applications/(\d+)/$", page.url)
    assert m, page.url
    app_id = int(m.group(1))
    assert "已申请" in page.locator("body").inner_text()
    screenshot(page, "05-application-submitted")

    # the institution works through its queue
    bank_ctx = context()
    bp = bank_ctx.new_page()
    try:
        _login(bp, live_app, bank)
        bp.goto(f"{live_app}/financing/applications/")
        row = bp.locator(f'tr[data-app="{app_id}"]')
        assert row.is_visible()
        screenshot(bp, "06-queue")
        with bp.expect_navigation():
            row.locator("a").first.click()
        assert bp.url.endswith(f"/financing/applications/{app_id}/")
        _step(bp, "accept", screenshot, "07-accepted")  # 受理
        _step(bp, "start_due_diligence", screenshot, "08-due-diligence")  # 开始尽调
        _step(bp, "approve", screenshot, "09-approved", fill={"rate": "4.35"})  # 审批通过
        _step(bp, "disburse", screenshot, "10-disbursed")  # 确认放款
        assert "已放款" in bp.locator("body").inner_text()
    finally:
        bank_ctx.close()

    app = Application.objects.get(pk=app_id)
    assert app.status == "disbursed" and str(app.rate) == "4.350" and app.approved_amount == 120

    # the enterprise sees the outcome
    page.reload()
    assert "已放款" in page.locator("body").inner_text()
    screenshot(page, "11-enterprise-sees-disbursed")

    # and the KPI page has changed
    try:
        gp.goto(f"{live_app}/financing/kpis/")
        assert int(_kpi(gp, "disbursed")) == disbursed_before + 1
        assert float(_kpi(gp, "amount").replace(",", "")) == pytest.approx(amount_before + 120, abs=0.5)
        screenshot(gp, "12-kpis-after")
    finally:
        gov_ctx.close()

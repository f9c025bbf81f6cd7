"""Browser journeys: an enterprise authorizes a bank and revokes it; a registration form checks the USCC live."""

import pytest

from tests.core.test_browser_login import _submit_login

pytestmark = pytest.mark.browser


def _login(page, base, user):
    page.goto(f"{base}/accounts/login/")
    _submit_login(page, base, user.username, user.raw_password)
    page.wait_for_load_state("networkidle")


def test_enterprise_grants_bank_reads_enterprise_revokes(live_app, browser, make_user, screenshot):
    ent = make_user("enterprise")
    bank = make_user("institution")
    ent_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    bank_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    try:
        e, b = ent_ctx.new_page(), bank_ctx.new_page()
        profile_url = f"{live_app}/orgs/{ent.organization.pk}/"

        # 1. before any grant the bank sees the public part only
        _login(b, live_app, bank)
        b.goto(profile_url)
        assert b.locator('[data-locked="financials"]').is_visible()
        screenshot(b, "1-bank-locked")

        # 2. the enterprise grants basic + financials for 30 days
        _login(e, live_app, ent)
        e.goto(f"{live_app}/orgs/consent/")
        e.select_option("#id_grantee", str(bank.organization.pk))
        e.check("input[name=scopes][value=basic]")
        e.check("input[name=scopes][value=financials]")
        e.select_option("#id_purpose", "loan_application")
        e.fill("#id_days", "30")
        e.click("form.stack button[type=submit]")
        e.wait_for_load_state("networkidle")
        assert "授权已生效" in e.locator(".messages").inner_text()
        screenshot(e, "2-enterprise-granted")

        # 3. the bank now sees the revenue; the enterprise sees the read in its log
        b.goto(profile_url)
        assert b.locator('[data-locked="financials"]').count() == 0
        assert "营业收入" in b.locator("main").inner_text()
        screenshot(b, "3-bank-open")
        e.reload()
        assert bank.organization.name in e.locator("main").inner_text()

        # 4. the enterprise revokes; the bank's next read is refused
        e.once("dialog", lambda d: d.accept())
        e.click("tr[data-grant] button.danger")
        e.wait_for_load_state("networkidle")
        assert "已撤销" in e.locator("main").inner_text()
        b.goto(profile_url)
        assert b.locator('[data-locked="financials"]').is_visible()
        screenshot(b, "4-bank-locked-again")
    finally:
        ent_ctx.close()
        bank_ctx.close()


def test_registration_form_checks_the_uscc_live(live_app, page, make_user, screenshot):
    admin = make_user("admin")
    _login(page, live_app, admin)
    page.goto(f"{live_app}/orgs/enterprises/new/")
    field = page.locator("#f-uscc")
    field.fill("91500000202869177X")  # 重庆银行's code with a wrong check digit
    field.blur()
    feedback = page.locator(".uscc-feedback")
    feedback.filter(has_text="校验").wait_for()
    assert field.get_attribute("aria-invalid") == "true"
    field.fill("91500000202869177Y")
    field.blur()
    # a locator wait (no string evaluated in the page, which the strict CSP may refuse)
    page.locator("#f-uscc[aria-invalid='false']").wait_for()
    assert "重庆" in feedback.inner_text()
    screenshot(page, "uscc-valid")


def test_revoke_asks_first_dismissing_keeps_the_grant(live_app, page, make_user):
    """The revoke button names the institution in a confirm dialog; cancelling keeps the grant live."""
    import datetime as dt

    from django.utils import timezone

    from jinfu.core import services

    ent = make_user("enterprise")
    bank = make_user("institution")
    grant = services.grant_access(
        ent,
        grantee=bank.organization,
        scopes=["basic"],
        purpose="loan_application",
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    _login(page, live_app, ent)
    page.goto(f"{live_app}/orgs/consent/")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click(f'tr[data-grant="{grant.pk}"] button.danger')
    page.wait_for_load_state("networkidle")
    assert asked and bank.organization.name in asked[0] and "撤销" in asked[0]
    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert page.locator(f'tr[data-grant="{grant.pk}"] button.danger').is_visible()

    page.once("dialog", lambda d: d.accept())
    page.click(f'tr[data-grant="{grant.pk}"] button.danger')
    page.wait_for_load_state("networkidle")
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert "已撤销" in page.locator(f'tr[data-grant="{grant.pk}"]').inner_text()

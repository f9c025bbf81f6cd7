"""Browser journeys: an enterprise enters a statement and reads its readiness (met/not with gaps);
a government officer nominates, another reviews, and the funnel draws its ECharts canvases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jinfu.core.models import Organization

LAST = timezone.localdate().year - 1


def _login(page, base_url, user):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/accounts/login/" not in page.url, "login failed"


@pytest.mark.browser
def test_enterprise_enters_statements_and_sees_readiness(live_app, page, screenshot, make_user):
    from jinfu.listing import services

    user = make_user("enterprise")
    for i, (rev, np) in enumerate([(60000, 8800), (50000, 7000)], start=1):
        services.save_statement(user, {"year": LAST - i, "revenue": rev, "net_profit": np})
    _login(page, live_app, user)
    page.goto(f"{live_app}/listing/financials/")
    page.fill("[data-form=statement] input[name=year]", str(LAST + 1))
    page.fill("[data-form=statement] input[name=revenue]", "70000")
    page.fill("[data-form=statement] input[name=net_profit]", "8800")
    page.click("[data-form=statement] button")
    assert "尚未结束" in page.locator("[data-error=year]").inner_text()  # a future year is refused
    page.fill("[data-form=statement] input[name=year]", str(LAST))
    page.fill("[data-form=statement] input[name=revenue]", "70000")
    page.fill("[data-form=statement] input[name=net_profit]", "8800")
    page.fill("[data-form=statement] input[name=operating_cash_flow]", "9000")
    with page.expect_navigation():
        page.click("[data-form=statement] button")
    assert page.locator("[data-table=statements] tbody tr").count() == 3
    screenshot(page, "financials")

    page.goto(f"{live_app}/listing/readiness/")
    assert page.locator("[data-board]").count() == 4
    main1 = page.locator('[data-board=main] tr[data-condition="np_y1"]').first
    assert "还差 1,200万元" in main1.inner_text()
    assert page.locator('[data-standard="chinext_1"]').get_attribute("data-met") == "1"
    screenshot(page, "readiness")


@pytest.mark.browser
def test_government_reserve_and_funnel(live_app, page, screenshot, make_user):
    from jinfu.listing import services

    ent = make_user("enterprise")
    Organization.objects.filter(pk=ent.organization_id).update(
        division_id="500103", name="重庆示范科技股份有限公司"
    )
    for i in range(3):
        services.save_statement(ent, {"year": LAST - i, "revenue": 60000, "net_profit": 12000})
    services.record_milestone(ent, ent.organization_id, "shareholding_reform", dt.date(2024, 3, 1))
    services.record_milestone(ent, ent.organization_id, "tutoring_filed", dt.date(2024, 9, 1))
    office = Organization.objects.create(kind="government", name="渝中区金融办", division_id="500103")
    officer = make_user("government", org=office)
    reviewer = make_user("government", org=office)

    _login(page, live_app, officer)
    page.goto(f"{live_app}/listing/reserve/?q=示范科技")
    cand = page.locator(f'[data-candidate="{ent.organization_id}"]')
    cand.locator("select[name=tier]").select_option("district")
    with page.expect_navigation():
        cand.locator("button").click()
    assert page.locator("[data-tier=district] tr[data-entry]").count() == 1
    page.context.clear_cookies()

    _login(page, live_app, reviewer)
    page.goto(f"{live_app}/listing/reserve/")
    with page.expect_navigation():
        page.locator("[data-tier=district] tr[data-entry] button[value=approve]").click()
    assert "已入库" in page.locator("[data-tier=district] tr[data-entry]").inner_text()
    screenshot(page, "reserve")

    page.goto(f"{live_app}/listing/funnel/")
    assert page.locator("[data-kpi=district] .v").inner_text() == "1"
    page.wait_for_selector('[data-listing-chart=stages][data-rendered="1"] canvas')
    assert page.locator("[data-listing-chart] canvas").count() == 2
    assert page.locator("tr[data-stage=tutoring_filed] .num").inner_text() == "1"
    screenshot(page, "funnel")

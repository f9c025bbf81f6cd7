"""数据大屏 in a real browser: the dark page renders its panels, the ranked bar chart is drawn (a non-empty
canvas), and the panels are fetched again after a minute (htmx polling; Playwright's clock fast-forwards)."""

import pytest

from jinfu.core.models import Organization
from tests.core.test_browser_login import _submit_login
from tests.core.test_screen import NANAN, _loans
from tests.factories import make_product

CANVAS_INK = """el => { const c = el.querySelector('canvas'); if (!c) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }"""


@pytest.mark.browser
def test_screen_draws_its_panels_and_refreshes(live_app, page, make_user, screenshot):
    bank = make_user("institution")
    _loans(make_product(bank), bank.organization, NANAN, ["120"] * 11)
    city = Organization.objects.create(kind="government", name="重庆市地方金融管理局（测试）")
    user = make_user("government", org=city)
    page.clock.install()
    page.set_viewport_size({"width": 1280, "height": 800})
    _submit_login(page, live_app, user.username, user.raw_password)
    page.locator("#mainnav a", has_text="数据大屏").click()
    page.wait_for_url("**/screen/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(6, 18, 43)"  # dark
    panel = page.locator("[data-panel='financing']")
    assert "放款金额（累计）" in panel.inner_text() and "1,320" in panel.inner_text()
    chart = panel.locator("[data-screen-bars]")
    page.wait_for_function("document.querySelector('[data-screen-bars]').dataset.rendered === '1'")
    page.clock.run_for(2000)  # let the bars' entry animation finish
    assert chart.evaluate(CANVAS_INK) > 500, "the bar chart's canvas is empty"
    screenshot(page, "screen")
    with page.expect_request("**/screen/panels/") as refresh:
        page.clock.run_for(61_000)
    assert refresh.value.method == "GET"
    page.wait_for_function("document.querySelector('[data-screen-bars]').dataset.rendered === '1'")
    assert "1,320" in page.locator("[data-panel='financing']").inner_text()

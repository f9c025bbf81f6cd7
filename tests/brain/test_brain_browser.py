"""Browser journey through the finance brain: traffic-light overview → indicator chart (ECharts canvas)."""

from __future__ import annotations

import pytest

from jinfu.core.models import Organization


@pytest.fixture
def brain_officer(live_app, make_user):
    """A 南岸区 government officer, with the five plans and the synthetic brain data loaded."""
    from jinfu.brain import demo, loader

    user = make_user(
        "government",
        org=Organization.objects.create(
            kind=Organization.Kind.GOVERNMENT, name="南岸区金融工作部门", division_id="500108"
        ),
    )
    loader.load_plans()
    demo.build_brain_demo()
    return user


def _login(page, base_url, user):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/accounts/login/" not in page.url, "login failed"


@pytest.mark.browser
def test_overview_grid_and_indicator_chart(live_app, page, screenshot, brain_officer):
    _login(page, live_app, brain_officer)

    response = page.goto(f"{live_app}/brain/")
    assert response is not None and response.status == 200
    plans = page.locator("[data-plan]")
    assert plans.count() == 5
    assert sorted(plans.evaluate_all("els => els.map(e => e.dataset.plan)")) == [
        "000",
        "001",
        "002",
        "003",
        "004",
    ]
    # every plan card has traffic-light cells, and the synthetic data gives some a real status
    cells = page.locator('[data-plan="000"] a.cell')
    assert cells.count() == 22  # plan 000 lists 22 indicators
    lights = cells.evaluate_all("els => els.map(e => [...e.classList].find(c => c.startsWith('light-')))")
    assert all(lights), "a cell without a traffic-light class"
    assert any(c != "light-no_data" for c in lights), "no indicator of plan 000 has a status"
    screenshot(page, "overview")

    cell = page.locator('[data-plan="000"] a[href$="/brain/indicators/000-I01/"]')
    with page.expect_navigation():
        cell.click()
    assert page.url.endswith("/brain/indicators/000-I01/")
    page.wait_for_selector('#indicator-chart[data-rendered="1"]')
    page.wait_for_selector("#indicator-chart canvas")
    assert page.locator("#indicator-chart canvas").count() >= 1
    # not blank: a canvas with drawn lines encodes to a much longer PNG than an empty one
    page.wait_for_function("document.querySelector('#indicator-chart canvas').toDataURL().length > 5000")
    assert page.evaluate("document.querySelector('#indicator-chart canvas').toDataURL().length > 5000")
    assert "金融业增加值" in page.locator("body").inner_text()
    screenshot(page, "indicator")

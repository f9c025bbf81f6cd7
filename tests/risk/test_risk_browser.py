"""Browser journey: the regulator logs in, opens a red warning (dimensions, evidence, network graph) and works
it into a closed case (发现 → 核查 → 处置 → 结案)."""

from __future__ import annotations

import pytest

from jinfu.core.models import Organization
from jinfu.risk import cases, services

from .test_services import _ring


def _login(page, base_url, user):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/accounts/login/" not in page.url, "login failed"


@pytest.mark.browser
def test_regulator_works_a_red_warning_into_a_closed_case(live_app, page, screenshot, make_user):
    org = Organization.objects.create(
        kind=Organization.Kind.GOVERNMENT, name="渝中区处非办", division_id="500103"
    )
    regulator = make_user("regulator", org=org)
    cases.replace_routing(
        regulator, [{"kind": "街镇", "match": "解放碑街道", "target": "解放碑街道网格", "forward_to": ""}]
    )
    firms = _ring(regulator)
    services.recompute()
    _login(page, live_app, regulator)
    page.goto(f"{live_app}/risk/")
    assert page.locator("[data-count=red]").inner_text().strip() == "1"
    page.locator("[data-count=red] a").click()
    page.get_by_role("link", name=firms[0].name).click()
    assert "收益率偏离度" in page.locator("[data-table=working]").inner_text()
    assert page.locator("[data-table=evidence] mark").first.inner_text() in (
        "保本保息",
        "原始股",
        "养老",
        "区块链",
        "元宇宙",
        "高额回报",
    )
    page.wait_for_selector("[data-risk-chart=graph][data-rendered='1']")
    screenshot(page, "firm")
    page.locator("[data-open-case]").click()
    assert page.locator("[data-status]").get_attribute("data-status") == "discovered"
    page.locator("[data-action=verify] button").click()
    assert page.locator("[data-status]").get_attribute("data-status") == "verifying"
    form = page.locator("[data-action=decide]")
    form.locator("select[name=outcome]").select_option("interview")
    form.locator("button").click()
    assert "请填写理由" in page.locator(".error").inner_text()  # no reason: refused, nothing written
    form = page.locator("[data-action=decide]")
    form.locator("select[name=outcome]").select_option("interview")
    form.locator("input[name=reason]").fill("约谈法定代表人，责令停止宣传")
    form.locator("button").click()
    assert page.locator("[data-status]").get_attribute("data-status") == "handling"
    task = page.locator("[data-form=task-add]")  # three-party collaboration: the street grid checks the site
    task.locator("select[name=party]").select_option("street")
    task.locator("input[name=title]").fill("上门核实经营场所")
    task.locator("button").click()
    assert "解放碑街道网格" in page.locator("[data-table=case-tasks]").inner_text()
    done = page.locator("[data-form=task-done]")
    done.locator("input[name=reply]").fill("场所已停止宣传，现场无集资活动")
    done.locator("button").click()
    assert "已办结" in page.locator("[data-table=case-tasks]").inner_text()
    page.locator("[data-action=close] button").click()
    assert page.locator("[data-status]").get_attribute("data-status") == "closed"
    assert page.locator("[data-outcome]").inner_text() == "约谈"
    screenshot(page, "case-closed")

"""Browser journey (issue 13, done-when): an enterprise submits a rooftop solar project → it is identified
against the 2025 catalogue with its evidence → the assessor confirms it and publishes it → an institution
finds it in the project hall, claims it and records a loan → the project's and the loan's carbon
reduction are shown with their working."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jinfu.core.models import Organization


def _login(page, base_url, user):
    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/accounts/login/" not in page.url, "login failed"


@pytest.mark.browser
def test_rooftop_solar_from_submission_to_loan_carbon(live_app, page, screenshot, make_user):
    from jinfu.green.loader import load_catalogues

    load_catalogues()
    ent = make_user("enterprise")
    Organization.objects.filter(pk=ent.organization_id).update(division_id="500108")
    assessor = make_user("admin")
    bank = make_user("institution")

    _login(page, live_app, ent)
    page.goto(f"{live_app}/green/projects/")
    form = page.locator("#green-submit")
    form.locator("#g-name").fill("茶园厂房屋顶光伏项目")
    form.locator("#g-desc").fill("利用厂房屋顶建设分布式光伏发电设施，装机 2 MW")
    form.locator("#g-division").fill("500108")
    form.locator("#g-location").fill("南岸区茶园工业园")
    form.locator("#g-industry").fill("4416")
    form.locator("#g-item").select_option("4")
    form.locator("#g-inv").fill("1200")
    form.locator("#g-need").fill("1500")  # more than the investment: refused, next to its field
    form.locator("#g-start").fill(str(timezone.localdate() + dt.timedelta(days=30)))
    form.locator("#g-months").fill("6")
    form.locator("#g-kind").select_option("renewable_mwh")
    form.locator("#g-output").fill("2200")
    form.locator("#g-unit").fill("MWh")
    form.locator("#g-year").fill("2023")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "高于总投资" in page.locator('[data-error-for="financing_need"]').inner_text()
    assert page.locator("#g-name").input_value() == "茶园厂房屋顶光伏项目"  # what was typed is kept
    page.locator("#g-need").fill("800")
    with page.expect_navigation():
        page.locator("#green-submit button[type=submit]").click()
    ident = page.locator("#identification")
    assert "绿色金融支持项目目录（2025年版）" in ident.inner_text()
    assert "能源绿色低碳转型" in ident.inner_text()
    assert "行业代码 4416" in ident.inner_text() and "光伏" in ident.inner_text()
    assert "待认定" in ident.inner_text()
    project_url = page.url
    screenshot(page, "identified")

    _login(page, live_app, assessor)
    page.goto(project_url)
    page.fill("#g-reason", "核对屋顶产权与并网备案")
    with page.expect_navigation():
        page.click("button[value=confirm]")
    assert "已确认" in page.locator("#identification").inner_text()
    page.locator("#g-tier").select_option("recommended")
    page.check("input[name=publish]")
    with page.expect_navigation():
        page.click("form[action$='/tier/'] button")
    assert "已向金融机构发布" in page.content()

    _login(page, live_app, bank)
    page.goto(f"{live_app}/green/hall/?q=屋顶光伏")
    with page.expect_navigation():
        page.click("#hall >> text=茶园厂房屋顶光伏项目")
    with page.expect_navigation():
        page.click("#claim")
    page.fill("#g-amount", "800")
    with page.expect_navigation():
        page.click("#loans button")
    carbon = page.locator("#carbon").inner_text()
    assert "543.84 tCO2/年" in carbon
    assert "2023年西南区域电网平均排放因子 0.2472" in carbon
    loans = page.locator("#loans").inner_text()
    assert "362.56 tCO2/年" in loans
    assert "× 贷款 800 万元 ÷ 项目总投资 1,200 万元" in loans
    screenshot(page, "loan-carbon")
    page.goto(f"{live_app}/green/hall/")
    assert "362.56 tCO2/年" in page.locator("main, body").first.inner_text()

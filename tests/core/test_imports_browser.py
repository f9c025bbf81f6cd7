"""Browser journey: an admin uploads a CSV as a dry run, sees the diff and the progress bar, commits,
and an invalid file shows the problem table. Real Chromium (Playwright); CSP stays strict."""

import random

import pytest

from tests.core.test_imports import HEADER, make_uscc, rows, write_csv


def _login(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    with page.expect_navigation():
        page.press("#id_password", "Enter")


@pytest.mark.browser
def test_upload_dry_run_diff_and_commit(live_app, page, make_user, tmp_path, screenshot):
    from jinfu.core.models import Industry, Organization

    industry = Industry.objects.filter(level="class").order_by("code").values_list("code", flat=True)[0]
    admin = make_user("admin")
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    _login(page, live_app, admin)

    data = rows(3, industry=industry)
    path = write_csv(tmp_path / "企业.csv", data, "gbk")
    page.goto(f"{live_app}/imports/")
    page.select_option("select[name=kind]", "enterprises")
    page.set_input_files("input[name=file]", path)
    page.check("input[name=mode][value=dry_run]")
    with page.expect_navigation():
        page.click("button.primary")
    page.wait_for_selector("progress")
    assert page.locator("progress").get_attribute("value") == "100"
    body = page.locator("body").inner_text()
    assert "gbk" in body and "新增 3" in body
    screenshot(page, "dry-run")
    assert Organization.objects.filter(uscc=data[0][0]).count() == 0
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.click("text=提交导入")
    assert "已提交" in page.locator("body").inner_text()
    assert Organization.objects.filter(uscc=data[0][0]).count() == 1

    bad = rows(2, seed=5, industry=industry)
    bad[1][1] = "=cmd|' /C calc'!A0"
    bad[0][0] = make_uscc("500112", random.Random(3))[:17] + "0"
    page.goto(f"{live_app}/imports/")
    page.set_input_files("input[name=file]", write_csv(tmp_path / "bad.csv", bad, header=HEADER))
    with page.expect_navigation():
        page.click("button.primary")
    table = page.locator("table.errors").inner_text()
    assert "formula_injection" in table and "企业名称" in table
    screenshot(page, "errors")
    assert not csp_errors, csp_errors

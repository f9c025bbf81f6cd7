"""Browser journey (issue 12 item 4): a 街镇 user logs in, finds the case the routing gave his office, adds a
note and a verification record to its task and completes it; the regulator then sees the work on the case's
timeline and the file among the case's attachments — and the case did not move."""

from __future__ import annotations

import pytest

from jinfu.core.models import Organization
from jinfu.risk import cases, collaboration

from .test_office_roles import _firm
from .test_risk_browser import _login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.browser
def test_a_street_user_works_the_routed_task_and_the_regulator_sees_it(
    live_app, page, browser, screenshot, make_user, tmp_path
):
    from jinfu.risk import services

    regulator = make_user(
        "regulator",
        org=Organization.objects.create(kind="government", name="渝中区处非办", division_id="500103"),
    )
    grid = Organization.objects.create(kind="street", name="渝中区解放碑街道网格", division_id="500103")
    street = make_user("street", org=grid)
    cases.replace_routing(
        regulator, [{"kind": "街镇", "match": "解放碑街道", "target": grid.name, "forward_to": ""}]
    )
    firm = _firm(industry="13")
    services.recompute()
    case = cases.open_case(regulator, firm.pk, source="manual")
    collaboration.add_task(regulator, case.pk, party="street", title="上门核实经营场所", workdays_due=3)

    _login(page, live_app, street)
    assert "街镇网格工作台" in page.locator("h1").inner_text()
    page.get_by_role("link", name="承办案件").first.click()
    page.get_by_role("link", name=case.number).click()
    assert "上门核实经营场所" in page.locator("[data-table=case-tasks]").inner_text()
    assert page.locator("[data-action]").count() == 0  # no transition is offered to the office
    note = page.locator("[data-form=note-add]")
    note.locator("input[name=text]").fill("已约房东明日上午到场核实")
    note.locator("select[name=task]").select_option(label="渝中区解放碑街道网格：上门核实经营场所")
    note.locator("button").click()
    assert "已约房东明日上午到场核实" in page.locator("[data-list=case-notes]").inner_text()
    record = tmp_path / "核查记录.pdf"
    record.write_bytes(PDF)
    upload = page.locator("[data-form=attachment-upload]")
    upload.locator("select[name=kind]").select_option("verification")
    assert upload.locator("select[name=kind] option[value=handling]").count() == 0
    upload.locator("input[type=file]").set_input_files(str(record))
    upload.locator("button").click()
    assert "核查记录.pdf" in page.locator("#attachments").inner_text()
    done = page.locator("[data-form=task-done]")
    done.locator("input[name=reply]").fill("场所已人去楼空，房东称已退租")
    done.locator("button").click()
    assert "已办结" in page.locator("[data-table=case-tasks]").inner_text()
    screenshot(page, "street-done")

    reg_context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    reg = reg_context.new_page()
    try:
        _login(reg, live_app, regulator)
        reg.goto(f"{live_app}/risk/cases/{case.pk}/")
        timeline = reg.locator("[data-table=timeline]").inner_text()
        assert "渝中区解放碑街道网格备注：已约房东明日上午到场核实" in timeline
        assert "渝中区解放碑街道网格办结任务「上门核实经营场所」：场所已人去楼空，房东称已退租" in timeline
        files = reg.locator("#attachments").inner_text()
        assert "核查记录.pdf" in files and "渝中区解放碑街道网格" in files
        assert reg.locator("[data-status]").get_attribute("data-status") == "discovered"
        screenshot(reg, "regulator-timeline")
    finally:
        reg_context.close()

"""Navigation and error pages in a real browser: every menu item of every role is visible and opens its page at
1280×800 and on a 390×844 phone (behind the 菜单 button); 403 and 404 pages are Chinese, styled, with the
navigation and a way back."""

import re

import pytest

from jinfu.core.modules import menu_for

from .test_browser_login import _submit_login

ROLES = ["enterprise", "institution", "government", "regulator", "admin"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 1


def _open_menu(page, phone: bool):
    if phone:
        toggle = page.locator("[data-navtoggle]")
        assert toggle.is_visible()
        toggle.click()


@pytest.mark.browser
@pytest.mark.parametrize("size", VIEWPORTS)
@pytest.mark.parametrize("role", ROLES)
def test_every_menu_item_is_visible_and_opens(live_app, page, make_user, screenshot, role, size):
    page.set_viewport_size(VIEWPORTS[size])
    user = make_user(role)
    _submit_login(page, live_app, user.username, user.raw_password)
    labels = [str(label) for _, label in menu_for(role)]
    _open_menu(page, size == "phone")
    screenshot(page, "menu")
    links = page.locator("#mainnav a")
    assert links.count() == len(labels) + 1  # 首页 first
    for i in range(links.count()):
        link = links.nth(i)
        assert link.is_visible() and _in_viewport(page, link), (
            f"{role}/{size}: {link.inner_text()} is cut off"
        )
    for i, label in enumerate(labels, start=1):
        page.goto(f"{live_app}/")
        _open_menu(page, size == "phone")
        link = page.locator("#mainnav a").nth(i)
        assert link.inner_text().strip() == label
        with page.expect_navigation() as nav:
            link.click()
        assert nav.value.status == 200, f"{role}/{size}: {label} answered {nav.value.status}"


@pytest.mark.browser
def test_error_pages_are_chinese_with_navigation(live_app, page, make_user, screenshot):
    user = make_user("enterprise")
    _submit_login(page, live_app, user.username, user.raw_password)
    response = page.goto(f"{live_app}/orgs/audit/")  # operators only
    assert response.status == 403
    card = page.locator("[data-error='403']")
    assert card.is_visible() and "无权访问" in card.inner_text()
    assert "只有平台管理员可以查看审计日志" in card.inner_text()
    assert page.locator("#mainnav a").count() > 1
    screenshot(page, "403")
    response = page.goto(f"{live_app}/financing/no-such-page/")
    assert response.status == 404
    assert "页面不存在" in page.locator("[data-error='404']").inner_text()
    assert re.search(r"返回首页", page.locator("body").inner_text())
    screenshot(page, "404")

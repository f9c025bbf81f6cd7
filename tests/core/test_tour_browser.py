"""The first-login tour in a real browser: shown at first login, it walks the role's menu items (each one
outlined in turn, the menu opened on a phone), 完成 closes it for good, and the help centre reopens it."""

import pytest

from jinfu.core.models import User
from jinfu.core.modules import menu_for
from tests.core.test_browser_login import _submit_login


def _walk(page, labels: list[str]) -> None:
    tour = page.locator("[data-tour]")
    for n, label in enumerate(labels, start=1):
        assert page.locator("[data-tour-title]").inner_text() == label
        assert page.locator("[data-tour-index]").inner_text() == str(n)
        outlined = page.locator(".tour-target")
        assert outlined.count() == 1 and outlined.inner_text().strip() == label and outlined.is_visible()
        if n < len(labels):
            tour.locator("[data-tour-next]").click()


@pytest.mark.browser
@pytest.mark.parametrize("size", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}])
def test_tour_walks_the_menu_closes_for_good_and_reopens(live_app, page, make_user, screenshot, size):
    page.set_viewport_size(size)
    user = make_user("government", tour=True)
    _submit_login(page, live_app, user.username, user.raw_password)
    tour = page.locator("[data-tour]")
    assert tour.is_visible()
    assert not tour.locator("[data-tour-prev]").is_visible()  # no 上一步 on the first step
    screenshot(page, "first-step")
    menu = dict((str(label), name) for name, label in menu_for("government"))
    labels = [li.get_attribute("data-title") for li in tour.locator("[data-tour-step]").all()]
    assert 3 <= len(labels) <= 6 and labels[-1] == "帮助中心"
    assert all(label in menu for label in labels[:-1])
    _walk(page, labels)
    assert tour.locator("[data-tour-next]").inner_text() == "完成"
    with page.expect_response("**/orgs/tour/dismiss/") as dismissed:
        tour.locator("[data-tour-next]").click()
    assert dismissed.value.status == 204
    assert not tour.is_visible()
    assert User.objects.get(pk=user.pk).tour_dismissed_at is not None
    page.reload()
    assert page.locator("[data-tour]").count() == 0  # never again
    page.goto(f"{live_app}/help/")
    page.locator("[data-tour-reopen]").click()
    page.wait_for_url("**/?tour=1")
    assert page.locator("[data-tour]").is_visible()
    page.locator("[data-tour-skip]").click()  # 不再显示
    assert not page.locator("[data-tour]").is_visible()

"""Browser smoke test: every role logs in through the real login page and lands on its home page."""

import re

import pytest

ROLES = ["enterprise", "institution", "government", "regulator", "admin"]
CJK = re.compile(r"[\u4e00-\u9fff]")
LOCKOUT_LIMIT = 5  # settings.AXES_FAILURE_LIMIT


def _submit_login(page, base_url, username, password):
    """Fill and submit the login form; return the HTTP response of the submission."""
    if "/accounts/login/" not in page.url:
        page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation() as navigation:
        page.press("#id_password", "Enter")
    return navigation.value


@pytest.mark.browser
@pytest.mark.parametrize("role", ROLES)
def test_role_logs_in_and_lands_on_its_home(live_app, page, make_user, role):
    user = make_user(role)
    page.goto(f"{live_app}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    response = _submit_login(page, live_app, user.username, user.raw_password)
    assert response is not None and response.status < 400, f"login answered {response and response.status}"
    page.wait_for_load_state("networkidle")

    home = page.locator(f'[data-home="{role}"]')
    assert home.count() >= 1, f"no [data-home={role!r}] on {page.url}"
    assert home.first.is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert CJK.search(page.locator("body").inner_text()), "landing page shows no Chinese text"


@pytest.mark.browser
def test_repeated_failed_logins_lock_the_account(live_app, page, make_user):
    user = make_user("enterprise")
    for _ in range(LOCKOUT_LIMIT):
        response = _submit_login(page, live_app, user.username, "wrong-password-123")
        assert page.locator('[data-home="enterprise"]').count() == 0
    page.goto(f"{live_app}/accounts/login/")
    response = _submit_login(page, live_app, user.username, user.raw_password)
    body = page.locator("body").inner_text()
    assert response.status == 429 or "锁定" in body, (
        f"6th attempt was not locked out (status {response.status})"
    )
    assert page.locator('[data-home="enterprise"]').count() == 0


def test_lockout_without_browser(client, make_user):
    """The same lockout rule through Django's test client (runs on PostgreSQL too)."""
    user = make_user("enterprise")
    for _ in range(LOCKOUT_LIMIT):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong-password-123"})
    response = client.post("/accounts/login/", {"username": user.username, "password": user.raw_password})
    assert response.status_code == 429 or "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session

"""First-login tour (新手引导): 3–6 steps per role pointing at that role's menu items and the help centre, in
Chinese; shown until the user closes it, stored per user, reopened from the help centre."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jinfu.core.context_processors import _tour
from jinfu.core.models import User
from jinfu.core.modules import menu_for

ROLES = ["enterprise", "institution", "government", "regulator", "sector", "street", "admin"]


def _steps(body: str) -> list[tuple[str, str]]:
    return re.findall(r'data-tour-step data-target="([^"]+)" data-title="([^"]+)"', body)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_3_to_6_chinese_steps_on_its_own_menu(client, make_user, role, reference_data):
    user = make_user(role, tour=True)
    client.force_login(user)
    steps = _steps(client.get("/").content.decode())
    assert 3 <= len(steps) <= 6, steps
    menu = {reverse(name): str(label) for name, label in menu_for(role)}
    *menu_steps, last = steps
    for url, title in menu_steps:
        assert menu.get(url) == title, f"{role}: {title} is not in the menu"
    assert last == (reverse("help"), "帮助中心")
    body = client.get("/").content.decode()
    for text in re.findall(r"data-tour-step[^>]*>([^<]+)</li>", body):
        assert re.search(r"[\u4e00-\u9fff]", text) and len(text) < 60


def test_closed_for_good_and_reopened_from_the_help_centre(client, make_user, reference_data):
    user = make_user("enterprise", tour=True)
    client.force_login(user)
    assert _steps(client.get("/").content.decode())
    response = client.post(reverse("tour-dismiss"), {"next": "/"}, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 204
    assert User.objects.get(pk=user.pk).tour_dismissed_at is not None
    assert not _steps(client.get("/").content.decode())
    assert not _steps(client.get(reverse("help")).content.decode())
    help_page = client.get(reverse("help")).content.decode()
    assert 'href="/?tour=1" data-tour-reopen' in help_page
    assert _steps(client.get("/?tour=1").content.decode())


def test_plain_form_dismissal_redirects_only_inside_the_site(client, make_user):
    client.force_login(make_user("institution", tour=True))
    assert client.post(reverse("tour-dismiss"), {"next": "/help/"}).url == "/help/"
    assert client.post(reverse("tour-dismiss"), {"next": "https://evil.example/"}).url == "/"


def test_no_tour_in_htmx_fragments(rf, make_user):
    user = make_user("government", tour=True)
    request = rf.get("/", HTTP_HX_REQUEST="true")
    assert _tour(request, user, "government") == []
    assert _tour(rf.get("/"), user, "government")

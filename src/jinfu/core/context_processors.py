"""Navigation per role: each role sees the entries the installed modules declare for it (core.modules)."""

import functools
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

from .models import Role
from .modules import menu_for, tour_for


def _items(role: str, is_admin: bool):
    """The home page, then each installed module's entries for the role (declared in its contract)."""
    return [("home", _("首页")), *menu_for(Role.ADMIN if is_admin else role)]


@functools.lru_cache(maxsize=128)
def _menu(role: str, is_admin: bool, prefix: str, urlconf: str) -> tuple[tuple[str, Any], ...]:
    """(URL, label) of the role's menu: reversed once per process (and script prefix and URLconf), not on
    every page; the labels stay lazy, translated when the page renders."""
    out = []
    for name, label in _items(role, is_admin):
        try:
            out.append((reverse(name), label))
        except NoReverseMatch:  # a module whose pages are not installed in this deployment
            continue
    return tuple(out)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_admin = user.role == Role.ADMIN or user.is_superuser
    path = request.path
    urlconf = str(getattr(request, "urlconf", None) or settings.ROOT_URLCONF)
    nav = [
        {"url": url, "label": label, "active": False}
        for url, label in _menu(user.role, is_admin, get_script_prefix(), urlconf)
    ]
    # the active item is the longest menu URL that the current path starts with
    matches = [
        item for item in nav if path == item["url"] or (item["url"] != "/" and path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    from .models import Notification

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {
        "nav_items": nav,
        "tour_steps": _tour(request, user, Role.ADMIN if is_admin else user.role),
        "role_label": Role(Role.ADMIN if is_admin else user.role).label,
        "unread": unread,
    }


def _tour(request, user, role: str) -> list[dict]:
    """The first-login tour (新手引导): the role's main menu items, each with one sentence, then the help
    centre; shown until the user closes it, and again when asked for (``?tour=1``, from the help centre).
    Full pages only: htmx fragments and the error pages' partial renders carry no tour."""
    asked = request.GET.get("tour") == "1"
    if (user.tour_dismissed_at is not None and not asked) or request.headers.get("HX-Request"):
        return []
    steps = []
    for name, label, text in tour_for(role):
        try:
            steps.append({"url": reverse(name), "label": label, "text": text})
        except NoReverseMatch:
            continue
    steps.append(
        {
            "url": reverse("help"),
            "label": _("帮助中心"),
            "text": _("术语表、常见问题和联系方式；这份引导也可以在这里重新打开。"),
        }
    )
    return steps

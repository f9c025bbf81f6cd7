"""Navigation per role: each role sees the entries the installed modules declare for it (core.modules)."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Role
from .modules import menu_for


def _items(role: str, is_admin: bool):
    """The home page, then each installed module's entries for the role (declared in its contract)."""
    return [("home", _("首页")), *menu_for(Role.ADMIN if is_admin else role)]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_admin = user.role == Role.ADMIN or user.is_superuser
    path = request.path
    nav = []
    for name, label in _items(user.role, is_admin):
        try:
            url = reverse(name)
        except NoReverseMatch:  # a module whose pages are not installed in this deployment
            continue
        nav.append({"url": url, "label": label, "active": False})
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
        "role_label": Role(Role.ADMIN if is_admin else user.role).label,
        "unread": unread,
    }

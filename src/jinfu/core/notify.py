"""In-app notifications (站内通知): one kernel helper so that no notification links to a page its recipient
cannot open.

The caller declares which roles can open the link (``link_roles``); any other recipient gets the title and
body as plain text. Callers choose recipients who can act (e.g. government users, not regulators)."""

from __future__ import annotations

from collections.abc import Iterable

from .models import Notification, Role, User


def link_for(user: User, url: str, link_roles: Iterable[str] | None) -> str:
    """The link this recipient may follow: the URL when its role is allowed (or no roles are declared),
    else an empty string."""
    if not url or link_roles is None:
        return url
    if user.is_superuser or user.role == Role.ADMIN or user.role in set(link_roles):
        return url
    return ""


def notify(
    users: Iterable[User],
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    key: str = "",
    link_roles: Iterable[str] | None = None,
) -> int:
    """Create one notification per active recipient (once per ``key`` when given); returns how many."""
    roles = None if link_roles is None else tuple(link_roles)
    n = 0
    for user in users:
        if not user.is_active:
            continue
        if key and Notification.objects.filter(recipient=user, dedupe_key=key).exists():
            continue
        Notification.objects.create(
            recipient=user,
            kind=kind,
            title=title[:200],
            body=body,
            url=link_for(user, url, roles),
            dedupe_key=key,
        )
        n += 1
    return n

"""Writing security audit events (one place, used by signals, services and the admin)."""

from __future__ import annotations

from .models import SecurityEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    kind: str, *, user=None, username: str = "", ip: str | None = None, **detail
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        kind=kind,
        user=user if (user is not None and getattr(user, "pk", None)) else None,
        username=username or (getattr(user, "username", "") if user is not None else ""),
        ip_address=ip,
        detail=detail,
    )

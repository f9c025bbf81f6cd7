"""数据大屏 /screen/: the dark full-screen page and its panels fragment, which the page polls every minute
(htmx, no inline script). The panels come from the installed modules (core/screen.py)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from .screen import can_view_screen, panels_for, scope_label
from .web import page

REFRESH_SECONDS = 60

screen_view = page(guard=can_view_screen, guard_message="数据大屏仅对金融工作部门和平台管理员开放")


def _context(request) -> dict:
    return {
        "panels": panels_for(request.user),
        "scope": scope_label(request.user),
        "updated": timezone.localtime(),
        "refresh": REFRESH_SECONDS,
    }


@screen_view
def screen(request):
    return render(request, "core/screen.html", _context(request))


@screen_view
def panels(request):
    return render(request, "core/_screen_panels.html", _context(request))

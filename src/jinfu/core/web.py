"""Shared glue for pages and API handlers of every module (one place, not one copy per app).

- ``page``: login required; a ``Forbidden`` becomes 403, a ``NotFound`` 404; other JinfuErrors propagate to
  the view (which shows them as messages or form errors). ``page(guard=…)`` also refuses users the guard
  rejects.
- ``api_principal``: who is calling, refusing API keys that lack the endpoint's scope.
- API handlers call selectors and services directly: a JinfuError propagates to the API's one error
  handler (jinfu.core.api_errors), which answers with its status and a bilingual body naming the field
  and rule.
- ``api_rule_check`` and ``RuleCheckOut``: the rule editors' check-and-preview endpoints (an invalid rule
  is an answer, ``valid: false`` with the position; a refusal or rate limit is an HTTP error).

A JinfuError that a page does not handle itself becomes an error page with the error's status (422, 409…)
and both messages, never a 500.
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import render
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination

from .errors import Forbidden, JinfuError, ValidationFailed
from .principal import as_principal


def page(func=None, *, guard=None, guard_message: str = "无权访问 / not allowed"):
    def decorate(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if guard is not None and not guard(request.user):
                return HttpResponseForbidden(guard_message)
            try:
                return view(request, *args, **kwargs)
            except Forbidden as exc:
                return HttpResponseForbidden(f"{exc.message_zh} / {exc.message_en}")
            except JinfuError as exc:
                if exc.status == 404:
                    raise Http404(exc.message_zh) from exc
                return error_page(request, exc)

        return wrapper

    return decorate(func) if func is not None else decorate


def error_page(request, exc: JinfuError):
    """A page for a domain error the view did not show itself: its status and both messages."""
    return render(request, "core/error.html", {"error": exc}, status=exc.status)


def api_principal(request, scope: str):
    p = as_principal(request.auth)
    if not p.has_api_scope(scope):
        raise HttpError(403, f"API 密钥缺少权限 {scope} / API key lacks scope {scope}")
    return p


class DisclosureReasonOut(Schema):
    code: str
    message_zh: str
    message_en: str


class RuleCheckOut(Schema):
    """A rule check with its aggregate preview (jinfu.core.disclosure). Withheld values are null, with
    ``suppressed: true`` and the reasons."""

    valid: bool
    field: str | None = None
    code: str | None = None
    message_zh: str | None = None
    message_en: str | None = None
    start: int | None = None
    end: int | None = None
    qualifying: int | None = None
    total: int | None = None
    suppressed: bool = False
    scope: str = ""
    scope_label: str = ""
    upper_bound: bool = False
    private_fields: list[str] = []
    excluded_clauses: list[str] = []
    min_group_size: int | None = None
    reasons: list[DisclosureReasonOut] = []


def api_rule_check(fn, *args, **kwargs) -> dict:
    """Run a rule check-and-preview service: an invalid rule answers ``valid: false`` with its field,
    code, both messages and position; any other error (403, 429, …) is raised as an HttpError."""
    try:
        return {"valid": True, **fn(*args, **kwargs)}
    except ValidationFailed as exc:
        pos = getattr(exc, "position", None)
        return {
            "valid": False,
            **exc.as_dict(),
            "start": pos[0] if pos else None,
            "end": pos[1] if pos else None,
        }


MAX_OFFSET = 10**9  # beyond any table here; larger numbers overflow the database's integers (a 500 before)


class BoundedLimitOffset(LimitOffsetPagination):
    """limit 1–500 and offset 0–10^9, declared in the OpenAPI, checked before any query runs."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=500)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

"""One place where every API error becomes a 4xx with a bilingual body, and where the OpenAPI says so.

Handlers raise domain errors (``JinfuError``: ``ValidationFailed`` 422, ``Conflict`` 409, ``Forbidden`` 403,
``NotFound`` 404) or ninja's ``HttpError``; input that does not parse (ninja's ``ValidationError``) and a
missing login (``AuthenticationError``) come from ninja itself. Each becomes an ``ErrorOut`` body:
``{"detail", "code", "field", "message_zh", "message_en", "errors"}``. :func:`document_errors` adds the
401/403/404/409/422 (and 400) responses with that schema to every operation of the OpenAPI document.
"""

from __future__ import annotations

from django.db import DataError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from .errors import JinfuError

ERROR_STATUSES = {
    400: "请求无法解析 / Bad request",
    401: "未登录或 API 密钥无效 / Not authenticated or invalid API key",
    403: "无权执行该操作 / Forbidden",
    404: "对象不存在或无权查看 / Not found",
    409: "与当前状态冲突 / Conflict with the current state",
    422: "输入无效 / Invalid input",
    429: "请求过于频繁，请稍后再试 / Too many requests",
}
CODE_FOR_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "validation",
    429: "rate_limited",
}


class ErrorOut(Schema):
    detail: str
    code: str
    field: str | None = None
    message_zh: str
    message_en: str
    errors: list[dict] = []


def _body(status: int, message_zh: str, message_en: str, *, code: str | None = None, field=None, errors=None):
    return {
        "detail": f"{message_zh} / {message_en}",
        "code": code or CODE_FOR_STATUS.get(status, "error"),
        "field": field,
        "message_zh": message_zh,
        "message_en": message_en,
        "errors": errors or [],
    }


def _split(message: str) -> tuple[str, str]:
    """'中文 / English' → ('中文', 'English'); a one-language message serves for both."""
    zh, sep, en = message.partition(" / ")
    return (zh.strip(), en.strip()) if sep else (message, message)


def _jsonable_errors(errors) -> list[dict]:
    """ninja/pydantic errors carry the offending input and context, which may not be JSON-serializable."""
    out = []
    for e in errors:
        out.append(
            {
                "loc": [str(x) for x in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": e.get("type", ""),
            }
        )
    return out


def _field_of(loc: list[str]) -> str:
    """('body', 'payload', 'revenue') → 'revenue'; ('query', 'term') → 'term'."""
    parts = (
        loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form", "file") else loc
    )
    return ".".join(p for p in parts if p != "payload") or ".".join(loc)


def install_error_handlers(api) -> None:
    def respond(request, status: int, body: dict):
        return api.create_response(request, body, status=status)

    @api.exception_handler(JinfuError)
    def _domain(request, exc: JinfuError):
        errors = [
            {"loc": [pr.get("field") or ""], "msg": pr.get("message_en", ""), "type": pr.get("rule", "")}
            for pr in getattr(exc, "problems", None) or []
        ]
        return respond(
            request,
            exc.status,
            _body(exc.status, exc.message_zh, exc.message_en, code=exc.code, field=exc.field, errors=errors),
        )

    @api.exception_handler(HttpError)
    def _http(request, exc: HttpError):
        zh, en = _split(str(exc))
        if exc.status_code == 403 and "CSRF" in en:
            zh, en = "缺少或无效的 CSRF 令牌", "CSRF token missing or incorrect"
        return respond(request, exc.status_code, _body(exc.status_code, zh, en))

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return respond(request, 401, _body(401, *_split(ERROR_STATUSES[401])))

    @api.exception_handler(NinjaValidationError)
    def _invalid(request, exc: NinjaValidationError):
        errors = _jsonable_errors(exc.errors)
        where = ", ".join(_field_of(e["loc"]) for e in errors[:5])
        return respond(
            request,
            422,
            _body(422, f"输入无效：{where}", f"invalid input: {where}", field=where or None, errors=errors),
        )

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return respond(request, 404, _body(404, *_split(ERROR_STATUSES[404])))

    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def _out_of_range(request, exc):
        # a number the database cannot hold (offset=2**70, an id past BIGINT): the input is out of range
        return respond(request, 422, _body(422, "数值超出允许范围", "a number is out of range"))


def server_error(request):
    """handler500: when the database cannot be reached (stopped, network down) the answer is 503 with a
    plain Chinese page (or the JSON error body under /api/), rendered without touching the database;
    any other failure is Django's 500 page."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.http import HttpResponse
    from django.template.loader import render_to_string
    from django.views.defaults import server_error as default_server_error

    exc = sys.exc_info()[1]
    if not isinstance(exc, OperationalError | InterfaceError) or not _unreachable(exc):
        return default_server_error(request)
    if request.path == "/healthz":  # a middleware needed the database before the probe itself ran
        body = {"status": "degraded", "database": f"error: {exc.__class__.__name__}"}
        response = JsonResponse(body, status=503)
    elif request.path.startswith("/api/"):
        body = _body(503, "数据库暂时无法连接，请稍后重试", "database unavailable, retry later")
        response = JsonResponse(body, status=503)
    else:
        response = HttpResponse(render_to_string("core/unavailable.html"), status=503)
    response["Retry-After"] = "30"
    return response


def _unreachable(exc) -> bool:
    """A connection failure, not a failing statement (which stays a 500 so that it is fixed)."""
    from django.db import connection

    text = str(exc).lower()
    return connection.connection is None or any(
        s in text
        for s in (
            "connect",
            "unable to open database",
            "server closed",
            "terminating connection",
            "no connection",
        )
    )


def not_found(request, exception=None):
    """handler404: an unknown URL under /api/ answers with the JSON error body, pages with the 404 page
    (a path such as /api/v1/imports/-5/commit matches no route: ids are non-negative integers)."""
    if request.path.startswith("/api/"):
        return JsonResponse(_body(404, *_split(ERROR_STATUSES[404])), status=404)
    return page_not_found(request, exception)


def document_errors(schema: dict) -> dict:
    """Add the shared error responses to every operation of an OpenAPI document (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    ref = {"$ref": "#/components/schemas/Error"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
    return schema

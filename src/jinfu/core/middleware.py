from django.utils.deprecation import MiddlewareMixin


class RoleHomeMiddleware(MiddlewareMixin):
    """Expose the user's role on the request for templates and views (request.role)."""

    def process_request(self, request):
        user = getattr(request, "user", None)
        request.role = getattr(user, "role", None) if user is not None and user.is_authenticated else None


class ServerTimingMiddleware:
    """Adds `Server-Timing: app;dur=<ms>` (time spent in Django for this request), so page budgets can be
    measured from any client, the browser's network panel or bench/pages_bench.py."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import time

        start = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
        return response


class ErrorPageMiddleware:
    """Bare 403/404 answers of pages (a view's HttpResponseForbidden("中文 / English"), a guard's refusal) become
    the styled error page, in the reader's language, with the navigation and a way back. API and htmx
    responses are left as they are."""

    STATUSES = {403: "403.html", 404: "404.html"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        template = self.STATUSES.get(response.status_code)
        if template is None or getattr(response, "jinfu_error_page", False) or self._skip(request, response):
            return response
        from django.shortcuts import render

        text = response.content.decode(response.charset or "utf-8", "replace").strip()
        page = render(request, template, error_context(text), status=response.status_code)
        page.jinfu_error_page = True
        return page

    @staticmethod
    def _skip(request, response) -> bool:
        content_type = response.get("Content-Type", "")
        return (
            request.path.startswith(("/api/", "/admin/", "/static/"))
            or request.headers.get("HX-Request") == "true"
            or not content_type.startswith(("text/html", "text/plain"))
            or "<html" in response.content[:512].decode("utf-8", "replace").lower()
        )


def error_context(text: str) -> dict:
    """The message of a bare error answer, split into its Chinese and English halves ("中文 / English")."""
    zh, _, en = text.partition(" / ")
    return {"message_zh": zh.strip(), "message_en": en.strip()}

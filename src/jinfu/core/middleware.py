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

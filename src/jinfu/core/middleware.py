from django.utils.deprecation import MiddlewareMixin


class RoleHomeMiddleware(MiddlewareMixin):
    """Expose the user's role on the request for templates and views (request.role)."""

    def process_request(self, request):
        user = getattr(request, "user", None)
        request.role = getattr(user, "role", None) if user is not None and user.is_authenticated else None

"""The root URLconf: the kernel's own pages, then every installed module's pages (from its contract)."""

from django.contrib import admin
from django.urls import include, path

from jinfu.api import api
from jinfu.core import observability, views, views_help, views_screen
from jinfu.core.api_errors import not_found, server_error
from jinfu.core.modules import contracts

handler404 = not_found
handler500 = server_error  # 503 with a plain page while the database is unreachable

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", observability.metrics, name="metrics"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("help/", views_help.help_page, name="help"),
    path("screen/", views_screen.screen, name="screen"),
    path("screen/panels/", views_screen.panels, name="screen-panels"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("orgs/", include("jinfu.core.urls")),
    path("imports/", include("jinfu.core.imports.urls")),
    path("attachments/", include("jinfu.core.urls_attachments")),
    *(path(c.url_prefix, include(c.urls)) for _, c in contracts() if c.urls),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

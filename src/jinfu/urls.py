from django.contrib import admin
from django.urls import include, path

from jinfu.api import api
from jinfu.core import views
from jinfu.core.api_errors import not_found

handler404 = not_found

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("orgs/", include("jinfu.core.urls")),
    path("imports/", include("jinfu.core.imports.urls")),
    path("brain/", include("jinfu.brain.urls")),
    path("financing/", include("jinfu.financing.urls")),
    path("policy/", include("jinfu.policy.urls")),
    path("listing/", include("jinfu.listing.urls")),
    path("credit/", include("jinfu.credit.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

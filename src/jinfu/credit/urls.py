from django.urls import include, path

from . import views

app_name = "credit"
urlpatterns = [
    path("profile/", views.own_profile, name="profile"),
    path("profile/<int:enterprise_id>/", views.enterprise_profile, name="enterprise_profile"),
    path("distribution/", views.distribution, name="distribution"),
    path("template/<str:source>.csv", views.template, name="template"),
    path("", include("jinfu.credit.scoring.urls")),
]

from django.urls import path

from . import views

app_name = "risk"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("warnings/", views.warning_list, name="warnings"),
    path("firms/<int:enterprise_id>/", views.firm, name="firm"),
    path("firms/<int:enterprise_id>/override/", views.override, name="override"),
    path("clusters/", views.cluster_list, name="clusters"),
    path("imports/", views.import_page, name="imports"),
    path("imports/template/<str:kind>.csv", views.import_template, name="import_template"),
    path("recompute/", views.recompute, name="recompute"),
]

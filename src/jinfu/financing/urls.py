from django.urls import path

from . import views

app_name = "financing"
urlpatterns = [
    path("", views.market, name="market"),
    path("products/<int:pk>/", views.product_detail, name="product"),
    path("products/<int:pk>/apply/", views.apply, name="apply"),
    path("match/", views.match, name="match"),
    path("applications/", views.applications, name="applications"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("demands/", views.demands, name="demands"),
    path("hall/", views.hall, name="hall"),
    path("hall/<int:pk>/claim/", views.claim, name="claim"),
    path("workbench/", views.workbench, name="workbench"),
    path("workbench/products/new/", views.product_edit, name="product-new"),
    path("workbench/products/<int:pk>/edit/", views.product_edit, name="product-edit"),
    path("workbench/products/<int:pk>/status/", views.product_status, name="product-status"),
    path("workbench/rule-check/", views.rule_check, name="rule-check"),
    path("kpis/", views.kpi_page, name="kpis"),
    path("funds/", views.funds, name="funds"),
    path("roadshows/", views.roadshows, name="roadshows"),
    path("roadshows/<int:pk>/", views.roadshow_detail, name="roadshow"),
    path("events/<int:pk>/register/", views.event_register, name="event-register"),
]

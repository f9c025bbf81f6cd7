from django.urls import path

from . import views

app_name = "listing"
urlpatterns = [
    path("readiness/", views.readiness, name="readiness"),
    path("readiness/<int:pk>/", views.readiness, name="readiness-of"),
    path("financials/", views.financials, name="financials"),
    path("milestones/", views.milestones, name="milestones"),
    path("milestones/<int:pk>/", views.milestones, name="milestones-of"),
    path("reserve/", views.reserve, name="reserve"),
    path("reserve/nominate/", views.nominate, name="nominate"),
    path("reserve/reevaluate/", views.reevaluate, name="reevaluate"),
    path("reserve/<int:pk>/", views.entry_detail, name="entry"),
    path("reserve/<int:pk>/decide/", views.decide, name="decide"),
    path("funnel/", views.funnel, name="funnel"),
    path("standards/", views.standards, name="standards"),
]

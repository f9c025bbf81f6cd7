from django.urls import path

from . import views

app_name = "green"
urlpatterns = [
    path("", views.home, name="home"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/", views.notice, name="notice"),
    path("notices/<int:pk>/publish/", views.notice_publish, name="notice-publish"),
    path("notices/<int:pk>/withdraw/", views.notice_withdraw, name="notice-withdraw"),
    path("projects/", views.mine, name="mine"),
    path("projects/import/", views.import_projects, name="import"),
    path("projects/<int:pk>/", views.project, name="project"),
    path("projects/<int:pk>/decide/", views.decide, name="decide"),
    path("projects/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("projects/<int:pk>/tier/", views.tier, name="tier"),
    path("projects/<int:pk>/claim/", views.claim, name="claim"),
    path("loans/<int:pk>/", views.loan, name="loan"),
    path("hall/", views.hall, name="hall"),
    path("overview/", views.overview, name="overview"),
    path("catalogues/", views.catalogues, name="catalogues"),
    path("reports/", views.reports, name="reports"),
    path("reports/import/", views.import_reports, name="reports-import"),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/<int:pk>/qualitative/", views.qualitative, name="qualitative"),
]

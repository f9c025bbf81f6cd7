from django.urls import path

from . import views

app_name = "brain"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("plans/<str:code>/", views.plan_detail, name="plan"),
    path("indicators/<str:code>/", views.indicator_detail, name="indicator"),
    path("indicators/<str:code>/feed/", views.indicator_feed, name="indicator-feed"),
    path("indicators/<str:code>/feed/refresh/", views.indicator_feed_refresh, name="indicator-feed-refresh"),
    path("actuals/import/", views.actuals_import, name="actuals-import"),
    path("compare/", views.compare, name="compare"),
    path("index/", views.index, name="index"),
    path("tasks/", views.task_board, name="tasks"),
    path("tasks/refresh/", views.refresh_tasks, name="tasks-refresh"),
    path("tasks/<str:code>/", views.task_detail, name="task"),
    path("tasks/<str:code>/assign/", views.task_assign, name="task-assign"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:pk>/<str:fmt>/", views.report_download, name="report-download"),
]

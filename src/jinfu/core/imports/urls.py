from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("template/<str:kind>.<str:fmt>", views.template_download, name="template"),
    path("<int:job_id>/", views.job_detail, name="job"),
    path("<int:job_id>/progress", views.job_progress, name="progress"),
    path("<int:job_id>/commit", views.job_commit, name="commit"),
    path("<int:job_id>/retry", views.job_retry, name="retry"),
]

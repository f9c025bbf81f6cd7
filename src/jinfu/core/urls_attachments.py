from django.urls import path

from . import views_attachments

urlpatterns = [
    path("<int:pk>/", views_attachments.download, name="attachment"),
    path("<str:owner>/<int:object_id>/", views_attachments.upload, name="attachment-upload"),
]

"""Included by ``jinfu.credit.urls``: ``path("", include("jinfu.credit.scoring.urls"))`` → /credit/models/…"""

from django.urls import path

from . import views

app_name = "credit_scoring"
urlpatterns = [
    path("models/", views.model_list, name="models"),
    path("models/retrain/", views.retrain, name="retrain"),
    path("models/<int:pk>/report/", views.model_report, name="report"),
    path("models/<int:pk>/activate/", views.activate, name="activate"),
    path("models/<int:pk>/retire/", views.retire, name="retire"),
]

from django.urls import path

from . import views

app_name = "policy"
urlpatterns = [
    path("", views.library, name="library"),
    path("<int:pk>/", views.policy_detail, name="policy"),
    path("mine/", views.mine, name="mine"),
    path("items/<int:pk>/claim/", views.claim, name="claim"),
    path("claims/", views.claims, name="claims"),
    path("claims/<int:pk>/", views.claim_detail, name="claim-detail"),
    path("review/", views.review, name="review"),
    path("publicity/", views.publicity, name="publicity"),
    path("ledger/", views.ledger, name="ledger"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("manage/", views.manage, name="manage"),
    path("manage/policies/new/", views.policy_edit, name="policy-new"),
    path("manage/policies/<int:pk>/edit/", views.policy_edit, name="policy-edit"),
    path("manage/policies/<int:policy_pk>/items/new/", views.item_edit, name="item-new"),
    path("manage/policies/<int:policy_pk>/items/<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("manage/items/<int:pk>/push/", views.push, name="push"),
    path("manage/rule-check/", views.rule_check, name="rule-check"),
]

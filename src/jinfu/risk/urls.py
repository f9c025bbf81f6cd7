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
    path("cases/", views.case_board, name="cases"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/step/", views.case_step, name="case_step"),
    path("cases/<int:case_id>/tasks/", views.case_task_add, name="case_task_add"),
    path("cases/<int:case_id>/tasks/<int:task_id>/done/", views.case_task_done, name="case_task_done"),
    path("cases/<int:case_id>/notes/", views.case_note_add, name="case_note_add"),
    path("firms/<int:enterprise_id>/open-case/", views.case_open, name="case_open"),
    path("routing/", views.routing, name="routing"),
    path("local-finance/", views.local_finance, name="local_finance"),
    path("local-finance/<int:org_id>/", views.local_finance_org, name="local_finance_org"),
    path("local-finance/<int:org_id>/address/", views.local_finance_address, name="local_finance_address"),
    path("tipoff/", views.tipoff, name="tipoff"),
    path("tipoff/status/", views.tipoff_status, name="tipoff_status"),
]

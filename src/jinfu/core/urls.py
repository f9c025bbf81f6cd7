from django.urls import path

from . import views, views_calendar

urlpatterns = [
    path("", views.org_list, name="org-list"),
    path("<int:pk>/", views.org_detail, name="org-detail"),
    path("<int:pk>/edit/", views.enterprise_form, name="enterprise-edit"),
    path("<int:pk>/certifications/", views.tag_certifications, name="tag-certifications"),
    path("enterprises/new/", views.enterprise_form, name="enterprise-new"),
    path("consent/", views.consent, name="consent"),
    path("consent/<int:pk>/revoke/", views.consent_revoke, name="consent-revoke"),
    path("access-log/", views.access_log, name="access-log"),
    path("api-keys/", views.api_keys, name="api-keys"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api-key-revoke"),
    path("audit/", views.audit, name="audit"),
    path("notifications/", views.notifications, name="notifications"),
    path("tour/dismiss/", views.tour_dismiss, name="tour-dismiss"),
    path("calendar/", views_calendar.calendar, name="calendar"),
]

"""Security audit: logins, logouts, failed logins and lockouts; model-change audit via django-auditlog."""

from auditlog.registry import auditlog
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import models
from .audit import client_ip, record_event

auditlog.register(models.EnterpriseProfile, mask_fields=["legal_rep_id_number"])
for model in (
    models.Organization,
    models.InstitutionProfile,
    models.Grant,
    models.ApiKey,
    models.Tag,
    models.TagCertification,
    models.DeclaredFact,
):
    auditlog.register(model)
auditlog.register(models.HolidayNotice)
auditlog.register(models.User, exclude_fields=["password", "last_login"])


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    record_event(models.SecurityEvent.Kind.LOGIN, user=user, ip=client_ip(request))


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(models.SecurityEvent.Kind.LOGOUT, user=user, ip=client_ip(request))


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    record_event(
        models.SecurityEvent.Kind.LOGIN_FAILED,
        username=(credentials or {}).get("username", ""),
        ip=client_ip(request),
    )


@receiver(user_locked_out)
def _on_lockout(sender, request, username=None, ip_address=None, **kwargs):
    record_event(models.SecurityEvent.Kind.LOCKOUT, username=username or "", ip=ip_address)

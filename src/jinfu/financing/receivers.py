"""Financing listens to kernel signals: SLA timers follow a newly entered holiday notice."""

from django.dispatch import receiver

from jinfu.core.services_calendar import calendar_changed, event_start, recompute_timers

from .models import Application


@receiver(calendar_changed)
def _recount_application_timers(sender, year, old, new, **kwargs):
    recompute_timers(Application.objects.all(), lambda a: event_start(a.events), year=year, old=old, new=new)

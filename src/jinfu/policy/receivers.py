"""Policy listens to kernel signals: review and publicity timers follow a newly entered holiday notice."""

from django.dispatch import receiver

from jinfu.core.services_calendar import calendar_changed, event_start, recompute_timers

from .models import Claim


@receiver(calendar_changed)
def _recount_claim_timers(sender, year, old, new, **kwargs):
    recompute_timers(
        Claim.objects.all(),
        lambda c: event_start(c.events),
        year=year,
        old=old,
        new=new,
        also=("publicity_until",),
    )

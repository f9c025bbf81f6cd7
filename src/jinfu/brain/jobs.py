"""The brain's scheduled jobs (module contract: schedules)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .services import refresh_feeds, refresh_task_statuses


def daily_task_check(now: dt.datetime) -> str:
    """Recompute every open supervision task's status; newly overdue tasks alert their owners once."""
    stats = refresh_task_statuses(timezone.localdate())  # today, also when catching up a missed night
    return " ".join(f"{k}={v}" for k, v in stats.items())


def daily_feed_refresh(now: dt.datetime) -> str:
    """Indicators bound to platform data: the year to yesterday (full days; on 1 January the year that
    ended), written as that year's actual when the value changed."""
    as_of = timezone.localtime(now).date() - dt.timedelta(days=1)
    return " ".join(f"{k}={v}" for k, v in refresh_feeds(as_of=as_of).items())

"""The brain's scheduled jobs (module contract: schedules)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .services import refresh_task_statuses


def daily_task_check(now: dt.datetime) -> str:
    """Recompute every open supervision task's status; newly overdue tasks alert their owners once."""
    stats = refresh_task_statuses(timezone.localdate())  # today, also when catching up a missed night
    return " ".join(f"{k}={v}" for k, v in stats.items())

"""Reads of the working-day calendar: the entered schedule (cached per process), the per-year overview the
operators see, and the December alert while next year's notice is missing."""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.utils import timezone

from .models_calendar import HolidayDay, HolidayNotice
from .reference import workdays

CACHE_SECONDS = 30  # other processes pick up a newly entered notice within this time
_lock = threading.Lock()
_cached: tuple[float, workdays.EnteredSchedule] | None = None


def _active_notices():
    """The newest active version of each year's notice."""
    latest: dict[int, HolidayNotice] = {}
    for n in HolidayNotice.objects.filter(active=True).order_by("year", "-version"):
        latest.setdefault(n.year, n)
    return latest


def load_schedule() -> workdays.EnteredSchedule:
    notices = _active_notices()
    days = {
        d.date: d.kind == HolidayDay.Kind.WORKDAY
        for d in HolidayDay.objects.filter(notice__in=list(notices.values()))
    }
    return workdays.EnteredSchedule(years=frozenset(notices), days=days)


def current_schedule() -> workdays.EnteredSchedule:
    """The entered schedule, read at most every CACHE_SECONDS per process (an empty one before migrations)."""
    global _cached
    now = time.monotonic()
    with _lock:
        if _cached is not None and now - _cached[0] < CACHE_SECONDS:
            return _cached[1]
    try:
        schedule = load_schedule()
    except Exception:  # noqa: BLE001  (table missing before migrate, or no database in a pure context)
        return workdays.EMPTY
    with _lock:
        _cached = (now, schedule)
    return schedule


def invalidate() -> None:
    global _cached
    with _lock:
        _cached = None


def missing_next_year(today: dt.date | None = None) -> int | None:
    """The coming year when it is December and its holiday schedule is not known yet; otherwise None."""
    today = today or timezone.localdate()
    year = today.year + 1
    if today.month == 12 and not workdays.known(year):
        return year
    return None


def overview(today: dt.date | None = None) -> list[dict]:
    """One row per year from the package's first year to next year: where its working days come from."""
    today = today or timezone.localdate()
    notices = _active_notices()
    rows = []
    for year in range(workdays.FIRST_YEAR, today.year + 2):
        notice = notices.get(year)
        in_package = workdays.package_knows(year)
        conflicts = (
            workdays.conflicts(workdays.EnteredSchedule(frozenset([year]), _days_of(notice)))
            if notice and in_package
            else []
        )
        rows.append(
            {
                "year": year,
                "notice": notice,
                "in_package": in_package,
                "known": in_package or notice is not None,
                "conflicts": conflicts,
            }
        )
    return rows[::-1]


def _days_of(notice: HolidayNotice) -> dict[dt.date, bool]:
    return {d.date: d.kind == HolidayDay.Kind.WORKDAY for d in notice.days.all()}

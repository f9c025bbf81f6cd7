"""Chinese working days (statutory holidays and 调休 make-up days) on top of ``chinese_calendar`` — pure Python.

``chinese_calendar`` 1.11.0 ships the State Council holiday notices for 2004-2026 only (its own check raises
``NotImplementedError`` outside that range). We re-raise as :class:`WorkdayDataUnavailable` with a clear message:
a new year's notice (国务院办公厅关于YYYY年部分节假日安排的通知) is usually published in November/December; upgrade
``chinese-calendar`` in pyproject.toml when it is.

Example (verified against 国务院办公厅关于2025年部分节假日安排的通知, 2024-11-12, via the search tool, e.g.
https://m.gmw.cn/2024-11/12/content_1303894933.htm): 春节 1月28日至2月4日放假调休，1月26日（周日）、2月8日（周六）上班；
国庆节、中秋节 10月1日至8日放假调休，9月28日（周日）、10月11日（周六）上班.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from chinese_calendar import constants as _cc_constants

FIRST_YEAR: int = min(_cc_constants.holidays).year
LAST_YEAR: int = max(_cc_constants.holidays).year


class WorkdayDataUnavailable(ValueError):
    """The date lies outside the years for which the official holiday schedule is known."""


def _as_date(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if not isinstance(value, dt.date):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return value


def _check(day: dt.date) -> dt.date:
    day = _as_date(day)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise WorkdayDataUnavailable(
            f"{day.isoformat()}：法定节假日数据仅覆盖{FIRST_YEAR}–{LAST_YEAR}年（chinese-calendar "
            f"{getattr(chinese_calendar, '__version__', '?')}），无法计算工作日；请升级 chinese-calendar。"
            f" / No holiday schedule for {day.year}: only {FIRST_YEAR}-{LAST_YEAR} are known."
        )
    return day


def is_estimated(day: dt.date) -> bool:
    """True for a date after the last year whose holiday schedule is known (its working days are estimated)."""
    return _as_date(day).year > LAST_YEAR


def _workday(day: dt.date, estimate: bool) -> bool:
    if estimate and is_estimated(day):
        return day.weekday() < 5  # schedule not yet published: Monday to Friday, no holidays known
    return chinese_calendar.is_workday(_check(day))


def is_workday(day: dt.date, *, estimate: bool = False) -> bool:
    """True on a working day: Mon-Fri that is not a statutory holiday, or a weekend 调休 make-up day.

    With ``estimate=True`` a date after the last published schedule counts Monday to Friday as working
    days instead of raising (SLA timers use this and show the date as an estimate, see is_estimated)."""
    return _workday(_as_date(day), estimate)


def add_workdays(start: dt.date, n: int, *, estimate: bool = False) -> dt.date:
    """The date that is ``n`` working days after ``start`` (``start`` itself is not counted).

    ``n == 0`` returns ``start`` unchanged; negative ``n`` counts backwards. ``estimate``: see is_workday.
    """
    day = _as_date(start) if estimate else _check(start)
    if n == 0:
        return day
    step = dt.timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day = day + step
        if _workday(day, estimate):
            remaining -= 1
    return day


def workdays_between(start: dt.date, end: dt.date, *, estimate: bool = False) -> int:
    """Working days in the half-open interval (start, end]: how many working days pass from start to end.

    Consistent with :func:`add_workdays`: ``workdays_between(d, add_workdays(d, n)) == n`` for n >= 0.
    Negative when ``end`` is before ``start``.
    """
    start, end = (_as_date(start), _as_date(end)) if estimate else (_check(start), _check(end))
    if end < start:
        return -workdays_between(end, start, estimate=estimate)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if _workday(day, estimate):
            count += 1
    return count

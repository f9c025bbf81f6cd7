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


def is_workday(day: dt.date) -> bool:
    """True on a working day: Mon-Fri that is not a statutory holiday, or a weekend 调休 make-up day."""
    return chinese_calendar.is_workday(_check(day))


def add_workdays(start: dt.date, n: int) -> dt.date:
    """The date that is ``n`` working days after ``start`` (``start`` itself is not counted).

    ``n == 0`` returns ``start`` unchanged; negative ``n`` counts backwards.
    """
    day = _check(start)
    if n == 0:
        return day
    step = dt.timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day = _check(day + step)
        if chinese_calendar.is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in the half-open interval (start, end]: how many working days pass from start to end.

    Consistent with :func:`add_workdays`: ``workdays_between(d, add_workdays(d, n)) == n`` for n >= 0.
    Negative when ``end`` is before ``start``.
    """
    start, end = _check(start), _check(end)
    if end < start:
        return -workdays_between(end, start)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            count += 1
    return count

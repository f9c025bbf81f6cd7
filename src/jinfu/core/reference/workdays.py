"""Chinese working days (statutory holidays and 调休 make-up days) on top of ``chinese_calendar`` — pure Python.

``chinese_calendar`` 1.11.0 ships the State Council holiday notices for 2004-2026 only (its own check raises
``NotImplementedError`` outside that range). We re-raise as :class:`WorkdayDataUnavailable` with a clear message:
a new year's notice (国务院办公厅关于YYYY年部分节假日安排的通知) is usually published in November/December; upgrade
``chinese-calendar`` in pyproject.toml when it is.

Years the package does not know (and corrections to years it does) come from an entered schedule: the operator
types in the State Council notice (放假安排, with its number and date) and the Django side hands it to this module
through :func:`set_schedule_provider` as an :class:`EnteredSchedule`. Precedence, per date: an entered year wins
(its listed days, other days Monday to Friday); otherwise the package for the years it knows; otherwise an
estimate (Monday to Friday) when the caller asks for one, or :class:`WorkdayDataUnavailable`.

Example (verified against 国务院办公厅关于2025年部分节假日安排的通知, 2024-11-12, via the search tool, e.g.
https://m.gmw.cn/2024-11/12/content_1303894933.htm): 春节 1月28日至2月4日放假调休，1月26日（周日）、2月8日（周六）上班；
国庆节、中秋节 10月1日至8日放假调休，9月28日（周日）、10月11日（周六）上班.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import chinese_calendar
from chinese_calendar import constants as _cc_constants

FIRST_YEAR: int = min(_cc_constants.holidays).year
LAST_YEAR: int = max(_cc_constants.holidays).year


@dataclass(frozen=True)
class EnteredSchedule:
    """Working-day schedules entered by an operator: for each entered year, the dates that differ from the
    Monday-to-Friday week (``False`` = statutory holiday, ``True`` = weekend make-up working day, 调休上班)."""

    years: frozenset[int] = frozenset()
    days: dict[dt.date, bool] = field(default_factory=dict)

    def knows(self, year: int) -> bool:
        return year in self.years

    def is_workday(self, day: dt.date) -> bool:
        return self.days.get(day, day.weekday() < 5)


EMPTY = EnteredSchedule()
_provider: Callable[[], EnteredSchedule] = lambda: EMPTY  # noqa: E731


def set_schedule_provider(provider: Callable[[], EnteredSchedule]) -> None:
    """Install the function that returns the entered schedule (the Django side caches it)."""
    global _provider
    _provider = provider


def entered() -> EnteredSchedule:
    return _provider()


def package_knows(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def known(year: int) -> bool:
    """True when the working days of ``year`` are known (from the package or an entered notice)."""
    return package_knows(year) or entered().knows(year)


def conflicts(schedule: EnteredSchedule) -> list[tuple[dt.date, bool, bool]]:
    """Days of an entered year the package also knows where the two disagree: (day, entered, package)."""
    out = []
    for year in sorted(schedule.years):
        if not package_knows(year):
            continue
        day = dt.date(year, 1, 1)
        while day.year == year:
            mine, theirs = schedule.is_workday(day), chinese_calendar.is_workday(day)
            if mine != theirs:
                out.append((day, mine, theirs))
            day += dt.timedelta(days=1)
    return out


class WorkdayDataUnavailable(ValueError):
    """The date lies outside the years for which the official holiday schedule is known."""


def _as_date(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if not isinstance(value, dt.date):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return value


def _check(day: dt.date, schedule: EnteredSchedule | None = None) -> dt.date:
    day = _as_date(day)
    if not (package_knows(day.year) or (schedule or entered()).knows(day.year)):
        raise WorkdayDataUnavailable(
            f"{day.isoformat()}：{day.year}年的法定节假日安排尚未录入（chinese-calendar "
            f"{getattr(chinese_calendar, '__version__', '?')} 覆盖 {FIRST_YEAR}–{LAST_YEAR} 年），无法计算工作日；"
            f"请运营人员在后台录入国务院办公厅的放假安排。"
            f" / No holiday schedule for {day.year}: the package knows {FIRST_YEAR}-{LAST_YEAR} and no notice "
            f"for {day.year} has been entered."
        )
    return day


def is_estimated(day: dt.date) -> bool:
    """True for a date whose year's holiday schedule is not known (its working days are estimated)."""
    return not known(_as_date(day).year)


def _workday(day: dt.date, estimate: bool, schedule: EnteredSchedule | None = None) -> bool:
    schedule = schedule or entered()
    if schedule.knows(day.year):
        return schedule.is_workday(day)  # an entered notice wins over the package
    if estimate and not package_knows(day.year):
        return day.weekday() < 5  # schedule not yet published: Monday to Friday, no holidays known
    return chinese_calendar.is_workday(_check(day, schedule))


def is_workday(day: dt.date, *, estimate: bool = False) -> bool:
    """True on a working day: Mon-Fri that is not a statutory holiday, or a weekend 调休 make-up day.

    With ``estimate=True`` a date after the last published schedule counts Monday to Friday as working
    days instead of raising (SLA timers use this and show the date as an estimate, see is_estimated)."""
    return _workday(_as_date(day), estimate)


def add_workdays(
    start: dt.date, n: int, *, estimate: bool = False, schedule: EnteredSchedule | None = None
) -> dt.date:
    """The date that is ``n`` working days after ``start`` (``start`` itself is not counted).

    ``n == 0`` returns ``start`` unchanged; negative ``n`` counts backwards. ``estimate``: see is_workday.
    ``schedule``: the entered schedule to use instead of the installed one (to recompute a due date).
    """
    schedule = schedule or entered()
    day = _as_date(start) if estimate else _check(start, schedule)
    if n == 0:
        return day
    step = dt.timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day = day + step
        if _workday(day, estimate, schedule):
            remaining -= 1
    return day


def workdays_between(
    start: dt.date, end: dt.date, *, estimate: bool = False, schedule: EnteredSchedule | None = None
) -> int:
    """Working days in the half-open interval (start, end]: how many working days pass from start to end.

    Consistent with :func:`add_workdays`: ``workdays_between(d, add_workdays(d, n)) == n`` for n >= 0.
    Negative when ``end`` is before ``start``.
    """
    schedule = schedule or entered()
    if estimate:
        start, end = _as_date(start), _as_date(end)
    else:
        start, end = _check(start, schedule), _check(end, schedule)
    if end < start:
        return -workdays_between(end, start, estimate=estimate, schedule=schedule)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if _workday(day, estimate, schedule):
            count += 1
    return count


def recompute_due(start: dt.date, due: dt.date, old: EnteredSchedule, new: EnteredSchedule) -> dt.date:
    """A due date that was counted from ``start`` under the ``old`` schedule, counted again under ``new``
    (same number of working days): SLA timers follow a newly entered holiday notice."""
    n = workdays_between(start, due, estimate=True, schedule=old)
    return add_workdays(start, n, estimate=True, schedule=new)

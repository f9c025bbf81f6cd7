"""Working days. Expected dates come from 国务院办公厅关于2025年部分节假日安排的通知 (2024-11-12):
春节 1月28日（周二）至2月4日（周二）放假调休，1月26日（周日）、2月8日（周六）上班；
国庆节、中秋节 10月1日（周三）至8日（周三）放假调休，9月28日（周日）、10月11日（周六）上班."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jinfu.core.reference.workdays import (
    FIRST_YEAR,
    LAST_YEAR,
    WorkdayDataUnavailable,
    add_workdays,
    is_workday,
    workdays_between,
)

D = dt.date


@pytest.mark.parametrize("day", [D(2025, 1, 26), D(2025, 2, 8), D(2025, 9, 28), D(2025, 10, 11)])
def test_weekend_make_up_days_are_workdays(day):
    assert day.weekday() >= 5  # Saturday or Sunday
    assert is_workday(day)


@pytest.mark.parametrize("day", [D(2025, 1, 28) + dt.timedelta(days=i) for i in range(8)])
def test_spring_festival_2025_is_off(day):
    assert not is_workday(day)


@pytest.mark.parametrize("day", [D(2025, 10, 1) + dt.timedelta(days=i) for i in range(8)])
def test_national_day_2025_is_off(day):
    assert not is_workday(day)


def test_ordinary_days():
    assert is_workday(D(2025, 2, 5))  # Wednesday after the holiday
    assert not is_workday(D(2025, 2, 9))  # plain Sunday
    assert is_workday(dt.datetime(2025, 3, 3, 9, 30))  # datetimes are accepted


def test_add_workdays_across_spring_festival():
    start = D(2025, 1, 24)  # Friday
    assert add_workdays(start, 1) == D(2025, 1, 26)  # Sunday make-up day
    assert add_workdays(start, 2) == D(2025, 1, 27)
    assert add_workdays(start, 3) == D(2025, 2, 5)  # after 28 Jan - 4 Feb
    assert add_workdays(D(2025, 2, 5), 3) == D(2025, 2, 8)  # Thu 6, Fri 7, Sat 8 (make-up)
    assert add_workdays(D(2025, 2, 5), 0) == D(2025, 2, 5)
    assert add_workdays(D(2025, 2, 5), -1) == D(2025, 1, 27)


def test_add_workdays_across_national_day():
    start = D(2025, 9, 26)  # Friday
    assert add_workdays(start, 1) == D(2025, 9, 28)  # Sunday make-up day
    assert add_workdays(start, 3) == D(2025, 9, 30)
    assert add_workdays(start, 4) == D(2025, 10, 9)  # after 1-8 Oct
    assert add_workdays(start, 6) == D(2025, 10, 11)  # Saturday make-up day
    assert add_workdays(start, 7) == D(2025, 10, 13)


def test_workdays_between():
    assert workdays_between(D(2025, 1, 27), D(2025, 2, 5)) == 1
    assert workdays_between(D(2025, 9, 26), D(2025, 10, 13)) == 7
    assert workdays_between(D(2025, 10, 13), D(2025, 9, 26)) == -7
    assert workdays_between(D(2025, 3, 3), D(2025, 3, 3)) == 0


@settings(max_examples=100, deadline=None)
@given(
    start=st.dates(min_value=D(2024, 1, 1), max_value=D(2025, 12, 1)),
    n=st.integers(min_value=0, max_value=40),
)
def test_between_inverts_add(start, n):
    assert workdays_between(start, add_workdays(start, n)) == n


def test_known_years_and_clear_error_outside_them():
    assert FIRST_YEAR == 2004 and LAST_YEAR >= 2026
    with pytest.raises(WorkdayDataUnavailable, match=str(LAST_YEAR + 1)):
        is_workday(D(LAST_YEAR + 1, 3, 1))
    with pytest.raises(WorkdayDataUnavailable):
        add_workdays(D(LAST_YEAR, 12, 28), 10)  # runs into the unknown year
    with pytest.raises(WorkdayDataUnavailable):
        workdays_between(D(2003, 12, 1), D(2004, 1, 5))


def test_estimate_mode_counts_monday_to_friday_after_the_known_schedule():
    """SLA timers must not stop at the end of the published schedule: past LAST_YEAR, working days are
    estimated as Monday to Friday (no holidays known yet) and flagged by is_estimated."""
    import datetime as dt

    from jinfu.core.reference.workdays import LAST_YEAR, add_workdays, is_estimated, workdays_between

    friday = dt.date(LAST_YEAR + 1, 1, 1)
    while friday.weekday() != 4:
        friday += dt.timedelta(days=1)
    assert is_estimated(friday) and not is_estimated(dt.date(LAST_YEAR, 6, 1))
    # Friday + 1 working day = the next Monday; + 5 = the next Friday
    assert add_workdays(friday, 1, estimate=True) == friday + dt.timedelta(days=3)
    assert add_workdays(friday, 5, estimate=True) == friday + dt.timedelta(days=7)
    assert workdays_between(friday, friday + dt.timedelta(days=7), estimate=True) == 5
    # across the boundary: the last days of the known year still follow the official schedule
    last = dt.date(LAST_YEAR, 12, 31)
    assert add_workdays(last - dt.timedelta(days=10), 10, estimate=True) > last

"""Working-day calendar as reference data: operators enter a year's holiday notice (form, file, CLI); the
entered table wins over chinese-calendar, years nobody knows are estimated Monday to Friday, open SLA timers
are counted again, and operators are reminded in December while next year is missing.

The 2027 notice used here is a test fixture (the real notice is whatever the State Council publishes), so it
is named 测试 throughout."""

import datetime as dt

import pytest
import time_machine

from jinfu.core import selectors_calendar, services_calendar
from jinfu.core.errors import Forbidden, ValidationFailed
from jinfu.core.models import HolidayNotice, Notification, SecurityEvent
from jinfu.core.reference import workdays
from jinfu.core.reference.workdays import EnteredSchedule, WorkdayDataUnavailable, add_workdays
from tests.factories import apply_to, make_product

NEW_YEAR_2027 = dt.date(2027, 1, 1)  # a Friday


def _enter(admin, year=2027, days=None, number="测试〔2026〕1号"):
    days = days or [(NEW_YEAR_2027, "holiday", "元旦")]
    return services_calendar.enter_notice(
        admin,
        year=year,
        notice_number=number,
        notice_date=dt.date(2026, 6, 1),
        title=f"关于{year}年部分节假日安排的通知（测试）",
        days=days,
    )


def test_pure_precedence_entered_wins_then_package_then_estimate():
    assert not workdays.package_knows(2027)
    assert workdays.is_workday(NEW_YEAR_2027, estimate=True)  # estimated: a Friday counts
    with pytest.raises(WorkdayDataUnavailable):
        workdays.is_workday(NEW_YEAR_2027)
    mine = EnteredSchedule(frozenset([2027]), {NEW_YEAR_2027: False})
    assert add_workdays(dt.date(2026, 12, 31), 1, schedule=mine) == dt.date(2027, 1, 4)
    # an entered year the package also knows: the entry wins, and the disagreement is listed
    national_day = dt.date(2026, 10, 1)
    assert not workdays.is_workday(national_day)
    corrected = EnteredSchedule(frozenset([2026]), {})
    assert corrected.is_workday(national_day)  # the entry (no holiday listed) wins over the package
    assert (national_day, True, False) in workdays.conflicts(corrected)


def test_operator_enters_a_year_and_working_days_follow(make_user):
    admin = make_user("admin")
    _enter(admin)
    assert workdays.known(2027)
    assert not workdays.is_workday(NEW_YEAR_2027)
    assert add_workdays(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)
    assert SecurityEvent.objects.filter(detail__action="holiday_notice", detail__year=2027).exists()


def test_a_new_version_supersedes_and_conflicts_with_the_package_are_flagged(make_user):
    admin = make_user("admin")
    _enter(admin)
    second = _enter(
        admin, days=[(NEW_YEAR_2027, "holiday", "元旦"), (dt.date(2027, 1, 4), "holiday", "元旦")]
    )
    assert second.version == 2
    assert list(HolidayNotice.objects.filter(year=2027, active=True)) == [second]
    assert add_workdays(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 5)
    _enter(admin, year=2026, days=[(dt.date(2026, 6, 19), "holiday", "端午节")], number="测试〔2025〕9号")
    row = next(r for r in selectors_calendar.overview(dt.date(2026, 6, 30)) if r["year"] == 2026)
    assert row["in_package"] and row["notice"] is not None and len(row["conflicts"]) > 0


def test_only_operators_enter_and_bad_rows_are_all_named_and_nothing_is_written(make_user):
    with pytest.raises(Forbidden):
        _enter(make_user("government"))
    with pytest.raises(ValidationFailed) as err:
        services_calendar.parse_days(
            2027,
            [
                {"date": "2027-13-01", "kind": "放假"},
                {"date": "2026-10-01", "kind": "放假"},
                {"date": "2027-01-05", "kind": "上班"},
                {"date": "2027-01-01", "kind": "休假吧"},
            ],
        )
    text = err.value.message_zh
    for expected in (
        "第 2 行 日期",
        "第 3 行 日期：不在 2027 年内",
        "第 4 行 类型：调休上班日应为周六或周日",
        "第 5 行 类型",
    ):
        assert expected in text
    assert not HolidayNotice.objects.exists()


def test_page_and_file_import(client, make_user):
    admin = make_user("admin")
    client.force_login(admin)
    page = client.get("/orgs/calendar/")
    assert page.status_code == 200 and "2027" in page.content.decode()
    csv = "日期,类型,节日\n2027-01-01,放假,元旦\n2027-02-06,上班,春节\n".encode()
    days = services_calendar.parse_days(2027, services_calendar.rows_from_file(csv, "2027.csv"))
    assert days[1] == (dt.date(2027, 2, 6), "workday", "春节")
    response = client.post(
        "/orgs/calendar/",
        {
            "year": 2027,
            "notice_number": "测试〔2026〕2号",
            "notice_date": "2026-06-01",
            "title": "测试通知",
            "lines": "2027-01-01 放假 元旦\n2027-02-06 上班 春节",
        },
    )
    assert response.status_code == 302
    assert workdays.is_workday(dt.date(2027, 2, 6))  # a Saturday made a working day
    client.force_login(make_user("government"))
    assert client.get("/orgs/calendar/").status_code == 403


def test_open_sla_timers_are_counted_again(make_user, monkeypatch):
    bank, ent, admin = make_user("institution"), make_user("enterprise"), make_user("admin")
    with time_machine.travel(dt.datetime(2026, 12, 30, 10, tzinfo=dt.UTC), tick=False):
        app = apply_to(ent, make_product(bank))
        assert app.stage_due == dt.date(2027, 1, 4)  # 12-31, 01-01 (estimated), 01-04
        _enter(admin)
    app.refresh_from_db()
    assert app.stage_due == dt.date(2027, 1, 5)  # 01-01 is a holiday now


def test_december_reminder_once_per_year_until_the_notice_is_entered(make_user):
    admin = make_user("admin")
    make_user("government")
    assert services_calendar.notify_missing_next_year(dt.date(2026, 11, 30)) == 0
    assert services_calendar.notify_missing_next_year(dt.date(2026, 12, 1)) == 1
    assert services_calendar.notify_missing_next_year(dt.date(2026, 12, 2)) == 0  # once
    note = Notification.objects.get(recipient=admin)
    assert "2027" in note.title and note.url == "/orgs/calendar/"
    _enter(admin)
    assert selectors_calendar.missing_next_year(dt.date(2026, 12, 3)) is None


def test_typed_lines_are_counted_from_one_and_the_page_speaks_chinese(client, make_user):
    client.force_login(make_user("admin"))
    response = client.post(
        "/orgs/calendar/",
        {
            "year": 2027,
            "notice_number": "测试〔2026〕3号",
            "notice_date": "2026-06-01",
            "title": "测试通知",
            "lines": "2027-13-01 放假 元旦\n2027-01-05 上班 春节",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and not HolidayNotice.objects.exists()
    assert "第 1 行 日期：不是有效日期" in html and "第 2 行 类型：调休上班日应为周六或周日" in html
    assert "row 1" not in html and "not a date" not in html

"""Brain writes: actuals (form, file) with history, permissions, progress reports, overdue alerts.

Expected values are hand arithmetic (0.03 万亿元 = 300 亿元) or read off the plan files / seeds.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

from jinfu.brain import services
from jinfu.brain.models import Actual, Plan, Task, TaskReport
from jinfu.brain.supervision import derive_status, expected_percent
from jinfu.core.errors import Forbidden, ValidationFailed
from jinfu.core.models import Notification, Organization

TODAY = dt.date(2026, 6, 30)  # fixed "today" for the rules that depend on the date


@pytest.fixture
def plans(db):
    from jinfu.brain.loader import load_plans

    load_plans()


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def gov_org(division: str | None, name: str = "测试区金融办", zone: str | None = None) -> Organization:
    return Organization.objects.create(
        kind=Organization.Kind.GOVERNMENT, name=name, division_id=division, zone_id=zone
    )


@pytest.fixture
def nanan(make_user, plans):
    """A 南岸区 (500108) government officer: covers plan 000."""
    return make_user("government", org=gov_org("500108", "南岸区金融办"))


@pytest.fixture
def yuzhong(make_user, plans):
    """A 渝中区 (500103) government officer: covers plans 001 and 003."""
    return make_user("government", org=gov_org("500103", "渝中区金融办"))


@pytest.fixture
def city(make_user, plans):
    return make_user("government", org=gov_org("500000", "重庆市地方金融管理局"))


def record(user, code="000-I01", year=2024, value="100", unit=None, **kw):
    kw.setdefault("source", "区统计局年报")
    return services.record_actual(user, indicator_code=code, year=year, value=value, unit=unit, **kw)


# ---------------------------------------------------------------------------
# record_actual
# ---------------------------------------------------------------------------


def test_record_actual_converts_units_to_the_indicator_unit(nanan, fixed_today):
    a = record(nanan, value="0.03", unit="万亿元")
    a.refresh_from_db()
    assert a.value == pytest.approx(300.0)  # 0.03 万亿元 × 10 000 = 300 亿元
    assert a.unit == "亿元"
    assert (a.entered_value, a.entered_unit) == (0.03, "万亿元")
    assert a.is_current and a.superseded_by is None
    assert a.entered_by == nanan and a.channel == "form"
    b = record(nanan, year=2023, value="1,234,000", unit="万元")
    assert b.value == pytest.approx(123.4)  # 1 234 000 万元 = 123.4 亿元
    c = record(nanan, year=2022, value="150")  # no unit: the indicator's own
    assert (c.value, c.entered_unit) == (150.0, "亿元")


def test_record_actual_into_a_wan_yi_yuan_indicator(make_user, plans, fixed_today):
    officer = make_user("government", org=gov_org("500105", "江北区金融办"))
    a = record(officer, code="002-I09", year=2023, value="25000", unit="亿元")  # 金融资产规模 万亿元
    assert a.value == pytest.approx(2.5) and a.unit == "万亿元"


def test_correction_keeps_history(nanan, fixed_today):
    first = record(nanan, value="120")
    second = record(nanan, value="125", note="统计局修正")
    first.refresh_from_db()
    assert first.is_current is False
    assert first.superseded_by_id == second.pk
    assert second.is_current and second.note == "统计局修正"
    rows = Actual.objects.filter(indicator__code="000-I01", year=2024).order_by("pk")
    assert [(r.value, r.is_current) for r in rows] == [(120.0, False), (125.0, True)]
    third = record(nanan, value="126")
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.superseded_by_id == third.pk and not second.is_current
    assert first.superseded_by_id == second.pk  # the older link is untouched
    assert Actual.objects.filter(indicator__code="000-I01", year=2024, is_current=True).count() == 1
    assert Actual.objects.filter(indicator__code="000-I01", year=2024).count() == 3


@pytest.mark.parametrize(
    ("kwargs", "field", "rule"),
    [
        ({"code": "000-I99"}, "indicator", "indicator.unknown"),
        ({"unit": "家"}, "unit", "unit.mismatch"),
        ({"unit": "斤"}, "unit", "unit.unknown"),
        ({"year": 2019}, "year", "period.outside_plan"),  # 000's base year is 2020
        ({"year": 2030}, "year", "period.outside_plan"),  # 000 ends 2025
        ({"value": "十二"}, "value", "type.number"),
        ({"value": "nan"}, "value", "type.number"),
        ({"value": "-5"}, "value", "range.negative"),
        ({"year": "二〇二四"}, "year", "type.integer"),
        ({"period_kind": "quarter", "period": 5}, "period", "period.range"),
        ({"period_kind": "week"}, "period_kind", "period.kind"),
    ],
)
def test_bad_actuals_are_rejected_and_nothing_is_written(nanan, fixed_today, kwargs, field, rule):
    with pytest.raises(ValidationFailed) as info:
        record(nanan, **kwargs)
    assert info.value.field == field
    assert info.value.code == rule
    assert info.value.message_zh and info.value.message_en
    assert Actual.objects.count() == 0


def test_future_year_is_rejected(yuzhong, fixed_today):
    # plan 003 runs to 2027; with today in 2026, 2027 has not happened yet
    with pytest.raises(ValidationFailed) as info:
        record(yuzhong, code="003-I01", year=2027, value="500")
    assert (info.value.field, info.value.code) == ("year", "period.future")
    assert Actual.objects.count() == 0
    assert record(yuzhong, code="003-I01", year=2026, value="500").value == 500.0


def test_source_is_required(nanan, fixed_today):
    with pytest.raises(ValidationFailed) as info:
        record(nanan, source="  ")
    assert info.value.field == "source"
    assert Actual.objects.count() == 0


def test_negative_share_growth_is_allowed_for_growth_rates(nanan, fixed_today):
    """Negative is wrong for amounts and counts, not for a growth rate (000-I15 年均增速, %)."""
    a = record(nanan, code="000-I15", value="-3.5", unit="%")
    assert a.value == -3.5


# ---------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------


def test_district_officer_edits_only_own_plans(yuzhong, fixed_today):
    assert record(yuzhong, code="001-I02", year=2023, value="12000").value == 12000.0  # 存贷款余额 亿元
    assert record(yuzhong, code="003-I01", year=2025, value="520").value == 520.0
    with pytest.raises(Forbidden):
        record(yuzhong, code="000-I01", year=2024, value="100")
    assert not Actual.objects.filter(indicator__plan__code="000").exists()


def test_city_officer_reads_everything_edits_nothing(city, fixed_today):
    from jinfu.brain import selectors
    from jinfu.brain.permissions import can_edit_plan, can_view_tasks, is_city_level

    assert is_city_level(city)
    assert [o["plan"].code for o in selectors.plans_overview(city, 2024)] == [
        "000",
        "001",
        "002",
        "003",
        "004",
    ]
    for plan in Plan.objects.all():
        assert selectors.get_plan(city, plan.code) == plan
        assert can_view_tasks(city, plan)
        assert not can_edit_plan(city, plan)
    for code in ("000-I01", "001-I02", "002-I05", "003-I01", "004-I06"):
        with pytest.raises(Forbidden):
            record(city, code=code, year=2024, value="1")
    assert Actual.objects.count() == 0


def test_enterprise_cannot_read_the_brain(make_user, plans):
    from jinfu.brain import selectors

    with pytest.raises(Forbidden):
        selectors.plans_overview(make_user("enterprise"), 2024)


# ---------------------------------------------------------------------------
# import_actuals
# ---------------------------------------------------------------------------

HEADER = "指标编码,年份,数值,单位,数据来源\n"


def write_csv(tmp_path, body: str, name="actuals.csv") -> tuple[bytes, str]:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path.read_bytes(), path.name


def test_import_all_rows_valid(nanan, fixed_today, tmp_path):
    data, name = write_csv(
        tmp_path,
        "000-I01,2023,0.0165,万亿元,区统计局\n000-I03,2023,180,家,区金融办\n000-I01,2024,190,,区统计局\n",
    )
    result = services.import_actuals(nanan, data, name)
    assert result["problems"] == []
    assert (result["rows"], result["written"], result["corrections"]) == (3, 3, 0)
    assert Actual.objects.get(indicator__code="000-I01", year=2023).value == pytest.approx(165.0)
    assert Actual.objects.get(indicator__code="000-I03", year=2023).value == 180
    assert set(Actual.objects.values_list("channel", flat=True)) == {"import"}


def test_import_dry_run_writes_nothing(nanan, fixed_today, tmp_path):
    data, name = write_csv(tmp_path, "000-I01,2023,165,亿元,区统计局\n")
    result = services.import_actuals(nanan, data, name, dry_run=True)
    assert result["problems"] == [] and result["written"] == 0
    assert Actual.objects.count() == 0


def test_import_is_all_or_nothing(nanan, fixed_today, tmp_path):
    data, name = write_csv(
        tmp_path,
        "000-I01,2023,165,亿元,区统计局\n"  # row 2 fine
        "000-I03,2023,180,亿元,区金融办\n"  # row 3: 亿元 for a 家 indicator
        "000-I06,2023,abc,亿元,区金融办\n"  # row 4: not a number
        "000-I07,2023,4000,亿元,\n",  # row 5: no source
    )
    result = services.import_actuals(nanan, data, name)
    assert result["written"] == 0
    assert Actual.objects.count() == 0
    got = {(p["row"], p["field"], p["rule"]) for p in result["problems"]}
    assert got == {(3, "unit", "unit.mismatch"), (4, "value", "type.number"), (5, "source", "required")}
    msg = next(p for p in result["problems"] if p["row"] == 3)
    assert "第 3 行" in msg["message_zh"] and "row 3" in msg["message_en"]


def test_import_rejects_duplicate_period_in_one_file(nanan, fixed_today, tmp_path):
    data, name = write_csv(tmp_path, "000-I01,2023,165,亿元,区统计局\n000-I01,2023,166,亿元,区统计局\n")
    result = services.import_actuals(nanan, data, name)
    assert [(p["row"], p["rule"]) for p in result["problems"]] == [(3, "duplicate.period")]
    assert "第 2 行" in result["problems"][0]["message_zh"]
    assert Actual.objects.count() == 0


def test_import_rejects_other_districts_plans(yuzhong, fixed_today, tmp_path):
    data, name = write_csv(tmp_path, "001-I02,2023,12000,亿元,区统计局\n000-I01,2023,165,亿元,区统计局\n")
    result = services.import_actuals(yuzhong, data, name)
    assert [(p["row"], p["rule"]) for p in result["problems"]] == [(3, "permission")]
    assert Actual.objects.count() == 0


def test_import_missing_column_is_named(nanan, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("指标编码,年份,数值\n000-I01,2023,1\n", encoding="utf-8")
    result = services.import_actuals(nanan, path.read_bytes(), path.name)
    got = [(p["column"], p["field"], p["rule"]) for p in result["problems"]]
    assert got == [("数据来源", "source", "header.missing")]
    assert Actual.objects.count() == 0


def test_import_can_correct_an_earlier_value(nanan, fixed_today, tmp_path):
    old = record(nanan, year=2023, value="160")
    data, name = write_csv(tmp_path, "000-I01,2023,165,亿元,统计局更正\n000-I03,2023,180,家,区金融办\n")
    result = services.import_actuals(nanan, data, name)
    assert result["problems"] == []
    assert (result["written"], result["corrections"]) == (2, 1)
    old.refresh_from_db()
    new = Actual.objects.get(indicator__code="000-I01", year=2023, is_current=True)
    assert new.value == 165.0 and new.channel == "import"
    assert old.is_current is False and old.superseded_by_id == new.pk


# ---------------------------------------------------------------------------
# Progress reports
# ---------------------------------------------------------------------------


@pytest.fixture
def owned_task(nanan):
    task = Task.objects.get(code="000-T01")
    task.owner_org, task.owner_user = nanan.organization, nanan
    task.due_date = dt.date(2027, 12, 31)
    task.save()
    return task


def test_owner_reports_progress(nanan, owned_task, fixed_today):
    report = services.report_progress(nanan, task_code="000-T01", text="完成核心区规划编制", percent=60)
    owned_task.refresh_from_db()
    assert report.percent == 60 and report.reported_by == nanan
    assert owned_task.progress == 60
    assert owned_task.last_report_at == report.reported_at
    # 2021-01-01 → 2027-12-31, on 2026-06-30: 2006/2555 days = 78.5 % expected; 60 ≥ 58.5 → on track
    assert owned_task.status == "on_track" == report.status


def test_colleague_in_the_owner_office_may_report(nanan, owned_task, make_user, fixed_today):
    colleague = make_user("government", org=nanan.organization)
    services.report_progress(colleague, task_code="000-T01", text="推进中", percent=30)
    owned_task.refresh_from_db()
    # 30 < 78.5 − 20 → at risk
    assert (owned_task.progress, owned_task.status) == (30, "at_risk")


def test_someone_elses_task_is_forbidden(owned_task, yuzhong, make_user, fixed_today):
    other_nanan_office = make_user("government", org=gov_org("500108", "南岸区另一部门"))
    for user in (yuzhong, other_nanan_office, make_user("regulator")):
        with pytest.raises(Forbidden):
            services.report_progress(user, task_code="000-T01", text="x", percent=10)
    assert TaskReport.objects.count() == 0


@pytest.mark.parametrize("percent", [101, -1, "abc", None])
def test_percent_out_of_range_is_rejected(nanan, owned_task, percent, fixed_today):
    with pytest.raises(ValidationFailed) as info:
        services.report_progress(nanan, task_code="000-T01", text="x", percent=percent)
    assert info.value.field == "percent"
    assert TaskReport.objects.count() == 0


def test_empty_text_is_rejected(nanan, owned_task, fixed_today):
    with pytest.raises(ValidationFailed) as info:
        services.report_progress(nanan, task_code="000-T01", text="   ", percent=10)
    assert info.value.field == "text"


def test_hundred_percent_is_done(nanan, owned_task, fixed_today):
    services.report_progress(nanan, task_code="000-T01", text="全部完成", percent=100)
    owned_task.refresh_from_db()
    assert (owned_task.status, owned_task.progress) == ("done", 100)


# ---------------------------------------------------------------------------
# Overdue alerts
# ---------------------------------------------------------------------------


def test_overdue_task_alerts_owner_and_office_once(nanan, make_user, plans):
    office = nanan.organization
    colleague = make_user("government", org=office)
    make_user("government", org=office, is_active=False)  # inactive: not alerted
    make_user("regulator", org=office)  # not a government officer: not alerted
    outsider = make_user("government", org=gov_org("500108", "南岸区另一部门"))
    task = Task.objects.get(code="000-T01")
    task.owner_org, task.owner_user = office, nanan
    task.due_date = dt.date(2023, 12, 31)
    task.progress = 40
    task.last_report_at = dt.datetime(2023, 6, 1, tzinfo=dt.UTC)
    task.save()

    stats = services.refresh_task_statuses(today=dt.date(2024, 1, 10))
    task.refresh_from_db()
    assert task.status == "overdue"
    assert task.overdue_alerted_at is not None
    notes = Notification.objects.filter(dedupe_key="task-overdue:000-T01")
    assert sorted(n.recipient_id for n in notes) == sorted([nanan.pk, colleague.pk])
    assert all(n.kind == "task_overdue" and n.url == "/brain/tasks/000-T01/" for n in notes)
    assert "40%" in notes[0].body and "2023-12-31" in notes[0].body
    assert not Notification.objects.filter(recipient=outsider).exists()
    assert stats["alerts"] == 2
    # unowned tasks may become overdue too, but nobody is notified for them
    assert Notification.objects.count() == 2

    again = services.refresh_task_statuses(today=dt.date(2024, 1, 11))
    assert again["alerts"] == 0
    assert Notification.objects.count() == 2


def test_task_done_is_never_overdue(nanan, plans):
    task = Task.objects.get(code="000-T01")
    task.owner_user, task.status, task.progress = nanan, "done", 100
    task.due_date = dt.date(2023, 12, 31)
    task.save()
    services.refresh_task_statuses(today=dt.date(2024, 6, 1))
    task.refresh_from_db()
    assert task.status == "done"
    assert not Notification.objects.filter(recipient=nanan).exists()


# ---------------------------------------------------------------------------
# derive_status (pure)
# ---------------------------------------------------------------------------

START, DUE = dt.date(2021, 1, 1), dt.date(2021, 12, 31)  # 364 days apart
MID = dt.date(2021, 7, 2)  # 182 days in: 50 % expected


def test_expected_percent_by_hand():
    assert expected_percent(START, DUE, START) == 0.0
    assert expected_percent(START, DUE, MID) == pytest.approx(50.0)
    assert expected_percent(START, DUE, DUE) == 100.0
    assert expected_percent(START, DUE, dt.date(2021, 2, 1)) == pytest.approx(100 * 31 / 364)


@pytest.mark.parametrize(
    ("percent", "due", "today", "has_reports", "expected"),
    [
        (100, DUE, dt.date(2030, 1, 1), True, "done"),  # done beats overdue
        (99, DUE, dt.date(2022, 1, 1), True, "overdue"),
        (0, DUE, dt.date(2022, 1, 1), False, "overdue"),
        (50, DUE, DUE, True, "at_risk"),  # on the due day 100 % is expected: 50 < 80
        (20, DUE, MID, True, "at_risk"),  # 20 < 50 − 20
        (30, DUE, MID, True, "on_track"),  # 30 is exactly the margin: not behind it
        (35, DUE, MID, True, "on_track"),
        (0, DUE, MID, False, "at_risk"),  # nothing reported halfway through
        (0, DUE, dt.date(2021, 2, 1), False, "not_started"),  # 8.5 % expected: within the margin
        (0, DUE, START, False, "not_started"),
        (0, None, MID, False, "not_started"),
        (10, None, MID, True, "on_track"),
    ],
)
def test_derive_status_hand_cases(percent, due, today, has_reports, expected):
    got = derive_status(percent=percent, start=START, due=due, today=today, has_reports=has_reports)
    assert got == expected


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_xlsx_with_numeric_cells(nanan, fixed_today):
    """Excel stores numbers: 2023 may come back as int or (from pandas and many exports) as 2023.0."""
    data = _xlsx(
        [
            ["指标编码", "年份", "周期", "季度/月份", "数值", "单位", "数据来源"],
            ["000-I01", 2023, "year", 0, 165, "亿元", "区统计局"],
            ["000-I03", 2023.0, "year", None, 180.0, "家", "区金融办"],
            ["000-I06", 2024.0, "quarter", 2.0, 0.5, "万亿元", "人行南岸中支"],
        ]
    )
    result = services.import_actuals(nanan, data, "actuals.xlsx")
    assert result["problems"] == []
    assert result["written"] == 3
    assert Actual.objects.get(indicator__code="000-I03", year=2023).value == 180
    q = Actual.objects.get(indicator__code="000-I06", year=2024)
    assert (q.period_kind, q.period, q.value) == ("quarter", 2, pytest.approx(5000.0))


def test_import_xlsx_rejects_fractional_year(nanan, fixed_today):
    data = _xlsx([["指标编码", "年份", "数值", "数据来源"], ["000-I01", 2023.5, 165, "区统计局"]])
    result = services.import_actuals(nanan, data, "actuals.xlsx")
    assert [(p["row"], p["field"], p["rule"]) for p in result["problems"]] == [(2, "year", "type.integer")]
    assert Actual.objects.count() == 0


def test_latest_sub_annual_figure_stands_in_for_the_year(nanan, fixed_today):
    """No annual figure for 2024: the latest of its quarters and months stands in (December after Q1)."""
    from jinfu.brain.models import Indicator
    from jinfu.brain.selectors import evaluate_indicators

    ind = Indicator.objects.get(code="000-I01")
    record(nanan, year=2024, value="150", period_kind="quarter", period=1)
    record(nanan, year=2024, value="220", period_kind="month", period=12)
    record(nanan, year=2024, value="160", period_kind="month", period=4)
    assert evaluate_indicators([ind], 2024)["000-I01"]["latest_value"] == 220.0
    record(nanan, year=2024, value="230", period_kind="quarter", period=4)  # Q4 ends with December
    assert evaluate_indicators([ind], 2024)["000-I01"]["latest_value"] == 230.0
    record(nanan, year=2024, value="225")  # an annual figure always wins
    assert evaluate_indicators([ind], 2024)["000-I01"]["latest_value"] == 225.0


@pytest.mark.parametrize(
    ("period_kind", "period", "ok"),
    [
        ("quarter", 2, True),  # Q2 2026 ends in June: today is 2026-06-30
        ("quarter", 3, False),  # ends in September
        ("month", 6, True),
        ("month", 7, False),
        ("month", 12, False),
    ],
)
def test_sub_annual_period_not_yet_ended_is_rejected(yuzhong, fixed_today, period_kind, period, ok):
    kw = {"code": "003-I01", "year": 2026, "value": "500", "period_kind": period_kind, "period": period}
    if ok:
        assert record(yuzhong, **kw).period == period
        return
    with pytest.raises(ValidationFailed) as info:
        record(yuzhong, **kw)
    assert (info.value.field, info.value.code) == ("period", "period.future")
    assert Actual.objects.count() == 0


def test_qualitative_indicator_takes_no_number(nanan, fixed_today):
    """000-I14 金融服务平台 has no unit and no numeric target in 表3."""
    with pytest.raises(ValidationFailed) as info:
        record(nanan, code="000-I14", value="3")
    assert (info.value.field, info.value.code) == ("indicator", "indicator.qualitative")
    assert Actual.objects.count() == 0


def test_brain_demo_is_synthetic_and_idempotent(plans):
    from jinfu.brain import demo
    from jinfu.brain.selectors import default_year

    first = demo.build_brain_demo()
    assert first["actuals"] > 0
    actuals, reports = Actual.objects.count(), TaskReport.objects.count()
    assert not Actual.objects.filter(is_synthetic=False).exists()
    assert set(Actual.objects.values_list("source", flat=True)) == {demo.SOURCE}
    assert not Actual.objects.filter(year__gt=default_year()).exists()
    assert not TaskReport.objects.filter(is_synthetic=False).exists()
    # 000-I01 starts after its 2020 base year
    assert min(Actual.objects.filter(indicator__code="000-I01").values_list("year", flat=True)) == 2021
    again = demo.build_brain_demo()
    assert (again["actuals"], again["reports"], again["assigned"]) == (0, 0, 0)
    assert (Actual.objects.count(), TaskReport.objects.count()) == (actuals, reports)
    assert Task.objects.filter(owner_org__isnull=True).count() == 0


def test_zone_office_edits_its_zone_plan_only(make_user, plans, fixed_today):
    from jinfu.brain.permissions import can_view_tasks, is_city_level

    hitech = make_user(
        "government",
        org=Organization.objects.create(
            kind=Organization.Kind.GOVERNMENT, name="重庆高新区金融办", zone_id="cq-hitech"
        ),
    )
    assert not is_city_level(hitech)
    assert record(hitech, code="004-I06", year=2023, value="300").value == 300.0  # 累计基金总规模 亿元
    with pytest.raises(Forbidden):
        record(hitech, code="000-I01", year=2023, value="1")
    assert can_view_tasks(hitech, Plan.objects.get(code="004"))
    assert not can_view_tasks(hitech, Plan.objects.get(code="000"))

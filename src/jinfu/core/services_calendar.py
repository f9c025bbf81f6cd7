"""Writes of the working-day calendar: an operator enters a year's holiday notice (form or file), the SLA
timers of every module follow (signal ``calendar_changed``), and operators are reminded every December while
next year's notice is missing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.dispatch import Signal
from django.utils import timezone

from . import selectors_calendar
from .audit import record_event
from .errors import Forbidden, ValidationFailed
from .imports.engine import FileRejected, read_sheet
from .models import Notification, Role, SecurityEvent, User
from .models_calendar import HolidayDay, HolidayNotice
from .principal import as_principal
from .reference import workdays

# Sent after a notice is entered, with ``year``, ``old`` and ``new`` (EnteredSchedule): modules recompute the
# open SLA timers that fall in that year (workdays.recompute_due).
calendar_changed = Signal()

KIND_WORDS = {
    "放假": HolidayDay.Kind.HOLIDAY,
    "休息": HolidayDay.Kind.HOLIDAY,
    "holiday": HolidayDay.Kind.HOLIDAY,
    "上班": HolidayDay.Kind.WORKDAY,
    "调休上班": HolidayDay.Kind.WORKDAY,
    "workday": HolidayDay.Kind.WORKDAY,
}
HEADERS = {"date": ("日期", "date"), "kind": ("类型", "kind"), "name": ("节日", "名称", "name")}
MAX_DAYS = 120  # a year's notice lists about 30 to 40 days


_FIELD_EN = {"日期": "date", "类型": "kind"}


def _problem(row: int, field: str, zh: str, en: str) -> tuple[str, str]:
    return f"第 {row} 行 {field}：{zh}", f"row {row} {_FIELD_EN.get(field, field)}: {en}"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_days(year: int, rows: list[dict], *, first_row: int = 2) -> list[tuple[dt.date, str, str]]:
    """Rows of {date, kind, name} → days; every problem at once, named by row (``first_row``: 2 for a
    sheet under its header, 1 for lines typed into the form)."""
    problems, days, seen = [], [], set()
    for i, raw in enumerate(rows, start=first_row):
        day, kind = _date(raw.get("date")), KIND_WORDS.get(str(raw.get("kind") or "").strip().lower())
        if day is None:
            problems.append(
                _problem(i, "日期", "不是有效日期（如 2027-01-01）", "not a date (e.g. 2027-01-01)")
            )
            continue
        if day.year != year:
            problems.append(_problem(i, "日期", f"不在 {year} 年内", f"{day} is not in {year}"))
        if kind is None:
            problems.append(
                _problem(i, "类型", "应为「放假」或「上班」", "must be 放假 (holiday) or 上班 (workday)")
            )
        elif kind == HolidayDay.Kind.WORKDAY and day.weekday() < 5:
            problems.append(
                _problem(
                    i, "类型", "调休上班日应为周六或周日", f"{day} is a weekday: a make-up day is a weekend"
                )
            )
        if day in seen:
            problems.append(_problem(i, "日期", "日期重复", f"{day} is listed twice"))
        seen.add(day)
        days.append((day, kind, str(raw.get("name") or "").strip()[:32]))
    if not problems and not any(k == HolidayDay.Kind.HOLIDAY for _, k, _ in days):
        problems.append(("未列出任何放假日期", "the notice lists no holiday"))
    if len(days) > MAX_DAYS:
        problems.append((f"日期超过 {MAX_DAYS} 条", f"more than {MAX_DAYS} days"))
    if problems:
        zh, en = zip(*problems[:20], strict=True)
        raise ValidationFailed("；".join(zh), "; ".join(en), field="days")
    return days


def rows_from_file(data: bytes, filename: str) -> list[dict]:
    """A CSV or XLSX with the columns 日期, 类型 (放假/上班) and 节日 → row dicts for :func:`parse_days`."""
    try:
        sheet = read_sheet(data, filename)
    except FileRejected as exc:
        first = exc.errors[0] if exc.errors else {}
        raise ValidationFailed(
            first.get("message_zh", "无法读取文件"), first.get("message_en", "unreadable file"), field="file"
        ) from None
    index = {}
    for key, names in HEADERS.items():
        found = [i for i, h in enumerate(sheet.headers) if h.strip().lower() in names]
        if not found and key != "name":
            raise ValidationFailed(
                f"缺少列「{names[0]}」", f"missing column {names[0]} ({names[-1]})", field="file"
            )
        index[key] = found[0] if found else None
    return [
        {k: (row[i] if i is not None and i < len(row) else "") for k, i in index.items()}
        for row in sheet.rows
        if any(str(c or "").strip() for c in row)
    ]


def _require_operator(actor):
    p = as_principal(actor)
    if not p.is_admin:
        raise Forbidden("仅平台运营人员可录入节假日安排", "only platform operators enter holiday notices")
    return p


def enter_notice(
    actor,
    *,
    year: int,
    notice_number: str,
    notice_date: dt.date,
    title: str,
    days: list[tuple[dt.date, str, str]],
    source_url: str = "",
) -> HolidayNotice:
    """Store a year's notice as a new version (earlier versions of the year stay, inactive), then let every
    module recompute its open SLA timers in that year."""
    p = _require_operator(actor)
    if not notice_number.strip() or not title.strip():
        raise ValidationFailed(
            "请填写通知文号和标题", "notice number and title are required", field="notice_number"
        )
    if notice_date > timezone.localdate():
        raise ValidationFailed(
            "发布日期不能晚于今天", "the notice date is in the future", field="notice_date"
        )
    old = selectors_calendar.load_schedule()
    with transaction.atomic():
        HolidayNotice.objects.select_for_update().filter(year=year).update(active=False)
        version = (HolidayNotice.objects.filter(year=year).aggregate(v=Max("version"))["v"] or 0) + 1
        notice = HolidayNotice.objects.create(
            year=year,
            version=version,
            notice_number=notice_number.strip(),
            notice_date=notice_date,
            title=title.strip(),
            source_url=source_url.strip(),
            entered_by=p.user,
        )
        HolidayDay.objects.bulk_create(HolidayDay(notice=notice, date=d, kind=k, name=n) for d, k, n in days)
        record_event(
            SecurityEvent.Kind.ADMIN_ACTION,
            user=p.user,
            action="holiday_notice",
            year=year,
            version=version,
            notice_number=notice.notice_number,
        )
        new = selectors_calendar.load_schedule()
        selectors_calendar.invalidate()  # this transaction sees the new notice at once…
        transaction.on_commit(selectors_calendar.invalidate)  # …and every thread after the commit
        calendar_changed.send(sender=HolidayNotice, year=year, old=old, new=new)
    return notice


def notify_missing_next_year(today: dt.date | None = None) -> int:
    """In December, remind every operator (once per year) that next year's holiday notice is missing."""
    year = selectors_calendar.missing_next_year(today)
    if year is None:
        return 0
    key = f"calendar-missing-{year}"
    sent = 0
    for user in User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True):
        _, created = Notification.objects.get_or_create(
            recipient=user,
            dedupe_key=key,
            defaults={
                "kind": "calendar",
                "title": f"请录入 {year} 年法定节假日安排",
                "body": (
                    f"{year} 年的放假安排尚未录入，时限按周一至周五估算。国务院办公厅的通知发布后，"
                    f"请在「工作日历」中录入（含调休上班日）。"
                ),
                "url": "/orgs/calendar/",
            },
        )
        sent += created
    return sent


def recompute_timers(queryset, start_of, *, year: int, old, new, also: tuple[str, ...] = ()) -> int:
    """Count again, under the ``new`` schedule, every open timer (``stage_due`` from today on, in ``year`` or
    later) of ``queryset``; ``start_of(obj)`` gives the date the timer started. ``also`` names fields that
    hold the same date (e.g. a publicity end). Returns how many records changed."""
    floor = max(timezone.localdate(), dt.date(year, 1, 1))
    changed = 0
    for obj in queryset.filter(stage_due__gte=floor).select_for_update():
        start = start_of(obj)
        if start is None:
            continue
        due = workdays.recompute_due(start, obj.stage_due, old, new)
        if due != obj.stage_due:
            updates = {"stage_due": due, **{f: due for f in also if getattr(obj, f) == obj.stage_due}}
            type(obj).objects.filter(pk=obj.pk).update(**updates)
            changed += 1
    return changed


def event_start(events) -> dt.date | None:
    """The local date of the newest timeline event (when the current stage, and its timer, started)."""
    last = events.order_by("-at", "-pk").first()
    return timezone.localdate(last.at) if last is not None else None

"""Writes for the brain: actuals (form, file, API) with correction history, progress reports, task
supervision with overdue alerts. Every write is permission-checked, validated and atomic."""

from __future__ import annotations

import datetime as dt
import math

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from jinfu.core import feeds, workflow
from jinfu.core.audit import record_event
from jinfu.core.disclosure import dominance, min_group
from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.imports import registry
from jinfu.core.imports.engine import Issue, Lookups
from jinfu.core.jurisdiction import CITY, CITY_DIVISION, DIVISION, ZONE, Jurisdiction
from jinfu.core.models import Organization, Role, User
from jinfu.core.principal import as_principal

from . import engine
from .imports import ACTUALS
from .models import Actual, FeedBinding, Indicator, Task, TaskReport
from .permissions import can_edit_plan
from .supervision import derive_status

MONEY_OR_COUNT = {Indicator.Kind.END_VALUE, Indicator.Kind.COUNT}


def _problem(field: str, value, rule: str, zh: str, en: str) -> dict:
    """A problem of one actual (the form shows it as is; an import row adds its row and column)."""
    return {
        "field": field,
        "value": "" if value is None else str(value)[:100],
        "rule": rule,
        "message_zh": zh,
        "message_en": en,
    }


# Plausible ranges per unit family, in the normalized unit (亿元, 亿美元, %, 个百分点, a count): a figure
# outside is a typo or a unit slip (10^30, 万元 typed as 亿元), not a fact about a Chinese district or city.
PLAUSIBLE = {
    "money_cny": (-1e6, 1e6, "绝对值不超过 100 万亿元", "|value| ≤ 1e6 亿元 (100 trillion CNY)"),
    "money_usd": (-1.5e5, 1.5e5, "绝对值不超过 15 万亿美元", "|value| ≤ 1.5e5 亿美元"),
    "percentage_point": (-100.0, 100.0, "应在 -100 到 100 个百分点之间", "between -100 and 100 points"),
    "count": (0.0, 1e8, "应在 0 到 1 亿之间", "between 0 and 100 million"),
}
PLAUSIBLE_SHARE = (0.0, 100.0, "占比应在 0–100% 之间", "a share lies between 0 and 100 %")
PLAUSIBLE_RATE = (
    -100.0,
    1000.0,
    "增速或比率应在 -100% 到 1000% 之间",
    "a rate lies between -100 % and 1000 %",
)


def _implausible(indicator: Indicator, normalized: float, family: str, value) -> dict | None:
    """A problem when the figure lies outside the plausible range of its unit (and kind, for percentages)."""
    if family == "percent":
        bounds = PLAUSIBLE_SHARE if indicator.kind == Indicator.Kind.SHARE else PLAUSIBLE_RATE
    else:
        bounds = PLAUSIBLE.get(family)
    if bounds is None:
        return None
    low, high, zh, en = bounds
    if low <= normalized <= high:
        return None
    return _problem(
        "value",
        value,
        "range.implausible",
        f"数值超出合理范围：{zh}（指标单位 {indicator.unit}）",
        f"value is implausible: {en} (indicator unit {indicator.unit})",
    )


def check_actual(
    indicator: Indicator | None,
    *,
    code: str,
    year,
    value,
    unit: str | None,
    period_kind: str,
    period,
    today: dt.date,
) -> tuple[dict | None, list[dict]]:
    """Validate one actual. Returns (clean values, problems)."""
    problems: list[dict] = []
    if indicator is None:
        return None, [
            _problem(
                "indicator",
                code,
                "indicator.unknown",
                f"未知的指标编码 {code}",
                f"unknown indicator code {code}",
            )
        ]
    try:
        year = int(str(year).strip())
    except (TypeError, ValueError):
        problems.append(_problem("year", year, "type.integer", "年份不是整数", "year is not a whole number"))
        year = None
    try:
        number = float(str(value).replace(",", "").strip())
        if math.isnan(number) or math.isinf(number):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(
            _problem("value", value, "type.number", "数值不是有效的数字", "value is not a number")
        )
        number = None
    if period_kind not in Actual.PeriodKind.values:
        problems.append(
            _problem(
                "period_kind",
                period_kind,
                "period.kind",
                "周期应为 year/quarter/month",
                "period kind must be year, quarter or month",
            )
        )
    try:
        period = int(period or 0)
    except (TypeError, ValueError):
        period = -1
    limits = {"year": (0, 0), "quarter": (1, 4), "month": (1, 12)}.get(period_kind, (0, 0))
    if not limits[0] <= period <= limits[1]:
        problems.append(
            _problem(
                "period",
                period,
                "period.range",
                f"季度/月份应在 {limits[0]}–{limits[1]} 之间",
                f"period must be between {limits[0]} and {limits[1]}",
            )
        )
    plan = indicator.plan
    first = min(y for y in (indicator.base_year, plan.base_year, plan.period_start) if y)
    if year is not None:
        if year < first or year > plan.period_end:
            problems.append(
                _problem(
                    "year",
                    year,
                    "period.outside_plan",
                    f"{year} 年不在规划期内（{first}–{plan.period_end}）",
                    f"{year} is outside the plan period ({first}-{plan.period_end})",
                )
            )
        elif year > today.year:
            problems.append(
                _problem("year", year, "period.future", f"{year} 年尚未到来", f"{year} is in the future")
            )
        elif (
            year == today.year
            and limits[0] <= period <= limits[1]
            and period_kind in ("quarter", "month")
            and (3 * period if period_kind == "quarter" else period) > today.month
        ):
            problems.append(
                _problem(
                    "period",
                    period,
                    "period.future",
                    f"{year} 年该{'季度' if period_kind == 'quarter' else '月份'}尚未结束",
                    f"that {period_kind} of {year} has not ended yet",
                )
            )
    unit = (unit or indicator.unit).strip()
    converted = number
    if number is not None and not indicator.unit:
        problems.append(
            _problem(
                "indicator",
                indicator.code,
                "indicator.qualitative",
                "该指标为定性指标，没有数值单位，不能填报数值",
                "this indicator is qualitative (no unit): it takes no numeric actuals",
            )
        )
    elif number is not None:
        try:
            v_norm, u_norm, family = engine.normalize_unit(number, unit)
            i_norm, iu_norm, i_family = engine.normalize_unit(1.0, indicator.unit)
        except ValueError:
            problems.append(
                _problem("unit", unit, "unit.unknown", f"无法识别的单位「{unit}」", f"unknown unit '{unit}'")
            )
        else:
            if (family, u_norm) != (i_family, iu_norm):
                problems.append(
                    _problem(
                        "unit",
                        unit,
                        "unit.mismatch",
                        f"单位「{unit}」与指标单位「{indicator.unit}」不一致",
                        f"unit '{unit}' does not match the indicator's unit '{indicator.unit}'",
                    )
                )
            else:
                converted = engine.convert_unit(number, unit, indicator.unit)
                problem = _implausible(indicator, v_norm, family, value)
                if problem:
                    problems.append(problem)
        if indicator.kind in MONEY_OR_COUNT and number < 0:
            problems.append(_problem("value", value, "range.negative", "不能为负数", "must not be negative"))
    if problems:
        return None, problems
    return {
        "indicator": indicator,
        "year": year,
        "value": converted,
        "unit": indicator.unit,
        "entered_value": number,
        "entered_unit": unit,
        "period_kind": period_kind,
        "period": period,
    }, []


def _write_actual(
    clean: dict, *, user, source: str, channel: str, note: str = "", synthetic: bool = False, **provenance
) -> Actual:
    old = (
        Actual.objects.select_for_update()
        .filter(
            indicator=clean["indicator"],
            period_kind=clean["period_kind"],
            year=clean["year"],
            period=clean["period"],
            is_current=True,
        )
        .first()
    )
    if old is not None:
        old.is_current = False
        old.save(update_fields=["is_current"])
    new = Actual.objects.create(
        **clean,
        source=source[:255],
        entered_by=user,
        channel=channel,
        note=note[:255],
        is_synthetic=synthetic,
        **provenance,
    )
    if old is not None:
        old.superseded_by = new
        old.save(update_fields=["superseded_by"])
    return new


def record_actual(
    actor,
    *,
    indicator_code: str,
    year,
    value,
    unit: str | None = None,
    period_kind: str = "year",
    period=0,
    source: str,
    channel: str = "form",
    note: str = "",
) -> Actual:
    """Record an actual value. A second value for the same period is a correction: the earlier value is
    kept as history (is_current=False) and points to the correction."""
    p = as_principal(actor)
    indicator = Indicator.objects.select_related("plan").filter(code=indicator_code).first()
    if indicator is not None and not can_edit_plan(p, indicator.plan):
        raise Forbidden(
            "只能填报本辖区规划的指标", "You can only enter actuals for your own district's plans"
        )
    if not (source or "").strip():
        raise ValidationFailed("请填写数据来源", "The source of the figure is required", field="source")
    clean, problems = check_actual(
        indicator,
        code=indicator_code,
        year=year,
        value=value,
        unit=unit,
        period_kind=period_kind,
        period=period,
        today=timezone.localdate(),
    )
    if problems:
        first = problems[0]
        exc = ValidationFailed(
            first["message_zh"], first["message_en"], field=first["field"], code=first["rule"]
        )
        exc.problems = problems
        raise exc
    with transaction.atomic():
        return _write_actual(clean, user=p.user, source=source, channel=channel, note=note)


def prepare_actuals_import(p) -> Lookups:
    """The row checks of the actuals form (record_actual): the indicator's plan must be the importer's
    to edit (can_edit_plan), then the same period, unit and plausibility rules (check_actual)."""
    indicators = {i.code: i for i in Indicator.objects.select_related("plan")}
    today = timezone.localdate()

    def check_row(rec: dict, _old, _existing) -> list[Issue]:
        ind = indicators.get(rec["indicator"])
        if ind is not None and not can_edit_plan(p, ind.plan):
            return [Issue("indicator", "permission")]
        clean, problems = check_actual(
            ind,
            code=rec["indicator"],
            year=rec["year"],
            value=rec["value"],
            unit=rec.get("unit") or None,
            period_kind=rec["period_kind"],
            period=rec["period"],
            today=today,
        )
        rec["_actual"] = clean
        return [
            Issue(e["field"], e["rule"], value=e["value"], base=(e["message_zh"], e["message_en"]))
            for e in problems
        ]

    return Lookups(today=today, check_row=check_row)


def apply_actuals(records: list[dict], *, actor=None) -> dict:
    """Write validated actuals (inside the import's transaction); a second value for a period is a
    correction, as in the form."""
    out = {"written": 0, "corrections": 0}
    for rec in records:
        new = _write_actual(rec["_actual"], user=actor, source=rec["source"], channel="import")
        out["written"] += 1
        out["corrections"] += Actual.objects.filter(superseded_by=new).count()
    return out


def import_actuals(actor, data: bytes, filename: str, *, dry_run: bool = False) -> dict:
    """Actuals from .xlsx/.csv (columns in brain/imports.py): every row validated, all or nothing.
    Returns {rows, written, corrections, problems}; with problems nothing is written."""
    return registry.import_file(
        ACTUALS, data, filename, actor=actor, counts=("written", "corrections"), check_only=dry_run
    )


# ---------------------------------------------------------------------------
# Indicators fed by platform data (core/feeds.py): binding, and actuals written from the feeds
# ---------------------------------------------------------------------------


def feed_jurisdiction(indicator: Indicator) -> Jurisdiction | None:
    """The places an indicator counts (its scope zone, division or the city); None without a scope."""
    if indicator.scope_zone_id:
        return Jurisdiction(ZONE, zone=indicator.scope_zone_id)
    if indicator.scope_division_id == CITY_DIVISION:
        return Jurisdiction(CITY)
    if indicator.scope_division_id:
        return Jurisdiction(DIVISION, division=indicator.scope_division_id)
    return None


def binding_problem(indicator: Indicator, feed) -> tuple[str, str] | None:
    """Why ``feed`` cannot be the indicator's quantity (zh, en), or None: the indicator needs a scope, must
    not be a growth rate or a qualitative target, and the units must be the same kind and unit."""
    if feed_jurisdiction(indicator) is None:
        return "该指标没有统计范围（区县或功能区），无法对应平台数据", "the indicator has no scope to count"
    if indicator.kind == Indicator.Kind.ANNUAL_GROWTH or indicator.is_relative or not indicator.unit:
        return (
            "年均增速、相对目标和定性指标不能直接由平台数据填报",
            "growth-rate, relative and qualitative indicators take no platform figure",
        )
    try:
        _v, fu, ff = engine.normalize_unit(1.0, feed.unit)
        _v, iu, if_ = engine.normalize_unit(1.0, indicator.unit)
    except ValueError:
        return f"单位「{feed.unit}」与指标单位「{indicator.unit}」无法换算", "units cannot be converted"
    if (fu, ff) != (iu, if_):
        return (
            f"平台数据单位「{feed.unit}」与指标单位「{indicator.unit}」不一致",
            f"the feed's unit {feed.unit} is not the indicator's unit {indicator.unit}",
        )
    return None


def _require_operator(p) -> None:
    if not p.is_admin:
        raise Forbidden(
            "只有平台运营人员可以绑定平台数据", "only platform operators bind indicators to platform data"
        )


def bind_feed(
    actor, *, indicator_code: str, feed_code: str, quote: str, channel: str = "admin"
) -> FeedBinding:
    """An operator binds a plan indicator to a module's feed, quoting the plan text that shows the target
    measures exactly that quantity (audited). A second binding replaces the first."""
    p = as_principal(actor)
    _require_operator(p)
    indicator = Indicator.objects.select_related("plan").filter(code=indicator_code).first()
    if indicator is None:
        raise NotFound(f"指标不存在：{indicator_code}", f"Indicator not found: {indicator_code}")
    return write_binding(indicator, feed_code, quote, channel=channel, user=p.user)


def write_binding(
    indicator: Indicator, feed_code: str, quote: str, *, channel: str, user=None
) -> FeedBinding:
    """The binding itself, checked (binding_problem) and audited: for bind_feed and the plan loader."""
    feed = feeds.get_feed(feed_code)
    quote = (quote or "").strip()
    if not quote:
        raise ValidationFailed(
            "请引用规划原文，说明该指标正是这项平台数据",
            "quote the plan text that names this quantity",
            field="quote",
        )
    problem = binding_problem(indicator, feed)
    if problem is not None:
        raise ValidationFailed(*problem, field="feed")
    with transaction.atomic():
        binding, _created = FeedBinding.objects.update_or_create(
            indicator=indicator,
            defaults={"feed": feed_code, "quote": quote[:2000], "channel": channel, "bound_by": user},
        )
        record_event(
            "admin_action",
            user=user,
            action="brain_feed_bind",
            indicator=indicator.code,
            feed=feed_code,
            channel=channel,
        )
    return binding


def unbind_feed(actor, *, indicator_code: str) -> None:
    """An operator ends a binding (audited); the actuals it wrote stay, with their provenance."""
    p = as_principal(actor)
    _require_operator(p)
    binding = FeedBinding.objects.filter(indicator__code=indicator_code).first()
    if binding is None:
        raise NotFound("该指标没有绑定平台数据", "the indicator is not bound to platform data")
    with transaction.atomic():
        binding.delete()
        record_event(
            "admin_action",
            user=p.user,
            action="brain_feed_unbind",
            indicator=indicator_code,
            feed=binding.feed,
        )


MONEY_FAMILIES = ("money_cny", "money_usd")


def _withheld(feed, value) -> bool:
    """A sum over enterprises — of money, or anything a feed hands over with each enterprise's part (e.g.
    tonnes of CO2 reduced by the green loans) — over fewer than k records, or with fewer than k contributing
    enterprises or one of them above the dominance share (core/disclosure.py), is not written: the brain
    shows every plan's actuals to every government office, and one enterprise's or institution's loans or
    emissions must not be read off a total."""
    try:
        family = engine.normalize_unit(1.0, feed.unit)[2]
    except ValueError:
        family = None
    if (family not in MONEY_FAMILIES and not value.parts) or value.inputs == 0:
        return False
    if value.inputs < min_group():
        return True
    parts = [x for x in value.parts if x > 0]
    if not parts:
        return False
    return len(parts) < min_group() or max(parts) > dominance() * sum(parts)


def _refresh_one(binding: FeedBinding, as_of: dt.date, now) -> str:
    """Compute one binding's feed for the year to ``as_of`` and write it as that year's actual when it
    changed. Returns written, unchanged, skipped (no value, no platform record in the scope, outside the
    plan period) or withheld."""
    indicator, feed = binding.indicator, feeds.get_feed(binding.feed)
    value = feeds.compute(binding.feed, feed_jurisdiction(indicator), dt.date(as_of.year, 1, 1), as_of)
    if value is None or value.inputs == 0:
        return "skipped"  # nothing to measure, or no platform record in the scope: no figure, not a zero
    if _withheld(feed, value):
        return "withheld"
    clean, problems = check_actual(
        indicator,
        code=indicator.code,
        year=as_of.year,
        value=value.value,
        unit=feed.unit,
        period_kind=Actual.PeriodKind.YEAR,
        period=0,
        today=timezone.localdate(),
    )
    if problems:
        return "skipped"
    with transaction.atomic():
        FeedBinding.objects.filter(pk=binding.pk).update(checked_at=now)
        current = Actual.objects.filter(
            indicator=indicator,
            period_kind=Actual.PeriodKind.YEAR,
            year=as_of.year,
            period=0,
            is_current=True,
        ).first()
        if (
            current is not None
            and current.feed == binding.feed
            and math.isclose(current.value, clean["value"], rel_tol=0, abs_tol=1e-9)
            and current.is_synthetic == value.synthetic
        ):
            return "unchanged"
        _write_actual(
            clean,
            user=None,
            source=f"平台数据（{feed.module_label}）：{str(feed.source).removeprefix('平台数据：')}",
            channel="feed",
            note=f"截至 {as_of:%Y-%m-%d}",
            synthetic=value.synthetic,
            feed=binding.feed,
            computed_at=now,
            inputs=value.inputs,
        )
    return "written"


def refresh_feeds(actor=None, *, as_of: dt.date | None = None, indicator_code: str | None = None) -> dict:
    """从平台数据更新: compute every bound indicator's feed for the year to ``as_of`` (default today) over
    the indicator's scope and write it through the correction path (a changed value adds a row and retires
    the old one; an unchanged value adds nothing). With an actor (the manual action) only the plans it may
    edit, and the run is audited; without (the scheduled job) every binding."""
    p = as_principal(actor) if actor is not None else None
    bindings = FeedBinding.objects.select_related("indicator", "indicator__plan").order_by("indicator__code")
    if indicator_code:
        bindings = bindings.filter(indicator__code=indicator_code)
    if p is not None:
        allowed = [b for b in bindings if can_edit_plan(p, b.indicator.plan)]
        if indicator_code and not allowed:
            raise Forbidden("只能更新本辖区规划的指标", "You can only refresh your own district's indicators")
        bindings = allowed
    as_of, now = as_of or timezone.localdate(), timezone.now()
    stats = {"written": 0, "unchanged": 0, "skipped": 0, "withheld": 0}
    for binding in bindings:
        stats[_refresh_one(binding, as_of, now)] += 1
    if p is not None:
        record_event("admin_action", user=p.user, action="brain_feed_refresh", as_of=str(as_of), **stats)
    return stats


# ---------------------------------------------------------------------------
# Task supervision (督办)
# ---------------------------------------------------------------------------


def _task_start(task: Task) -> dt.date:
    return dt.date(task.plan.period_start, 1, 1)


def can_report_on(actor, task: Task) -> bool:
    p = as_principal(actor)
    if p.is_admin:
        return True
    if p.role != Role.GOVERNMENT:
        return False
    if task.owner_user_id is not None and p.user is not None and task.owner_user_id == p.user.pk:
        return True
    if task.owner_org_id is not None:
        return task.owner_org_id == p.org_id
    return can_edit_plan(p, task.plan)


def report_progress(actor, *, task_code: str, text: str, percent, attachment=None) -> TaskReport:
    """工作进展报送: the owner (or its office) reports text and a percentage; the status follows."""
    p = as_principal(actor)
    task = Task.objects.select_related("plan").filter(code=task_code).first()
    if task is None:
        raise NotFound(f"任务不存在：{task_code}", f"Task not found: {task_code}")
    if not can_report_on(p, task):
        raise Forbidden("这不是您负责的任务，不能报送进展", "This task is not yours to report on")
    if not (text or "").strip():
        raise ValidationFailed("请填写进展情况", "The progress text is required", field="text")
    try:
        percent = int(percent)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "进度应为 0–100 的整数", "Progress must be a whole number 0-100", field="percent"
        ) from None
    if not 0 <= percent <= 100:
        raise ValidationFailed("进度应在 0–100 之间", "Progress must be between 0 and 100", field="percent")
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        status = derive_status(
            percent=percent,
            start=_task_start(task),
            due=task.due_date,
            today=timezone.localdate(),
            has_reports=True,
        )
        report = TaskReport.objects.create(
            task=task,
            reported_by=p.user,
            text=text.strip(),
            percent=percent,
            status=status,
            attachment=attachment or "",
        )
        task.progress, task.status, task.last_report_at = percent, status, report.reported_at
        task.save(update_fields=["progress", "status", "last_report_at"])
    return report


def assign_task(
    actor,
    *,
    task_code: str,
    owner_org: Organization | None,
    owner_user: User | None = None,
    due_date: dt.date | None = None,
) -> Task:
    p = as_principal(actor)
    task = Task.objects.select_related("plan").filter(code=task_code).first()
    if task is None:
        raise NotFound(f"任务不存在：{task_code}", f"Task not found: {task_code}")
    if not can_edit_plan(p, task.plan):
        raise Forbidden("只能分派本辖区规划的任务", "You can only assign tasks of your own plans")
    if owner_user is not None and owner_org is not None and owner_user.organization_id != owner_org.pk:
        raise ValidationFailed(
            "责任人不属于责任单位", "The owner does not belong to the owning office", field="owner_user"
        )
    task.owner_org, task.owner_user = owner_org, owner_user
    if due_date and due_date != task.due_date:
        task.due_date = due_date
        task.overdue_alerted_at = None  # a new deadline: alert again if it is missed
    task.status = derive_status(
        percent=task.progress,
        start=_task_start(task),
        due=task.due_date,
        today=timezone.localdate(),
        has_reports=task.last_report_at is not None,
    )
    task.save()
    return task


def _overdue_notices(task: Task) -> list[workflow.Notice]:
    """An overdue task's owner and the government officers of the owning office."""
    recipients = [task.owner_user] if task.owner_user_id else []
    if task.owner_org_id:
        recipients += list(workflow.members(task.owner_org_id, roles=(Role.GOVERNMENT,)))
    return [
        workflow.Notice(
            recipients,
            kind="task_overdue",
            title=f"督办任务已逾期：{task.title[:60]}",
            body=f"任务 {task.code} 的完成时限为 {task.due_date:%Y-%m-%d}，当前进度 {task.progress}%。",
            url=f"/brain/tasks/{task.code}/",
        )
    ]


# A task's status is derived from its progress and dates (supervision.derive_status), not decided: the kernel
# serves it with the deadline and the once-only overdue escalation (assign_task clears the marker).
TASKS = workflow.Workflow(
    name="brain.task",
    model=Task,
    states=Task.Status.values,
    initial=Task.Status.NOT_STARTED,
    transitions=(),
    final_states=(Task.Status.DONE,),
    version_field=None,
    due_field="due_date",
    noun_zh="督办任务",
    noun_en="task",
    select_related=("plan", "owner_org", "owner_user"),
    escalation=workflow.Escalation(
        notices=_overdue_notices,
        key=lambda task: f"task-overdue:{task.code}",
        marker_field="overdue_alerted_at",
    ),
)


def refresh_task_statuses(today: dt.date | None = None) -> dict:
    """Recompute every open task's status; a task that becomes overdue notifies its owner and the office
    (every government user of the owning organization) once (workflow.escalate_overdue)."""
    today = today or timezone.localdate()
    stats = {"checked": 0, "changed": 0, "alerts": 0}
    tasks = Task.objects.select_related("plan").exclude(status=Task.Status.DONE)
    for task in tasks:
        stats["checked"] += 1
        status = derive_status(
            percent=task.progress,
            start=_task_start(task),
            due=task.due_date,
            today=today,
            has_reports=task.last_report_at is not None,
        )
        if status != task.status:
            task.status = status
            task.save(update_fields=["status"])
            stats["changed"] += 1
    stats["alerts"] = workflow.escalate_overdue(
        TASKS, today=today, queryset=Task.objects.filter(status=Task.Status.OVERDUE)
    )
    return stats


def refresh_task_statuses_daily() -> bool:
    """The task board's statuses as of today, at the cost of a cache read on every view but the first of the
    day: the status only changes with the date (the scheduler's daily check) or a write that already
    recomputes it (progress report, assignment). Each process checks once per date, so the board is right
    also when the scheduler did not run; the check is idempotent (alerts go out once). True when it ran."""
    today = timezone.localdate()
    key = f"jinfu:brain:tasks-checked:{today.isoformat()}"
    if cache.get(key):
        return False
    refresh_task_statuses(today)  # two first views at once both check: harmless, the check is idempotent
    cache.set(key, True, 26 * 3600)  # after the check: one that failed is tried again on the next view
    return True

"""The finance brain in the back office. Plans, indicators (targets quoted from the plan documents) and the
text of supervised tasks are reference content the operators maintain; every edit is audited. Actual
values are corrected only by adding a row that retires the old one (brain.services.record_actual), a
task's owner, deadline, status and progress come from the task board and the progress reports, and
monitoring reports are generated files: all view-only here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jinfu.core.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline, labelled_form, shown, titled_filter

from . import models as m

PLAN = shown("plan", _("规划"), ordering="plan__code")
INDICATOR = shown("indicator", _("指标"), ordering="indicator__code")


class MonitoringReportInline(ReadOnlyInline):
    model = m.MonitoringReport
    verbose_name = _("监测报告")
    verbose_name_plural = _("监测报告")
    fields = readonly_fields = ["year", "report_status", "created", "finished"]
    report_status = shown("status", _("状态"))
    created = shown("created_at", _("生成时间"))
    finished = shown("finished_at", _("完成时间"))


@admin.register(m.Plan)
class PlanAdmin(AuditedAdmin):
    form = labelled_form(m.Plan)
    list_display = ["code", "title", "issuer", "doc_number", "period_start", "period_end"]
    search_fields = ["code", "title", "doc_number"]
    filter_horizontal = ["divisions", "zones"]
    readonly_fields = ["data_version"]
    inlines = [MonitoringReportInline]


class MilestoneInline(admin.TabularInline):
    model = m.Milestone
    form = labelled_form(m.Milestone, comparator=_("目标比较"), qualifier=_("限定词"), quote=_("原文"))
    verbose_name = _("阶段目标")
    verbose_name_plural = _("阶段目标")
    extra = 0


@admin.register(m.Indicator)
class IndicatorAdmin(AuditedAdmin):
    form = labelled_form(
        m.Indicator,
        plan=_("规划"),
        order=_("排序"),
        scope_division=_("统计范围（区县）"),
        scope_zone=_("统计范围（功能区）"),
        base_quote=_("基期原文"),
        target_quote=_("目标原文"),
    )
    list_display = ["code", "name", PLAN, "scope_name", "kind", "target_year", "target_value", "unit"]
    list_filter = ["kind", ("plan", titled_filter(_("规划")))]
    search_fields = ["code", "name", "canonical", "scope_name"]
    raw_id_fields = ["plan", "scope_division", "scope_zone"]
    inlines = [MilestoneInline]


@admin.register(m.Actual)
class ActualAdmin(ReadOnlyAdmin):
    labels = {
        "indicator": _("指标"),
        "entered_by": _("录入人"),
        "is_current": _("现行值"),
        "superseded_by": _("被更正为"),
    }
    list_display = [
        INDICATOR,
        "period_kind",
        "year",
        "period",
        "value",
        "unit",
        "source",
        "entered_at",
        "current",
    ]
    list_filter = ["period_kind", "year", "channel", "is_synthetic"]
    search_fields = ["indicator__code", "indicator__name", "source"]

    @admin.display(description=_("现行值"), boolean=True, ordering="is_current")
    def current(self, obj):
        return obj.is_current  # a corrected value stays, retired (superseded_by the correction)


class TaskReportInline(ReadOnlyInline):
    model = m.TaskReport
    verbose_name = _("进展报送")
    verbose_name_plural = _("进展报送")
    fields = readonly_fields = ["reported_at", "by", "percent", "status", "text"]
    by = shown("reported_by", _("报送人"))


@admin.register(m.Task)
class TaskAdmin(AuditedAdmin):
    form = labelled_form(m.Task, plan=_("规划"), order=_("排序"), quote=_("原文"))
    list_display = ["code", "title", PLAN, "owner_org", "due_date", "status", "progress"]
    list_filter = ["status", ("plan", titled_filter(_("规划"))), "priority"]
    search_fields = ["code", "title", "owner_org__name"]
    raw_id_fields = ["plan"]
    # status and progress follow the progress reports (brain.services.report_progress) and the overdue
    # check; the owner and the deadline are assigned on the task board (brain.services.assign_task, which
    # checks the owner belongs to the office and re-arms the overdue alert)
    readonly_fields = ["owner_org", "owner_user", "due_date", "status", "progress", "last_report_at"]
    exclude = ["overdue_alerted_at"]
    inlines = [TaskReportInline]

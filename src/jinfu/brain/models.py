"""Finance brain (金融产业大脑): plans, indicators with targets, actuals with history, supervised tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jinfu.core.models import Division, Organization, Zone


class Plan(models.Model):
    code = models.CharField(_("编号"), max_length=8, unique=True)
    title = models.CharField(_("规划名称"), max_length=200)
    title_quote = models.TextField(_("原文"), blank=True)
    issuer = models.CharField(_("发布单位"), max_length=200, blank=True)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    source_file = models.CharField(_("来源文件"), max_length=100)
    divisions = models.ManyToManyField(Division, blank=True, verbose_name=_("行政区划"))
    zones = models.ManyToManyField(Zone, blank=True, verbose_name=_("功能区"))
    period_start = models.PositiveSmallIntegerField(_("起始年"))
    period_end = models.PositiveSmallIntegerField(_("目标年"))
    base_year = models.PositiveSmallIntegerField(_("基期年"), null=True, blank=True)
    notes = models.TextField(_("说明"), blank=True)
    data_version = models.CharField(_("数据版本"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("规划")
        verbose_name_plural = _("规划")
        ordering = ["code"]

    def __str__(self):
        return self.title


class Indicator(models.Model):
    class Kind(models.TextChoices):
        END_VALUE = "end_value", _("期末值")
        ANNUAL_GROWTH = "annual_growth", _("年均增速")
        SHARE = "share", _("占比")
        COUNT = "count", _("数量")

    class Comparator(models.TextChoices):
        AT_LEAST = "at_least", _("不低于")
        AT_MOST = "at_most", _("不高于")
        ABOUT = "about", _("左右")
        KEEP = "keep", _("保持")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("指标编码"), max_length=16, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("指标名称"), max_length=120)
    canonical = models.CharField(_("统一口径指标"), max_length=64, blank=True, db_index=True)
    scope_name = models.CharField(_("统计范围"), max_length=64)
    scope_division = models.ForeignKey(Division, null=True, blank=True, on_delete=models.PROTECT)
    scope_zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.PROTECT)
    unit = models.CharField(_("单位（原文）"), max_length=16)
    kind = models.CharField(_("指标类型"), max_length=16, choices=Kind.choices)
    attribute = models.CharField(_("指标属性"), max_length=16, blank=True)
    source_section = models.CharField(_("出处"), max_length=64, blank=True)
    base_year = models.PositiveSmallIntegerField(_("基期年"), null=True, blank=True)
    base_value = models.FloatField(_("基期值"), null=True, blank=True)
    base_quote = models.TextField(blank=True)
    target_year = models.PositiveSmallIntegerField(_("目标年"))
    target_value = models.FloatField(_("目标值"), null=True, blank=True)
    comparator = models.CharField(_("目标比较"), max_length=16, choices=Comparator.choices)
    qualifier = models.CharField(_("限定词"), max_length=16, blank=True)
    target_quote = models.TextField(blank=True)
    relative = models.JSONField(_("相对目标"), null=True, blank=True)
    defects = models.JSONField(_("原文瑕疵"), default=list, blank=True)
    notes = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["plan__code", "order"]

    def __str__(self):
        return f"{self.scope_name} {self.name}"

    @property
    def is_relative(self) -> bool:
        return bool(self.relative)


class Milestone(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="milestones")
    year = models.PositiveSmallIntegerField(_("年份"))
    value = models.FloatField(_("阶段目标"))
    comparator = models.CharField(max_length=16, choices=Indicator.Comparator.choices)
    qualifier = models.CharField(max_length=16, blank=True)
    quote = models.TextField(blank=True)

    class Meta:
        ordering = ["year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="uniq_milestone_year")]

    def __str__(self):
        return f"{self.indicator.code} {self.year}: {self.value}"


class Actual(models.Model):
    """An actual value for an indicator and period. A correction adds a row and retires the old one
    (is_current=False, superseded_by set): nothing is overwritten."""

    class PeriodKind(models.TextChoices):
        YEAR = "year", _("年")
        QUARTER = "quarter", _("季度")
        MONTH = "month", _("月")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="actuals")
    period_kind = models.CharField(
        _("周期"), max_length=8, choices=PeriodKind.choices, default=PeriodKind.YEAR
    )
    year = models.PositiveSmallIntegerField(_("年份"))
    period = models.PositiveSmallIntegerField(_("季度/月份"), default=0)  # 0 for a year
    value = models.FloatField(_("实际值（指标单位）"))
    unit = models.CharField(_("单位"), max_length=16)
    entered_value = models.FloatField(_("录入值"))
    entered_unit = models.CharField(_("录入单位"), max_length=16)
    source = models.CharField(_("数据来源"), max_length=255)
    note = models.CharField(_("更正说明"), max_length=255, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    entered_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    channel = models.CharField(
        _("录入方式"), max_length=8, default="form"
    )  # form | import | api | demo | feed
    feed = models.CharField(_("平台数据项"), max_length=64, blank=True)  # core/feeds.py, channel "feed"
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    inputs = models.PositiveIntegerField(_("计算所用记录数"), null=True, blank=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    is_current = models.BooleanField(default=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("实际值")
        verbose_name_plural = _("实际值")
        ordering = ["indicator", "year", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period_kind", "year", "period"],
                condition=Q(is_current=True),
                name="uniq_current_actual_period",
            )
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.period_label}: {self.value}"

    @property
    def period_label(self) -> str:
        if self.period_kind == self.PeriodKind.QUARTER:
            return f"{self.year}年第{self.period}季度"
        if self.period_kind == self.PeriodKind.MONTH:
            return f"{self.year}年{self.period}月"
        return f"{self.year}年"


class FeedBinding(models.Model):
    """A plan indicator fed by a module's platform data (core/feeds.py): the feed computes the indicator's
    quantity over its scope, and the brain writes the actuals (services.refresh_feeds). ``quote`` is the
    plan text that shows the target measures exactly that quantity; ``channel`` says who bound it: the
    seeded plan file ("seed") or an operator ("admin")."""

    indicator = models.OneToOneField(Indicator, on_delete=models.CASCADE, related_name="feed_binding")
    feed = models.CharField(_("平台数据项"), max_length=64)
    quote = models.TextField(_("对应依据（原文）"))
    channel = models.CharField(_("绑定方式"), max_length=8, default="admin")  # seed | admin
    bound_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bound_at = models.DateTimeField(_("绑定时间"), auto_now_add=True)
    checked_at = models.DateTimeField(_("最近计算"), null=True, blank=True)

    class Meta:
        verbose_name = _("平台数据指标绑定")
        verbose_name_plural = _("平台数据指标绑定")

    def __str__(self):
        return f"{self.indicator.code} ← {self.feed}"


class Task(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        ON_TRACK = "on_track", _("正常推进")
        AT_RISK = "at_risk", _("存在风险")
        OVERDUE = "overdue", _("已逾期")
        DONE = "done", _("已完成")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks")
    code = models.CharField(_("任务编码"), max_length=16, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    number = models.CharField(_("序号"), max_length=16, blank=True)
    title = models.CharField(_("任务"), max_length=255)
    description = models.TextField(_("任务内容"), blank=True)
    implementation = models.TextField(_("实施路径"), blank=True)
    priority = models.PositiveSmallIntegerField(_("优先级（★）"), default=0)
    lead_units = models.JSONField(_("牵头单位"), default=list, blank=True)
    cooperating_units = models.JSONField(_("配合单位"), default=list, blank=True)
    numeric_targets = models.JSONField(_("量化目标"), default=list, blank=True)
    quote = models.TextField(blank=True)
    owner_org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("督办责任单位")
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("责任人")
    )
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    last_report_at = models.DateTimeField(_("最近报送"), null=True, blank=True)
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("督办任务")
        verbose_name_plural = _("督办任务")
        ordering = ["plan__code", "order"]

    def __str__(self):
        return f"{self.code} {self.title}"


class TaskMilestone(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones")
    year = models.PositiveSmallIntegerField(_("年份"))
    text = models.TextField(_("阶段性目标"))
    quote = models.TextField(blank=True)
    due_date = models.DateField(_("完成时限"))

    class Meta:
        ordering = ["year"]

    def __str__(self):
        return f"{self.task.code} {self.year}"


class TaskReport(models.Model):
    """工作进展报送: a periodic progress report on a task."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    reported_at = models.DateTimeField(_("报送时间"), auto_now_add=True)
    text = models.TextField(_("进展情况"))
    percent = models.PositiveSmallIntegerField(_("完成进度（%）"))
    status = models.CharField(_("报送后状态"), max_length=16, choices=Task.Status.choices)
    attachment = models.FileField(_("附件"), upload_to="brain/reports/%Y/%m/", blank=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-reported_at"]
        constraints = [models.CheckConstraint(condition=Q(percent__lte=100), name="report_percent_max_100")]

    def __str__(self):
        return f"{self.task.code} {self.percent}%"


class MonitoringReport(models.Model):
    """监测报告: a Word + Excel report generated in the background for a plan and year."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reports")
    year = models.PositiveSmallIntegerField(_("监测年份"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    docx = models.FileField(upload_to="brain/monitoring/", blank=True)
    xlsx = models.FileField(upload_to="brain/monitoring/", blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.plan.code} {self.year} {self.status}"

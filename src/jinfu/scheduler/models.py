from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    RUNNING = "running", _("运行中")
    OK = "ok", _("成功")
    FAILED = "failed", _("失败")


class ScheduledJob(models.Model):
    """One declared job (module contract) and its last run. ``last_slot`` is the cron slot last claimed:
    a slot is claimed once (a conditional UPDATE), so a missed run is caught up once, never twice."""

    name = models.CharField(_("任务"), max_length=100, unique=True)
    label = models.CharField(_("说明"), max_length=200, blank=True)
    cron = models.CharField(_("执行时间"), max_length=100)
    enabled = models.BooleanField(_("启用"), default=True)
    last_slot = models.DateTimeField(_("最近计划时间"), null=True, blank=True)
    last_started = models.DateTimeField(_("最近开始"), null=True, blank=True)
    last_duration = models.FloatField(_("最近耗时（秒）"), null=True, blank=True)
    last_outcome = models.CharField(_("最近结果"), max_length=16, choices=Outcome.choices, blank=True)
    last_message = models.TextField(_("最近结果说明"), blank=True)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")
        ordering = ["name"]

    def __str__(self):
        return self.label or self.name


class JobRun(models.Model):
    job = models.ForeignKey(
        ScheduledJob, on_delete=models.CASCADE, related_name="runs", verbose_name=_("任务")
    )
    slot = models.DateTimeField(_("计划时间"))
    catch_up = models.BooleanField(_("补跑"), default=False)
    attempt = models.PositiveSmallIntegerField(_("第几次"), default=1)
    process = models.CharField(
        _("执行进程"), max_length=100, blank=True
    )  # host:pid, to find interrupted runs
    started_at = models.DateTimeField(_("开始"))
    finished_at = models.DateTimeField(_("结束"), null=True, blank=True)
    duration = models.FloatField(_("耗时（秒）"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    message = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("运行记录")
        verbose_name_plural = _("运行记录")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot", "attempt"], name="scheduler_one_run_per_slot")
        ]

    def __str__(self):
        return f"{self.job} {self.slot:%Y-%m-%d %H:%M}"

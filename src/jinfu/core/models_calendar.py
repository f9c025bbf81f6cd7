"""Working-day calendar as reference data: the State Council's yearly holiday notice (放假安排), entered by an
operator with its number and date, versioned. The pure rules live in ``core.reference.workdays``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HolidayNotice(models.Model):
    """One version of one year's holiday arrangement. The newest active version of a year is the one in use."""

    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    notice_number = models.CharField(_("通知文号"), max_length=64)
    notice_date = models.DateField(_("发布日期"))
    title = models.CharField(_("通知标题"), max_length=200)
    source_url = models.URLField(_("来源链接"), blank=True)
    active = models.BooleanField(_("生效中"), default=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("录入人"),
    )
    entered_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("法定节假日安排")
        verbose_name_plural = _("法定节假日安排")
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="uniq_holiday_notice_version")
        ]

    def __str__(self):
        return f"{self.year} {self.notice_number} (v{self.version})"


class HolidayDay(models.Model):
    """A date that differs from the Monday-to-Friday week: a statutory holiday or a weekend make-up day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    notice = models.ForeignKey(HolidayNotice, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["notice", "date"], name="uniq_holiday_day")]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"

"""Risk tables: signals with their provenance (the batch they came in), the registration attributes the
related-party network is built from, the computed score per enterprise, analysts' colour overrides and the
daily colour counts behind the trend chart."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jinfu.core.models import Division, Organization

COLOUR_CHOICES = [("red", _("红色")), ("yellow", _("黄色")), ("green", _("绿色"))]


class SignalBatch(models.Model):
    """One file (or one demo step) that brought signals in: who, from which source, when."""

    class Kind(models.TextChoices):
        REGISTRATION = "registration", _("登记信息及变更")
        PUBLIC_TEXT = "public_text", _("宣传与舆情")
        COMPLAINT = "complaint", _("投诉举报")
        HOTLINE = "hotline", _("12345 热线")
        BANK_ALERT = "bank_alert", _("银行资金预警")

    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    source = models.CharField(_("来源"), max_length=200)
    filename = models.CharField(_("文件名"), max_length=255, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("提交人")
    )
    submitter_org = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("报送单位"),
    )
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("风险信号批次")
        verbose_name_plural = _("风险信号批次")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.source} {self.created_at:%Y-%m-%d}"


class Signal(models.Model):
    class Kind(models.TextChoices):
        REGISTRATION_CHANGE = "registration_change", _("登记变更")
        PUBLIC_TEXT = "public_text", _("宣传与舆情")
        COMPLAINT = "complaint", _("投诉")
        TIPOFF = "tipoff", _("举报")
        HOTLINE = "hotline", _("12345 热线")
        BANK_ALERT = "bank_alert", _("银行资金预警")

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="risk_signals", verbose_name=_("企业")
    )
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices, db_index=True)
    channel = models.CharField(_("渠道"), max_length=32, blank=True)
    text = models.TextField(_("内容"))
    promised_return = models.DecimalField(
        _("承诺年化收益率（%）"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(_("金额（万元）"), max_digits=16, decimal_places=2, null=True, blank=True)
    occurred_on = models.DateField(_("发生日期"))
    batch = models.ForeignKey(
        SignalBatch, on_delete=models.PROTECT, related_name="signals", verbose_name=_("批次")
    )
    is_synthetic = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        verbose_name = _("风险信号")
        verbose_name_plural = _("风险信号")
        indexes = [models.Index(fields=["enterprise", "occurred_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(promised_return__isnull=True) | Q(promised_return__gte=0),
                name="risk_signal_rate_nonneg",
            )
        ]

    def __str__(self):
        return f"{self.enterprise} {self.get_kind_display()} {self.occurred_on}"


class Party(models.Model):
    """A registration attribute shared firms are linked by (legal representative, shareholder, address,
    phone, e-mail) or a bank account alerts are reported against."""

    class Kind(models.TextChoices):
        LEGAL_REP = (
            "legal_rep",
            _("法定代表人"),
        )  # beside the core profile's: a registration file may name one
        SHAREHOLDER = "shareholder", _("股东")
        ADDRESS = "address", _("地址")
        PHONE = "phone", _("电话")
        EMAIL = "email", _("电子邮箱")
        ACCOUNT = "account", _("对公账户")

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="risk_parties", verbose_name=_("企业")
    )
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("值"), max_length=255)
    batch = models.ForeignKey(
        SignalBatch, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("批次")
    )

    class Meta:
        verbose_name = _("关联要素")
        verbose_name_plural = _("关联要素")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "kind", "value"], name="risk_party_uniq")
        ]
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self):
        return f"{self.enterprise} {self.get_kind_display()}"


class RegistrationInfo(models.Model):
    """What the registration file adds to the core profile: the business scope (经营范围)."""

    enterprise = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="risk_registration"
    )
    business_scope = models.TextField(_("经营范围"), blank=True)
    batch = models.ForeignKey(
        SignalBatch, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("批次")
    )

    class Meta:
        verbose_name = _("登记信息")
        verbose_name_plural = _("登记信息")

    def __str__(self):
        return str(self.enterprise)


class RiskScore(models.Model):
    enterprise = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="risk_score",
        verbose_name=_("企业"),
    )
    index = models.DecimalField(_("涉众风险指数"), max_digits=5, decimal_places=1)
    computed_colour = models.CharField(_("计算颜色"), max_length=8, choices=COLOUR_CHOICES)
    colour = models.CharField(_("预警颜色"), max_length=8, choices=COLOUR_CHOICES, db_index=True)
    street = models.CharField(_("街镇"), max_length=32, blank=True)
    measures = models.JSONField(_("各维度计量"), default=dict)
    hop = models.PositiveSmallIntegerField(_("距红色企业层数"), default=0)
    via = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("关联来源"),
    )
    cluster = models.BigIntegerField(_("团伙编号"), null=True, blank=True, db_index=True)
    cluster_size = models.PositiveIntegerField(_("团伙规模"), default=0)
    versions = models.JSONField(_("参数版本"), default=dict)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("涉众风险指数")
        verbose_name_plural = _("涉众风险指数")
        constraints = [
            models.CheckConstraint(condition=Q(index__gte=0) & Q(index__lte=100), name="risk_index_range"),
        ]

    def __str__(self):
        return f"{self.enterprise} {self.index}"


class ColourOverride(models.Model):
    """An analyst's colour for a firm, with the reason. The latest active one wins; the computed colour
    stays beside it."""

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="risk_overrides", verbose_name=_("企业")
    )
    colour = models.CharField(_("预警颜色"), max_length=8, choices=COLOUR_CHOICES)
    reason = models.CharField(_("理由"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("调整人")
    )
    created_at = models.DateTimeField(_("调整时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("预警颜色调整")
        verbose_name_plural = _("预警颜色调整")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.enterprise} → {self.colour}"


class ColourCount(models.Model):
    """Colour counts of one division on one day (the trend chart)."""

    on = models.DateField(_("日期"))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, verbose_name=_("行政区划"))
    red = models.PositiveIntegerField(default=0)
    yellow = models.PositiveIntegerField(default=0)
    green = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("预警颜色统计")
        verbose_name_plural = _("预警颜色统计")
        constraints = [models.UniqueConstraint(fields=["on", "division"], name="risk_count_uniq")]

    def __str__(self):
        return f"{self.on} {self.division_id}"

"""Credit source records (with provenance), the batches that bring them, connector configuration,
the stored feature snapshot and profile tags defined as rules.

Every source record carries its provenance: the source system it came from, when it was fetched,
and the batch (file upload, REST pull or demo generator) that applied it. Natural keys are unique
(one tax record per enterprise and year…), so a duplicate period is an error, never a silent copy.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jinfu.core.models import Organization, Tag

MONEY = {"max_digits": 16, "decimal_places": 2}


class Source(models.TextChoices):
    TAX = "tax", _("纳税信息")
    SOCIAL_INSURANCE = "social_insurance", _("社保缴纳")
    UTILITY = "utility", _("水电气")
    PROCUREMENT = "procurement", _("政府采购")
    COURT = "court", _("司法信息")
    PENALTY = "penalty", _("行政处罚")
    ABNORMAL = "abnormal", _("经营异常名录")
    IP = "ip", _("知识产权")
    ENVIRONMENT = "environment", _("环境信用评价")


class SourceBatch(models.Model):
    class Adapter(models.TextChoices):
        FILE = "file", _("文件导入")
        REST = "rest", _("接口拉取")
        DEMO = "demo", _("示例数据生成")

    class Status(models.TextChoices):
        RUNNING = "running", _("处理中")
        APPLIED = "applied", _("已入库")
        FAILED = "failed", _("失败（未入库）")

    source = models.CharField(_("数据源"), max_length=24, choices=Source.choices, db_index=True)
    source_system = models.CharField(_("来源系统"), max_length=100)
    adapter = models.CharField(_("接入方式"), max_length=8, choices=Adapter.choices)
    filename = models.CharField(_("文件名/接口"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    rows = models.PositiveIntegerField(_("记录数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("数据批次")
        verbose_name_plural = _("数据批次")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.get_source_display()} #{self.pk} {self.status}"

    @property
    def is_synthetic(self) -> bool:
        return self.adapter == self.Adapter.DEMO


class ConnectorConfig(models.Model):
    """How to pull one source over REST (see docs/credit.md)."""

    source = models.CharField(_("数据源"), max_length=24, choices=Source.choices, unique=True)
    source_system = models.CharField(_("来源系统"), max_length=100)
    endpoint = models.URLField(_("接口地址"), max_length=500)
    auth_header = models.CharField(_("认证头名称"), max_length=64, default="Authorization", blank=True)
    auth_env = models.CharField(
        _("认证值环境变量"), max_length=64, blank=True, help_text=_("密钥不入库：从此环境变量读取")
    )
    field_map = models.JSONField(_("字段映射（来源字段→本平台字段）"), default=dict)
    records_path = models.CharField(_("记录所在键"), max_length=64, default="data")
    paging = models.CharField(
        _("分页方式"),
        max_length=8,
        choices=[("page", "page/size"), ("next", "next link"), ("none", "none")],
        default="page",
    )
    page_size = models.PositiveIntegerField(_("每页条数"), default=500)
    timeout = models.FloatField(_("超时（秒）"), default=10.0)
    retries = models.PositiveSmallIntegerField(_("重试次数"), default=3)
    backoff = models.FloatField(_("退避基数（秒）"), default=0.5)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("数据源接口配置")
        verbose_name_plural = _("数据源接口配置")

    def __str__(self):
        return f"{self.get_source_display()} ← {self.endpoint}"


class SourceRecord(models.Model):
    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("企业")
    )
    batch = models.ForeignKey(SourceBatch, on_delete=models.PROTECT, related_name="+", verbose_name=_("批次"))
    source_system = models.CharField(_("来源系统"), max_length=100)
    fetched_at = models.DateTimeField(_("获取时间"))

    class Meta:
        abstract = True


class TaxRecord(SourceRecord):  # noqa: DJ008
    GRADES = [("A", "A"), ("B", "B"), ("M", "M"), ("C", "C"), ("D", "D")]
    year = models.PositiveSmallIntegerField(_("年度"))
    credit_grade = models.CharField(_("纳税信用等级"), max_length=1, choices=GRADES)
    tax_paid = models.DecimalField(_("纳税额（万元）"), **MONEY)

    class Meta:
        verbose_name = _("纳税记录")
        verbose_name_plural = _("纳税记录")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="credit_tax_uniq"),
            models.CheckConstraint(condition=Q(tax_paid__gte=0), name="credit_tax_nonneg"),
        ]


class SocialInsuranceRecord(SourceRecord):  # noqa: DJ008
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    insured = models.PositiveIntegerField(_("参保人数"))

    class Meta:
        verbose_name = _("社保缴纳记录")
        verbose_name_plural = _("社保缴纳记录")
        constraints = [models.UniqueConstraint(fields=["enterprise", "month"], name="credit_si_uniq")]


class UtilityRecord(SourceRecord):  # noqa: DJ008
    KINDS = [("water", _("水")), ("electricity", _("电")), ("gas", _("气"))]
    month = models.DateField(_("月份"))
    kind = models.CharField(_("类别"), max_length=12, choices=KINDS)
    usage = models.DecimalField(_("用量"), max_digits=16, decimal_places=2)
    cost = models.DecimalField(_("费用（万元）"), **MONEY)

    class Meta:
        verbose_name = _("水电气记录")
        verbose_name_plural = _("水电气记录")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "month", "kind"], name="credit_utility_uniq"),
            models.CheckConstraint(condition=Q(usage__gte=0) & Q(cost__gte=0), name="credit_utility_nonneg"),
        ]


class ProcurementOrder(SourceRecord):  # noqa: DJ008
    order_no = models.CharField(_("合同/订单编号"), max_length=64)
    date = models.DateField(_("签订日期"))
    buyer = models.CharField(_("采购人"), max_length=200)
    amount = models.DecimalField(_("金额（万元）"), **MONEY)

    class Meta:
        verbose_name = _("政府采购订单")
        verbose_name_plural = _("政府采购订单")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "order_no"], name="credit_proc_uniq"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="credit_proc_nonneg"),
        ]


class CourtRecord(SourceRecord):  # noqa: DJ008
    KINDS = [
        ("dishonest_debtor", _("失信被执行人")),
        ("enforcement", _("被执行人")),
        ("judgment", _("裁判文书")),
    ]
    kind = models.CharField(_("类别"), max_length=20, choices=KINDS)
    case_no = models.CharField(_("案号"), max_length=100)
    date = models.DateField(_("立案/发布日期"))
    amount = models.DecimalField(_("标的金额（万元）"), null=True, blank=True, **MONEY)
    closed = models.BooleanField(_("已结案/已移除"), default=False)

    class Meta:
        verbose_name = _("司法记录")
        verbose_name_plural = _("司法记录")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "kind", "case_no"], name="credit_court_uniq")
        ]


class PenaltyRecord(SourceRecord):  # noqa: DJ008
    decision_no = models.CharField(_("处罚决定书文号"), max_length=100)
    date = models.DateField(_("处罚日期"))
    authority = models.CharField(_("处罚机关"), max_length=200)
    amount = models.DecimalField(_("罚没金额（万元）"), **MONEY)
    reason = models.CharField(_("事由"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("行政处罚")
        verbose_name_plural = _("行政处罚")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "decision_no"], name="credit_penalty_uniq")
        ]


class AbnormalListing(SourceRecord):  # noqa: DJ008
    listed_on = models.DateField(_("列入日期"))
    removed_on = models.DateField(_("移出日期"), null=True, blank=True)
    reason = models.CharField(_("列入原因"), max_length=255)

    class Meta:
        verbose_name = _("经营异常名录")
        verbose_name_plural = _("经营异常名录")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "listed_on"], name="credit_abnormal_uniq"),
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=models.F("listed_on")),
                name="credit_abnormal_order",
            ),
        ]


class IPRecord(SourceRecord):  # noqa: DJ008
    KINDS = [
        ("invention", _("发明专利")),
        ("utility", _("实用新型专利")),
        ("design", _("外观设计专利")),
        ("trademark", _("注册商标")),
        ("software_copyright", _("软件著作权")),
    ]
    kind = models.CharField(_("类别"), max_length=20, choices=KINDS)
    number = models.CharField(_("证书/申请号"), max_length=64)
    date = models.DateField(_("授权/登记日期"))

    class Meta:
        verbose_name = _("知识产权")
        verbose_name_plural = _("知识产权")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "kind", "number"], name="credit_ip_uniq")
        ]


class EnvironmentalRating(SourceRecord):  # noqa: DJ008
    RATINGS = [("绿", "绿"), ("蓝", "蓝"), ("黄", "黄"), ("红", "红"), ("黑", "黑")]
    year = models.PositiveSmallIntegerField(_("年度"))
    rating = models.CharField(_("环境信用等级"), max_length=1, choices=RATINGS)

    class Meta:
        verbose_name = _("环境信用评价")
        verbose_name_plural = _("环境信用评价")
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="credit_env_uniq")]


class FeatureSnapshot(models.Model):  # noqa: DJ008
    """The credit part of one enterprise's feature row, recomputed when its records change."""

    enterprise = models.OneToOneField(
        Organization, on_delete=models.CASCADE, primary_key=True, related_name="credit_features"
    )
    values = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("企业特征快照")
        verbose_name_plural = _("企业特征快照")


class TagRule(models.Model):
    """A profile tag defined as a rule over the feature table (see docs/credit.md)."""

    class Mode(models.TextChoices):
        SYNC = "sync", _("规则即定义（命中加、不中移除）")
        ADD = "add", _("只添加（官方名单导入的标签保留）")

    tag = models.OneToOneField(Tag, on_delete=models.CASCADE, related_name="rule", verbose_name=_("标签"))
    rule = models.TextField(_("规则"))
    basis = models.TextField(_("依据"), blank=True)
    mode = models.CharField(_("方式"), max_length=4, choices=Mode.choices, default=Mode.SYNC)
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("标签规则")
        verbose_name_plural = _("标签规则")

    def __str__(self):
        return f"{self.tag.name}: {self.rule}"


from .models_scoring import *  # noqa: E402, F401, F403

"""Green finance tables: the catalogues (versioned reference data loaded from data/catalogues.yaml), the
green project pool (绿色项目库) with its identifications, review events and the loans institutions
record against claimed projects.

Money is in 万元. Business rules live in services.py and engine.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jinfu.core.models import Division, Organization

MONEY = {"max_digits": 16, "decimal_places": 2}
QTY = {"max_digits": 18, "decimal_places": 4}


class Catalogue(models.Model):
    code = models.CharField(_("代码"), max_length=32, unique=True)
    title = models.CharField(_("名称"), max_length=128)
    document = models.CharField(_("文号"), max_length=64)
    issuer = models.CharField(_("发布机关"), max_length=128)
    issued_on = models.DateField(_("印发日期"))
    effective_on = models.DateField(_("施行日期"))
    published_counts = models.JSONField(_("来源所述各级条目数"), default=dict)
    sources = models.JSONField(_("来源"), default=list)
    data_version = models.CharField(_("数据版本"), max_length=16)

    class Meta:
        ordering = ["effective_on"]
        verbose_name = _("绿色目录")

    def __str__(self):
        return f"《{self.title}》"


class CatalogueItem(models.Model):
    catalogue = models.ForeignKey(Catalogue, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("编号"), max_length=16)
    level = models.PositiveSmallIntegerField(_("级次"))
    name = models.CharField(_("名称"), max_length=128)
    criteria = models.TextField(_("技术标准"), blank=True)
    verification = models.CharField(_("核实情况"), max_length=16)
    maps_from = models.JSONField(_("对应旧版条目"), default=dict)
    parent_code = models.CharField(_("上级条目编号"), max_length=16, blank=True)
    position = models.PositiveIntegerField(_("目录中的顺序"), default=0)
    #: where the item was read: {excerpt or url, quote} (data/sources/ORIGIN.yaml for excerpts)
    source = models.JSONField(_("来源"), default=dict)

    class Meta:
        ordering = ["catalogue", "position"]
        constraints = [models.UniqueConstraint(fields=["catalogue", "code"], name="green_item_unique")]

    def __str__(self):
        return f"{self.code} {self.name}"


class Tier(models.TextChoices):
    RESERVE = "reserve", _("储备")
    POOL = "pool", _("入库")
    RECOMMENDED = "recommended", _("推荐")


class GreenProject(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        CONFIRMED = "confirmed", _("已认定")
        REJECTED = "rejected", _("未通过认定")
        REVOKED = "revoked", _("绿色认定已撤销")

    enterprise = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="green_projects")
    name = models.CharField(_("项目名称"), max_length=200)
    description = models.TextField(_("项目描述"))
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区县")
    )
    location = models.CharField(_("建设地点"), max_length=200)
    industry_code = models.CharField(_("行业代码"), max_length=8, blank=True)
    item = models.ForeignKey(
        CatalogueItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("目录条目")
    )
    total_investment = models.DecimalField(_("总投资（万元）"), **MONEY)
    financing_need = models.DecimalField(_("融资需求（万元）"), **MONEY)
    construction_start = models.DateField(_("开工日期"))
    construction_months = models.PositiveSmallIntegerField(_("建设期（月）"))
    output_kind = models.CharField(_("产出类型"), max_length=32)
    annual_output = models.DecimalField(_("预期年产出"), **QTY)
    output_unit = models.CharField(_("单位"), max_length=8)
    grid = models.CharField(_("电网区域"), max_length=16, default="西南")
    factor_year = models.PositiveSmallIntegerField(_("排放因子年份"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    tier = models.CharField(_("层级"), max_length=16, choices=Tier.choices, blank=True)
    published = models.BooleanField(_("已向金融机构发布"), default=False)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "published"])]

    def __str__(self):
        return self.name


class Identification(models.Model):
    """One run of the rules against a catalogue version: the proposed items with evidence; an assessor's
    decision (confirm / reject with a reason) closes it."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("待认定")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("已驳回")
        REVOKED = "revoked", _("已撤销")

    project = models.ForeignKey(GreenProject, on_delete=models.CASCADE, related_name="identifications")
    catalogue = models.ForeignKey(Catalogue, on_delete=models.PROTECT, related_name="+")
    matches = models.JSONField(_("识别结果"), default=list)  # [{item, name, confidence, evidence: [...]}]
    best_item = models.CharField(_("最佳匹配条目"), max_length=16, blank=True)
    confidence = models.DecimalField(_("置信度"), max_digits=4, decimal_places=2, default=0)
    rules_version = models.CharField(_("规则版本"), max_length=16)
    decision = models.CharField(_("认定"), max_length=16, choices=Decision.choices, default=Decision.PENDING)
    reason = models.TextField(_("理由"), blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.project} · {self.get_decision_display()}"


class GreenLoan(models.Model):
    """An institution's claim on a published project (撮合), and the loan it then records."""

    project = models.ForeignKey(GreenProject, on_delete=models.CASCADE, related_name="loans")
    institution = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="green_loans")
    amount = models.DecimalField(_("贷款金额（万元）"), null=True, blank=True, **MONEY)
    outstanding = models.DecimalField(_("贷款余额（万元）"), null=True, blank=True, **MONEY)
    granted_on = models.DateField(_("放款日期"), null=True, blank=True)
    claimed_at = models.DateTimeField(auto_now_add=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        ordering = ["-claimed_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["project", "institution"], name="green_claim_once")]

    def __str__(self):
        return f"{self.institution} · {self.project}"


class GreenEvent(models.Model):
    """The project's timeline: submitted, identified, confirmed/rejected (with reason), tiered,
    published, claimed, loan recorded. Written by services only."""

    project = models.ForeignKey(GreenProject, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=32)
    detail = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True)

    LABELS = {
        "submitted": "提交项目",
        "identified": "自动识别",
        "confirmed": "认定为绿色项目",
        "rejected": "驳回绿色识别",
        "revoked": "撤销绿色认定",
        "risk_alert": "绿色贷款风险预警",
        "tiered": "调整层级/发布",
        "claimed": "金融机构认领",
        "loan_recorded": "登记贷款",
    }

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.project} · {self.label}"

    @property
    def label(self) -> str:
        return self.LABELS.get(self.kind, "其他")


class GreenProduct(models.Model):
    """An institution's green financial product: the green flag is being here; ``rule`` (jinfu.rules,
    over matching.PROJECT_FIELDS) says which projects it serves, e.g. ``catalogue_item IN ('4', '6')``."""

    institution = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="green_products")
    name = models.CharField(_("产品名称"), max_length=200)
    rule = models.TextField(_("适用项目规则"))
    terms = models.CharField(_("产品要素"), max_length=300, blank=True)
    active = models.BooleanField(_("上架"), default=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.name


class GreenReport(models.Model):
    """The figures an institution reports for one quarter, the inputs of the 绿色金融评价 (green/engine.py:
    evaluate); the finance office adds the qualitative scores. Money in 万元."""

    institution = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="green_reports")
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    green_balance = models.DecimalField(_("绿色金融业务总额（万元）"), **MONEY)
    prior_green_balance = models.DecimalField(_("上年同期绿色金融业务总额（万元）"), **MONEY)
    total_balance = models.DecimalField(_("各项业务总额（万元）"), **MONEY)
    green_risk = models.DecimalField(_("绿色金融业务风险总额（万元）"), **MONEY)
    qual_policy = models.DecimalField(
        _("执行国家及地方绿色金融政策情况（分）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    qual_system = models.DecimalField(
        _("机构绿色金融制度制定及实施情况（分）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    qual_support = models.DecimalField(
        _("金融支持绿色产业发展情况（分）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "-quarter", "institution"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "year", "quarter"], name="green_report_once"),
            models.CheckConstraint(condition=models.Q(quarter__gte=1, quarter__lte=4), name="green_report_q"),
        ]

    def __str__(self):
        return f"{self.institution} · {self.year}年第{self.quarter}季度"

    @property
    def period(self) -> str:
        return f"{self.year}年第{self.quarter}季度"


class GreenNotice(models.Model):
    """Green news and policy notices (绿色资讯 / 通知公告) a finance office or the platform operator publishes
    to signed-in users: draft → published → withdrawn (green/services.py, audited). The body is plain text
    with a few markdown-like marks, rendered escaped (green/richtext.py)."""

    class Kind(models.TextChoices):
        NEWS = "news", _("绿色资讯")
        NOTICE = "notice", _("通知公告")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    #: the finance office that publishes; empty: the platform operator (an operator has no organization)
    publisher = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="green_notices"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.NOTICE)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    source = models.CharField(_("来源"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.CharField(_("撤回原因"), max_length=300, blank=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return self.title

    @property
    def publisher_name(self) -> str:
        return self.publisher.name if self.publisher_id else "平台运营方"


class EnvCreditRating(models.Model):
    """企业环境信用评价: an enterprise's environmental credit rating for one year as the issuing ecology and
    environment authority's file states it (imported: green.env_credit). ``rank`` orders the levels of
    the scale named in the file (1 = best, green/imports.py ENV_CREDIT_LEVELS); a later year's worse rank
    is a downgrade, which raises the green risk warning."""

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="env_credit_ratings", verbose_name=_("企业")
    )
    rating = models.CharField(_("环境信用等级"), max_length=16)
    rank = models.PositiveSmallIntegerField(_("等级序位"))
    rating_year = models.PositiveSmallIntegerField(_("评价年度"))
    authority = models.CharField(_("评价机关"), max_length=128)
    document_number = models.CharField(_("文号"), max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("企业环境信用评价")
        verbose_name_plural = _("企业环境信用评价")
        ordering = ["-rating_year", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "rating_year"], name="green_env_credit_once")
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.rating_year} {self.rating}"

"""Financing service (债权融资、股权融资、科技保险): products, demands and claims (揭榜), applications with
their workflow events, equity funds and roadshows. Money in 万元, rates in % per year, terms in months."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jinfu.core.models import Grant, Organization


class Product(models.Model):
    class Category(models.TextChoices):
        LOAN = "loan", _("贷款")
        GUARANTEE = "guarantee", _("融资担保")
        INSURANCE = "insurance", _("保险")
        LEASING = "leasing", _("融资租赁")
        FACTORING = "factoring", _("商业保理")
        EQUITY = "equity", _("股权投资")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        OFFLINE = "offline", _("已下架")

    SUBTYPES = [
        ("credit", _("信用贷")),
        ("mortgage", _("抵押贷")),
        ("ip_pledge", _("知识产权质押贷")),
        ("receivables_pledge", _("应收账款质押贷")),
        ("order_loan", _("订单贷/政府采购贷")),
        ("knowledge_value", _("知识价值信用贷款")),
        ("business_value", _("商业价值信用贷款")),
        ("first_loan", _("首贷")),
        ("renewal", _("续贷/无还本续贷")),
        ("guarantee", _("融资担保")),
        ("tech_insurance", _("科技保险")),
        ("first_set_insurance", _("首台套保险")),
        ("loan_guarantee_insurance", _("贷款保证保险")),
        ("leasing", _("融资租赁")),
        ("factoring", _("保理")),
        ("equity_fund", _("股权基金")),
        ("other", _("其他")),
    ]
    COLLATERAL = [
        ("real_estate", _("房产土地抵押")),
        ("equipment", _("设备抵押")),
        ("ip", _("知识产权质押")),
        ("receivables", _("应收账款质押")),
        ("guarantee", _("第三方担保")),
        ("deposit", _("保证金")),
    ]
    POLICY_SUPPORT = [
        ("interest_subsidy", _("贴息")),
        ("risk_compensation", _("风险补偿")),
        ("guarantee_fee_subsidy", _("担保费补贴")),
    ]

    institution = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="products", verbose_name=_("金融机构")
    )
    code = models.CharField(_("产品编码"), max_length=32, unique=True)
    name = models.CharField(_("产品名称"), max_length=120)
    category = models.CharField(_("产品大类"), max_length=16, choices=Category.choices)
    subtype = models.CharField(_("产品类型"), max_length=32, choices=SUBTYPES)
    description = models.TextField(_("产品介绍"), blank=True)
    amount_min = models.DecimalField(_("最低额度（万元）"), max_digits=12, decimal_places=2)
    amount_max = models.DecimalField(_("最高额度（万元）"), max_digits=12, decimal_places=2)
    rate_min = models.DecimalField(_("最低年利率/费率（%）"), max_digits=6, decimal_places=3)
    rate_max = models.DecimalField(_("最高年利率/费率（%）"), max_digits=6, decimal_places=3)
    term_min = models.PositiveIntegerField(_("最短期限（月）"))
    term_max = models.PositiveIntegerField(_("最长期限（月）"))
    collateral = models.JSONField(_("可接受担保方式"), default=list, blank=True)  # [] = 信用，无需担保
    manager_name = models.CharField(_("客户经理"), max_length=64, blank=True)
    manager_phone = models.CharField(_("客户经理电话"), max_length=32, blank=True)
    manager_branch = models.CharField(_("所属网点"), max_length=120, blank=True)
    repayment = models.CharField(_("还款方式"), max_length=64, blank=True)
    expected_days = models.PositiveIntegerField(_("预计审批时长（工作日）"), default=10)
    eligibility_rule = models.TextField(_("准入规则"), blank=True)
    policy_support = models.JSONField(_("政策支持"), default=list, blank=True)
    preferences = models.JSONField(
        _("投资偏好"), default=dict, blank=True
    )  # equity: stages, industries, ticket
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(_("版本"), default=0)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("金融产品")
        verbose_name_plural = _("金融产品")
        ordering = ["institution__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_min__gte=0) & Q(amount_max__gte=models.F("amount_min")),
                name="product_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(rate_min__gte=0) & Q(rate_max__gte=models.F("rate_min")),
                name="product_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(term_max__gte=models.F("term_min")), name="product_term_range"
            ),
        ]

    def __str__(self):
        return self.name


class ProductVersion(models.Model):
    """A frozen copy of a product as published: an application keeps the version it applied to."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "version"], name="uniq_product_version")]
        ordering = ["product", "-version"]

    def __str__(self):
        return f"{self.product.code} v{self.version}"


class Demand(models.Model):
    class Urgency(models.TextChoices):
        NORMAL = "normal", _("一般")
        URGENT = "urgent", _("较急")
        VERY_URGENT = "very_urgent", _("紧急")

    class Status(models.TextChoices):
        OPEN = "open", _("待揭榜")
        CLAIMED = "claimed", _("已揭榜")
        CLOSED = "closed", _("已关闭")

    VISIBLE_FIELDS = [
        ("name", _("企业名称")),
        ("industry", _("所属行业")),
        ("division", _("所在区县")),
        ("size_class", _("企业规模")),
        ("revenue", _("营业收入")),
        ("employees", _("从业人员")),
    ]

    enterprise = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="demands")
    amount = models.DecimalField(_("融资金额（万元）"), max_digits=12, decimal_places=2)
    term_months = models.PositiveIntegerField(_("期限（月）"))
    purpose = models.CharField(_("资金用途"), max_length=200)
    collateral_offered = models.JSONField(_("可提供担保"), default=list, blank=True)
    urgency = models.CharField(_("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    visible_fields = models.JSONField(_("揭榜前公开字段"), default=list, blank=True)
    # shown only to the institution that claims the demand (the enterprise's next step after 揭榜)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("截止时间"))
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("融资需求")
        verbose_name_plural = _("融资需求")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="demand_amount_positive")]

    def __str__(self):
        return f"{self.enterprise} {self.amount}万元"


class DemandClaim(models.Model):
    """揭榜: an institution claims a demand for a limited time; only one live claim per demand."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("揭榜中")
        RELEASED = "released", _("已放弃")
        EXPIRED = "expired", _("已过期")
        CONVERTED = "converted", _("已转申请")

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="claims")
    institution = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="claims")
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    claimed_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("揭榜有效期"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["demand"], condition=Q(status="active"), name="one_active_claim_per_demand"
            )
        ]

    def __str__(self):
        return f"{self.institution} ⇢ {self.demand_id}"


class Application(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已申请")
        ACCEPTED = "accepted", _("已受理")
        DUE_DILIGENCE = "due_diligence", _("尽职调查")
        APPROVED = "approved", _("审批通过")
        DISBURSED = "disbursed", _("已放款")
        REJECTED = "rejected", _("已拒绝")
        WITHDRAWN = "withdrawn", _("已撤回")

    REJECT_REASONS = [
        ("R01", _("不符合准入条件")),
        ("R02", _("信用记录不良")),
        ("R03", _("经营或财务状况不满足")),
        ("R04", _("担保或抵押不足")),
        ("R05", _("资料不完整或不实")),
        ("R06", _("超出授信额度")),
        ("R09", _("其他原因")),
    ]

    enterprise = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="applications")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="applications")
    product_version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="applications")
    institution = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="received_applications"
    )
    demand = models.ForeignKey(
        Demand, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    grant = models.ForeignKey(Grant, null=True, on_delete=models.SET_NULL, related_name="+")
    amount = models.DecimalField(_("申请金额（万元）"), max_digits=12, decimal_places=2)
    term_months = models.PositiveIntegerField(_("申请期限（月）"))
    purpose = models.CharField(_("资金用途"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    stage_due = models.DateField(_("当前环节时限"), null=True, blank=True)
    reason_code = models.CharField(_("拒绝原因"), max_length=8, choices=REJECT_REASONS, blank=True)
    decision_note = models.CharField(_("说明"), max_length=255, blank=True)
    approved_amount = models.DecimalField(
        _("批准金额（万元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    rate = models.DecimalField(_("执行利率（%）"), max_digits=6, decimal_places=3, null=True, blank=True)
    approved_term = models.PositiveIntegerField(_("批准期限（月）"), null=True, blank=True)
    disbursed_on = models.DateField(_("放款日期"), null=True, blank=True)
    is_first_loan = models.BooleanField(_("首贷户"), default=False)
    lock_version = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("融资申请")
        verbose_name_plural = _("融资申请")
        ordering = ["-submitted_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="application_amount_positive")]

    def __str__(self):
        return f"{self.enterprise} → {self.product} ({self.get_status_display()})"


class ApplicationEvent(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=255, blank=True)
    due = models.DateField(null=True, blank=True)
    overdue = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.application_id}: {self.from_status}→{self.to_status}"


class Fund(models.Model):
    manager = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="funds", verbose_name=_("管理人")
    )
    name = models.CharField(_("基金名称"), max_length=120)
    size = models.DecimalField(_("基金规模（亿元）"), max_digits=10, decimal_places=2)
    stages = models.JSONField(_("投资阶段"), default=list)  # seed / angel / a / b / growth / pre_ipo
    industries = models.JSONField(_("关注行业"), default=list)  # GB/T 4754 sections or divisions
    ticket_min = models.DecimalField(_("单笔最低（万元）"), max_digits=12, decimal_places=2)
    ticket_max = models.DecimalField(_("单笔最高（万元）"), max_digits=12, decimal_places=2)
    status = models.CharField(_("状态"), max_length=16, default="investing")
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("股权基金")
        verbose_name_plural = _("股权基金")

    def __str__(self):
        return self.name


class FundRecord(models.Model):
    """募投管退: fundraising, investment, post-investment management and exit records of a fund."""

    class Kind(models.TextChoices):
        RAISE = "raise", _("募资")
        INVEST = "invest", _("投资")
        MANAGE = "manage", _("投后管理")
        EXIT = "exit", _("退出")

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    date = models.DateField(_("日期"))
    amount = models.DecimalField(_("金额（万元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    counterparty = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self):
        return f"{self.fund} {self.kind} {self.date}"


class RoadshowProject(models.Model):
    STAGES = [
        ("seed", _("种子期")),
        ("angel", _("天使轮")),
        ("a", _("A轮")),
        ("b", _("B轮")),
        ("growth", _("成长期")),
        ("pre_ipo", _("Pre-IPO")),
    ]

    enterprise = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="roadshows")
    title = models.CharField(_("项目名称"), max_length=120)
    summary = models.TextField(_("项目简介"))
    stage = models.CharField(_("融资阶段"), max_length=16, choices=STAGES)
    amount_sought = models.DecimalField(_("拟融资额（万元）"), max_digits=12, decimal_places=2)
    published = models.BooleanField(_("已发布"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("路演项目")
        verbose_name_plural = _("路演项目")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


class RoadshowEvent(models.Model):
    title = models.CharField(_("活动名称"), max_length=120)
    starts_at = models.DateTimeField(_("时间"))
    location = models.CharField(_("地点"), max_length=120)
    capacity = models.PositiveIntegerField(_("名额"))
    projects = models.ManyToManyField(RoadshowProject, blank=True, related_name="events")
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self):
        return self.title


class EventRegistration(models.Model):
    event = models.ForeignKey(RoadshowEvent, on_delete=models.CASCADE, related_name="registrations")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "organization"], name="one_registration_per_org")
        ]

    def __str__(self):
        return f"{self.organization} @ {self.event}"

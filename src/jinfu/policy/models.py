"""Policy fulfillment (政策发布、政策兑现、免申即享): policies with their interpretation and FAQ, fulfillment
items (兑现事项) whose eligibility and benefit are rules, annual budgets, claims with their workflow events,
objections raised during publicity (公示), and the payout ledger. Money in 万元."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jinfu.core.models import Division, Organization


class PolicyTag(models.Model):
    code = models.SlugField(_("标签编码"), max_length=64, unique=True)
    name = models.CharField(_("标签名称"), max_length=64)

    class Meta:
        verbose_name = _("政策标签")
        verbose_name_plural = _("政策标签")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Policy(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已废止")

    code = models.SlugField(_("政策编码"), max_length=64, unique=True)
    title = models.CharField(_("政策名称"), max_length=255)
    issuer = models.CharField(_("发布机关"), max_length=128)
    doc_number = models.CharField(_("文号"), max_length=64, blank=True)
    division = models.ForeignKey(
        Division,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("适用区域"),
        help_text=_("为空表示全市适用"),
    )
    jurisdiction = models.CharField(_("适用范围"), max_length=128, blank=True)
    issued_on = models.DateField(_("发布日期"), null=True, blank=True)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    summary = models.TextField(_("摘要"), blank=True)
    full_text = models.TextField(_("政策原文"), blank=True)
    interpretation = models.TextField(_("政策解读"), blank=True)
    faq = models.JSONField(_("常见问题"), default=list, blank=True)  # [{"q": …, "a": …}]
    tags = models.ManyToManyField(PolicyTag, blank=True, verbose_name=_("标签"))
    source_file = models.CharField(_("来源文件"), max_length=64, blank=True)
    source_quote = models.TextField(_("来源原文"), blank=True)
    note = models.TextField(_("数据说明"), blank=True)
    is_reference = models.BooleanField(_("外地参考政策"), default=False)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    search_tokens = models.TextField(_("检索分词"), blank=True, editable=False)
    data_version = models.CharField(_("数据版本"), max_length=32, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("政策")
        verbose_name_plural = _("政策")
        ordering = ["-issued_on", "code"]

    def __str__(self):
        return self.title


class PolicyItem(models.Model):
    """A fulfillment item (兑现事项): who qualifies (a boolean rule), how much (a numeric rule), how."""

    class Mode(models.TextChoices):
        AUTO = "auto", _("免申即享")
        APPLY = "apply", _("申报")
        REFERENCE = "reference", _("仅供参考（不可申报）")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("受理中")
        CLOSED = "closed", _("已截止")

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="items", verbose_name=_("政策"))
    code = models.SlugField(_("事项编码"), max_length=64, unique=True)
    title = models.CharField(_("事项名称"), max_length=255)
    description = models.TextField(_("说明"), blank=True)
    mode = models.CharField(_("兑现方式"), max_length=16, choices=Mode.choices, default=Mode.APPLY)
    eligibility_rule = models.TextField(_("申领条件（规则）"), blank=True)
    benefit_formula = models.TextField(_("兑现金额公式（万元）"), blank=True)
    cap = models.DecimalField(_("单户上限（万元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    annual_budget = models.DecimalField(
        _("年度预算（万元）"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    required_materials = models.JSONField(_("申报材料"), default=list, blank=True)
    declared_fields = models.JSONField(_("申报填报字段"), default=list, blank=True)
    apply_from = models.DateField(_("受理开始"), null=True, blank=True)
    apply_until = models.DateField(_("申报截止"), null=True, blank=True)
    review_days = models.PositiveIntegerField(_("审核时限（工作日）"), default=10)
    publicity_days = models.PositiveIntegerField(_("公示期（工作日）"), default=5)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    source_file = models.CharField(_("来源文件"), max_length=64, blank=True)
    source_quote = models.TextField(_("来源原文"), blank=True)
    rule_note = models.TextField(_("规则取舍说明"), blank=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    lock_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("兑现事项")
        verbose_name_plural = _("兑现事项")
        ordering = ["policy", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gte=0), name="policy_item_cap_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(annual_budget__isnull=True) | Q(annual_budget__gte=0),
                name="policy_item_budget_gte_0",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def claimable(self) -> bool:
        return self.mode != self.Mode.REFERENCE and self.status == self.Status.OPEN


class Budget(models.Model):
    """The budget of one item for one period; `remaining` can never go below zero (check constraint,
    conditional UPDATE under a row lock)."""

    item = models.ForeignKey(PolicyItem, on_delete=models.CASCADE, related_name="budgets")
    period = models.CharField(_("期间"), max_length=16)
    total = models.DecimalField(_("预算总额（万元）"), max_digits=16, decimal_places=2)
    remaining = models.DecimalField(_("剩余额度（万元）"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("年度预算")
        verbose_name_plural = _("年度预算")
        constraints = [
            models.UniqueConstraint(fields=["item", "period"], name="uniq_policy_budget_period"),
            models.CheckConstraint(condition=Q(remaining__gte=0), name="policy_budget_not_overdrawn"),
            models.CheckConstraint(condition=Q(remaining__lte=F("total")), name="policy_budget_le_total"),
        ]

    def __str__(self):
        return f"{self.item.code} {self.period}"


ACTIVE_CLAIM_STATUSES = ("submitted", "approved", "publicity", "objection", "paid")


class Claim(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("审核通过")
        PUBLICITY = "publicity", _("公示中")
        OBJECTION = "objection", _("异议处理中")
        PAID = "paid", _("已拨付")
        REJECTED = "rejected", _("未通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    item = models.ForeignKey(
        PolicyItem, on_delete=models.PROTECT, related_name="claims", verbose_name=_("事项")
    )
    enterprise = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="policy_claims", verbose_name=_("企业")
    )
    period = models.CharField(_("期间"), max_length=16)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    estimated_amount = models.DecimalField(_("测算金额（万元）"), max_digits=14, decimal_places=2)
    approved_amount = models.DecimalField(
        _("核定金额（万元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    declared = models.JSONField(_("申报填报值"), default=dict, blank=True)
    materials = models.JSONField(_("已提交材料"), default=list, blank=True)
    snapshot = models.JSONField(_("测算依据"), default=dict, blank=True)
    note = models.TextField(_("说明"), blank=True)
    stage_due = models.DateField(_("本环节时限"), null=True, blank=True)
    publicity_from = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_until = models.DateField(_("公示截止"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lock_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("兑现申请")
        verbose_name_plural = _("兑现申请")
        ordering = ["-created_at"]
        constraints = [
            # no double benefit: one live claim per item, enterprise and period
            models.UniqueConstraint(
                fields=["item", "enterprise", "period"],
                condition=Q(status__in=ACTIVE_CLAIM_STATUSES),
                name="uniq_policy_claim_item_period",
            ),
            models.CheckConstraint(condition=Q(estimated_amount__gte=0), name="policy_claim_amount_gte_0"),
        ]

    def __str__(self):
        return f"{self.item.title} · {self.enterprise.name} · {self.period}"


class ClaimEvent(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    due = models.DateField(null=True, blank=True)
    overdue = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.claim_id}: {self.from_status} → {self.to_status}"


class Objection(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="objections")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("异议内容"))
    raised_on = models.DateField(_("提出日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("处理意见"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.claim_id}: {self.text[:20]}"


class Payout(models.Model):
    """The payout ledger (拨付台账) for the finance department."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="payout")
    item = models.ForeignKey(PolicyItem, on_delete=models.PROTECT, related_name="payouts")
    enterprise = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="policy_payouts")
    division_code = models.CharField(_("企业所在区县"), max_length=6, blank=True)
    period = models.CharField(_("期间"), max_length=16)
    amount = models.DecimalField(_("拨付金额（万元）"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("拨付日期"))
    voucher = models.CharField(_("拨付凭证号"), max_length=64)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("拨付台账")
        verbose_name_plural = _("拨付台账")
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["voucher"], name="uniq_policy_payout_voucher"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="policy_payout_amount_gt_0"),
        ]

    def __str__(self):
        return f"{self.voucher} {self.amount}"


class PushRun(models.Model):
    """One proactive-push batch (主动推送) for one item and period."""

    item = models.ForeignKey(PolicyItem, on_delete=models.CASCADE, related_name="push_runs")
    period = models.CharField(_("期间"), max_length=16)
    run_at = models.DateTimeField(auto_now_add=True)
    scanned = models.PositiveIntegerField(_("扫描企业数"), default=0)
    eligible = models.PositiveIntegerField(_("符合条件企业数"), default=0)
    notified = models.PositiveIntegerField(_("新通知企业数"), default=0)
    total_estimate = models.DecimalField(_("测算总额（万元）"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        ordering = ["-run_at"]

    def __str__(self):
        return f"{self.item_id} {self.period} {self.run_at:%Y-%m-%d}"


class PushHit(models.Model):
    """An enterprise found eligible by a push run (deduplicated per item, enterprise and period)."""

    item = models.ForeignKey(PolicyItem, on_delete=models.CASCADE, related_name="hits")
    enterprise = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="policy_hits")
    period = models.CharField(max_length=16)
    estimate = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    notified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "enterprise", "period"], name="uniq_policy_push_hit")
        ]

    def __str__(self):
        return f"{self.item_id} {self.enterprise_id} {self.period}"

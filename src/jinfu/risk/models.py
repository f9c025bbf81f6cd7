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
        ORG_REPORT = "org_report", _("地方金融组织报表")

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


# ---------------------------------------------------------------------------
# Case work (发现 → 核查 → 处置 → 结案) on the workflow kernel, tip-offs, routing
# ---------------------------------------------------------------------------


class RoutingRule(models.Model):
    """Where a case goes: to the 行业主管部门 by industry (GB/T 4754 门类 letter or a code prefix) and to the
    街镇 by the street named in the address. A rule may hand over to another rule of its kind (转交); the
    table is refused when hand-overs form a loop."""

    class Kind(models.TextChoices):
        INDUSTRY = "industry", _("行业")
        STREET = "street", _("街镇")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    match = models.CharField(_("匹配"), max_length=64)
    target = models.CharField(_("承办单位"), max_length=200)
    forward_to = models.CharField(_("转交至"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("分派规则")
        verbose_name_plural = _("分派规则")
        constraints = [models.UniqueConstraint(fields=["kind", "match"], name="risk_route_uniq")]
        ordering = ["kind", "match"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.match} → {self.target}"


class Case(models.Model):
    class Status(models.TextChoices):
        DISCOVERED = "discovered", _("发现")
        VERIFYING = "verifying", _("核查")
        HANDLING = "handling", _("处置")
        CLOSED = "closed", _("结案")

    class Source(models.TextChoices):
        WARNING = "warning", _("红色预警")
        TIPOFF = "tipoff", _("举报")
        MANUAL = "manual", _("人工立案")

    class Outcome(models.TextChoices):
        INTERVIEW = "interview", _("约谈")
        RECTIFY = "rectify", _("责令整改")
        POLICE = "police", _("移送公安")
        EXCLUDED = "excluded", _("排除")

    number = models.CharField(_("案件编号"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risk_cases",
        verbose_name=_("企业"),
    )
    subject = models.CharField(_("涉及主体"), max_length=200)
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("行政区划")
    )
    street = models.CharField(_("街镇"), max_length=32, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DISCOVERED)
    lock_version = models.PositiveIntegerField(default=0)
    stage_due = models.DateField(_("本阶段办理时限"), null=True, blank=True)
    industry_office = models.CharField(_("行业主管部门"), max_length=200, blank=True)
    street_office = models.CharField(_("街镇"), max_length=200, blank=True)
    # the offices above as organizations (kind sector / street) when one of that name exists: their users
    # work the case's tasks (cases.party_of)
    industry_org = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("行业主管部门（机构）"),
    )
    street_org = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("街镇（机构）"),
    )
    outcome = models.CharField(_("处置结果"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_reason = models.CharField(_("处置理由"), max_length=500, blank=True)
    summary = models.TextField(_("案情"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("立案时间"), auto_now_add=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        verbose_name = _("涉众风险案件")
        verbose_name_plural = _("涉众风险案件")
        ordering = ["stage_due", "-created_at"]

    def __str__(self):
        return f"{self.number} {self.subject}"


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    action = models.CharField(max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    due = models.DateField(null=True)
    overdue = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("案件记录")
        verbose_name_plural = _("案件记录")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.case_id} {self.from_status}→{self.to_status}"


class CaseTask(models.Model):
    """Three-party collaboration (三方联动): a task of a case for the 行业主管部门 or the 街镇 office the routing
    named, with a due date in working days; the case's regulators record its reply and close it."""

    class Party(models.TextChoices):
        INDUSTRY = "industry", _("行业主管部门")
        STREET = "street", _("街镇")

    class Status(models.TextChoices):
        OPEN = "open", _("办理中")
        DONE = "done", _("已办结")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    party = models.CharField(_("协作方"), max_length=16, choices=Party.choices)
    office = models.CharField(_("承办单位"), max_length=200)
    title = models.CharField(_("任务"), max_length=200)
    due = models.DateField(_("办理时限"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    reply = models.CharField(_("办理结果"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("交办时间"), auto_now_add=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        verbose_name = _("案件协作任务")
        verbose_name_plural = _("案件协作任务")
        ordering = ["due", "pk"]

    def __str__(self):
        return f"{self.case_id} {self.office} {self.title}"


class CaseNote(models.Model):
    """A note on a case (a call with the street grid, the industry office's finding), optionally on a task."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    task = models.ForeignKey(CaseTask, null=True, blank=True, on_delete=models.CASCADE, related_name="notes")
    text = models.CharField(_("内容"), max_length=1000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)

    class Meta:
        verbose_name = _("案件备注")
        verbose_name_plural = _("案件备注")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.case_id} {self.text[:20]}"


class TipOff(models.Model):
    """A public tip-off (举报): no login; the acknowledgement number is unguessable and shows only the status."""

    number = models.CharField(_("受理编号"), max_length=16, unique=True)
    subject = models.CharField(_("被举报主体"), max_length=200)
    text = models.TextField(_("举报内容"))
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    attachment = models.FileField(_("附件"), upload_to="risk/tipoffs/%Y/%m/", blank=True)
    attachment_type = models.CharField(max_length=16, blank=True)
    client_key = models.CharField(max_length=64, blank=True)  # hashed address, for the rate limit only
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="tipoffs")
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("举报")
        verbose_name_plural = _("举报")
        ordering = ["-created_at"]

    def __str__(self):
        return self.number


class LocalFinanceOrg(models.Model):
    """A local financial organization under the district's supervision (地方金融组织: 小额贷款、融资担保、典当、
    融资租赁、商业保理). Name, USCC, division and address are the core Organization's; the licence, scope,
    capital and officers are kept here."""

    class Kind(models.TextChoices):
        MICROLOAN = "microloan", _("小额贷款公司")
        GUARANTEE = "guarantee", _("融资担保公司")
        PAWN = "pawn", _("典当行")
        LEASING = "leasing", _("融资租赁公司")
        FACTORING = "factoring", _("商业保理公司")

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="local_finance", verbose_name=_("组织")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, db_index=True)
    licence_number = models.CharField(_("经营许可证编号"), max_length=64, blank=True)
    licensed_on = models.DateField(_("许可日期"), null=True, blank=True)
    business_scope = models.TextField(_("经营范围"), blank=True)
    registered_capital = models.DecimalField(_("注册资本（万元）"), max_digits=14, decimal_places=2)
    paid_in_capital = models.DecimalField(_("实缴资本（万元）"), max_digits=14, decimal_places=2)
    paid_in_cash = models.BooleanField(_("实缴货币资本"), default=True)
    serves_small_micro = models.BooleanField(_("主要为小微企业和三农服务"), default=False)
    officers = models.JSONField(_("董监高"), default=list)  # [{"name": …, "role": …}]
    address_reachable = models.BooleanField(_("经营地址可联系"), null=True, blank=True)
    address_checked_on = models.DateField(_("地址核查日期"), null=True, blank=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("地方金融组织")
        verbose_name_plural = _("地方金融组织")

    def __str__(self):
        return f"{self.get_kind_display()} {self.organization_id}"


class OrgReport(models.Model):
    """A periodic report (季报/年报) of a local financial organization; amounts in 万元. Which figures matter
    depends on the kind (docs/risk.md); absent ones stay empty."""

    org = models.ForeignKey(LocalFinanceOrg, on_delete=models.CASCADE, related_name="reports")
    period_end = models.DateField(_("报告期末"))
    net_assets = models.DecimalField(_("净资产"), max_digits=14, decimal_places=2)
    total_assets = models.DecimalField(_("资产总额"), max_digits=14, decimal_places=2)
    paid_in_capital = models.DecimalField(_("实缴资本"), max_digits=14, decimal_places=2)
    guarantee_balance = models.DecimalField(_("担保责任余额"), max_digits=14, decimal_places=2, null=True)
    loan_balance = models.DecimalField(_("贷款余额"), max_digits=14, decimal_places=2, null=True)
    top_client_balance = models.DecimalField(
        _("最大单一客户余额"), max_digits=14, decimal_places=2, null=True
    )
    top_client_group_balance = models.DecimalField(
        _("最大单一客户及其关联方余额"), max_digits=14, decimal_places=2, null=True
    )
    nonstandard_funding = models.DecimalField(
        _("非标准化融资余额"), max_digits=14, decimal_places=2, null=True
    )
    standard_funding = models.DecimalField(_("标准化融资余额"), max_digits=14, decimal_places=2, null=True)
    lease_assets = models.DecimalField(
        _("融资租赁和其他租赁资产"), max_digits=14, decimal_places=2, null=True
    )
    cash_and_treasuries = models.DecimalField(
        _("现金、银行存款和国债"), max_digits=14, decimal_places=2, null=True
    )
    small_micro_share = models.DecimalField(
        _("小微和三农业务占比（%）"), max_digits=5, decimal_places=2, null=True
    )
    tax_paid = models.DecimalField(_("本期纳税"), max_digits=14, decimal_places=2, null=True)
    property_rights_pawn = models.DecimalField(
        _("财产权利质押典当余额"), max_digits=14, decimal_places=2, null=True
    )
    real_estate_pawn = models.DecimalField(
        _("房地产抵押典当余额"), max_digits=14, decimal_places=2, null=True
    )
    real_estate_pawn_max_single = models.DecimalField(
        _("房地产抵押典当最大单笔当金"), max_digits=14, decimal_places=2, null=True
    )
    related_receivables = models.DecimalField(
        _("受让以关联企业为债务人的应收账款"), max_digits=14, decimal_places=2, null=True
    )
    insured_staff = models.PositiveIntegerField(_("社保缴纳人数"), null=True)
    batch = models.ForeignKey(SignalBatch, null=True, on_delete=models.SET_NULL, related_name="+")
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(_("报送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("地方金融组织报表")
        verbose_name_plural = _("地方金融组织报表")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["org", "period_end"], name="risk_orgreport_one_per_period")
        ]

    def __str__(self):
        return f"{self.org_id} {self.period_end}"


class ModuleSignal(models.Model):
    """A risk signal another module handed over through the kernel's signal feed (core/feeds.py), with its
    provenance: the source, the record it stands for there and its date. One row per (source, record):
    receiving it again changes nothing."""

    source = models.CharField(_("来源"), max_length=64)
    record = models.CharField(_("来源记录"), max_length=64)
    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="risk_module_signals", verbose_name=_("企业")
    )
    occurred_on = models.DateField(_("发生日期"))
    kind = models.CharField(_("类别"), max_length=32)
    kind_label = models.CharField(_("类别名称"), max_length=64)
    text = models.CharField(_("内容"), max_length=1000)
    dimension = models.CharField(_("计入维度"), max_length=16)
    is_synthetic = models.BooleanField(_("示例数据"), default=False)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("模块报送风险信号")
        verbose_name_plural = _("模块报送风险信号")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "record"], name="risk_module_signal_once"),
        ]

    def __str__(self):
        return f"{self.source} {self.record}"

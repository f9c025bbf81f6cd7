"""Listing cultivation (上市培育) tables: annual financial statements, the listing profile, the
three-tier reserve (储备库) with its review events, and listing milestones.

Money is in 万元 (ten thousand yuan) everywhere in this module, market value included; ROE is in
percent. Business rules live in services.py and engine.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jinfu.core.models import Organization

MONEY = {"max_digits": 16, "decimal_places": 2}


class FinancialStatement(models.Model):
    """One enterprise's annual statement for one fiscal year (万元).

    ``net_profit`` is the net profit as the exchanges measure it: attributable to the parent, the
    LOWER of before and after non-recurring items (扣除非经常性损益前后孰低). Non-public data: only the
    enterprise itself, the platform operator, government readiness views (aggregated) and
    institutions holding a live grant with scope ``financials`` may read it.
    """

    class Source(models.TextChoices):
        SELF_REPORTED = "self_reported", _("企业自报")
        AUDITED = "audited", _("经审计报表")
        IMPORT = "import", _("批量导入")
        SYNTHETIC = "synthetic", _("示例数据")

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="financial_statements", verbose_name=_("企业")
    )
    year = models.PositiveSmallIntegerField(_("会计年度"))
    revenue = models.DecimalField(_("营业收入（万元）"), **MONEY)
    net_profit = models.DecimalField(_("净利润（扣非前后孰低，万元）"), **MONEY)
    operating_cash_flow = models.DecimalField(
        _("经营活动现金流量净额（万元）"), null=True, blank=True, **MONEY
    )
    rd_expense = models.DecimalField(_("研发投入（万元）"), null=True, blank=True, **MONEY)
    total_assets = models.DecimalField(_("资产总额（万元）"), null=True, blank=True, **MONEY)
    net_assets = models.DecimalField(_("净资产（万元）"), null=True, blank=True, **MONEY)
    roe = models.DecimalField(
        _("加权平均净资产收益率（%）"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    audited = models.BooleanField(_("经审计"), default=False)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.SELF_REPORTED)
    is_synthetic = models.BooleanField(_("示例数据"), default=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度财务报表")
        verbose_name_plural = _("年度财务报表")
        ordering = ["enterprise_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="listing_fs_uniq_year"),
            models.CheckConstraint(condition=Q(revenue__gte=0), name="listing_fs_revenue_nonneg"),
            models.CheckConstraint(
                condition=Q(rd_expense__isnull=True) | Q(rd_expense__gte=0), name="listing_fs_rd_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(total_assets__isnull=True) | Q(total_assets__gte=0),
                name="listing_fs_assets_nonneg",
            ),
            models.CheckConstraint(condition=Q(year__gte=1990), name="listing_fs_year_min"),
        ]

    def __str__(self):
        return f"{self.enterprise} {self.year}"


class ListingProfile(models.Model):
    """Per-enterprise listing facts that are not in the annual statements."""

    class NeeqTier(models.TextChoices):
        NONE = "none", _("未挂牌")
        BASIC = "basic", _("新三板基础层")
        INNOVATION = "innovation", _("新三板创新层")

    class Board(models.TextChoices):
        MAIN = "main", _("沪深主板")
        STAR = "star", _("科创板")
        CHINEXT = "chinext", _("创业板")
        BSE = "bse", _("北交所")

    enterprise = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="listing_profile", primary_key=True
    )
    market_cap = models.DecimalField(_("预计市值（万元）"), null=True, blank=True, **MONEY)
    market_cap_basis = models.CharField(
        _("预计市值依据"),
        max_length=200,
        blank=True,
        help_text=_("如：最近一轮融资投后估值、可比公司市盈率法"),
    )
    neeq_tier = models.CharField(_("新三板挂牌状态"), max_length=16, choices=NeeqTier.choices, default="none")
    neeq_innovation_months = models.PositiveSmallIntegerField(_("创新层挂牌月数"), default=0)
    star_core_products_approved = models.BooleanField(
        _("主要业务或产品经国家有关部门批准且已取得阶段性成果（科创板第五套）"), default=False
    )
    target_board = models.CharField(_("拟上市板块"), max_length=16, choices=Board.choices, blank=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("上市培育档案")
        verbose_name_plural = _("上市培育档案")
        constraints = [
            models.CheckConstraint(
                condition=Q(market_cap__isnull=True) | Q(market_cap__gte=0), name="listing_profile_cap_nonneg"
            ),
        ]

    def __str__(self):
        return str(self.enterprise)


class Tier(models.TextChoices):
    DISTRICT = "district", _("区级拟上市企业储备库")
    CITY = "city", _("市级拟上市企业储备库")
    CITY_KEY = "city_key", _("市级拟上市重点培育企业")


class ReserveEntry(models.Model):
    """An enterprise's place in one tier of the reserve: nominated → approved/rejected → removed.

    Re-evaluation never deletes an approved entry: it sets ``flagged`` with the reason, and the
    office decides (remove, or keep and wait)."""

    class Status(models.TextChoices):
        NOMINATED = "nominated", _("已提名待审核")
        APPROVED = "approved", _("已入库")
        REJECTED = "rejected", _("未通过")
        REMOVED = "removed", _("已移出")

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="reserve_entries", verbose_name=_("企业")
    )
    tier = models.CharField(_("储备库层级"), max_length=16, choices=Tier.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.NOMINATED)
    criteria_version = models.CharField(_("入库标准版本"), max_length=32)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    nominating_org = models.ForeignKey(
        Organization, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("提名单位")
    )
    reason = models.TextField(_("提名理由"), blank=True)
    nominated_at = models.DateTimeField(_("提名时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    flagged = models.BooleanField(_("不再符合入库标准"), default=False, db_index=True)
    flag_reason = models.TextField(_("预警原因"), blank=True)
    flagged_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    last_evaluated_at = models.DateTimeField(_("最近复核时间"), null=True, blank=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False, db_index=True)

    class Meta:
        verbose_name = _("储备库企业")
        verbose_name_plural = _("储备库企业")
        ordering = ["tier", "-nominated_at"]
        constraints = [
            # one open (nominated or approved) entry per enterprise and tier
            models.UniqueConstraint(
                fields=["enterprise", "tier"],
                condition=Q(status__in=["nominated", "approved"]),
                name="listing_reserve_one_open",
            ),
        ]

    def __str__(self):
        return f"{self.enterprise} {self.get_tier_display()} {self.get_status_display()}"


class ReserveEvent(models.Model):
    """Audit trail of a reserve entry: every transition and every re-evaluation flag."""

    entry = models.ForeignKey(ReserveEntry, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=16)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("储备库记录")
        verbose_name_plural = _("储备库记录")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.entry_id} {self.action} {self.at:%Y-%m-%d}"


class Stage(models.TextChoices):
    """Listing milestones in their required order."""

    SHAREHOLDING_REFORM = "shareholding_reform", _("股份制改造")
    TUTORING_FILED = "tutoring_filed", _("辅导备案")
    APPLICATION_ACCEPTED = "application_accepted", _("申报受理")
    REVIEW_PASSED = "review_passed", _("审核通过")
    REGISTERED = "registered", _("注册生效")
    LISTED = "listed", _("上市")


STAGE_ORDER = list(Stage.values)


class Milestone(models.Model):
    """A reached listing milestone. ``policy_tag`` (listing.stage.<stage>) is what the policy module
    matches to pay stage subsidies (股改、辅导备案、申报受理、上市 奖补)."""

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="listing_milestones", verbose_name=_("企业")
    )
    stage = models.CharField(_("阶段"), max_length=24, choices=Stage.choices)
    date = models.DateField(_("日期"))
    board = models.CharField(_("板块"), max_length=16, choices=ListingProfile.Board.choices, blank=True)
    document = models.FileField(_("证明文件"), upload_to="listing/milestones/%Y/", blank=True)
    note = models.CharField(_("说明"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False, db_index=True)

    class Meta:
        verbose_name = _("上市进程节点")
        verbose_name_plural = _("上市进程节点")
        ordering = ["enterprise_id", "date", "pk"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "stage"], name="listing_milestone_uniq")]

    def __str__(self):
        return f"{self.enterprise} {self.get_stage_display()} {self.date}"

    @property
    def rank(self) -> int:
        return STAGE_ORDER.index(self.stage) + 1

    @property
    def policy_tag(self) -> str:
        return f"listing.stage.{self.stage}"

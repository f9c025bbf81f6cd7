"""Foundation tables: reference codes, organizations, users and roles, consent (授权), audit, API keys, imports.

Business rules live in services.py / engines; models hold tables, constraints and simple properties.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# ---------------------------------------------------------------------------
# Reference data (versioned, with source)
# ---------------------------------------------------------------------------


class ReferenceDataset(models.Model):
    """One loaded version of a reference standard (GB/T 2260, GB/T 4754-2017, 划型标准 …)."""

    key = models.CharField(_("数据集"), max_length=64)
    version = models.CharField(_("版本"), max_length=64)
    title = models.CharField(_("标准名称"), max_length=255)
    effective_date = models.DateField(_("生效日期"), null=True, blank=True)
    source = models.TextField(_("来源"))
    checksum = models.CharField(_("文件校验和"), max_length=64)
    row_count = models.PositiveIntegerField(_("条目数"), default=0)
    loaded_at = models.DateTimeField(_("载入时间"), auto_now=True)

    class Meta:
        verbose_name = _("参考数据版本")
        verbose_name_plural = _("参考数据版本")
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="uniq_refdataset_key_version")]

    def __str__(self):
        return f"{self.title} ({self.version})"


class Division(models.Model):
    """Administrative division, GB/T 2260 (province, prefecture, district/county)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        PREFECTURE = "prefecture", _("地级")
        COUNTY = "county", _("县级")

    code = models.CharField(_("区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    dataset = models.ForeignKey(ReferenceDataset, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Zone(models.Model):
    """Functional zone (功能区/片区): not a division; spans or sits inside one or more divisions."""

    class Kind(models.TextChoices):
        HIGH_TECH = "high_tech", _("高新技术产业开发区")
        ECONOMIC = "economic", _("经济技术开发区")
        FINANCIAL = "financial", _("金融集聚区/片区")
        OTHER = "other", _("其他功能区")

    code = models.CharField(_("编码"), max_length=32, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    divisions = models.ManyToManyField(Division, related_name="zones", verbose_name=_("所属行政区"))
    description = models.TextField(_("说明"), blank=True)
    source = models.TextField(_("来源"), blank=True)
    dataset = models.ForeignKey(ReferenceDataset, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("功能区")
        verbose_name_plural = _("功能区")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Industry(models.Model):
    """GB/T 4754-2017 国民经济行业分类: section letter, division (2), group (3), class (4)."""

    class Level(models.TextChoices):
        SECTION = "section", _("门类")
        DIVISION = "division", _("大类")
        GROUP = "group", _("中类")
        CLASS = "class", _("小类")

    code = models.CharField(_("行业代码"), max_length=5, primary_key=True)
    name = models.CharField(_("名称"), max_length=128)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    section = models.CharField(_("门类"), max_length=1)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    dataset = models.ForeignKey(ReferenceDataset, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("国民经济行业")
        verbose_name_plural = _("国民经济行业")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


# ---------------------------------------------------------------------------
# Organizations and users
# ---------------------------------------------------------------------------


INDUSTRY_FIELD = "enterprise__industry"  # an organization's GB/T 4754 industry (enterprises only)


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, principal, action: str = "read"):
        """Organizations this principal may see for ``action`` (the jurisdiction rule, core/jurisdiction.py):

        - ``read``: the directory (public fields): the admin everything; an enterprise itself and the
          institutions and offices that serve it; an institution every enterprise, institution and office;
          a government or regulator user every institution and office and the enterprises of its
          jurisdiction (and its own office);
        - ``govern``: the enterprises of the principal's jurisdiction (nothing outside government,
          regulator, sector, street and admin; a sector office's by its industries).

        Sector (行业主管部门) and street (街镇网格) users read like government users: every institution and
        office and the enterprises of their jurisdiction."""
        from .principal import as_principal

        p = as_principal(principal)
        kind = Organization.Kind
        if action == "govern":
            return self.filter(Q(kind=kind.ENTERPRISE) & p.jurisdiction.q(industry_field=INDUSTRY_FIELD))
        if action != "read":
            raise ValueError(f"unknown action {action!r}")
        if p.is_admin:
            return self.all()
        if p.role == Role.ENTERPRISE:
            return self.filter(Q(pk=p.org_id) | Q(kind__in=[kind.INSTITUTION, kind.GOVERNMENT]))
        if p.role == Role.INSTITUTION:
            return self.filter(
                Q(pk=p.org_id) | Q(kind__in=[kind.ENTERPRISE, kind.INSTITUTION, kind.GOVERNMENT])
            )
        if p.role in (Role.GOVERNMENT, Role.REGULATOR, Role.SECTOR, Role.STREET):
            if p.jurisdiction.citywide:  # (an empty Q vanishes in an OR, so say "everything" plainly)
                return self.all()
            governed = p.jurisdiction.q(industry_field=INDUSTRY_FIELD)
            return self.filter(Q(pk=p.org_id) | ~Q(kind=kind.ENTERPRISE) | governed)
        return self.none()


class Organization(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        INSTITUTION = "institution", _("金融机构")
        GOVERNMENT = "government", _("政府部门")
        STREET = "street", _("街镇网格")
        SECTOR = "sector", _("行业主管部门")

    kind = models.CharField(_("组织类型"), max_length=16, choices=Kind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True)
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("行政区划")
    )
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("功能区"))
    address = models.CharField(_("地址"), max_length=255, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    #: a sector regulator's (行业主管部门) industries: GB/T 4754 section letters and 2-digit divisions
    industries = models.JSONField(_("主管行业"), default=list, blank=True)
    is_synthetic = models.BooleanField(_("示例数据"), default=False, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "division"])]

    def __str__(self):
        return self.name

    def clean(self):
        """A sector office names its industries (GB/T 4754 section letters or 2-digit divisions); no other
        organization has any."""
        from django.core.exceptions import ValidationError

        from .jurisdiction import SECTION_DIVISIONS

        codes = list(self.industries or [])
        if self.kind != self.Kind.SECTOR:
            if codes:
                raise ValidationError({"industries": _("只有行业主管部门可以设置主管行业")})
            return
        valid = set(SECTION_DIVISIONS) | {f"{n:02d}" for n in range(1, 98)}
        bad = [c for c in codes if not isinstance(c, str) or c not in valid]
        if not codes or bad:
            raise ValidationError(
                {"industries": _("主管行业须为国民经济行业分类的门类字母或两位大类代码，如 F、51")}
            )


class Tag(models.Model):
    code = models.SlugField(_("标签编码"), max_length=64, unique=True)
    name = models.CharField(_("标签名称"), max_length=64)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("企业标签")
        verbose_name_plural = _("企业标签")

    def __str__(self):
        return self.name


class EnterpriseProfile(models.Model):
    """Registration and size details of an enterprise. Money in 万元 (ten thousand yuan)."""

    class SizeClass(models.TextChoices):
        LARGE = "large", _("大型")
        MEDIUM = "medium", _("中型")
        SMALL = "small", _("小型")
        MICRO = "micro", _("微型")

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="enterprise", primary_key=True
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=64)
    legal_rep_id_number = models.CharField(_("法定代表人身份证号"), max_length=18, blank=True)
    registered_capital = models.DecimalField(_("注册资本（万元）"), max_digits=16, decimal_places=2)
    paid_in_capital = models.DecimalField(
        _("实缴资本（万元）"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    established_on = models.DateField(_("成立日期"))
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, verbose_name=_("所属行业"))
    employees = models.PositiveIntegerField(_("从业人员（人）"), null=True, blank=True)
    revenue = models.DecimalField(
        _("营业收入（万元）"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    total_assets = models.DecimalField(
        _("资产总额（万元）"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    size_class = models.CharField(_("企业规模"), max_length=8, choices=SizeClass.choices, blank=True)
    size_standard = models.CharField(_("划型标准版本"), max_length=64, blank=True)
    #: the date employees / revenue / total_assets were last recorded by registration or import
    figures_as_of = models.DateField(_("登记数据日期"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, verbose_name=_("标签"))

    class Meta:
        verbose_name = _("企业信息")
        verbose_name_plural = _("企业信息")
        constraints = [
            models.CheckConstraint(condition=Q(registered_capital__gte=0), name="ent_regcap_nonneg"),
            models.CheckConstraint(
                condition=Q(paid_in_capital__isnull=True) | Q(paid_in_capital__gte=0), name="ent_paid_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(revenue__isnull=True) | Q(revenue__gte=0), name="ent_rev_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(total_assets__isnull=True) | Q(total_assets__gte=0), name="ent_assets_nonneg"
            ),
        ]

    def __str__(self):
        return self.organization.name

    @property
    def masked_id_number(self) -> str:
        from .imports.engine import mask_id_number

        return mask_id_number(self.legal_rep_id_number)


class DeclaredFact(models.Model):
    """A figure the enterprise declared about itself (自报). Shown beside the verified figure, marked
    自报; never copied into the registration profile and never read by a rule (docs/features.md)."""

    class Fact(models.TextChoices):
        REVENUE = "revenue", _("营业收入（万元）")
        EMPLOYEES = "employees", _("从业人员（人）")
        TOTAL_ASSETS = "total_assets", _("资产总额（万元）")

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="declared_facts", verbose_name=_("企业")
    )
    fact = models.CharField(_("数据项"), max_length=16, choices=Fact.choices)
    value = models.DecimalField(_("自报数值"), max_digits=16, decimal_places=2)
    as_of = models.DateField(_("填报日期"))
    declared_by = models.ForeignKey(
        "User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("填报人")
    )

    class Meta:
        verbose_name = _("企业自报数据")
        verbose_name_plural = _("企业自报数据")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "fact"], name="declared_fact_uniq"),
            models.CheckConstraint(condition=Q(value__gte=0), name="declared_fact_nonneg"),
        ]

    def __str__(self):
        return f"{self.enterprise_id} {self.fact}={self.value} (自报)"


class TagCertification(models.Model):
    """A certified tag (专精特新, 高新技术企业 …) given by a government department or the platform
    operator, with its evidence (document number, list, file reference) and validity."""

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="tag_certifications", verbose_name=_("企业")
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.PROTECT, related_name="certifications", verbose_name=_("标签")
    )
    evidence = models.TextField(_("认定依据"))
    evidence_ref = models.CharField(_("证明文件编号或存档位置"), max_length=255, blank=True)
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期止"), null=True, blank=True)
    certified_by = models.ForeignKey(
        "User", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("认定人")
    )
    certifier_org = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("认定部门"),
    )
    created_at = models.DateTimeField(_("认定时间"), default=timezone.now)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("标签认定")
        verbose_name_plural = _("标签认定")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="tagcert_valid_range",
            )
        ]

    def __str__(self):
        return f"{self.tag} → {self.enterprise_id}"

    def is_live(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return (
            self.revoked_at is None
            and self.valid_from <= on
            and (self.valid_until is None or on <= self.valid_until)
        )


class InstitutionProfile(models.Model):
    class Type(models.TextChoices):
        BANK = "bank", _("银行")
        GUARANTEE = "guarantee", _("融资担保")
        INSURER = "insurer", _("保险")
        FUND_MANAGER = "fund_manager", _("基金管理人")
        LEASING = "leasing", _("融资租赁")
        FACTORING = "factoring", _("商业保理")
        MICROLOAN = "microloan", _("小额贷款")
        OTHER = "other", _("其他")

    class Level(models.TextChoices):
        HQ = "hq", _("总部")
        BRANCH = "branch", _("分行/分公司")
        SUB_BRANCH = "sub_branch", _("支行/营业部")

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="institution", primary_key=True
    )
    institution_type = models.CharField(_("机构类型"), max_length=16, choices=Type.choices)
    license_type = models.CharField(_("许可证类型"), max_length=64, blank=True)
    license_number = models.CharField(_("许可证编号"), max_length=64, blank=True)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices, default=Level.BRANCH)
    parent = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="child_institutions",
        verbose_name=_("上级机构"),
    )

    class Meta:
        verbose_name = _("金融机构信息")
        verbose_name_plural = _("金融机构信息")

    def __str__(self):
        return self.organization.name


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业用户")
    INSTITUTION = "institution", _("金融机构用户")
    GOVERNMENT = "government", _("政府用户")
    REGULATOR = "regulator", _("风险监管用户")
    SECTOR = "sector", _("行业主管部门用户")
    STREET = "street", _("街镇网格用户")
    ADMIN = "admin", _("平台管理员")


class User(AbstractUser):
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("所属组织"),
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.ENTERPRISE)
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # the first-login tour (新手引导) is shown until the user closes it; reopened from the help centre
    tour_dismissed_at = models.DateTimeField(_("关闭新手引导时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name or self.username

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


# ---------------------------------------------------------------------------
# Data authorization (授权) and access records
# ---------------------------------------------------------------------------


class Scope(models.TextChoices):
    BASIC = "basic", _("基本信息（非公开部分）")
    FINANCIALS = "financials", _("财务数据")
    TAX = "tax", _("纳税信息")
    SOCIAL_INSURANCE = "social_insurance", _("社保信息")
    UTILITIES = "utilities", _("水电气信息")
    PROCUREMENT = "procurement", _("政府采购")
    JUDICIAL = "judicial", _("司法信息")
    IP = "ip", _("知识产权")
    CREDIT_SCORE = "credit_score", _("信用评分")
    GREEN = "green", _("环境与绿色信息")


class Purpose(models.TextChoices):
    LOAN_APPLICATION = "loan_application", _("贷款申请审批")
    CREDIT_ASSESSMENT = "credit_assessment", _("授信评估")
    POST_LOAN = "post_loan", _("贷后管理")
    INSURANCE = "insurance", _("保险承保")
    EQUITY = "equity", _("股权投资尽调")
    OTHER = "other", _("其他")


class Grant(models.Model):
    """An enterprise's authorization for an institution to read scopes of its data for a purpose."""

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="grants_given", verbose_name=_("授权企业")
    )
    grantee = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="grants_received", verbose_name=_("被授权机构")
    )
    scopes = models.JSONField(_("授权范围"), default=list)
    purpose = models.CharField(_("用途"), max_length=32, choices=Purpose.choices)
    purpose_note = models.CharField(_("用途说明"), max_length=255, blank=True)
    granted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("数据授权")
        verbose_name_plural = _("数据授权")
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["enterprise", "grantee"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("granted_at")), name="grant_expiry_after_start"
            )
        ]

    def __str__(self):
        return f"{self.enterprise} → {self.grantee}"

    def is_live(self, at: dt.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.granted_at <= at < self.expires_at

    @property
    def scope_labels(self) -> list[str]:
        return [Scope(s).label if s in Scope.values else s for s in self.scopes]

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "live" if self.is_live() else "expired"


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit record (access records, security events are evidence)."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only: no update")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only: no delete")


class AppendOnly(models.Model):
    """Audit evidence: a row is written once and never changed or deleted through the ORM (admin, API,
    services). Rows only disappear with their organization (database cascade) or a retention job in SQL."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} is append-only: no update")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} is append-only: no delete")


class AccessRecord(AppendOnly):
    """One read of an enterprise's non-public data by another organization (written by the consent check)."""

    enterprise = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="access_records")
    accessor_org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    accessor_user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    grant = models.ForeignKey(Grant, null=True, on_delete=models.SET_NULL, related_name="access_records")
    scope = models.CharField(_("数据范围"), max_length=32, choices=Scope.choices)
    purpose = models.CharField(_("用途"), max_length=32, choices=Purpose.choices, blank=True)
    channel = models.CharField(_("渠道"), max_length=8, default="web")  # web | api
    allowed = models.BooleanField(_("是否放行"), default=True)
    at = models.DateTimeField(_("访问时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("数据访问记录")
        verbose_name_plural = _("数据访问记录")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.accessor_org} → {self.enterprise} [{self.scope}] {self.at:%Y-%m-%d %H:%M}"


# ---------------------------------------------------------------------------
# Security audit (logins, failed logins, admin actions); record changes go to django-auditlog
# ---------------------------------------------------------------------------


class SecurityEvent(AppendOnly):
    class Kind(models.TextChoices):
        LOGIN = "login", _("登录成功")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOGOUT = "logout", _("退出登录")
        LOCKOUT = "lockout", _("账户锁定")
        ADMIN_ACTION = "admin_action", _("管理操作")
        API_KEY = "api_key", _("API 密钥")
        IMPORT = "import", _("数据导入")
        EXPORT = "export", _("数据导出")
        ATTACHMENT = "attachment", _("附件上传与查看")

    kind = models.CharField(_("事件"), max_length=16, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("安全审计事件")
        verbose_name_plural = _("安全审计事件")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.username} {self.at:%Y-%m-%d %H:%M}"


class DisclosureRecord(models.Model):
    """One aggregate preview (a count or sum over enterprises) that touched private fields, or one refused
    attempt (written by jinfu.core.disclosure; append-only evidence for auditors, see docs/security.md).

    ``group_size`` is the true count before suppression: auditors see it, the asker may not have."""

    class Outcome(models.TextChoices):
        SHOWN = "shown", _("已显示")
        SUPPRESSED = "suppressed", _("部分或全部不予显示")
        DENIED = "denied", _("无权预览")
        THROTTLED = "throttled", _("超出频率限制")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    accessor_org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accessor_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key_prefix = models.CharField(_("API 密钥前缀"), max_length=12, blank=True)
    role = models.CharField(_("角色"), max_length=16)
    channel = models.CharField(_("渠道"), max_length=8)  # web | api
    surface = models.CharField(_("预览功能"), max_length=40)  # e.g. policy.rule_check
    rule_text = models.TextField(_("条件规则"), blank=True)
    formula_text = models.TextField(_("求和公式"), blank=True)
    private_fields = models.JSONField(_("涉及非公开字段"), default=list)
    jurisdiction = models.CharField(_("统计范围"), max_length=12, blank=True)  # division code; "" = city
    group_size = models.IntegerField(_("符合条件企业数（真实值）"), null=True, blank=True)
    population = models.IntegerField(_("统计范围企业数"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices, db_index=True)
    reasons = models.JSONField(_("不予显示原因"), default=list)

    class Meta:
        verbose_name = _("汇总数据披露记录")
        verbose_name_plural = _("汇总数据披露记录")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.surface} {self.role} {self.get_outcome_display()} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("disclosure records are append-only")
        super().save(*args, **kwargs)


# ---------------------------------------------------------------------------
# API keys for institutions' systems (API直连)
# ---------------------------------------------------------------------------


class ApiKey(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, unique=True)
    key_hash = models.CharField(max_length=128)
    scopes = models.JSONField(_("权限"), default=list)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 密钥")
        verbose_name_plural = _("API 密钥")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_live(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


# ---------------------------------------------------------------------------
# Imports (dry run, diff, all-or-nothing commit, background progress)
# ---------------------------------------------------------------------------


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISES = "enterprises", _("企业")
        INSTITUTIONS = "institutions", _("金融机构")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        VALIDATING = "validating", _("校验中")
        VALIDATED = "validated", _("校验通过，待提交")
        INVALID = "invalid", _("校验未通过")
        COMMITTING = "committing", _("提交中")
        COMMITTED = "committed", _("已提交")
        FAILED = "failed", _("失败")

    # an importer's key (core/imports/registry.py: the kernel's Kind or a module's, e.g. listing.statements)
    kind = models.CharField(_("导入类型"), max_length=40)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    encoding = models.CharField(_("编码"), max_length=32, blank=True)
    commit_requested = models.BooleanField(_("校验通过后直接提交"), default=False)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    summary = models.JSONField(_("预览摘要"), default=dict, blank=True)
    message = models.TextField(_("信息"), blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="import_jobs")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    #: "host:pid" of the process validating or committing the job (an interrupted job is found by it)
    process = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name}"

    def get_kind_display(self) -> str:
        """The importer's name (its key names any registered importer, so the field has no choices)."""
        from .imports.registry import label

        return label(self.kind)

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return (
                100 if self.status in {self.Status.COMMITTED, self.Status.INVALID, self.Status.FAILED} else 0
            )
        return min(100, int(100 * self.processed_rows / self.total_rows))


# ---------------------------------------------------------------------------
# In-app notifications (overdue tasks, application steps, policy pushes …)
# ---------------------------------------------------------------------------


class Notification(models.Model):
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类型"), max_length=32)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=128, blank=True, db_index=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


# ---------------------------------------------------------------------------
# Attachments (files on an application, a claim, a case …; stored under JINFU_DATA_DIR, never served statically)
# ---------------------------------------------------------------------------


class Attachment(models.Model):
    """A file attached to a record of any module (the owner: content type + object id). Who may upload, see
    and download it is the owner module's rule, registered in its contract (core/attachments.py)."""

    owner_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属记录类型")
    )
    owner_id = models.PositiveBigIntegerField(_("所属记录"))
    kind = models.CharField(_("材料类型"), max_length=32)
    original_name = models.CharField(_("文件名"), max_length=255)
    mime_type = models.CharField(_("文件类型"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256 校验值"), max_length=64)
    stored_name = models.CharField(max_length=255, unique=True)  # relative to the attachments directory
    organization = models.ForeignKey(
        Organization, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("上传单位")
    )
    uploaded_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["owner_type", "owner_id"])]

    def __str__(self):
        return self.original_name


class DataVersion(models.Model):  # noqa: DJ008
    """The current token of one data-version key (jinfu.core.dataversion): a table's (``table:…``), an
    enterprise's features (``features:<id>``) or all features (``features``). A new random token replaces
    the old one after every committed write, so a cached result keyed by tokens is never served stale."""

    key = models.CharField(max_length=120, primary_key=True)
    token = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("数据版本")
        verbose_name_plural = _("数据版本")


from .models_calendar import HolidayDay, HolidayNotice  # noqa: E402,F401  (working-day calendar tables)

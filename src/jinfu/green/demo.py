"""Synthetic green project pool for the demo (flagged is_synthetic, shown as 示例数据): rooftop solar,
building retrofit, EV charging, wastewater and green buildings in the districts of the plans, identified
against the 2025 catalogue; some confirmed, tiered, published, and one claimed with a loan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jinfu.core.models import Division, Organization, Role
from jinfu.core.principal import Principal
from jinfu.policy import selectors as policy_selectors
from jinfu.policy import services as policy_services

from . import services
from .loader import load_catalogues
from .models import GreenLoan, GreenNotice, GreenProduct, GreenProject, GreenReport

# (name, description, division, industry, item, investment, need, output kind, amount, unit, confirm, tier)
POOL = (
    (
        "茶园工业园厂房屋顶分布式光伏项目",
        "利用厂房屋顶建设分布式光伏发电设施，装机容量 3 MW，自发自用余电上网",
        "500108",
        "4416",
        "4",
        "1350",
        "900",
        "renewable_mwh",
        "3100",
        "MWh",
        True,
        "recommended",
    ),
    (
        "解放碑商务楼宇节能改造项目",
        "既有建筑改造：更换高效冷水机组与 LED 照明，建筑节能改造后年节约用电",
        "500103",
        "",
        "1",
        "860",
        "600",
        "electricity_saved_mwh",
        "1450",
        "MWh",
        True,
        "pool",
    ),
    (
        "江北嘴公共充电站建设项目",
        "建设公共充电站 2 座、直流充电桩 40 台，服务新能源汽车",
        "500105",
        "5267",
        "6",
        "520",
        "400",
        "electricity_saved_mwh",
        "0",
        "MWh",
        True,
        "pool",
    ),
    (
        "鸡冠石污水处理厂提标改造项目",
        "污水处理工艺提标改造，新增深度处理单元",
        "500108",
        "4620",
        "2",
        "4200",
        "3000",
        "sewage_m3",
        "18250000",
        "m³",
        True,
        "reserve",
    ),
    (
        "长嘉汇绿色建筑示范项目",
        "按绿色建筑标准建设办公楼，采用装配式建筑与屋顶光伏",
        "500108",
        "",
        "6",
        "9800",
        "6000",
        "renewable_mwh",
        "420",
        "MWh",
        False,
        "",
    ),
)

PRODUCTS = (
    ("光伏贷（示例）", "catalogue_item = '4' AND financing_need <= 2000", "期限 3–8 年，按发电收益分期还款"),
    (
        "绿色建筑与节能改造贷（示例）",
        "catalogue_item IN ('1', '6') AND construction_months <= 24",
        "期限最长 10 年",
    ),
    ("碳减排挂钩贷款（示例）", "annual_reduction >= 500", "年减排达标后利率下调"),
)


def build_green_demo(*, stdout=None, enterprise_org=None, bank=None) -> int:
    load_catalogues()
    if GreenProject.objects.filter(is_synthetic=True).exists():
        return 0
    admin = Principal(organization=None, role=Role.ADMIN)
    start = timezone.localdate() - dt.timedelta(days=90)
    made = 0
    with transaction.atomic():
        for name, desc, div, ind, item, inv, need, kind, amount, unit, confirm, tier in POOL:
            if not Division.objects.filter(code=div).exists():
                continue
            owner = (
                Organization.objects.filter(kind=Organization.Kind.ENTERPRISE, division_id=div)
                .order_by("pk")
                .first()
                or enterprise_org
            )
            if owner is None:
                continue
            p = Principal(organization=owner, role=Role.ENTERPRISE)
            rec = {
                "name": name,
                "description": desc,
                "division": div,
                "location": Division.objects.get(code=div).name,
                "industry_code": ind,
                "catalogue": "gfspc2025",
                "item": item,
                "total_investment": Decimal(inv),
                "financing_need": Decimal(need),
                "construction_start": start,
                "construction_months": 12,
                "output_kind": kind,
                "annual_output": Decimal(amount),
                "output_unit": unit,
                "grid": "西南",
                "factor_year": 2023,
            }
            project = services._create(p, owner, rec, synthetic=True)
            ident = project.identifications.first()
            if confirm and ident.best_item:
                services.decide(admin, ident.pk, confirm=True, reason="示例数据：规则识别结果经核对")
                services.set_tier(admin, project.pk, tier, publish=tier in ("pool", "recommended"))
            made += 1
        if bank is not None:
            for name, rule, terms in PRODUCTS:
                GreenProduct.objects.create(
                    institution=bank, name=name, rule=rule, terms=terms, is_synthetic=True
                )
        first = GreenProject.objects.filter(is_synthetic=True, published=True).order_by("pk").first()
        if first is not None and bank is not None:
            GreenLoan.objects.create(
                project=first,
                institution=bank,
                amount=Decimal("800"),
                outstanding=Decimal("800"),
                granted_on=timezone.localdate(),
                is_synthetic=True,
            )
    if stdout is not None:
        stdout.write(f"green: {made} synthetic projects (示例数据)\n")
    return made


GREEN_POLICY_CODE = "demo-green-loan-subsidy"
GREEN_POLICY_NOTE = (
    "示例数据：演示绿色政策如何使用绿色识别结果。申领条件“经认定的绿色企业”来自认定人员确认的绿色项目，"
    "企业自报不算；贴息比例、单户上限与预算为演示设定，不来自任何政策文件。"
)


def build_green_policy(*, stdout=None) -> bool:
    """A synthetic 绿色贷款贴息 policy written through the policy module's services: eligibility
    ``green_certified = true`` (a confirmed identification, never self-declaration), benefit 30% of the
    year's loan interest the enterprise declares, capped. Flagged 示例数据 on the policy and the item."""
    if policy_selectors.code_taken(GREEN_POLICY_CODE):
        return False
    with transaction.atomic():
        policy = policy_services.save_policy(
            None,
            {
                "code": GREEN_POLICY_CODE,
                "title": "绿色贷款贴息（示例）",
                "issuer": "示例数据",
                "summary": "对经认定的绿色企业的绿色贷款给予贴息（演示用）。",
                "note": GREEN_POLICY_NOTE,
                "is_synthetic": True,
                "data_version": "demo",
            },
            system=True,
        )
        policy_services.save_item(
            None,
            policy.pk,
            {
                "title": "绿色贷款贴息（示例）",
                "description": "经认定的绿色企业按年度贷款利息支出的 30% 申请贴息，单户上限 50 万元。",
                "mode": "apply",
                "eligibility_rule": "green_certified = true",
                "benefit_formula": "declared_loan_interest * 0.3",
                "cap": "50",
                "annual_budget": "500",
                "required_materials": ["绿色贷款合同", "利息支付凭证"],
                "status": "open",
                "rule_note": GREEN_POLICY_NOTE,
                "is_synthetic": True,
            },
            system=True,
        )
        policy_services.publish_policy(Principal(organization=None, role=Role.ADMIN), policy.pk)
    if stdout is not None:
        stdout.write("green: synthetic policy 绿色贷款贴息 (示例数据)\n")
    return True


def build_green_reports(*, stdout=None, limit: int = 8) -> int:
    """Synthetic quarterly figures (示例数据) of up to ``limit`` institutions for the last full quarter, so the
    finance office's 绿色金融评价 page has something to rank. Deterministic: institution i's figures grow
    with i, its risk share falls with i."""
    today = timezone.localdate()
    q = (today.month - 1) // 3  # the last full quarter
    year, quarter = (today.year, q) if q else (today.year - 1, 4)
    banks = Organization.objects.filter(kind=Organization.Kind.INSTITUTION).order_by("pk")[:limit]
    made = 0
    for i, bank in enumerate(banks, start=1):
        total = Decimal(200000 + 50000 * i)
        green = (total * Decimal(6 + i) / 100).quantize(Decimal("0.01"))
        _r, created = GreenReport.objects.get_or_create(
            institution=bank,
            year=year,
            quarter=quarter,
            defaults={
                "green_balance": green,
                "prior_green_balance": (green / (1 + Decimal(i) * Decimal("0.04"))).quantize(Decimal("0.01")),
                "total_balance": total,
                "green_risk": (green * Decimal(12 - i) / 1000).quantize(Decimal("0.01")),
                "is_synthetic": True,
            },
        )
        made += created
    if stdout is not None and made:
        stdout.write(f"green: {made} synthetic institution reports (示例数据)\n")
    return made


# Platform notices of the demo (示例数据): they describe the platform's own features only, no real-world
# policy, date, figure or institution. Published by the platform operator; (kind, title, body).
NOTICES = (
    (
        "notice",
        "【示例】绿色项目库开放在线申报",
        "平台“绿色项目”栏目已开放在线申报。\n\n"
        "- 企业可逐个填写，也可下载模板批量导入；\n"
        "- 提交后平台按《绿色金融支持项目目录（2025年版）》自动识别，并由平台认定人员复核；\n"
        "- 识别结果与理由在项目页面展示。\n\n"
        "本通知为演示用示例数据。",
    ),
    (
        "news",
        "【示例】绿色目录页面新增 2019 年版二、三级条目",
        "“绿色目录”页面现可查看《绿色产业指导目录（2019年版）》的二级、三级条目及其解释说明，"
        "每条均注明摘录来源。\n\n本资讯为演示用示例数据。",
    ),
    (
        "notice",
        "【示例】金融机构绿色金融产品展示说明",
        "金融机构在“绿色项目大厅”发布的绿色金融产品，上架后在“绿色金融资讯”页面向已登录用户展示"
        "产品名称、机构与产品要素。\n\n本通知为演示用示例数据。",
    ),
)


def build_green_notices(*, stdout=None) -> int:
    """The demo's published platform notices (示例数据); idempotent by title."""
    made = 0
    with transaction.atomic():
        for kind, title, body in NOTICES:
            _n, created = GreenNotice.objects.get_or_create(
                title=title,
                defaults={
                    "kind": kind,
                    "body": body,
                    "source": "平台运营方",
                    "status": GreenNotice.Status.PUBLISHED,
                    "published_at": timezone.now(),
                    "is_synthetic": True,
                },
            )
            made += created
    if stdout is not None and made:
        stdout.write(f"green: {made} synthetic notices (示例数据)\n")
    return made


def demo_step(ctx) -> None:
    build_green_demo(stdout=ctx.stdout, enterprise_org=ctx.orgs.get("enterprise"), bank=ctx.orgs.get("bank"))
    build_green_policy(stdout=ctx.stdout)
    build_green_reports(stdout=ctx.stdout)
    build_green_notices(stdout=ctx.stdout)

"""Synthetic financing data for the demo (flagged is_synthetic, badged 示例数据): products of the demo
institutions with eligibility rules, demands, applications at every workflow stage with outcomes spread
over the past months (so the KPI pages have history), funds with 募投管退 records and roadshows.
Deterministic for a seed; a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jinfu.core.features import enterprise_features
from jinfu.core.models import Organization, Role
from jinfu.core.principal import Principal

from . import rulebook, services
from .models import Application, Demand, Fund, FundRecord, Product, RoadshowEvent, RoadshowProject

# (name, category, subtype, amount range 万元, rate range %, term range months, collateral, support, days, rule)
BANK_PRODUCTS = [
    (
        "科创信用贷",
        "loan",
        "credit",
        (10, 1000),
        (3.45, 4.8),
        (6, 36),
        [],
        ["interest_subsidy"],
        7,
        "established_years >= 2 AND revenue >= 100 AND industry_section IN ('C', 'I', 'M')",
    ),
    (
        "知识价值信用贷款",
        "loan",
        "knowledge_value",
        (10, 500),
        (3.3, 4.5),
        (12, 36),
        [],
        ["risk_compensation"],
        10,
        "(tag_high_tech = TRUE OR tag_tech_sme = TRUE OR industry_section IN ('I', 'M')) AND employees >= 5",
    ),
    (
        "小微首贷通",
        "loan",
        "first_loan",
        (5, 300),
        (3.6, 5.2),
        (6, 24),
        [],
        ["interest_subsidy"],
        5,
        "established_years >= 1 AND employees >= 3 AND size_class IN ('small', 'micro')",
    ),
    (
        "厂房设备抵押贷",
        "loan",
        "mortgage",
        (100, 5000),
        (3.2, 4.2),
        (12, 60),
        ["real_estate", "equipment"],
        [],
        15,
        "revenue >= 500 AND established_years >= 3",
    ),
    (
        "应收账款质押贷",
        "loan",
        "receivables_pledge",
        (50, 2000),
        (3.5, 4.9),
        (3, 12),
        ["receivables"],
        [],
        8,
        "revenue >= 300 AND industry_section IN ('C', 'F', 'E')",
    ),
    (
        "政采贷",
        "loan",
        "order_loan",
        (20, 1000),
        (3.4, 4.6),
        (3, 12),
        [],
        ["interest_subsidy"],
        5,
        "revenue >= 200",
    ),
    (
        "无还本续贷",
        "loan",
        "renewal",
        (50, 3000),
        (3.5, 4.8),
        (12, 36),
        [],
        [],
        5,
        "established_years >= 3 AND revenue >= 300",
    ),
]
OTHER_PRODUCTS = {
    "guarantee": [
        (
            "科技型企业融资担保",
            "guarantee",
            "guarantee",
            (50, 2000),
            (0.8, 1.5),
            (12, 36),
            [],
            ["guarantee_fee_subsidy"],
            10,
            "established_years >= 1 AND industry_section IN ('C', 'I', 'M')",
        )
    ],
    "insurer": [
        (
            "科技保险（研发中断险）",
            "insurance",
            "tech_insurance",
            (10, 500),
            (0.5, 1.2),
            (12, 12),
            [],
            ["risk_compensation"],
            5,
            "industry_section IN ('C', 'I', 'M')",
        ),
        (
            "小微贷款保证保险",
            "insurance",
            "loan_guarantee_insurance",
            (10, 300),
            (1.0, 2.0),
            (6, 24),
            [],
            [],
            5,
            "size_class IN ('small', 'micro') AND established_years >= 1",
        ),
    ],
    "leasing": [
        (
            "设备融资租赁",
            "leasing",
            "leasing",
            (100, 5000),
            (4.5, 6.5),
            (24, 60),
            ["equipment"],
            [],
            12,
            "industry_section IN ('C', 'E') AND revenue >= 500",
        )
    ],
    "factoring": [
        (
            "供应链保理",
            "factoring",
            "factoring",
            (50, 3000),
            (5.0, 8.0),
            (3, 12),
            ["receivables"],
            [],
            6,
            "industry_section IN ('C', 'F') AND revenue >= 300",
        )
    ],
}
FUNDS = [
    ("长嘉汇科创天使基金（示例）", 5, ["seed", "angel"], ["I", "M", "C"], 100, 1000),
    ("科学城成长股权投资基金（示例）", 20, ["a", "b", "growth"], ["C", "I"], 1000, 10000),
    ("绿色产业发展基金（示例）", 10, ["b", "growth", "pre_ipo"], ["D", "N", "C"], 2000, 20000),
]


def _principal(org: Organization, role: str) -> Principal:
    return Principal(organization=org, role=role)


@transaction.atomic
def build_financing_demo(seed: int = 20261122, stdout=None, enterprise_org=None) -> dict:
    rng = random.Random(seed + 7)
    stats = {"products": 0, "demands": 0, "applications": 0, "funds": 0}
    institutions = list(
        Organization.objects.filter(kind=Organization.Kind.INSTITUTION, is_synthetic=True)
        .select_related("institution")
        .order_by("name")
    )
    for inst in institutions:
        kind = inst.institution.institution_type
        if kind == "bank" and inst.institution.level == "branch":
            templates = BANK_PRODUCTS
        elif kind in OTHER_PRODUCTS:
            templates = OTHER_PRODUCTS[kind]
        else:
            continue
        for i, (name, cat, sub, amt, rate, term, coll, sup, days, rule) in enumerate(templates):
            code = f"D{inst.pk}-{i + 1:02d}"
            if Product.objects.filter(code=code).exists():
                continue
            rulebook.check_rule(rule)
            product = Product.objects.create(
                institution=inst,
                code=code,
                name=name,
                category=cat,
                subtype=sub,
                description=f"（示例数据）{inst.name}面向重庆中小企业的{name}。",
                amount_min=amt[0],
                amount_max=amt[1],
                rate_min=Decimal(str(rate[0])),
                rate_max=Decimal(str(rate[1])),
                term_min=term[0],
                term_max=term[1],
                collateral=coll,
                policy_support=sup,
                expected_days=days,
                eligibility_rule=rule,
                repayment="按月付息、到期还本",
                is_synthetic=True,
            )
            services._publish(product)
            product.save()
            stats["products"] += 1
    if Application.objects.filter(is_synthetic=True).exists():
        return stats

    feats = enterprise_features().to_dicts()
    rng.shuffle(feats)
    products = list(
        Product.objects.filter(status="published", is_synthetic=True).select_related("institution")
    )
    today = timezone.localdate()
    reasons = [c for c, _ in Application.REJECT_REASONS]
    made = 0
    for row in feats:
        if made >= 120:
            break
        ent = Organization.objects.get(pk=row["org_id"])
        if enterprise_org is not None and ent.pk == enterprise_org.pk:
            continue  # the demo enterprise starts with a clean slate to try the journey itself
        flags, _ = rulebook.eligibility_for(row, products)
        candidates = [p for p, ok in zip(products, flags, strict=True) if ok and p.category == "loan"]
        if not candidates:
            continue
        product = rng.choice(candidates)
        amount = min(
            float(product.amount_max), max(float(product.amount_min), round((row["revenue"] or 100) * 0.15))
        )
        term = rng.choice(
            [t for t in (6, 12, 24, 36) if product.term_min <= t <= product.term_max] or [product.term_min]
        )
        ent_p, inst_p = _principal(ent, Role.ENTERPRISE), _principal(product.institution, Role.INSTITUTION)
        if made < 25:
            services.create_demand(
                ent_p,
                amount=amount,
                term_months=term,
                purpose="（示例）补充流动资金",
                visible_fields=["industry", "division", "size_class"],
            )
            stats["demands"] += 1
        app = services.apply(
            ent_p, product_id=product.pk, amount=amount, term_months=term, purpose="（示例）流动资金周转"
        )
        path = rng.choices(
            ["submitted", "accepted", "due_diligence", "approved", "disbursed", "rejected", "withdrawn"],
            weights=[8, 6, 8, 5, 55, 14, 4],
        )[0]
        steps = {
            "submitted": [],
            "accepted": ["accept"],
            "due_diligence": ["accept", "start_due_diligence"],
            "approved": ["accept", "start_due_diligence", "approve"],
            "disbursed": ["accept", "start_due_diligence", "approve", "disburse"],
            "rejected": ["accept", "start_due_diligence", "reject"],
            "withdrawn": ["withdraw"],
        }[path]
        rate = round(rng.uniform(float(product.rate_min), float(product.rate_max)), 2)
        for action in steps:
            actor = ent_p if action == "withdraw" else inst_p
            services.transition(
                actor,
                app.pk,
                action,
                reason_code=rng.choice(reasons),
                rate=rate,
                approved_amount=amount,
                note="（示例）",
            )
        # spread the history over the past 10 months so the KPI pages have a time axis
        start = today - dt.timedelta(days=rng.randint(10, 300))
        decided = start + dt.timedelta(days=rng.randint(3, 20))
        Application.objects.filter(pk=app.pk).update(
            is_synthetic=True,
            submitted_at=timezone.make_aware(dt.datetime.combine(start, dt.time(10))),
            decided_at=(
                timezone.make_aware(dt.datetime.combine(decided, dt.time(16)))
                if path in ("approved", "disbursed", "rejected")
                else None
            ),
            disbursed_on=(min(today, decided + dt.timedelta(days=3)) if path == "disbursed" else None),
        )
        made += 1
    stats["applications"] = made
    Demand.objects.filter(purpose__startswith="（示例）").update(is_synthetic=True)
    managers = list(
        Organization.objects.filter(
            kind=Organization.Kind.INSTITUTION,
            institution__institution_type="fund_manager",
            is_synthetic=True,
        )
    )
    for i, (name, size, stages, inds, tmin, tmax) in enumerate(FUNDS):
        if not managers or Fund.objects.filter(name=name).exists():
            continue
        fund = Fund.objects.create(
            manager=managers[i % len(managers)],
            name=name,
            size=size,
            stages=stages,
            industries=inds,
            ticket_min=tmin,
            ticket_max=tmax,
            is_synthetic=True,
        )
        FundRecord.objects.create(
            fund=fund,
            kind="raise",
            date=today - dt.timedelta(days=400),
            amount=Decimal(size) * 10000,
            note="（示例）首期募集完成",
        )
        for j in range(2):
            target = Organization.objects.get(pk=feats[(i * 2 + j) % len(feats)]["org_id"])
            FundRecord.objects.create(
                fund=fund,
                kind="invest",
                date=today - dt.timedelta(days=200 - 40 * j),
                amount=tmin * 2,
                counterparty=target,
                note="（示例）完成投资",
            )
        FundRecord.objects.create(
            fund=fund, kind="manage", date=today - dt.timedelta(days=30), note="（示例）季度投后走访"
        )
        stats["funds"] += 1
    if not RoadshowProject.objects.filter(is_synthetic=True).exists():
        event = RoadshowEvent.objects.create(
            title="（示例）科技企业股权融资路演·第12期",
            location="重庆市渝中区解放碑金融服务中心",
            starts_at=timezone.now() + dt.timedelta(days=14),
            capacity=40,
            is_synthetic=True,
        )
        for k, row in enumerate(feats[200:206]):
            ent = Organization.objects.get(pk=row["org_id"])
            project = RoadshowProject.objects.create(
                enterprise=ent,
                title=f"{ent.name[2:10]}智能化升级项目（示例）",
                summary="（示例数据）项目简介。",
                stage=["angel", "a", "b", "growth", "a", "pre_ipo"][k],
                amount_sought=[500, 3000, 8000, 15000, 2000, 30000][k],
                is_synthetic=True,
            )
            event.projects.add(project)
    if stdout:
        stdout.write(f"financing demo: {stats}\n")
    return stats


def demo_step(ctx) -> None:
    """The platform demo's financing step (module contract)."""
    build_financing_demo(seed=ctx.seed, stdout=ctx.stdout, enterprise_org=ctx.orgs["enterprise"])

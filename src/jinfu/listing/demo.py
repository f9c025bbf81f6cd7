"""Synthetic listing data: three years of statements for a few hundred demo enterprises (the ones
with the largest registered revenue, correlated with it), listing profiles, reserve entries and
milestones. Every row is flagged ``is_synthetic``; idempotent (skips enterprises already done).

The synthetic revenue of year y1 is the enterprise's registered revenue times one monotone scale
factor, chosen so that the largest demo firm is near listing scale (≈15亿元); ranks are preserved.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jinfu.core.models import EnterpriseProfile, Organization

from . import engine, selectors
from .models import (
    STAGE_ORDER,
    FinancialStatement,
    ListingProfile,
    Milestone,
    ReserveEntry,
    ReserveEvent,
    Tier,
)

N_ENTERPRISES = 300


def _d(x: float) -> Decimal:
    return Decimal(str(round(x, 2)))


@transaction.atomic
def build_listing_demo(
    seed: int = 20261122, stdout=None, enterprise_org=None, n: int = N_ENTERPRISES
) -> dict:
    rng = random.Random(seed + 11)
    last = timezone.localdate().year - 1
    profiles = list(
        EnterpriseProfile.objects.filter(organization__is_synthetic=True, revenue__isnull=False)
        .select_related("organization")
        .order_by("-revenue", "pk")[:n]
    )
    if enterprise_org is not None and all(p.pk != enterprise_org.pk for p in profiles):
        extra = EnterpriseProfile.objects.filter(pk=enterprise_org.pk).first()
        if extra is not None:
            profiles.append(extra)
    if not profiles:
        return {"statements": 0}
    scale = max(1.0, 150000.0 / max(float(profiles[0].revenue or 1), 1.0))
    done = set(
        FinancialStatement.objects.filter(
            enterprise__in=[p.organization for p in profiles], is_synthetic=True
        )
        .values_list("enterprise_id", flat=True)
        .distinct()
    )
    stats = {"statements": 0, "profiles": 0, "entries": 0, "milestones": 0}
    new_orgs = []
    for p in profiles:
        if p.pk in done:
            continue
        new_orgs.append(p.organization)
        rev = max(float(p.revenue) * scale, 500.0)
        margin = rng.gauss(0.09, 0.06)
        growth = rng.uniform(-0.05, 0.4)
        tech = p.tags.filter(code__in=["high_tech", "specialized", "tech_sme"]).exists()
        rd_share = rng.uniform(0.05, 0.18) if tech else rng.uniform(0.005, 0.05)
        net_assets = rev * rng.uniform(0.4, 1.1)
        for k in range(3):  # y1, y2, y3
            r = rev / ((1 + growth) ** k) * rng.uniform(0.95, 1.05)
            m = margin + rng.gauss(0, 0.02)
            npf = r * m
            na = net_assets / ((1 + max(growth, 0) * 0.5) ** k)
            FinancialStatement.objects.create(
                enterprise=p.organization,
                year=last - k,
                revenue=_d(r),
                net_profit=_d(npf),
                operating_cash_flow=_d(npf * rng.uniform(0.5, 1.5)),
                rd_expense=_d(r * rd_share),
                net_assets=_d(na),
                total_assets=_d(na * rng.uniform(1.3, 2.3)),
                roe=_d(max(min(npf / na * 100, 999), -999)),
                source=FinancialStatement.Source.SYNTHETIC,
                audited=rng.random() < 0.5,
                is_synthetic=True,
            )
            stats["statements"] += 1
        pe = rng.uniform(15, 45)
        cap = rev * margin * pe if margin > 0 else rev * rng.uniform(1.5, 5)
        innovation = rng.random() < 0.15
        ListingProfile.objects.update_or_create(
            enterprise=p.organization,
            defaults={
                "market_cap": _d(cap),
                "market_cap_basis": "示例数据：净利润 × 可比公司市盈率"
                if margin > 0
                else "示例数据：营业收入 × 市销率",
                "neeq_tier": "innovation" if innovation else "none",
                "neeq_innovation_months": rng.randint(6, 40) if innovation else 0,
                "star_core_products_approved": tech and rng.random() < 0.1,
                "target_board": rng.choice(["star", "chinext", "bse", "main"]),
                "is_synthetic": True,
            },
        )
        stats["profiles"] += 1
    if new_orgs:
        _reserve_and_milestones(rng, new_orgs, stats, last)
    if stdout is not None:
        stdout.write(f"  上市培育 listing: {stats}\n")
    return stats


def _reserve_and_milestones(rng, orgs, stats, last):
    ids = [o.pk for o in orgs]
    frame = selectors.listing_frame(ids)
    frame = engine.evaluate_frame(frame)
    criteria = engine.criteria_in_force()
    frame = engine.evaluate_tiers_frame(frame, criteria)
    rows = {r["org_id"]: r for r in frame.to_dicts()}
    gov = {
        "500000": Organization.objects.filter(
            kind="government", division_id="500000", is_synthetic=True
        ).first(),
    }
    orgs_by_pk = {o.pk: o for o in orgs}
    ranked = sorted(ids, key=lambda i: -(rows.get(i, {}).get("best_share") or 0))
    for pk in ranked:
        r = rows.get(pk)
        if r is None:
            continue
        org = orgs_by_pk[pk]
        # milestones: the firms closest to a standard have started (股改 → …), in order, dated
        if r.get("best_share", 0) >= 70 and rng.random() < 0.6:
            n = rng.choices([1, 2, 3, 4, 5, 6], weights=[6, 5, 3, 2, 1, 1])[0]
            day = dt.date(last - 2, rng.randint(1, 12), rng.randint(1, 28))
            for stage in STAGE_ORDER[:n]:
                if day > timezone.localdate():
                    break
                Milestone.objects.get_or_create(
                    enterprise=org,
                    stage=stage,
                    defaults={"date": day, "is_synthetic": True, "note": "示例数据"},
                )
                stats["milestones"] += 1
                day += dt.timedelta(days=rng.randint(60, 240))
        r["stage_rank"] = Milestone.objects.filter(enterprise=org).count()
        nominator = gov.get("500000")
        for tier in (Tier.DISTRICT, Tier.CITY, Tier.CITY_KEY):
            ok = criteria.tiers[tier].rule.passes(engine.as_row(r))
            if not ok or rng.random() < 0.3:
                continue
            status = ReserveEntry.Status.APPROVED if rng.random() < 0.8 else ReserveEntry.Status.NOMINATED
            entry, created = ReserveEntry.objects.get_or_create(
                enterprise=org,
                tier=tier,
                status=status,
                defaults={
                    "criteria_version": criteria.version,
                    "nominating_org": nominator,
                    "reason": "示例数据：符合入库标准",
                    "is_synthetic": True,
                    "decided_at": timezone.now() if status == ReserveEntry.Status.APPROVED else None,
                },
            )
            if created:
                ReserveEvent.objects.create(
                    entry=entry, action="nominate", to_status="nominated", note="示例数据"
                )
                if status == ReserveEntry.Status.APPROVED:
                    ReserveEvent.objects.create(
                        entry=entry,
                        action="approve",
                        from_status="nominated",
                        to_status="approved",
                        note="示例数据",
                    )
                stats["entries"] += 1


def demo_step(ctx) -> None:
    """The platform demo's listing step (module contract)."""
    build_listing_demo(seed=ctx.seed, stdout=ctx.stdout, enterprise_org=ctx.orgs["enterprise"])

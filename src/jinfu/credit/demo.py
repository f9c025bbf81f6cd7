"""Synthetic source records for the demo enterprises (batches with source system "示例数据").

Idempotent: if demo batches exist, records are not generated again (features and tags are refreshed).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from jinfu.core.models import EnterpriseProfile, Grant, Purpose, Scope

from . import models as m
from . import services

DEMO_SYSTEM = "示例数据"
GRADES = ["A"] * 30 + ["B"] * 45 + ["M"] * 15 + ["C"] * 7 + ["D"] * 3


def _month(today: dt.date, back: int) -> dt.date:
    k = today.year * 12 + today.month - 1 - back
    return dt.date(k // 12, k % 12 + 1, 1)


def _d(x: float) -> Decimal:
    return Decimal(str(round(x, 2)))


def generate(ents: list[tuple[int, int, float]], seed: int, today: dt.date) -> dict[str, list[dict]]:
    """Records per source for (org_id, employees, revenue) tuples."""
    r = random.Random(seed)
    out: dict[str, list[dict]] = {
        k: []
        for k in (
            "tax",
            "social_insurance",
            "utility",
            "procurement",
            "court",
            "penalty",
            "abnormal",
            "ip",
            "environment",
        )
    }
    for org_id, emp, rev in ents:
        emp = emp or r.randint(3, 80)
        rev = rev or r.uniform(50, 5000)
        g = r.choice(GRADES)
        for y in range(today.year - 3, today.year):
            out["tax"].append(
                {
                    "org_id": org_id,
                    "year": y,
                    "credit_grade": g if y == today.year - 1 else r.choice(GRADES),
                    "tax_paid": _d(rev * r.uniform(0.02, 0.06)),
                }
            )
        trend = r.uniform(-0.15, 0.3)
        for back in range(13, 0, -1):
            out["social_insurance"].append(
                {
                    "org_id": org_id,
                    "month": _month(today, back),
                    "insured": max(1, int(emp * (1 + trend * (13 - back) / 12))),
                }
            )
            out["utility"].append(
                {
                    "org_id": org_id,
                    "month": _month(today, back),
                    "kind": "electricity",
                    "usage": _d(emp * r.uniform(300, 900)),
                    "cost": _d(emp * r.uniform(0.02, 0.07)),
                }
            )
        if r.random() < 0.12:
            for i in range(r.randint(1, 3)):
                out["procurement"].append(
                    {
                        "org_id": org_id,
                        "order_no": f"CQZC-{org_id}-{i}",
                        "buyer": "重庆市某区政府采购中心",
                        "date": today - dt.timedelta(days=r.randint(10, 700)),
                        "amount": _d(r.uniform(5, 300)),
                    }
                )
        if r.random() < 0.04:
            out["court"].append(
                {
                    "org_id": org_id,
                    "kind": "dishonest_debtor",
                    "case_no": f"（{today.year - 1}）渝0103执{org_id}号",
                    "date": today - dt.timedelta(days=r.randint(30, 600)),
                    "amount": _d(r.uniform(5, 200)),
                    "closed": r.random() < 0.3,
                }
            )
        if r.random() < 0.10:
            out["court"].append(
                {
                    "org_id": org_id,
                    "kind": "judgment",
                    "case_no": f"（{today.year - 2}）渝0103民初{org_id}号",
                    "date": today - dt.timedelta(days=r.randint(30, 1500)),
                    "amount": _d(r.uniform(1, 100)),
                    "closed": True,
                }
            )
        if r.random() < 0.05:
            out["penalty"].append(
                {
                    "org_id": org_id,
                    "decision_no": f"渝市监罚〔{today.year - 1}〕{org_id}号",
                    "date": today - dt.timedelta(days=r.randint(30, 1000)),
                    "authority": "重庆市市场监督管理局",
                    "amount": _d(r.uniform(0.1, 20)),
                    "reason": "示例：虚假宣传",
                }
            )
        if r.random() < 0.03:
            listed = today - dt.timedelta(days=r.randint(60, 800))
            out["abnormal"].append(
                {
                    "org_id": org_id,
                    "listed_on": listed,
                    "reason": "未按规定期限公示年度报告",
                    "removed_on": listed + dt.timedelta(days=40) if r.random() < 0.5 else None,
                }
            )
        if r.random() < 0.35:
            for i in range(r.randint(1, 8)):
                kind = r.choice(
                    ["invention", "utility", "utility", "design", "trademark", "software_copyright"]
                )
                out["ip"].append(
                    {
                        "org_id": org_id,
                        "kind": kind,
                        "number": f"ZL{org_id}{i:03d}",
                        "date": today - dt.timedelta(days=r.randint(30, 2500)),
                    }
                )
        if r.random() < 0.3:
            out["environment"].append(
                {
                    "org_id": org_id,
                    "year": today.year - 1,
                    "rating": r.choice(["绿", "蓝", "蓝", "蓝", "黄", "红"]),
                }
            )
    return out


def build_credit_demo(*, seed: int, stdout=None, enterprise_org=None, bank_org=None) -> None:
    out = stdout.write if stdout else (lambda s: None)
    services.seed_tag_rules()
    if not m.SourceBatch.objects.filter(adapter=m.SourceBatch.Adapter.DEMO).exists():
        today = timezone.localdate()
        ents = list(
            EnterpriseProfile.objects.filter(organization__is_synthetic=True)
            .order_by("pk")
            .values_list("pk", "employees", "revenue")
        )
        recs = generate([(o, e, float(v) if v is not None else None) for o, e, v in ents], seed, today)
        for source, rows in recs.items():
            if rows:
                services.apply_batch(
                    m.SourceBatch(
                        source=source, source_system=DEMO_SYSTEM, adapter=m.SourceBatch.Adapter.DEMO
                    ),
                    rows,
                )
        out(f"  信用来源记录 credit source records: {sum(len(v) for v in recs.values())}\n")
    services.refresh_features()
    services.apply_tags()
    if enterprise_org is not None and bank_org is not None:
        scopes = [
            Scope.TAX,
            Scope.SOCIAL_INSURANCE,
            Scope.UTILITIES,
            Scope.PROCUREMENT,
            Scope.JUDICIAL,
            Scope.IP,
            Scope.CREDIT_SCORE,
            Scope.GREEN,
        ]
        grants = Grant.objects.filter(enterprise=enterprise_org, grantee=bank_org)
        if not any(Scope.TAX in (g.scopes or []) for g in grants):
            now = timezone.now()
            Grant.objects.create(
                enterprise=enterprise_org,
                grantee=bank_org,
                scopes=scopes,
                purpose=Purpose.CREDIT_ASSESSMENT,
                purpose_note="示例：授信评估（信用画像）",
                granted_at=now,
                expires_at=now + dt.timedelta(days=90),
            )


def demo_step(ctx) -> None:
    """The platform demo's credit step (module contract): source records, then the scorecard."""
    from .scoring.services import build_scoring_demo

    build_credit_demo(
        seed=ctx.seed, stdout=ctx.stdout, enterprise_org=ctx.orgs["enterprise"], bank_org=ctx.orgs["bank"]
    )
    build_scoring_demo(seed=ctx.seed, stdout=ctx.stdout)

"""Synthetic policy-fulfillment demo data: loads the policy library (seed policies and the flagged
synthetic ones), runs the proactive push, and walks a few synthetic claims through review, publicity and
payout so that the ledger and dashboard have something to show. Idempotent."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from jinfu.core.models import Organization, Role, User
from jinfu.core.principal import Principal

from . import services
from .loader import load_policies
from .models import Payout, PolicyItem, PushRun


def _officer():
    return (
        User.objects.filter(role=Role.GOVERNMENT, organization__division_id="500000").first()
        or User.objects.filter(role=Role.GOVERNMENT).first()
    )


def build_policy_demo(
    *, seed: int = 20261122, stdout=None, enterprise_org: Organization | None = None
) -> dict:
    out = stdout.write if stdout else (lambda s: None)
    out("政策库与兑现事项 / policies and fulfillment items…\n")
    load_policies(stdout=stdout)
    officer = _officer()
    today = timezone.localdate()
    # the push runs once per demo database (a second `make demo` must add nothing, not even a run log)
    runs = [] if PushRun.objects.exists() else services.run_push(None, today=today)
    out(f"  主动推送 proactive push: {sum(r.eligible for r in runs)} 个符合条件的企业-事项\n")
    result = {"runs": len(runs), "claims": 0, "payouts": 0}
    if officer is None or Payout.objects.filter(is_synthetic=True).exists():
        return result
    rng = random.Random(seed)
    start = dt.date(today.year, 3, 2)
    for code in ("demo-specialized-award", "demo-small-jobs"):
        item = PolicyItem.objects.filter(code=code).first()
        if item is None:
            continue
        hits = list(
            item.hits.select_related("enterprise")
            .filter(enterprise__is_synthetic=True)
            .order_by("enterprise_id")[:40]
        )
        rng.shuffle(hits)
        for i, hit in enumerate(hits[:12]):
            user = Principal(organization=hit.enterprise, role=Role.ENTERPRISE)  # a synthetic enterprise
            try:
                claim = services.submit_claim(user, item.pk, today=start)
                result["claims"] += 1
                if i % 4 == 3:
                    continue  # some stay in the review queue
                services.approve(officer, claim.pk, today=start + dt.timedelta(days=2))
                if i % 4 == 2:
                    continue  # some stay under publicity
                services.pay(officer, claim.pk, today=start + dt.timedelta(days=21))
                result["payouts"] += 1
            except Exception as exc:  # noqa: BLE001 - demo data is best effort (e.g. budget exhausted)
                out(f"  跳过 skipped: {exc}\n")
    out(f"  兑现申请 claims: {result['claims']}，拨付 payouts: {result['payouts']}\n")
    return result


def demo_step(ctx) -> None:
    """The platform demo's policy step (module contract)."""
    build_policy_demo(seed=ctx.seed, stdout=ctx.stdout, enterprise_org=ctx.orgs["enterprise"])

"""Reads of policy fulfillment, always filtered by who is asking: published policies are readable by any
signed-in user; an enterprise sees only its own claims; government users see the claims of their
district's policies (city-level government and admins see all)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from jinfu.core.errors import Forbidden, NotFound
from jinfu.core.features import enterprise_features
from jinfu.core.models import Division, Role
from jinfu.core.principal import as_principal

from . import engine
from .models import Budget, Claim, Objection, Payout, Policy, PolicyItem
from .services import can_govern, period_of


def _is_gov(p) -> bool:
    return p.is_admin or p.role == Role.GOVERNMENT


def _gov_filter(p, prefix: str) -> Q:
    """Rows whose policy the government user's jurisdiction covers (the same rule as ``can_govern``)."""
    return p.jurisdiction.q_citywide_or(f"{prefix}division")


def visible_policies(actor):
    p = as_principal(actor)
    qs = Policy.objects.all()
    if not _is_gov(p):
        qs = qs.filter(status=Policy.Status.PUBLISHED)
    return qs


def _fts_ids(q: str) -> list[int] | None:
    """Policy ids matching a Chinese query through the backend's full-text index (None: no index)."""
    groups = engine.query_groups(q)
    if not groups:
        return []
    if connection.vendor == "sqlite":

        def alt(tokens):
            inner = " AND ".join(f'"{t}"' for t in tokens)
            return f"({inner})"

        match = " AND ".join("(" + " OR ".join(alt(a) for a in g) + ")" for g in groups)
        with connection.cursor() as c:
            c.execute("SELECT rowid FROM policy_fts WHERE policy_fts MATCH %s ORDER BY rank", [match])
            return [r[0] for r in c.fetchall()]
    if connection.vendor == "postgresql":
        tsq = " & ".join("(" + " | ".join("(" + " & ".join(a) + ")" for a in g) + ")" for g in groups)
        with connection.cursor() as c:
            c.execute(
                "SELECT id FROM policy_policy WHERE to_tsvector('simple', search_tokens) @@ to_tsquery('simple', %s) "
                "ORDER BY ts_rank(to_tsvector('simple', search_tokens), to_tsquery('simple', %s)) DESC",
                [tsq, tsq],
            )
            return [r[0] for r in c.fetchall()]
    return None


def search(actor, q: str | None = None, *, tag: str | None = None):
    """Policies matching a Chinese full-text query (jieba tokens; SQLite FTS5 or PostgreSQL tsvector),
    best first; without a query, the library in publication order."""
    qs = visible_policies(actor).prefetch_related("tags", "items")
    if tag:
        qs = qs.filter(tags__code=tag)
    q = (q or "").strip()
    if not q:
        return list(qs.distinct())
    ids = _fts_ids(q)
    if ids is None:
        return list(qs.filter(Q(title__icontains=q) | Q(full_text__icontains=q)).distinct())
    by_id = {p.pk: p for p in qs.filter(pk__in=ids).distinct()}
    return [by_id[i] for i in ids if i in by_id]


def code_taken(code: str) -> bool:
    """Is a policy code in use (a loader's or demo step's idempotence check; reveals nothing else)."""
    return Policy.objects.filter(code=code).exists()


def get_policy(actor, pk: int) -> Policy:
    policy = visible_policies(actor).prefetch_related("tags", "items").filter(pk=pk).first()
    if policy is None:
        raise NotFound("政策不存在", "Policy not found")
    return policy


def get_item(actor, pk: int) -> PolicyItem:
    item = PolicyItem.objects.select_related("policy").filter(pk=pk).first()
    if item is None or item.policy_id not in set(visible_policies(actor).values_list("pk", flat=True)):
        raise NotFound("兑现事项不存在", "Policy item not found")
    return item


def my_policies(actor, *, today: dt.date | None = None) -> dict:
    """For an enterprise: the open items it qualifies for (with the estimate and reasons) and those it
    nearly meets (with the failed clauses and their gaps)."""
    p = as_principal(actor)
    if p.role != Role.ENTERPRISE or p.organization is None:
        raise Forbidden("仅企业用户可查看", "Enterprise users only")
    today = today or timezone.localdate()
    period = period_of(today)
    rows = enterprise_features([p.org_id], today=today).to_dicts()
    row = rows[0] if rows else {"org_id": p.org_id}
    items = (
        PolicyItem.objects.select_related("policy")
        .filter(status=PolicyItem.Status.OPEN, policy__status=Policy.Status.PUBLISHED)
        .exclude(mode=PolicyItem.Mode.REFERENCE)
        .order_by("policy__title", "code")
    )
    claimed = dict(
        Claim.objects.filter(enterprise_id=p.org_id, period=period, status__in=Claim.Status.values)
        .exclude(status__in=[Claim.Status.REJECTED, Claim.Status.WITHDRAWN])
        .values_list("item_id", "pk")
    )
    eligible, near = [], []
    for item in items:
        if item.apply_until and today > item.apply_until:
            continue
        a = engine.assess(row, item.eligibility_rule, item.benefit_formula, item.cap)
        entry = {"item": item, "assessment": a, "claim_id": claimed.get(item.pk)}
        if a.eligible:
            eligible.append(entry)
        elif a.near:
            near.append(entry)
    total = sum((e["assessment"].amount or Decimal(0)) for e in eligible)
    return {"eligible": eligible, "near": near, "total": total, "period": period, "row": row}


def claims_for(actor, *, status: str | None = None):
    p = as_principal(actor)
    qs = Claim.objects.select_related("item__policy", "enterprise")
    if p.role == Role.ENTERPRISE:
        qs = qs.filter(enterprise_id=p.org_id)
    elif _is_gov(p):
        qs = qs.filter(_gov_filter(p, "item__policy__"))
    else:
        raise Forbidden("无权查看兑现申请", "You cannot view policy claims")
    if status:
        qs = qs.filter(status=status)
    return qs


def get_claim(actor, pk: int) -> Claim:
    claim = claims_for(actor).filter(pk=pk).first()
    if claim is None:
        p = as_principal(actor)
        # the public may look at a claim under publicity (公示) to object to it
        claim = publicity_list(p).filter(pk=pk).first()
        if claim is None:
            raise NotFound("兑现申请不存在", "Claim not found")
    return claim


def review_queue(actor, *, today: dt.date | None = None) -> list[dict]:
    """Government: claims awaiting a decision or a payout, oldest first, with the SLA status."""
    p = as_principal(actor)
    if not _is_gov(p):
        raise Forbidden("只有政府部门用户可以审核", "Only government users review claims")
    today = today or timezone.localdate()
    qs = (
        claims_for(p)
        .filter(status__in=[Claim.Status.SUBMITTED, Claim.Status.PUBLICITY, Claim.Status.OBJECTION])
        .order_by("stage_due", "created_at")
    )
    out = []
    for c in qs:
        sla = "ok"
        if c.status == Claim.Status.SUBMITTED and c.stage_due:
            sla = "overdue" if today > c.stage_due else ("due" if today == c.stage_due else "ok")
        payable = c.status == Claim.Status.PUBLICITY and (
            not c.publicity_until or today > c.publicity_until or not c.item.publicity_days
        )
        out.append({"claim": c, "sla": sla, "payable": payable})
    return out


def publicity_list(actor, *, today: dt.date | None = None):
    """Claims under publicity (公示): visible to every signed-in user."""
    as_principal(actor)
    return (
        Claim.objects.select_related("item__policy", "enterprise")
        .filter(status__in=[Claim.Status.PUBLICITY, Claim.Status.OBJECTION])
        .order_by("publicity_until", "pk")
    )


def open_objections(claim: Claim):
    return claim.objections.filter(status=Objection.Status.OPEN)


def ledger(actor, *, period: str | None = None, item: int | None = None):
    p = as_principal(actor)
    if not _is_gov(p):
        raise Forbidden("只有政府部门用户可以查看拨付台账", "Only government users view the payout ledger")
    qs = Payout.objects.select_related("item__policy", "enterprise").filter(_gov_filter(p, "item__policy__"))
    if period:
        qs = qs.filter(period=period)
    if item:
        qs = qs.filter(item_id=item)
    return qs


def budgets(actor, *, period: str | None = None):
    p = as_principal(actor)
    qs = Budget.objects.select_related("item__policy").filter(_gov_filter(p, "item__policy__"))
    return qs.filter(period=period) if period else qs


def dashboard(actor, *, period: str | None = None) -> dict:
    """Payouts by policy, district and period (for the ECharts dashboard)."""

    qs = ledger(actor, period=period)
    by_policy = list(
        qs.values("item__policy__title").annotate(amount=Sum("amount"), n=Count("pk")).order_by("-amount")
    )
    by_div = list(
        qs.values("division_code").annotate(amount=Sum("amount"), n=Count("pk")).order_by("-amount")
    )
    names = dict(
        Division.objects.filter(code__in=[d["division_code"] for d in by_div]).values_list("code", "name")
    )
    by_period = list(qs.values("period").annotate(amount=Sum("amount"), n=Count("pk")).order_by("period"))
    claims = claims_for(actor)
    if period:
        claims = claims.filter(period=period)
    status_counts = defaultdict(int)
    for s, n in claims.values_list("status").annotate(n=Count("pk")):
        status_counts[s] = n
    chart = {
        "policies": [d["item__policy__title"] for d in by_policy],
        "policy_amounts": [float(d["amount"]) for d in by_policy],
        "districts": [names.get(d["division_code"], d["division_code"] or "—") for d in by_div],
        "district_amounts": [float(d["amount"]) for d in by_div],
        "periods": [d["period"] for d in by_period],
        "period_amounts": [float(d["amount"]) for d in by_period],
    }
    return {
        "total": qs.aggregate(s=Sum("amount"))["s"] or Decimal(0),
        "count": qs.count(),
        "status_counts": dict(status_counts),
        "chart": chart,
        "synthetic": qs.filter(is_synthetic=True).exists(),
        "budgets": budgets(actor, period=period),
    }


def payouts_by_enterprise(actor) -> dict:
    """What the 数据大屏 shows of policy money: the payouts of the ledger this government user reads, to
    enterprises inside its jurisdiction (a district office its district's enterprises, also under city
    policies), summed per enterprise with its district, for core.screen's disclosure threshold."""
    from jinfu.core.models import Division

    p = as_principal(actor)
    qs = ledger(p)
    if not p.jurisdiction.citywide:
        qs = qs.filter(p.jurisdiction.q("enterprise__division", "enterprise__zone"))
    rows = list(
        qs.values("enterprise", "division_code")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by("enterprise")
    )
    names = dict(
        Division.objects.filter(code__in={r["division_code"] for r in rows}).values_list("code", "name")
    )
    for r in rows:
        r["division"] = names.get(r["division_code"], "")
    return {"rows": rows, "synthetic": qs.filter(is_synthetic=True).exists()}


def can_act(actor, claim: Claim) -> bool:
    p = as_principal(actor)
    return _is_gov(p) and can_govern(p, claim.item.policy.division_id)

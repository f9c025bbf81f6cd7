"""Writes and workflows of policy fulfillment. Every write is permission-checked, validated, atomic and
audited (django-auditlog on the models; every claim step as a ClaimEvent row).

Claim state machine (申报 and 免申即享 alike; 免申即享 claims start from the enterprise's confirmation):

    submitted ──approve──▶ publicity ──pay (after the publicity period, no open objection)──▶ paid
        │                     │  ▲
        │                  object │ dismiss
        │                     ▼  │
        │                  objection ──uphold──▶ rejected (budget released)
        ├──reject──▶ rejected
        └──withdraw──▶ withdrawn

Approval reserves the amount from the item's budget for the period: a row lock on the budget plus a
conditional ``UPDATE … SET remaining = remaining - x WHERE remaining >= x`` and a CHECK (remaining >= 0),
so concurrent approvals can never overdraw it. Time is a parameter (``today``) so that tests and
back-office corrections do not depend on the clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jinfu.core import disclosure, workflow
from jinfu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from jinfu.core.features import enterprise_features
from jinfu.core.jurisdiction import of_organization
from jinfu.core.models import Organization, Role
from jinfu.core.principal import as_principal
from jinfu.core.reference.workdays import add_workdays
from jinfu.core.text import clean_long_text, clean_name
from jinfu.rules.errors import RuleError

from . import engine
from .models import (
    Budget,
    Claim,
    ClaimEvent,
    Objection,
    Payout,
    Policy,
    PolicyItem,
    PolicyTag,
    PushHit,
    PushRun,
)

MAX_WAN = Decimal("100000000")


def period_of(today: dt.date) -> str:
    return str(today.year)


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


# ---------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------


def can_govern(actor, division_id: str | None) -> bool:
    """Government users whose jurisdiction covers the policy (``Principal.jurisdiction``: a city-wide
    policy, no division, is every office's; a district's policy its district's and the city's) and admins
    manage a policy and review its claims."""
    p = as_principal(actor)
    if p.is_admin:
        return True
    return p.role == Role.GOVERNMENT and p.jurisdiction.covers_citywide_or(division_id)


def _require_government(actor, division_id: str | None = None):
    p = as_principal(actor)
    if not (p.is_admin or p.role == Role.GOVERNMENT):
        raise Forbidden("只有政府部门用户可以管理政策和审核兑现", "Only government users manage policies")
    if not can_govern(p, division_id):
        raise Forbidden(
            "该政策属于其他区县，您无权办理", "This policy belongs to another district; you cannot act on it"
        )
    return p


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


def check_rules(eligibility_rule: str, benefit_formula: str) -> None:
    """Validate both rules; the error names the field (eligibility_rule / benefit_formula) and position."""
    for field, text, compile_, label in (
        ("eligibility_rule", eligibility_rule, engine.eligibility, "申领条件"),
        ("benefit_formula", benefit_formula, engine.benefit, "兑现金额公式"),
    ):
        try:
            compile_(text or "")
        except RuleError as exc:
            zh = exc.message_zh
            en = exc.message_en
            if field == "benefit_formula" and exc.code == "result_type":
                zh, en = (
                    f"{zh}（兑现金额公式必须是数值表达式）",
                    f"{en} (the benefit formula must be numeric)",
                )
            err = ValidationFailed(f"{label}：{zh}", f"{field}: {en}", field=field, code=exc.code)
            err.position = (exc.start, exc.end)
            raise err from None


def preview(actor, eligibility_rule: str, benefit_formula: str = "", cap=None, *, channel=None) -> dict:
    """The editor's live preview: how many enterprises qualify and the estimated total, as the disclosure
    policy lets this actor see them (jinfu.core.disclosure: government within its jurisdiction; others
    counts only; small groups withheld). Enterprises are refused (Forbidden) before the rules are read."""
    gate = disclosure.authorize(
        actor,
        "policy.rule_check",
        rule_text=eligibility_rule or "",
        formula_text=benefit_formula or "",
        channel=channel,
    )
    check_rules(eligibility_rule, benefit_formula)
    cap_dec = _dec(cap, "cap", "封顶金额")
    cap_value = float(cap_dec) if cap_dec is not None else None

    def measure(features, text):
        hits = engine.batch(features, text, benefit_formula, cap_value)
        return hits.height, hits["estimate"]

    result = disclosure.aggregate(
        gate,
        rule=engine.eligibility(eligibility_rule or ""),
        formula=engine.benefit(benefit_formula or ""),
        measure=measure,
    )
    return result.as_dict() | {"estimate_total": result.sum}


# ---------------------------------------------------------------------------
# Policies and items
# ---------------------------------------------------------------------------


def _dec(value, field: str, label: str, *, required=False) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ValidationFailed(f"请填写{label}", f"{field} is required", field=field)
        return None
    try:
        d = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, TypeError):
        raise ValidationFailed(f"{label}不是有效的数字", f"{field} is not a number", field=field) from None
    if not d.is_finite() or d < 0 or d > MAX_WAN:
        raise ValidationFailed(f"{label}应为非负数", f"{field} must be a non-negative number", field=field)
    return d


def _date(value, field: str, label: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(
            f"{label}不是有效日期（YYYY-MM-DD）", f"{field} is not a date", field=field
        ) from None


POLICY_FIELDS = (
    "title",
    "issuer",
    "doc_number",
    "division_id",
    "jurisdiction",
    "issued_on",
    "effective_from",
    "effective_to",
    "summary",
    "full_text",
    "interpretation",
    "faq",
    "source_file",
    "source_quote",
    "note",
    "is_reference",
    "is_synthetic",
    "data_version",
)


# Single-line names and identifiers (invisible characters refused) and long texts (invisible characters
# dropped, line breaks kept); see jinfu.core.text.
POLICY_NAME_FIELDS = {
    "title": ("政策名称", "title"),
    "issuer": ("发布机关", "issuer"),
    "doc_number": ("文号", "document number"),
    "jurisdiction": ("适用范围", "jurisdiction"),
    "source_file": ("来源文件", "source file"),
}
POLICY_LONG_TEXT_FIELDS = ("summary", "full_text", "interpretation", "source_quote", "note")


def reindex(policy: Policy) -> None:
    """Recompute the jieba tokens of a policy and keep the backend's index in sync."""
    parts = [
        policy.title,
        policy.issuer,
        policy.doc_number,
        policy.summary,
        policy.full_text,
        policy.interpretation,
    ]
    parts += [f"{f.get('q', '')} {f.get('a', '')}" for f in policy.faq or []]
    parts += [t.name for t in policy.tags.all()] if policy.pk else []
    parts += [f"{i.title} {i.description}" for i in policy.items.all()] if policy.pk else []
    policy.search_tokens = engine.document_tokens(parts)
    Policy.objects.filter(pk=policy.pk).update(search_tokens=policy.search_tokens)
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("DELETE FROM policy_fts WHERE rowid = %s", [policy.pk])
            c.execute(
                "INSERT INTO policy_fts(rowid, tokens) VALUES (%s, %s)", [policy.pk, policy.search_tokens]
            )


def save_policy(actor, data: dict, *, policy: Policy | None = None, system: bool = False) -> Policy:
    """Create or update a policy (government of its district, or the data loader with system=True)."""
    division_id = data.get("division_id") or None
    if not system:
        _require_government(actor, division_id if policy is None else policy.division_id)
        if policy is not None and division_id != policy.division_id:
            _require_government(actor, division_id)
    values = {k: data[k] for k in POLICY_FIELDS if k in data}
    values["division_id"] = division_id
    for k, (label_zh, label_en) in POLICY_NAME_FIELDS.items():
        if k in values:
            values[k] = clean_name(values[k], field=k, label_zh=label_zh, label_en=label_en)
    for k in POLICY_LONG_TEXT_FIELDS:
        if k in values:
            values[k] = clean_long_text(values[k])
    for k in ("title", "issuer"):
        if not str(values.get(k) or (getattr(policy, k) if policy else "") or "").strip():
            label = {"title": "政策名称", "issuer": "发布机关"}[k]
            raise ValidationFailed(f"请填写{label}", f"{k} is required", field=k)
    for k, label in (("issued_on", "发布日期"), ("effective_from", "生效日期"), ("effective_to", "失效日期")):
        if k in values:
            values[k] = _date(values[k], k, label)
    if (
        values.get("effective_from")
        and values.get("effective_to")
        and values["effective_to"] < values["effective_from"]
    ):
        raise ValidationFailed(
            "失效日期不能早于生效日期", "effective_to is before effective_from", field="effective_to"
        )
    faq = values.get("faq")
    if faq is not None and not (
        isinstance(faq, list) and all(isinstance(f, dict) and f.get("q") for f in faq)
    ):
        raise ValidationFailed("常见问题格式应为问答列表", "faq must be a list of {q, a}", field="faq")
    tags = data.get("tags")
    with transaction.atomic():
        if policy is None:
            code = data.get("code") or f"policy-{Policy.objects.count() + 1:04d}"
            policy = Policy.objects.create(code=code, **values)
        else:
            policy = Policy.objects.select_for_update().get(pk=policy.pk)
            for k, v in values.items():
                setattr(policy, k, v)
            policy.save()
        if tags is not None:
            objs = []
            for t in tags:
                code, name = (t.get("code"), t.get("name")) if isinstance(t, dict) else (str(t), str(t))
                obj, _ = PolicyTag.objects.get_or_create(code=code, defaults={"name": name})
                objs.append(obj)
            policy.tags.set(objs)
        reindex(policy)
    return policy


def publish_policy(actor, policy_id: int, status: str = Policy.Status.PUBLISHED) -> Policy:
    with transaction.atomic():
        policy = Policy.objects.select_for_update().filter(pk=policy_id).first()
        if policy is None:
            raise NotFound("政策不存在", "Policy not found")
        p = _require_government(actor, policy.division_id)
        if status not in Policy.Status.values:
            raise ValidationFailed("状态无效", "invalid status", field="status")
        policy.status = status
        if status == Policy.Status.PUBLISHED:
            policy.published_at = timezone.now()
            policy.published_by = p.user
        policy.save()
    return policy


ITEM_FIELDS = (
    "title",
    "description",
    "mode",
    "eligibility_rule",
    "benefit_formula",
    "cap",
    "annual_budget",
    "required_materials",
    "apply_from",
    "apply_until",
    "review_days",
    "publicity_days",
    "status",
    "source_file",
    "source_quote",
    "rule_note",
    "is_synthetic",
)


def clean_item(data: dict) -> dict:
    out = {k: data[k] for k in ITEM_FIELDS if k in data}
    out["title"] = clean_name(out.get("title"), field="title", label_zh="事项名称", label_en="title")
    if "description" in out:
        out["description"] = clean_long_text(out["description"])
    if not out["title"]:
        raise ValidationFailed("请填写事项名称", "title is required", field="title")
    if out.get("mode", PolicyItem.Mode.APPLY) not in PolicyItem.Mode.values:
        raise ValidationFailed("兑现方式无效", "invalid mode", field="mode")
    if out.get("status", PolicyItem.Status.DRAFT) not in PolicyItem.Status.values:
        raise ValidationFailed("状态无效", "invalid status", field="status")
    out["eligibility_rule"] = str(out.get("eligibility_rule") or "").strip()
    out["benefit_formula"] = str(out.get("benefit_formula") or "").strip()
    check_rules(out["eligibility_rule"], out["benefit_formula"])
    out["cap"] = _dec(out.get("cap"), "cap", "单户上限")
    out["annual_budget"] = _dec(out.get("annual_budget"), "annual_budget", "年度预算")
    out["apply_from"] = _date(out.get("apply_from"), "apply_from", "受理开始")
    out["apply_until"] = _date(out.get("apply_until"), "apply_until", "申报截止")
    if out["apply_from"] and out["apply_until"] and out["apply_until"] < out["apply_from"]:
        raise ValidationFailed(
            "申报截止不能早于受理开始", "apply_until is before apply_from", field="apply_until"
        )
    for k, label, hi in (("review_days", "审核时限", 120), ("publicity_days", "公示期", 60)):
        if k in out:
            try:
                out[k] = int(str(out[k]).strip())
            except (TypeError, ValueError):
                raise ValidationFailed(
                    f"{label}应为整数（工作日）", f"{k} must be a whole number", field=k
                ) from None
            if not 0 <= out[k] <= hi:
                raise ValidationFailed(f"{label}应在 0–{hi} 个工作日之间", f"{k} must be 0-{hi}", field=k)
    mats = out.get("required_materials")
    if isinstance(mats, str):
        mats = [m.strip() for m in mats.splitlines() if m.strip()]
    out["required_materials"] = list(mats or [])
    if (
        out.get("mode") != PolicyItem.Mode.REFERENCE
        and out["benefit_formula"] == ""
        and out.get("status") == "open"
    ):
        raise ValidationFailed(
            "受理中的事项须填写兑现金额公式", "an open item needs a benefit formula", field="benefit_formula"
        )
    out["declared_fields"] = engine.declared_names(
        engine.eligibility(out["eligibility_rule"]), engine.benefit(out["benefit_formula"])
    )
    if out.get("mode") == PolicyItem.Mode.AUTO and out["declared_fields"]:
        # 免申即享 pays on verified data only: nothing the enterprise types in may decide it (docs/security.md)
        raise ValidationFailed(
            f"免申即享事项只能使用核验数据，不能引用企业申报字段：{'、'.join(out['declared_fields'])}",
            f"An automatic (免申即享) item uses verified data only, not declared fields: "
            f"{', '.join(out['declared_fields'])}",
            field="mode",
            code="auto_declared",
        )
    return out


def save_item(
    actor, policy_id: int, data: dict, *, item: PolicyItem | None = None, system=False
) -> PolicyItem:
    policy = Policy.objects.filter(pk=policy_id).first()
    if policy is None:
        raise NotFound("政策不存在", "Policy not found")
    if not system:
        _require_government(actor, policy.division_id)
    values = clean_item(data)
    with transaction.atomic():
        if item is None:
            code = data.get("code") or f"{policy.code}-{policy.items.count() + 1:02d}"
            item = PolicyItem.objects.create(policy=policy, code=code, **values)
        else:
            item = PolicyItem.objects.select_for_update().get(pk=item.pk)
            if item.policy_id != policy.pk:
                raise ValidationFailed("事项不属于该政策", "item belongs to another policy", field="policy")
            for k, v in values.items():
                setattr(item, k, v)
            item.lock_version += 1
            item.save()
        reindex(policy)
    return item


def ensure_budget(item: PolicyItem, period: str) -> Budget | None:
    """The budget row of an item for a period (created from the annual budget on first use)."""
    if item.annual_budget is None:
        return None
    budget, _ = Budget.objects.get_or_create(
        item=item, period=period, defaults={"total": item.annual_budget, "remaining": item.annual_budget}
    )
    return budget


# ---------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------


def _notify_government(item: PolicyItem, *, title: str, url: str) -> int:
    """Tell the government officers who can act on the claim: government users (not the regulators who
    share their office) of every office governing the policy's division."""
    div = item.policy.division_id
    govs = [
        org.pk
        for org in Organization.objects.filter(kind=Organization.Kind.GOVERNMENT)
        if of_organization(org).covers_citywide_or(div)
    ]
    officers = workflow.members(*govs, roles=(Role.GOVERNMENT,))
    return workflow.Notice(
        officers, kind="policy_claim", title=title, url=url, link_roles=(Role.GOVERNMENT,)
    ).send()


# ---------------------------------------------------------------------------
# Proactive push (主动推送)
# ---------------------------------------------------------------------------


def run_push(
    actor=None, item_id: int | None = None, *, today: dt.date | None = None, features=None
) -> list[PushRun]:
    """For each open item (or one), find every eligible enterprise with its estimate over the feature table
    (Polars) and notify it once per item and period. Returns the runs."""
    if actor is not None:
        division = None
        if item_id is not None:
            item = PolicyItem.objects.select_related("policy").filter(pk=item_id).first()
            if item is None:
                raise NotFound("政策事项不存在", "Policy item not found", field="item_id")
            division = item.policy.division_id
        _require_government(actor, division)
    today = _today(today)
    period = period_of(today)
    items = (
        PolicyItem.objects.select_related("policy")
        .filter(status=PolicyItem.Status.OPEN, policy__status=Policy.Status.PUBLISHED)
        .exclude(mode=PolicyItem.Mode.REFERENCE)
    )
    if item_id is not None:
        items = items.filter(pk=item_id)
    features = enterprise_features(today=today) if features is None else features
    runs = []
    now = timezone.now()
    for item in items:
        if item.apply_until and today > item.apply_until:
            continue
        hits = engine.batch(features, item.eligibility_rule, item.benefit_formula, item.cap)
        known = set(PushHit.objects.filter(item=item, period=period).values_list("enterprise_id", flat=True))
        existing_orgs = set(
            Organization.objects.filter(pk__in=hits["org_id"].to_list()).values_list("pk", flat=True)
        )
        new_hits, notified = [], 0
        for org_id, est in hits.iter_rows():
            if org_id in known or org_id not in existing_orgs:
                continue
            amount = engine.to_amount(est, item.cap) if est is not None else None
            new_hits.append(
                PushHit(item=item, enterprise_id=org_id, period=period, estimate=amount, notified_at=now)
            )
            action = "确认即可享受" if item.mode == PolicyItem.Mode.AUTO else "可在线申报"
            est_txt = f"，预计 {amount} 万元" if amount is not None else ""
            notified += bool(
                workflow.Notice(
                    workflow.members(org_id),
                    kind="policy_push",
                    title=f"您符合政策「{item.title}」{est_txt}",
                    body=f"{item.policy.title}：{item.get_mode_display()}，{action}。",
                    url="/policy/mine/",
                    key=f"policy:{item.pk}:{period}:{org_id}",
                ).send()
            )
        PushHit.objects.bulk_create(new_hits, ignore_conflicts=True)
        runs.append(
            PushRun.objects.create(
                item=item,
                period=period,
                scanned=features.height,
                eligible=hits.height,
                notified=notified,
                total_estimate=engine.total(hits),
            )
        )
    return runs


# ---------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------


def _declared_values(item: PolicyItem, declared: dict | None) -> dict:
    out = {}
    for name in item.declared_fields or []:
        f = engine.DECLARED[name]
        raw = (declared or {}).get(name)
        if raw in (None, ""):
            raise ValidationFailed(f"请填写{f.label_zh}", f"{name} is required", field=name)
        if f.kind == "boolean":
            out[name] = raw in (True, "1", "true", "yes", "on", 1)
        else:
            # stored in the claim's JSON as a float; formulas read it back exactly by its shortest repr
            out[name] = float(_dec(raw, name, f.label_zh, required=True))
    return out


def submit_claim(
    actor,
    item_id: int,
    *,
    declared: dict | None = None,
    materials=(),
    note: str = "",
    today: dt.date | None = None,
) -> Claim:
    """An enterprise applies for (申报) or confirms (免申即享) an item for the current period."""
    p = as_principal(actor)
    if p.role != Role.ENTERPRISE or p.organization is None:
        raise Forbidden("只有企业用户可以申领政策", "Only enterprise users claim policies")
    today = _today(today)
    period = period_of(today)
    item = PolicyItem.objects.select_related("policy").filter(pk=item_id).first()
    if item is None or item.policy.status != Policy.Status.PUBLISHED:
        raise NotFound("兑现事项不存在", "Policy item not found")
    if not item.claimable:
        raise ValidationFailed(
            "该事项不受理申报", "This item does not accept claims", field="item", code="not_open"
        )
    if item.apply_from and today < item.apply_from:
        raise ValidationFailed(
            f"该事项 {item.apply_from} 起受理",
            f"claims open on {item.apply_from}",
            field="apply_from",
            code="not_yet",
        )
    if item.apply_until and today > item.apply_until:
        raise ValidationFailed(
            f"已过申报截止日期（{item.apply_until}），不能申领",
            f"the claim deadline ({item.apply_until}) has passed",
            field="apply_until",
            code="deadline",
        )
    values = _declared_values(item, declared)
    missing = (
        [m for m in item.required_materials if m not in set(materials or ())] if item.mode == "apply" else []
    )
    if missing:
        raise ValidationFailed(
            f"请确认已备齐申报材料：{'、'.join(missing)}",
            f"required materials missing: {', '.join(missing)}",
            field="materials",
        )
    rows = enterprise_features([p.org_id], today=today).to_dicts()
    row = (rows[0] if rows else {"org_id": p.org_id}) | values
    a = engine.assess(row, item.eligibility_rule, item.benefit_formula, item.cap)
    if not a.eligible:
        reasons = "；".join(c.message_zh for c in a.failed)
        raise ValidationFailed(
            f"不符合申领条件：{reasons}",
            "The enterprise does not meet the item's eligibility rule",
            field="eligibility_rule",
            code="not_eligible",
        )
    if a.amount is None or a.amount <= 0:
        raise ValidationFailed(
            "测算兑现金额为 0，无需申领", "the estimated benefit is zero", field="benefit_formula"
        )
    due = add_workdays(today, item.review_days, estimate=True) if item.review_days else today
    ensure_budget(item, period)
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                item=item,
                enterprise=p.organization,
                period=period,
                estimated_amount=a.amount,
                declared=values,
                materials=list(materials or []),
                snapshot={
                    "features": {
                        k: v for k, v in row.items() if isinstance(v, int | float | str | bool) or v is None
                    },
                    "clauses": [c.message_zh for c in a.clauses],
                    "eligibility_rule": item.eligibility_rule,
                    "benefit_formula": item.benefit_formula,
                    "item_version": item.lock_version,
                },
                note=(note or "")[:2000],
                stage_due=due,
                submitted_by=p.user,
            )
            note_zh = "确认享受（免申即享）" if item.mode == "auto" else "提交申报"
            workflow.record_start(CLAIMS, claim, p, note=note_zh)
    except IntegrityError:
        raise Conflict(
            f"本企业 {period} 年度已申领过「{item.title}」，同一事项同一期间不能重复享受",
            f"already claimed '{item.code}' for {period}: no double benefit for the same item and period",
            field="item",
        ) from None
    _notify_government(
        item,
        title=f"新的政策兑现申请：{p.organization.name} · {item.title}",
        url=f"/policy/claims/{claim.pk}/",
    )
    return claim


def _lock_claim(claim_id: int) -> Claim:
    claim = (
        Claim.objects.select_for_update()
        .select_related("item__policy", "enterprise")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None:
        raise NotFound("兑现申请不存在", "Claim not found")
    return claim


def _reserve(item: PolicyItem, period: str, amount: Decimal):
    """Take ``amount`` from the budget; raises if it would overdraw (nothing written then).

    The new balance is computed in Decimal on the locked row and written as a value: SQL arithmetic
    (``F("remaining") - amount``) runs in floats on SQLite (0.3 - 0.1 = 0.19999999999999998, which then
    refuses the last 0.2)."""
    if item.annual_budget is None:
        return
    ensure_budget(item, period)
    budget = Budget.objects.select_for_update().get(item=item, period=period)
    if budget.remaining < amount:
        raise Conflict(
            f"预算不足：「{item.title}」{period} 年度剩余 {budget.remaining} 万元，不足以核定 {amount} 万元",
            f"budget exceeded: {budget.remaining} (10k CNY) left for {item.code} in {period}, {amount} requested",
            field="annual_budget",
            code="budget_exceeded",
        )
    Budget.objects.filter(pk=budget.pk).update(remaining=(budget.remaining - amount).quantize(engine.CENT))


def _release(item: PolicyItem, period: str, amount: Decimal | None):
    if item.annual_budget is None or not amount:
        return
    budget = Budget.objects.select_for_update().filter(item=item, period=period).first()
    if budget is not None:
        restored = min(budget.remaining + amount, budget.total).quantize(engine.CENT)
        Budget.objects.filter(pk=budget.pk).update(remaining=restored)


def _voucher_reused(voucher: str) -> Conflict:
    return Conflict(
        f"拨付凭证号 {voucher} 已用于另一笔拨付",
        f"voucher {voucher} was already used for another payout",
        field="voucher",
        code="voucher_reused",
    )


def _create_payout(claim: Claim, voucher: str, today: dt.date, user) -> Payout:
    return Payout.objects.create(
        claim=claim,
        item=claim.item,
        enterprise=claim.enterprise,
        division_code=claim.enterprise.division_id or "",
        period=claim.period,
        amount=claim.approved_amount,
        paid_on=today,
        voucher=voucher,
        paid_by=user,
        is_synthetic=claim.enterprise.is_synthetic or claim.item.is_synthetic,
    )


# ---------------------------------------------------------------------------
# The claim workflow (core/workflow.py)
# ---------------------------------------------------------------------------


def _governs(p, claim: Claim) -> bool:
    """Government users of the policy's jurisdiction (raises the precise Forbidden otherwise)."""
    return bool(_require_government(p, claim.item.policy.division_id))


def _claimant(p, claim: Claim) -> bool:
    return p.role == Role.ENTERPRISE and p.org_id == claim.enterprise_id


def _approve(step) -> None:
    """Reserve the approved amount from the budget and open the publicity period (公示)."""
    claim, amount = step.obj, step.params.get("amount")
    value = _dec(amount, "amount", "核定金额") if amount not in (None, "") else claim.estimated_amount
    if value <= 0 or value > claim.estimated_amount:
        raise ValidationFailed(
            f"核定金额应在 0 与测算金额 {claim.estimated_amount} 万元之间",
            "the approved amount must be positive and not exceed the estimate",
            field="amount",
        )
    _reserve(claim.item, claim.period, value)
    claim.approved_amount = value
    claim.publicity_from = step.today
    claim.publicity_until = step.due
    step.note = step.note or f"审核通过，核定 {value} 万元，进入公示"


def _publicity_over(step) -> None:
    claim = step.obj
    if claim.publicity_until and step.today <= claim.publicity_until and claim.item.publicity_days:
        raise Conflict(
            f"公示期至 {claim.publicity_until}，期满后方可拨付",
            f"the publicity period runs until {claim.publicity_until}; pay after it ends",
            field="publicity_until",
            code="publicity_running",
        )


def _pay(step) -> None:
    claim = step.obj
    voucher = (step.params.get("voucher") or "").strip() or f"ZC{claim.period}-{claim.pk:06d}"
    if len(voucher) > 64:
        raise ValidationFailed(
            "拨付凭证号最长 64 个字符", "the voucher is at most 64 characters", field="voucher"
        )
    if Payout.objects.filter(voucher=voucher).exists():
        raise _voucher_reused(voucher)
    try:
        with transaction.atomic():  # a concurrent payout may take the voucher between check and insert
            payout = _create_payout(claim, voucher, step.today, step.user)
    except IntegrityError:
        raise _voucher_reused(voucher) from None
    step.outputs["payout"] = payout
    step.note = f"已拨付 {payout.amount} 万元，凭证 {voucher}"


def _release_budget(step) -> None:
    _release(step.obj.item, step.obj.period, step.obj.approved_amount)


def _tell_claimant(kind: str, title):
    def notices(step):
        claim = step.obj
        body = step.params.get("body", "")
        url = f"/policy/claims/{claim.pk}/"
        return [
            workflow.Notice(
                workflow.members(claim.enterprise_id), kind=kind, title=title(step), body=body, url=url
            )
        ]

    return notices


_GOVERNMENT = {"who_may": _governs}
_OBJECTION_PERIOD = (Claim.Status.PUBLICITY, Claim.Status.OBJECTION)

CLAIMS = workflow.Workflow(
    name="policy.claim",
    model=Claim,
    states=Claim.Status.values,
    initial=Claim.Status.SUBMITTED,
    transitions=(
        workflow.Transition(
            "approve",
            Claim.Status.SUBMITTED,
            Claim.Status.PUBLICITY,
            "审核通过",
            sla_workdays=lambda step: step.obj.item.publicity_days,
            effect=_approve,
            notify=_tell_claimant(
                "policy_publicity",
                lambda s: f"「{s.obj.item.title}」审核通过，公示至 {s.obj.publicity_until}",
            ),
            **_GOVERNMENT,
        ),
        workflow.Transition(
            "reject",
            Claim.Status.SUBMITTED,
            Claim.Status.REJECTED,
            "不予通过",
            notify=_tell_claimant("policy_rejected", lambda s: f"「{s.obj.item.title}」未通过审核"),
            **_GOVERNMENT,
        ),
        workflow.Transition(
            "withdraw",
            Claim.Status.SUBMITTED,
            Claim.Status.WITHDRAWN,
            "撤回",
            who_may=_claimant,
            forbidden_zh="只有申领企业可以撤回",
            forbidden_en="Only the claimant can withdraw",
        ),
        # anyone signed in may object during publicity; the deadline (the publicity end) stays
        workflow.Transition(
            "object", Claim.Status.PUBLICITY, Claim.Status.OBJECTION, "提出异议", sla_workdays=workflow.KEEP
        ),
        workflow.Transition(
            "uphold",
            _OBJECTION_PERIOD,
            Claim.Status.REJECTED,
            "认定异议成立",
            effect=_release_budget,
            **_GOVERNMENT,
        ),
        workflow.Transition(
            "dismiss",
            Claim.Status.OBJECTION,
            Claim.Status.PUBLICITY,
            "认定异议不成立",
            sla_workdays=workflow.KEEP,
            **_GOVERNMENT,
        ),
        workflow.Transition(
            "pay",
            Claim.Status.PUBLICITY,
            Claim.Status.PAID,
            "拨付",
            guards=(_publicity_over,),
            effect=_pay,
            notify=_tell_claimant(
                "policy_paid", lambda s: f"「{s.obj.item.title}」已拨付 {s.outputs['payout'].amount} 万元"
            ),
            **_GOVERNMENT,
        ),
    ),
    timeline=workflow.Timeline(ClaimEvent, "claim"),
    waiting=_OBJECTION_PERIOD,  # the publicity end is a waiting period, not an officer's deadline
    noun_zh="申请",
    noun_en="claim",
    select_related=("item__policy", "enterprise"),
)


def approve(
    actor, claim_id: int, *, amount=None, note: str = "", today: dt.date | None = None, expected_version=None
) -> Claim:
    """Review passed: reserve the amount from the budget and open the publicity period (公示)."""
    step = workflow.apply(
        CLAIMS,
        claim_id,
        "approve",
        actor,
        expected_version=expected_version,
        note=note,
        today=today,
        amount=amount,
    )
    return step.obj


def reject(actor, claim_id: int, *, note: str, today: dt.date | None = None, expected_version=None) -> Claim:
    if not (note or "").strip():
        raise ValidationFailed("请填写不予通过的理由", "a reason is required", field="note")
    step = workflow.apply(
        CLAIMS,
        claim_id,
        "reject",
        actor,
        expected_version=expected_version,
        note=note,
        today=today,
        body=note,
    )
    return step.obj


def withdraw(actor, claim_id: int) -> Claim:
    return workflow.apply(CLAIMS, claim_id, "withdraw", actor, note="企业撤回").obj


def object_to(actor, claim_id: int, *, text: str, today: dt.date | None = None) -> Objection:
    """Anyone signed in may object to a claim during its publicity period; payout waits for the ruling."""
    p = as_principal(actor)
    today = _today(today)
    if not (text or "").strip():
        raise ValidationFailed("请填写异议内容", "the objection text is required", field="text")
    with transaction.atomic():
        claim = _lock_claim(claim_id)
        if claim.status not in _OBJECTION_PERIOD:
            raise Conflict(
                "该申请不在公示期，不能提出异议", "the claim is not under publicity", field="status"
            )
        if claim.publicity_until and today > claim.publicity_until:
            raise ValidationFailed(
                f"公示期已于 {claim.publicity_until} 结束，不能再提出异议",
                f"the publicity period ended on {claim.publicity_until}",
                field="publicity_until",
            )
        obj = Objection.objects.create(claim=claim, raised_by=p.user, text=text.strip(), raised_on=today)
        if claim.status != Claim.Status.OBJECTION:
            workflow.apply(CLAIMS, claim, "object", p, note="公示期内收到异议", today=today)
    _notify_government(
        claim.item,
        title=f"公示异议：{claim.enterprise.name} · {claim.item.title}",
        url=f"/policy/claims/{claim.pk}/",
    )
    return obj


def resolve_objection(
    actor, objection_id: int, *, upheld: bool, note: str, today: dt.date | None = None
) -> Claim:
    """Rule on an objection: upheld → the claim is rejected and the budget released; dismissed → back to
    publicity (payout still waits for the period's end)."""
    if not (note or "").strip():
        raise ValidationFailed("请填写处理意见", "a resolution note is required", field="note")
    with transaction.atomic():
        obj = Objection.objects.select_for_update().filter(pk=objection_id).first()
        if obj is None:
            raise NotFound("异议不存在", "Objection not found")
        claim = _lock_claim(obj.claim_id)
        _require_government(actor, claim.item.policy.division_id)
        if obj.status != Objection.Status.OPEN:
            raise Conflict("该异议已处理", "the objection was already resolved", field="status")
        obj.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
        obj.resolution = note.strip()
        obj.save()
        if upheld and claim.status in _OBJECTION_PERIOD:
            claim = workflow.apply(CLAIMS, claim, "uphold", actor, note=f"异议成立：{note}", today=today).obj
        elif (
            not claim.objections.filter(status=Objection.Status.OPEN).exists()
            and claim.status == Claim.Status.OBJECTION
        ):
            claim = workflow.apply(
                CLAIMS, claim, "dismiss", actor, note=f"异议不成立：{note}", today=today
            ).obj
    return claim


def pay(
    actor, claim_id: int, *, voucher: str = "", today: dt.date | None = None, expected_version=None
) -> Payout:
    """Record the payout (拨付) after the publicity period ended without an open objection."""
    claim = Claim.objects.select_related("item__policy").filter(pk=claim_id).first()
    if claim is not None and claim.status == Claim.Status.OBJECTION:
        _require_government(actor, claim.item.policy.division_id)
        raise Conflict(
            "公示异议尚未处理，不能拨付",
            "an objection is open: no payout",
            field="status",
            code="objection_open",
        )
    step = workflow.apply(
        CLAIMS, claim_id, "pay", actor, expected_version=expected_version, today=today, voucher=voucher
    )
    return step.outputs["payout"]

"""Writes and workflows of listing cultivation: statements and profile (validated), the three-tier
reserve (nominate → approve/reject → remove; audited ReserveEvent rows), periodic re-evaluation
(flags, never silent removal; notifications to the office) and ordered milestones.

Every write is permission-checked, validated first and atomic: a bad value leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from jinfu.core import workflow
from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.imports import registry
from jinfu.core.imports.engine import Issue, Lookups
from jinfu.core.models import Organization, Role
from jinfu.core.principal import Principal, as_principal

from . import engine, selectors
from .imports import STATEMENTS
from .models import (
    STAGE_ORDER,
    FinancialStatement,
    ListingProfile,
    Milestone,
    ReserveEntry,
    ReserveEvent,
    Stage,
    Tier,
)

MAX_AMOUNT = Decimal("100000000")  # 1万亿元 in 万元: larger than any Chinese listed company's revenue
MIN_YEAR = 1990

STATEMENT_LABELS = {
    "revenue": ("营业收入", "revenue"),
    "net_profit": ("净利润", "net profit"),
    "operating_cash_flow": ("经营活动现金流量净额", "operating cash flow"),
    "rd_expense": ("研发投入", "R&D expense"),
    "total_assets": ("资产总额", "total assets"),
    "net_assets": ("净资产", "net assets"),
    "roe": ("加权平均净资产收益率", "ROE"),
}
NON_NEGATIVE = ("revenue", "rd_expense", "total_assets")
REQUIRED = ("revenue", "net_profit")


def _decimal(value, field: str) -> Decimal | None:
    zh, en = STATEMENT_LABELS.get(field, (field, field))
    if value is None or (isinstance(value, str) and not value.strip()):
        if field in REQUIRED:
            raise ValidationFailed(f"请填写{zh}", f"{en} is required", field=field)
        return None
    try:
        d = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, TypeError):
        raise ValidationFailed(f"{zh}不是有效的数字", f"{en} is not a number", field=field) from None
    if not d.is_finite():
        raise ValidationFailed(f"{zh}不是有效的数字", f"{en} is not a number", field=field)
    if abs(d) > MAX_AMOUNT:  # checked before rounding: 1e30 cannot even be quantized to cents
        raise ValidationFailed(
            f"{zh}超出合理范围（绝对值 ≤ 1万亿元；单位为万元）",
            f"{en} is implausibly large (|value| ≤ 1e8 万元)",
            field=field,
        )
    return d.quantize(Decimal("0.01"))


def clean_statement(data: dict, *, today: dt.date | None = None) -> dict:
    """Validate one annual statement (万元). Raises ValidationFailed naming the field and the rule."""
    today = today or timezone.localdate()
    try:
        year = int(str(data.get("year", "")).strip())
    except ValueError:
        raise ValidationFailed(
            "会计年度应为四位年份", "year must be a four-digit year", field="year"
        ) from None
    if year >= today.year:
        raise ValidationFailed(
            f"{year} 年尚未结束，只能填报 {today.year - 1} 年及以前的年度报表",
            f"{year} is not a completed fiscal year (latest allowed: {today.year - 1})",
            field="year",
        )
    if year < MIN_YEAR:
        raise ValidationFailed(f"会计年度不能早于 {MIN_YEAR} 年", f"year must be ≥ {MIN_YEAR}", field="year")
    out: dict = {"year": year}
    for f in STATEMENT_LABELS:
        out[f] = _decimal(data.get(f), f)
    for f, (zh, en) in STATEMENT_LABELS.items():
        v = out[f]
        if v is None:
            continue
        if f in NON_NEGATIVE and v < 0:
            raise ValidationFailed(f"{zh}不能为负数", f"{en} must not be negative", field=f)
        if f == "roe":
            if not Decimal(-1000) <= v <= Decimal(1000):
                raise ValidationFailed(
                    "加权平均净资产收益率应在 -1000% 到 1000% 之间（单位为 %）",
                    "ROE must be between -1000 and 1000 (percent)",
                    field=f,
                )
        elif abs(v) > MAX_AMOUNT:
            raise ValidationFailed(
                f"{zh}超出合理范围（绝对值 ≤ 1万亿元；单位为万元）",
                f"{en} is implausibly large (|value| ≤ 1e8 万元)",
                field=f,
            )
    if (
        out["net_assets"] is not None
        and out["total_assets"] is not None
        and out["net_assets"] > out["total_assets"]
    ):
        raise ValidationFailed(
            "净资产不能大于资产总额", "net assets cannot exceed total assets", field="net_assets"
        )
    return out


def _entry_refusal(p: Principal, enterprise_pk: int | None) -> Forbidden | None:
    """Who enters an enterprise's statements and profile: the enterprise itself, or the platform operator
    naming the enterprise. None when ``p`` may, else the refusal."""
    if p.role == Role.ENTERPRISE and p.organization is not None:
        if enterprise_pk not in (None, p.org_id):
            return Forbidden("只能填报本企业的数据", "You can only enter your own enterprise's data")
        return None
    if p.is_admin and enterprise_pk is not None:
        return None
    return Forbidden("只有企业本身可以填报财务报表", "Only the enterprise itself enters its statements")


def _own_enterprise(actor, enterprise_pk: int | None) -> tuple[Principal, Organization]:
    p = as_principal(actor)
    refusal = _entry_refusal(p, enterprise_pk)
    if refusal is not None:
        raise refusal
    if p.role == Role.ENTERPRISE and p.organization is not None:
        return p, p.organization
    return p, selectors._enterprise(enterprise_pk)


def _statement_source(p: Principal, requested, audited) -> tuple[str, bool]:
    """The source and audited flag recorded for a statement ``p`` enters (form or import)."""
    source = requested or FinancialStatement.Source.SELF_REPORTED
    if source not in FinancialStatement.Source.values or source == FinancialStatement.Source.SYNTHETIC:
        raise ValidationFailed("来源无效", "invalid source", field="source")
    if not p.is_admin:
        # an enterprise's own entry is self-reported whatever it claims: only the operator (or an import)
        # records audited statements, which the feature table may rank above registration (docs/features.md)
        source = FinancialStatement.Source.SELF_REPORTED
    is_audited = source != FinancialStatement.Source.SELF_REPORTED and (
        bool(audited) or source == FinancialStatement.Source.AUDITED
    )
    return source, is_audited


def save_statement(actor, data: dict, *, enterprise_pk: int | None = None) -> FinancialStatement:
    """Create or replace the enterprise's statement for ``data['year']``."""
    p, org = _own_enterprise(actor, enterprise_pk)
    values = clean_statement(data)
    source, audited = _statement_source(p, data.get("source"), data.get("audited"))
    with transaction.atomic():
        obj, _ = FinancialStatement.objects.update_or_create(
            enterprise=org,
            year=values["year"],
            defaults={
                **{k: v for k, v in values.items() if k != "year"},
                "source": source,
                "audited": audited,
                "is_synthetic": False,
                "created_by": p.user,
            },
        )
    return obj


# ---------------------------------------------------------------------------
# Statements import (listing/imports.py): the form's checks, row by row, one transaction
# ---------------------------------------------------------------------------


def may_import_statements(p: Principal) -> bool:
    """Who may import statements at all: an enterprise (its own rows) and the platform operator."""
    return p.is_admin or (p.role == Role.ENTERPRISE and p.organization is not None)


def _enterprises_by_uscc(usccs: set[str]) -> dict[str, dict]:
    found = Organization.objects.filter(kind=Organization.Kind.ENTERPRISE, uscc__in=list(usccs))
    return {u: {"id": pk} for u, pk in found.values_list("uscc", "pk")}


def prepare_statement_import(p: Principal | None) -> Lookups:
    """The row checks of the statement form (save_statement): the row's enterprise must be the importer's
    own (or the importer the operator), then the form's field rules (clean_statement); the source is the
    form's (an enterprise's rows are self-reported, the operator's are imports)."""
    today = timezone.localdate()
    fields = {c.field for c in STATEMENTS.columns}

    own_kind = p is not None and p.role == Role.ENTERPRISE

    def check_row(rec: dict, old: dict | None, _existing: dict) -> list[Issue]:
        # an enterprise sees no other enterprise: another USCC is refused alike, registered or not
        if own_kind and (old is None or _entry_refusal(p, old["id"]) is not None):
            return [Issue("uscc", "permission.own")]
        if old is None:
            return [Issue("uscc", "enterprise.unknown")]
        if p is None or _entry_refusal(p, old["id"]) is not None:  # no importer: nobody's own rows
            return [Issue("uscc", "permission.statements")]
        try:
            values = clean_statement(rec, today=today)
        except ValidationFailed as exc:
            field = exc.field if exc.field in fields else "year"
            return [Issue(field, "statement.invalid", base=(exc.message_zh, exc.message_en))]
        source, audited = _statement_source(p, FinancialStatement.Source.IMPORT, rec.get("audited"))
        rec["_statement"] = {**values, "enterprise_id": old["id"], "source": source, "audited": audited}
        return []

    return Lookups(today=today, load_existing=_enterprises_by_uscc, check_row=check_row)


def apply_statements(records: list[dict], *, actor=None) -> dict:
    """Write validated statements (inside the import's transaction): a statement for a year the enterprise
    already has replaces it, as the form does."""
    out = {"created": 0, "replaced": 0}
    for rec in records:
        values = dict(rec["_statement"])
        enterprise_id, year = values.pop("enterprise_id"), values.pop("year")
        _, created = FinancialStatement.objects.update_or_create(
            enterprise_id=enterprise_id,
            year=year,
            defaults={**values, "is_synthetic": False, "created_by": actor},
        )
        out["created" if created else "replaced"] += 1
    return out


def import_statements(actor, data: bytes, filename: str, *, dry_run: bool = False) -> dict:
    """Statements from .xlsx/.csv (columns in listing/imports.py): every row validated, all or nothing.
    Returns {rows, created, replaced, problems}; with problems nothing is written."""
    return registry.import_file(
        STATEMENTS, data, filename, actor=actor, counts=("created", "replaced"), check_only=dry_run
    )


def delete_statement(actor, pk: int) -> None:
    p = as_principal(actor)
    obj = FinancialStatement.objects.filter(pk=pk).first()
    if obj is None or not (p.is_admin or obj.enterprise_id == p.org_id):
        raise NotFound("报表不存在", "Statement not found")
    obj.delete()


def save_profile(actor, data: dict, *, enterprise_pk: int | None = None) -> ListingProfile:
    p, org = _own_enterprise(actor, enterprise_pk)
    cap = data.get("market_cap")
    cap_d = None
    if cap not in (None, ""):
        try:
            cap_d = Decimal(str(cap).replace(",", "").strip())
        except InvalidOperation:
            raise ValidationFailed(
                "预计市值不是有效的数字", "market_cap is not a number", field="market_cap"
            ) from None
        if not cap_d.is_finite() or cap_d < 0 or cap_d > MAX_AMOUNT * 10:
            raise ValidationFailed(
                "预计市值应在 0 到 10万亿元之间（单位为万元）", "market_cap out of range", field="market_cap"
            )
    basis = (data.get("market_cap_basis") or "").strip()
    if cap_d is not None and not basis:
        raise ValidationFailed(
            "请注明预计市值的依据（如最近一轮融资估值）",
            "state the basis of the market value",
            field="market_cap_basis",
        )
    tier = data.get("neeq_tier") or ListingProfile.NeeqTier.NONE
    if tier not in ListingProfile.NeeqTier.values:
        raise ValidationFailed("新三板挂牌状态无效", "invalid NEEQ tier", field="neeq_tier")
    try:
        months = int(str(data.get("neeq_innovation_months") or 0).strip())
    except ValueError:
        raise ValidationFailed(
            "创新层挂牌月数应为整数", "months must be an integer", field="neeq_innovation_months"
        ) from None
    if not 0 <= months <= 600 or (months and tier != ListingProfile.NeeqTier.INNOVATION):
        raise ValidationFailed(
            "创新层挂牌月数应在 0–600 之间，且仅创新层企业填写",
            "innovation-tier months must be 0–600 and only for innovation-tier firms",
            field="neeq_innovation_months",
        )
    board = data.get("target_board") or ""
    if board and board not in ListingProfile.Board.values:
        raise ValidationFailed("拟上市板块无效", "invalid board", field="target_board")
    with transaction.atomic():
        obj, _ = ListingProfile.objects.update_or_create(
            enterprise=org,
            defaults={
                "market_cap": cap_d,
                "market_cap_basis": basis[:200],
                "neeq_tier": tier,
                "neeq_innovation_months": months,
                "star_core_products_approved": bool(data.get("star_core_products_approved")),
                "target_board": board,
            },
        )
    return obj


# ---------------------------------------------------------------------------
# Reserve
# ---------------------------------------------------------------------------


def _reserve_notice(orgs, *, title: str, body: str = "", url: str = "", key: str = "") -> workflow.Notice:
    """A notice to the users of ``orgs``; the reserve pages open to government users only, so the others
    get the text without the link."""
    return workflow.Notice(
        workflow.members(*orgs),
        kind="listing",
        title=title,
        body=body,
        url=url,
        key=key,
        link_roles=(Role.GOVERNMENT,),
    )


def _require_government(actor) -> Principal:
    p = as_principal(actor)
    if not selectors.is_government(p):
        raise Forbidden("只有政府（金融办）用户可以办理储备库", "Only government users manage the reserve")
    return p


def _require_authority(p: Principal, entry: ReserveEntry):
    """District tier: the office of the enterprise's division or the city. City tiers (市级储备库,
    市级重点培育): only a city-level office decides."""
    if entry.tier in (Tier.CITY, Tier.CITY_KEY) and not selectors.is_city_office(p):
        raise Forbidden("市级储备库由市级金融管理部门审核", "City tiers are decided by the city-level office")
    if not selectors.in_division(p, entry.enterprise):
        raise Forbidden("该企业不在本辖区", "This enterprise is outside your division")


def tier_check(org: Organization, tier: str, on: dt.date | None = None) -> dict:
    if tier not in Tier.values:
        raise ValidationFailed("储备库层级无效", f"unknown tier {tier!r}", field="tier")
    row = selectors.readiness_row(org)
    row.update(engine.summary(engine.evaluate_row(row, on=on)))
    criteria = engine.criteria_in_force(on)
    passes, clauses = engine.check_tier(criteria.tiers[tier], row)
    return {"passes": passes, "clauses": clauses, "version": criteria.version, "row": row}


def _flag_event(entry, action: str, actor, note: str, criteria_version: str):
    """A re-evaluation row on the reserve timeline (the status stays)."""
    return RESERVE.timeline.record(
        entry,
        source=entry.status,
        target=entry.status,
        actor=actor,
        note=note,
        due=None,
        overdue=False,
        action=action,
        detail={"criteria_version": criteria_version},
    )


def nominate(actor, enterprise_pk: int, tier: str, reason: str = "") -> ReserveEntry:
    """A government office nominates an enterprise of its division; the tier's entry criteria must hold."""
    p = _require_government(actor)
    org = selectors._enterprise(enterprise_pk)
    if not selectors.in_division(p, org):
        raise Forbidden("只能提名本辖区企业", "You can only nominate enterprises in your division")
    check = tier_check(org, tier)
    if not check["passes"]:
        failing = "；".join(c.message_zh for c in check["clauses"] if c.passed is not True)
        failing_en = "; ".join(c.message_en for c in check["clauses"] if c.passed is not True)
        raise ValidationFailed(
            f"{org.name} 不符合“{Tier(tier).label}”入库标准（{check['version']}）：{failing}",
            f"{org.name} does not meet the {tier} criteria ({check['version']}): {failing_en}",
            field="tier",
        )
    try:
        with transaction.atomic():
            entry = ReserveEntry.objects.create(
                enterprise=org,
                tier=tier,
                criteria_version=check["version"],
                nominated_by=p.user,
                nominating_org=p.organization,
                reason=(reason or "").strip()[:2000],
            )
            workflow.record_start(
                RESERVE,
                entry,
                p,
                note=reason,
                action="nominate",
                detail={"criteria_version": check["version"]},
            )
    except IntegrityError:
        raise ValidationFailed(
            f"{org.name} 已在“{Tier(tier).label}”中（待审核或已入库）",
            "This enterprise already has an open entry in this tier",
            field="tier",
        ) from None
    return entry


def _authority(p: Principal, entry: ReserveEntry) -> bool:
    _require_authority(p, entry)
    return True


def _not_own_nomination(step) -> None:
    """Four eyes: the nominating user does not approve their own nomination."""
    if step.user is not None and step.obj.nominated_by_id == step.user.pk:
        raise Forbidden("不能审核自己提名的企业", "You cannot approve your own nomination")


def _reason_given(step) -> None:
    if not step.note.strip():
        raise ValidationFailed("请填写原因", "a reason is required", field="note")


def _decided(step) -> None:
    step.obj.decided_at = timezone.now()  # a flag stays, as history of the removal


def _tell_both_sides(step) -> list[workflow.Notice]:
    entry = step.obj
    return [
        _reserve_notice(
            [entry.enterprise, entry.nominating_org],
            title=f"{entry.enterprise.name}：{entry.get_tier_display()}{step.transition.label_zh}",
            body=step.note,
            url="/listing/reserve/",
            key=f"listing-entry-{entry.pk}-{step.transition.name}",
        )
    ]


_DECISION = {"who_may": _authority, "effect": _decided, "notify": _tell_both_sides}
_S = ReserveEntry.Status

RESERVE = workflow.Workflow(
    name="listing.reserve",
    model=ReserveEntry,
    states=_S.values,
    initial=_S.NOMINATED,
    transitions=(
        workflow.Transition(
            "approve", _S.NOMINATED, _S.APPROVED, "审核通过", guards=(_not_own_nomination,), **_DECISION
        ),
        workflow.Transition(
            "reject", _S.NOMINATED, _S.REJECTED, "审核不通过", guards=(_reason_given,), **_DECISION
        ),
        workflow.Transition(
            "remove", _S.APPROVED, _S.REMOVED, "移出储备库", guards=(_reason_given,), **_DECISION
        ),
    ),
    timeline=workflow.Timeline(ReserveEvent, "entry"),
    version_field=None,
    due_field=None,
    noun_zh="储备库记录",
    noun_en="reserve entry",
    select_related=("enterprise",),
)


def decide(actor, entry_pk: int, action: str, note: str = "") -> ReserveEntry:
    """approve / reject a nomination, or remove an approved entry. The nominating user cannot approve
    their own nomination (four eyes); concurrent decisions cannot both succeed."""
    p = _require_government(actor)
    return workflow.apply(RESERVE, entry_pk, action, p, note=note or "").obj


def reevaluate_reserve(*, on: dt.date | None = None, actor=None, stdout=None) -> dict:
    """Re-check every approved entry against its tier's criteria in force: a firm that fell out is
    FLAGGED (kept, with the failing clauses) and its office notified; a flagged firm that meets the
    criteria again is unflagged. Callable from the CLI: ``jinfu manage listing_reevaluate``."""
    on = on or timezone.localdate()
    criteria = engine.criteria_in_force(on)
    entries = list(
        ReserveEntry.objects.filter(status=ReserveEntry.Status.APPROVED).select_related("enterprise")
    )
    if not entries:
        return {"checked": 0, "flagged": 0, "cleared": 0, "version": criteria.version}
    org_ids = sorted({e.enterprise_id for e in entries})
    frame = selectors.listing_frame(org_ids)
    frame = engine.evaluate_tiers_frame(engine.evaluate_frame(frame, on=on), criteria)
    rows = {r["org_id"]: r for r in frame.to_dicts()}
    user = getattr(as_principal(actor), "user", None) if actor is not None else None
    now = timezone.now()
    flagged = cleared = 0
    for entry in entries:
        row = rows.get(entry.enterprise_id)
        ok = bool(row and row.get(f"tier_{entry.tier}"))
        with transaction.atomic():
            e = ReserveEntry.objects.select_for_update().get(pk=entry.pk)
            e.last_evaluated_at = now
            if not ok and not e.flagged:
                clauses = criteria.tiers[e.tier].rule.explain(engine.as_row(row or {}))
                reason = "；".join(c.message_zh for c in clauses if c.passed is not True)
                e.flagged, e.flag_reason, e.flagged_at = True, reason, now
                _flag_event(e, "flag", user, reason, criteria.version)
                flagged += 1
                _reserve_notice(
                    [e.nominating_org]
                    + list(
                        Organization.objects.filter(kind=Organization.Kind.GOVERNMENT, division_id="500000")
                    ),
                    title=f"储备库复核预警：{e.enterprise.name} 不再符合{e.get_tier_display()}标准",
                    body=reason,
                    url="/listing/reserve/?flagged=1",
                    key=f"listing-flag-{e.pk}-{on.isoformat()}",
                ).send()
            elif ok and e.flagged:
                e.flagged, e.flag_reason, e.flagged_at = False, "", None
                _flag_event(e, "unflag", user, "复核重新符合标准", criteria.version)
                cleared += 1
            e.save(update_fields=["last_evaluated_at", "flagged", "flag_reason", "flagged_at"])
    result = {"checked": len(entries), "flagged": flagged, "cleared": cleared, "version": criteria.version}
    if stdout is not None:
        stdout.write(f"储备库复核 reserve re-evaluation: {result}\n")
    return result


# ---------------------------------------------------------------------------
# Milestones
# ---------------------------------------------------------------------------


def record_milestone(
    actor, enterprise_pk: int, stage: str, date, *, document=None, board: str = "", note: str = ""
) -> Milestone:
    """Record a reached milestone. Stages must come in order (股改 → 辅导备案 → 申报受理 → 审核通过 →
    注册 → 上市), each dated on or after the previous one and not in the future."""
    p = as_principal(actor)
    org = selectors._enterprise(enterprise_pk)
    if not (
        p.is_admin or p.org_id == org.pk or (selectors.is_government(p) and selectors.in_division(p, org))
    ):
        raise Forbidden("无权登记该企业的上市进程", "You may not record milestones for this enterprise")
    if stage not in STAGE_ORDER:
        raise ValidationFailed("上市进程阶段无效", f"unknown stage {stage!r}", field="stage")
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date.strip())
        except ValueError:
            raise ValidationFailed(
                "日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD", field="date"
            ) from None
    if not isinstance(date, dt.date):
        raise ValidationFailed("请填写日期", "date is required", field="date")
    if date > timezone.localdate():
        raise ValidationFailed("日期不能晚于今天", "the date cannot be in the future", field="date")
    if board and board not in ListingProfile.Board.values:
        raise ValidationFailed("板块无效", "invalid board", field="board")
    label = Stage(stage).label
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=org.pk).first()  # serialise per enterprise
        done = {m.stage: m for m in Milestone.objects.filter(enterprise=org)}
        if stage in done:
            raise ValidationFailed(
                f"“{label}”已于 {done[stage].date} 登记，不能重复登记",
                f"'{stage}' was already recorded on {done[stage].date}",
                field="stage",
            )
        idx = STAGE_ORDER.index(stage)
        missing = [s for s in STAGE_ORDER[:idx] if s not in done]
        if missing:
            first = missing[0]
            raise ValidationFailed(
                f"上市进程须按顺序登记：请先登记“{Stage(first).label}”，再登记“{label}”",
                f"milestones must be recorded in order: record '{first}' before '{stage}'",
                field="stage",
            )
        if idx > 0:
            prev = done[STAGE_ORDER[idx - 1]]
            if date < prev.date:
                raise ValidationFailed(
                    f"“{label}”的日期（{date}）不能早于上一节点“{prev.get_stage_display()}”（{prev.date}）",
                    f"'{stage}' ({date}) cannot be earlier than '{prev.stage}' ({prev.date})",
                    field="date",
                )
        m = Milestone(
            enterprise=org, stage=stage, date=date, board=board, note=(note or "")[:255], recorded_by=p.user
        )
        if document is not None:
            m.document = document
        m.save()
    _policy_stage_event(m)
    return m


def _policy_stage_event(m: Milestone) -> None:
    """Hand the stage to the policy module when it offers a hook; the Milestone row (with its
    ``policy_tag`` listing.stage.<stage>) is the event record the policy module matches."""
    try:
        from jinfu.policy import services as policy_services  # noqa: PLC0415
    except ImportError:
        return
    hook = getattr(policy_services, "on_listing_stage", None)
    if callable(hook):
        hook(enterprise=m.enterprise, stage=m.stage, tag=m.policy_tag, date=m.date, milestone=m)

"""Writes and workflows of the financing service. Every write is permission-checked, validated,
atomic and audited (django-auditlog on the models; application steps as ApplicationEvent rows)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from jinfu.core import disclosure, workflow
from jinfu.core import services as core_services
from jinfu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from jinfu.core.features import enterprise_features
from jinfu.core.models import Organization, Purpose, Role, Scope
from jinfu.core.principal import as_principal
from jinfu.core.reference.workdays import add_workdays
from jinfu.core.text import clean_long_text, clean_name

from . import rulebook
from .models import Application, ApplicationEvent, Demand, DemandClaim, Product, ProductVersion

MAX_AMOUNT_WAN = Decimal("10000000")  # 1000亿元: anything above is absurd for one SME financing
MAX_TERM_MONTHS = 360
CLAIM_DAYS = 5  # a 揭榜 holds for five working days
APPLICATION_GRANT_DAYS = 180
APPLICATION_SCOPES = [Scope.BASIC, Scope.FINANCIALS, Scope.CREDIT_SCORE]


def _decimal(value, field: str, *, label: str) -> Decimal:
    try:
        d = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, TypeError):
        raise ValidationFailed(f"{label}不是有效的数字", f"{field} is not a number", field=field) from None
    if not d.is_finite():
        raise ValidationFailed(f"{label}不是有效的数字", f"{field} is not a number", field=field)
    return d


def _amount(value, field="amount", label="金额") -> Decimal:
    d = _decimal(value, field, label=label)
    if d <= 0:
        raise ValidationFailed(f"{label}必须大于 0", f"{field} must be positive", field=field)
    if d > MAX_AMOUNT_WAN:
        raise ValidationFailed(
            f"{label}超出合理范围（≤ 1000亿元）", f"{field} is implausibly large", field=field
        )
    return d


def _term(value, field="term_months") -> int:
    try:
        t = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(
            "期限应为整数（月）", "term must be a whole number of months", field=field
        ) from None
    if not 1 <= t <= MAX_TERM_MONTHS:
        raise ValidationFailed("期限应在 1–360 个月之间", "term must be 1-360 months", field=field)
    return t


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name",
    "category",
    "subtype",
    "description",
    "amount_min",
    "amount_max",
    "rate_min",
    "rate_max",
    "term_min",
    "term_max",
    "collateral",
    "repayment",
    "expected_days",
    "eligibility_rule",
    "policy_support",
    "preferences",
)


def _require_institution(actor, org: Organization | None = None):
    p = as_principal(actor)
    if p.role != Role.INSTITUTION or p.organization is None:
        raise Forbidden("只有金融机构用户可以管理产品", "Only institution users manage products")
    if org is not None and org.pk != p.org_id:
        raise Forbidden("只能管理本机构的产品", "You can only manage your own institution's products")
    return p


def clean_product(data: dict) -> dict:
    """Validate product terms and rule; returns clean values or raises ValidationFailed (first problem)."""
    out = {k: data.get(k) for k in PRODUCT_FIELDS if k in data}
    out["name"] = clean_name(out.get("name"), field="name", label_zh="产品名称", label_en="name")
    if not out["name"]:
        raise ValidationFailed("请填写产品名称", "name is required", field="name")
    if "description" in out:
        out["description"] = clean_long_text(out["description"])
    if out.get("category") not in Product.Category.values:
        raise ValidationFailed("产品大类无效", "invalid category", field="category")
    if out.get("subtype") not in dict(Product.SUBTYPES):
        raise ValidationFailed("产品类型无效", "invalid product type", field="subtype")
    out["amount_min"] = _decimal(out.get("amount_min"), "amount_min", label="最低额度")
    out["amount_max"] = _amount(out.get("amount_max"), "amount_max", label="最高额度")
    if out["amount_min"] < 0 or out["amount_min"] > out["amount_max"]:
        raise ValidationFailed(
            "最低额度应在 0 与最高额度之间", "amount_min must be between 0 and amount_max", field="amount_min"
        )
    out["rate_min"] = _decimal(out.get("rate_min"), "rate_min", label="最低利率")
    out["rate_max"] = _decimal(out.get("rate_max"), "rate_max", label="最高利率")
    if not (0 <= out["rate_min"] <= out["rate_max"] <= 36):
        raise ValidationFailed(
            "利率应满足 0 ≤ 最低 ≤ 最高 ≤ 36%", "rates must satisfy 0 ≤ min ≤ max ≤ 36%", field="rate_max"
        )
    out["term_min"] = _term(out.get("term_min"), "term_min")
    out["term_max"] = _term(out.get("term_max"), "term_max")
    if out["term_min"] > out["term_max"]:
        raise ValidationFailed(
            "最短期限不能大于最长期限", "term_min must not exceed term_max", field="term_min"
        )
    valid_collateral = dict(Product.COLLATERAL)
    out["collateral"] = [c for c in out.get("collateral") or [] if c]
    bad = [c for c in out["collateral"] if c not in valid_collateral]
    if bad:
        raise ValidationFailed(
            f"未知担保方式：{', '.join(bad)}", f"unknown collateral: {', '.join(bad)}", field="collateral"
        )
    valid_support = dict(Product.POLICY_SUPPORT)
    out["policy_support"] = [s for s in out.get("policy_support") or [] if s]
    bad = [s for s in out["policy_support"] if s not in valid_support]
    if bad:
        raise ValidationFailed(
            f"未知政策支持：{', '.join(bad)}",
            f"unknown policy support: {', '.join(bad)}",
            field="policy_support",
        )
    try:
        raw_days = out.get("expected_days")
        out["expected_days"] = 10 if raw_days in (None, "") else int(str(raw_days).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(
            "预计审批时长应为整数", "expected_days must be a whole number", field="expected_days"
        ) from None
    if not 1 <= out["expected_days"] <= 120:
        raise ValidationFailed(
            "预计审批时长应在 1–120 个工作日之间", "expected_days must be 1-120", field="expected_days"
        )
    out["eligibility_rule"] = (out.get("eligibility_rule") or "").strip()
    rulebook.check_rule(out["eligibility_rule"])
    out["preferences"] = out.get("preferences") or {}
    return out


def save_product(actor, data: dict, *, product: Product | None = None) -> Product:
    p = _require_institution(actor, product.institution if product else None)
    values = clean_product(data)
    given_code = clean_name(data.get("code"), field="code", label_zh="产品编码", label_en="code")
    with transaction.atomic():
        if product is None:
            code = (
                given_code or f"P{p.org_id}-{Product.objects.filter(institution_id=p.org_id).count() + 1:03d}"
            )
            product = Product.objects.create(institution=p.organization, code=code, **values)
        else:
            product = Product.objects.select_for_update().get(pk=product.pk)
            for k, v in values.items():
                setattr(product, k, v)
            if product.status == Product.Status.PUBLISHED:
                _publish(product)  # a published product's change is a new version
            product.save()
    return product


def snapshot(product: Product) -> dict:
    return {
        k: (str(getattr(product, k)) if isinstance(getattr(product, k), Decimal) else getattr(product, k))
        for k in ("code", "name", *PRODUCT_FIELDS)
    } | {"institution_id": product.institution_id}


def _publish(product: Product) -> ProductVersion:
    product.version += 1
    product.status = Product.Status.PUBLISHED
    product.published_at = timezone.now()
    return ProductVersion.objects.create(product=product, version=product.version, snapshot=snapshot(product))


def set_product_status(actor, product_id: int, status: str) -> Product:
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound("产品不存在", "Product not found")
        _require_institution(actor, product.institution)
        if status == Product.Status.PUBLISHED:
            rulebook.check_rule(product.eligibility_rule)
            _publish(product)
        elif status == Product.Status.OFFLINE:
            product.status = Product.Status.OFFLINE
        else:
            raise ValidationFailed("无效的状态", "invalid status", field="status")
        product.save()
    return product


def preview_qualifying(actor, rule_text: str, *, channel: str | None = None) -> dict:
    """How many enterprises would qualify under a rule (the editor's live preview), as the disclosure
    policy lets this actor see it (jinfu.core.disclosure: institutions count only the rule's clauses over
    public fields; small groups are withheld). Enterprises are refused (Forbidden) before the rule is read."""
    gate = disclosure.authorize(actor, "financing.rule_check", rule_text=rule_text or "", channel=channel)
    rule = rulebook.check_rule(rule_text or "")
    result = disclosure.aggregate(
        gate,
        rule=rule,
        formula=None,
        measure=lambda features, text: (rulebook.qualifying_count(text, features), None),
    )
    return result.as_dict()


# ---------------------------------------------------------------------------
# Demands and claims (揭榜)
# ---------------------------------------------------------------------------


def create_demand(
    actor,
    *,
    amount,
    term_months,
    purpose: str,
    collateral_offered=(),
    urgency="normal",
    visible_fields=(),
    days_open: int = 30,
) -> Demand:
    p = as_principal(actor)
    if p.role != Role.ENTERPRISE or p.organization is None:
        raise Forbidden("只有企业可以发布融资需求", "Only enterprises publish financing demands")
    purpose = clean_long_text(purpose)
    if not purpose:
        raise ValidationFailed("请填写资金用途", "purpose is required", field="purpose")
    if urgency not in Demand.Urgency.values:
        raise ValidationFailed("紧急程度无效", "invalid urgency", field="urgency")
    bad = [c for c in collateral_offered if c not in dict(Product.COLLATERAL)]
    if bad:
        raise ValidationFailed(
            f"未知担保方式：{', '.join(bad)}",
            f"unknown collateral: {', '.join(bad)}",
            field="collateral_offered",
        )
    fields = [f for f in visible_fields if f in dict(Demand.VISIBLE_FIELDS)]
    return Demand.objects.create(
        enterprise=p.organization,
        amount=_amount(amount),
        term_months=_term(term_months),
        purpose=purpose.strip(),
        collateral_offered=list(collateral_offered),
        urgency=urgency,
        visible_fields=fields,
        expires_at=timezone.now() + dt.timedelta(days=days_open),
    )


def expire_claims(now=None) -> int:
    now = now or timezone.now()
    n = 0
    for claim in DemandClaim.objects.filter(status=DemandClaim.Status.ACTIVE, expires_at__lte=now):
        claim.status = DemandClaim.Status.EXPIRED
        claim.save(update_fields=["status"])
        Demand.objects.filter(pk=claim.demand_id, status=Demand.Status.CLAIMED).update(
            status=Demand.Status.OPEN
        )
        n += 1
    return n


def claim_demand(actor, demand_id: int) -> DemandClaim:
    """揭榜: one live claim per demand; a second claim fails cleanly, even when two arrive together."""
    p = as_principal(actor)
    if p.role != Role.INSTITUTION or p.organization is None:
        raise Forbidden("只有金融机构可以揭榜", "Only institutions claim demands")
    expire_claims()
    try:
        with transaction.atomic():
            demand = Demand.objects.select_for_update().filter(pk=demand_id).first()
            if demand is None:
                raise NotFound("需求不存在", "Demand not found")
            if demand.status != Demand.Status.OPEN or demand.expires_at <= timezone.now():
                raise Conflict(
                    "该需求已被揭榜或已关闭", "This demand is already claimed or closed", field="demand"
                )
            claim = DemandClaim.objects.create(
                demand=demand,
                institution=p.organization,
                claimed_by=p.user,
                expires_at=timezone.make_aware(
                    dt.datetime.combine(
                        add_workdays(timezone.localdate(), CLAIM_DAYS, estimate=True), dt.time(23, 59)
                    )
                ),
            )
            demand.status = Demand.Status.CLAIMED
            demand.save(update_fields=["status"])
    except IntegrityError:
        raise Conflict(
            "该需求已被其他机构揭榜", "Another institution claimed this demand first", field="demand"
        ) from None
    workflow.Notice(
        workflow.members(demand.enterprise),
        kind="demand_claimed",
        title=f"您的融资需求已被{p.organization.name}揭榜",
        body="机构将在揭榜有效期内与您联系；如需其查看企业数据，请在申请或数据授权页授权。",
        url="/financing/demands/",
    ).send()
    return claim


# ---------------------------------------------------------------------------
# Applications: the workflow state machine
# ---------------------------------------------------------------------------

SUBMIT_SLA_DAYS = 3  # 受理 within three working days


def apply(
    actor, *, product_id: int, amount, term_months, purpose: str, demand_id: int | None = None
) -> Application:
    """An enterprise applies to a published product; the application keeps the product version and the
    authorization (grant) the enterprise gives the institution to read its data for this purpose."""
    p = as_principal(actor)
    if p.role != Role.ENTERPRISE or p.organization is None or p.api_key is not None:
        raise Forbidden("只有企业用户可以申请融资", "Only enterprise users apply for financing")
    amount, term_months = _amount(amount), _term(term_months)
    purpose = clean_long_text(purpose)
    if not purpose:
        raise ValidationFailed("请填写资金用途", "purpose is required", field="purpose")
    with transaction.atomic():
        product = (
            Product.objects.select_for_update().select_related("institution").filter(pk=product_id).first()
        )
        if product is None:
            raise NotFound("产品不存在", "Product not found")
        if product.status != Product.Status.PUBLISHED:
            raise ValidationFailed(
                "该产品未发布或已下架，不能申请",
                "The product is not published",
                field="product",
                code="product_offline",
            )
        if not product.amount_min <= amount <= product.amount_max:
            raise ValidationFailed(
                f"申请金额应在 {product.amount_min}–{product.amount_max} 万元之间",
                f"amount must be within {product.amount_min}-{product.amount_max}",
                field="amount",
            )
        if not product.term_min <= term_months <= product.term_max:
            raise ValidationFailed(
                f"期限应在 {product.term_min}–{product.term_max} 个月之间",
                f"term must be within {product.term_min}-{product.term_max} months",
                field="term_months",
            )
        row = enterprise_features([p.org_id]).to_dicts()
        flags, why = rulebook.eligibility_for(row[0] if row else {}, [product])
        if not flags[0]:
            reasons = "；".join(c.message_zh for c in why.get(product.pk, []))
            raise ValidationFailed(
                f"不符合该产品的准入条件：{reasons}",
                "The enterprise does not meet the product's eligibility rule",
                field="product",
                code="not_eligible",
            )
        demand = None
        if demand_id:
            demand = Demand.objects.filter(pk=demand_id, enterprise_id=p.org_id).first()
            if demand is None:
                raise ValidationFailed("所附需求不存在", "The attached demand does not exist", field="demand")
        version = product.versions.filter(version=product.version).first()
        grant = core_services.grant_access(
            p,
            grantee=product.institution,
            scopes=APPLICATION_SCOPES,
            purpose=Purpose.LOAN_APPLICATION,
            purpose_note=f"申请{product.name}",
            expires_at=timezone.now() + dt.timedelta(days=APPLICATION_GRANT_DAYS),
        )
        first_loan = not Application.objects.filter(
            enterprise_id=p.org_id, status=Application.Status.DISBURSED
        ).exists()
        app = Application.objects.create(
            enterprise=p.organization,
            product=product,
            product_version=version,
            institution=product.institution,
            demand=demand,
            grant=grant,
            amount=amount,
            term_months=term_months,
            purpose=purpose.strip(),
            stage_due=add_workdays(timezone.localdate(), SUBMIT_SLA_DAYS, estimate=True),
            is_first_loan=first_loan,
        )
        workflow.record_start(APPLICATIONS, app, p, note="提交申请并授权机构查看企业数据")
        if demand is not None:
            DemandClaim.objects.filter(
                demand=demand, institution=product.institution, status=DemandClaim.Status.ACTIVE
            ).update(status=DemandClaim.Status.CONVERTED)
    workflow.Notice(
        workflow.members(product.institution),
        kind="application_new",
        title=f"新的融资申请：{p.organization.name}",
        body=f"{product.name}，{amount} 万元，{term_months} 个月",
        url=f"/financing/applications/{app.pk}/",
    ).send()
    return app


def _disbursed_on(value, app: Application, today: dt.date) -> dt.date:
    """放款日期: a real date between the day the application was submitted and today."""
    if not value:
        return today
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationFailed(
                "放款日期无效（格式 YYYY-MM-DD）",
                "disbursed_on is not a date (YYYY-MM-DD)",
                field="disbursed_on",
            ) from None
    submitted = timezone.localtime(app.submitted_at).date()
    if value > today:
        raise ValidationFailed(
            "放款日期不能晚于今天", "the disbursement date is in the future", field="disbursed_on"
        )
    if value < submitted:
        raise ValidationFailed(
            f"放款日期不能早于申请提交日期 {submitted}",
            f"the disbursement date is before the application was submitted ({submitted})",
            field="disbursed_on",
        )
    return value


def _within_product(app: Application, value, field: str, low: str, high: str, zh: str, en: str):
    """An approved figure must lie within the limits of the product version the enterprise applied to."""
    limits = app.product_version.snapshot
    lo, hi = Decimal(str(limits[low])), Decimal(str(limits[high]))
    if not lo <= Decimal(value) <= hi:
        raise ValidationFailed(
            f"{zh}应在产品（第 {app.product_version.version} 版）规定的 {lo}–{hi} 之间",
            f"{en} must lie within the product version's limits {lo}-{hi}",
            field=field,
        )


def _by_institution(p, app: Application) -> bool:
    return p.role == Role.INSTITUTION and p.org_id == app.institution_id


def _by_applicant(p, app: Application) -> bool:
    return p.role == Role.ENTERPRISE and p.org_id == app.enterprise_id


def _decided(step) -> None:
    """Every step: the officer's note becomes the application's decision note (an empty note keeps it)."""
    app, note = step.obj, step.params["decision"].get("note_given", "")
    app.decision_note = note or app.decision_note


def _reject(step) -> None:
    app, decision = step.obj, step.params["decision"]
    code = decision.get("reason_code") or ""
    if code not in dict(Application.REJECT_REASONS):
        raise ValidationFailed("请选择拒绝原因", "a rejection reason code is required", field="reason_code")
    app.reason_code = code
    app.decided_at = timezone.now()
    step.note = step.note or app.get_reason_code_display()
    _decided(step)


def _approve(step) -> None:
    app, decision = step.obj, step.params["decision"]
    app.approved_amount = _amount(
        decision.get("approved_amount") or app.amount, "approved_amount", "批准金额"
    )
    if app.approved_amount > app.amount:
        raise ValidationFailed(
            "批准金额不能超过申请金额",
            "approved amount exceeds the requested amount",
            field="approved_amount",
        )
    rate = _decimal(decision.get("rate"), "rate", label="执行利率")
    if not 0 <= rate <= 36:
        raise ValidationFailed("执行利率应在 0–36% 之间", "rate must be 0-36%", field="rate")
    app.rate = rate
    _within_product(
        app,
        app.approved_amount,
        "approved_amount",
        "amount_min",
        "amount_max",
        "批准金额（万元）",
        "approved amount",
    )
    app.approved_term = _term(decision.get("approved_term") or app.term_months, "approved_term")
    _within_product(
        app, app.approved_term, "approved_term", "term_min", "term_max", "批准期限（月）", "approved term"
    )
    app.decided_at = timezone.now()
    _decided(step)


def _disburse(step) -> None:
    step.obj.disbursed_on = _disbursed_on(step.params["decision"].get("disbursed_on"), step.obj, step.today)
    _decided(step)


def _tell_other_side(step) -> list[workflow.Notice]:
    """The institution's steps are told to the enterprise, the enterprise's withdrawal to the institution."""
    app = step.obj
    target = app.institution_id if step.transition.name == "withdraw" else app.enterprise_id
    return [
        workflow.Notice(
            workflow.members(target),
            kind=f"application_{app.status}",
            title=f"融资申请{app.get_status_display()}：{app.product.name}",
            body=step.params["decision"].get("note_given", ""),
            url=f"/financing/applications/{app.pk}/",
        )
    ]


_INSTITUTION = {
    "who_may": _by_institution,
    "forbidden_zh": "只有受理机构可以办理该申请",
    "forbidden_en": "Only the receiving institution can act on this application",
    "notify": _tell_other_side,
}
_OPEN = ("submitted", "accepted", "due_diligence", "approved")

APPLICATIONS = workflow.Workflow(
    name="financing.application",
    model=Application,
    states=Application.Status.values,
    initial="submitted",
    transitions=(
        workflow.Transition(
            "accept", "submitted", "accepted", "受理", sla_workdays=5, effect=_decided, **_INSTITUTION
        ),
        workflow.Transition(
            "start_due_diligence",
            "accepted",
            "due_diligence",
            "开始尽职调查",
            sla_workdays=lambda step: step.obj.product.expected_days,
            effect=_decided,
            **_INSTITUTION,
        ),
        workflow.Transition(
            "approve",
            "due_diligence",
            "approved",
            "审批通过",
            sla_workdays=5,
            effect=_approve,
            **_INSTITUTION,
        ),
        workflow.Transition("disburse", "approved", "disbursed", "放款", effect=_disburse, **_INSTITUTION),
        workflow.Transition("reject", _OPEN, "rejected", "拒绝", effect=_reject, **_INSTITUTION),
        workflow.Transition(
            "withdraw",
            _OPEN,
            "withdrawn",
            "撤回",
            who_may=_by_applicant,
            forbidden_zh="只有申请企业可以撤回",
            forbidden_en="Only the applicant can withdraw",
            effect=_decided,
            notify=_tell_other_side,
        ),
    ),
    timeline=workflow.Timeline(ApplicationEvent, "application"),
    noun_zh="申请",
    noun_en="application",
    select_related=("product", "product_version", "enterprise"),
)


def transition(
    actor, application_id: int, action: str, *, expected_version: int | str | None = None, **decision
) -> Application:
    """Move an application one step (the kernel's workflow: who may, lock + version, state, SLA, timeline,
    notices on commit). Illegal transitions are errors; two officers deciding at once cannot both succeed."""
    note = (decision.pop("note", None) or "")[:255]
    step = workflow.apply(
        APPLICATIONS,
        application_id,
        action,
        actor,
        expected_version=expected_version,
        note=note,
        decision={**decision, "note_given": note},
    )
    return step.obj


# ---------------------------------------------------------------------------
# Equity side: roadshow projects and events
# ---------------------------------------------------------------------------


def publish_roadshow(actor, *, title: str, summary: str, stage: str, amount_sought):
    from .models import RoadshowProject

    p = as_principal(actor)
    if p.role != Role.ENTERPRISE or p.organization is None:
        raise Forbidden("只有企业可以发布路演项目", "Only enterprises publish roadshow projects")
    title = clean_name(title, field="title", label_zh="项目名称", label_en="title")
    summary = clean_long_text(summary)
    if not title or not summary:
        raise ValidationFailed("请填写项目名称和简介", "title and summary are required", field="title")
    if stage not in dict(RoadshowProject.STAGES):
        raise ValidationFailed("融资阶段无效", "invalid stage", field="stage")
    return RoadshowProject.objects.create(
        enterprise=p.organization,
        title=title.strip()[:120],
        summary=summary.strip(),
        stage=stage,
        amount_sought=_amount(amount_sought, "amount_sought", "拟融资额"),
    )


def register_event(actor, event_id: int):
    from .models import EventRegistration, RoadshowEvent

    p = as_principal(actor)
    if p.organization is None:
        raise Forbidden("需以机构或企业身份报名", "Register on behalf of an organization")
    with transaction.atomic():
        event = RoadshowEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound("活动不存在", "Event not found")
        if event.registrations.filter(organization_id=p.org_id).exists():
            raise Conflict("本单位已报名", "Your organization is already registered")
        if event.registrations.count() >= event.capacity:
            raise Conflict("名额已满", "The event is full")
        return EventRegistration.objects.create(event=event, organization=p.organization, user=p.user)

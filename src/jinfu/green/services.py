"""Writes of the green module, in transactions, audited (GreenEvent rows + django-auditlog):

submit (enterprise) → identify against a catalogue version (rules propose items with evidence) →
assessor confirms or rejects with a reason (platform operator) → tier 储备/入库/推荐 and publication to
institutions (operator or the district's office) → an institution claims a published project → records
its loan. The 绿色企业 status (feature ``green_certified``) follows from a confirmed identification only.

Every input is validated before anything is written; a bad value raises ValidationFailed naming the
field (or the row and column, for an import) and leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jinfu.core import feeds, workflow
from jinfu.core.audit import record_event
from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.imports import registry
from jinfu.core.imports.engine import RULES, Issue, Lookups, RowValidator
from jinfu.core.jurisdiction import of_organization
from jinfu.core.models import Division, Industry, Organization, Role
from jinfu.core.principal import Principal, as_principal
from jinfu.core.text import clean_long_text, clean_name
from jinfu.credit import selectors as credit_selectors

from . import engine, imports, matching, selectors
from .models import (
    Catalogue,
    EnvCreditRating,
    GreenEvent,
    GreenLoan,
    GreenNotice,
    GreenProduct,
    GreenProject,
    GreenReport,
    Identification,
    Tier,
)

FIELDS = [c.field for c in imports.PROJECT_COLUMNS]


def _event(p: Principal, project: GreenProject, kind: str, **detail) -> None:
    GreenEvent.objects.create(
        project=project, actor=p.user, organization=p.organization, kind=kind, detail=detail
    )


def _lookups() -> Lookups:
    return Lookups(
        divisions=dict(Division.objects.values_list("code", "name")),
        industries={c: (n, lv) for c, n, lv in Industry.objects.values_list("code", "name", "level")},
        today=timezone.localdate(),
    )


def _fail(fld: str, zh: str, en: str, rule: str = "invalid") -> ValidationFailed:
    label_zh, label_en = imports.LABELS.get(fld, (fld, fld))
    return ValidationFailed(f"「{label_zh}」：{zh}", f"{label_en}: {en}", code=rule, field=fld)


def clean_project(data: dict) -> dict:
    """Parse and check one project's fields (the import's columns, parsed by the kernel's cell parsers)."""
    validator = RowValidator(imports.KIND, _lookups())
    rec: dict = {}
    for col in imports.PROJECT_COLUMNS:
        raw = data.get(col.field)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if col.required:
                raise _fail(col.field, "必填项为空", "required value is missing", "required")
            continue
        value, rule, zh, en = validator.parse(col, raw)
        if rule:
            base_zh, base_en = RULES.get(rule, (rule, rule))
            raise _fail(
                col.field, base_zh + (f"（{zh}）" if zh else ""), base_en + (f" ({en})" if en else ""), rule
            )
        rec[col.field] = value
    for fld, rule, zh, en in imports.check_project(rec, selectors.item_index()):
        raise _fail(fld, zh, en, rule)
    return rec


def _require_enterprise(p: Principal) -> Organization:
    if p.role != Role.ENTERPRISE or p.organization is None:
        raise Forbidden("只有企业可以提交绿色项目", "Only enterprises submit green projects")
    return p.organization


def _create(p: Principal, enterprise: Organization, rec: dict, *, synthetic: bool = False) -> GreenProject:
    item = selectors.item_index()[(rec["catalogue"], rec["item"])]
    project = GreenProject.objects.create(
        enterprise=enterprise,
        name=rec["name"],
        description=rec["description"],
        division_id=rec["division"],
        location=rec["location"],
        industry_code=rec.get("industry_code") or "",
        item=item,
        total_investment=rec["total_investment"],
        financing_need=rec["financing_need"],
        construction_start=rec["construction_start"],
        construction_months=rec["construction_months"],
        output_kind=rec["output_kind"],
        annual_output=rec["annual_output"],
        output_unit=rec["output_unit"],
        grid=rec.get("grid") or "西南",
        factor_year=rec.get("factor_year"),
        is_synthetic=synthetic,
    )
    _event(p, project, "submitted")
    identify(p, project, rec["catalogue"])
    return project


def submit_project(actor, data: dict) -> GreenProject:
    p = as_principal(actor)
    enterprise = _require_enterprise(p)
    rec = clean_project(data)
    with transaction.atomic():
        return _create(p, enterprise, rec)


def can_import_projects(p: Principal) -> bool:
    """Enterprises import their own projects; the platform operator imports for any enterprise."""
    return p.is_admin or (p.role == Role.ENTERPRISE and p.organization is not None)


def _orgs_by_uscc(kind: str, keys: set[str]) -> dict[str, dict]:
    rows = Organization.objects.filter(kind=kind, uscc__in=keys)
    return {uscc: {"id": pk} for pk, uscc in rows.values_list("pk", "uscc")}


def _owner_lookups(
    p: Principal | None, kind: str, role: str, row_issues: Callable[[dict], list[Issue]]
) -> Lookups:
    """The lookups of a sheet whose rows name their owner organization (column ``<kind>_uscc``): the form's
    row checks, then whose row it is — a user of ``role`` imports only its own organization's rows (rule
    ``green.<kind>_other``), the operator must name a registered one (``_required``, ``_unknown``)."""
    field = f"{kind}_uscc"
    as_owner = p is not None and p.role == role and p.organization is not None
    own = p.organization.uscc if as_owner else None

    def check_row(rec: dict, owner: dict | None, _existing: dict) -> list[Issue]:
        issues = row_issues(rec)
        named = rec.get(field)
        if as_owner:
            if named and named != own:
                issues.append(Issue(field, f"green.{kind}_other"))
        elif not named:
            issues.append(Issue(field, f"green.{kind}_required"))
        elif owner is None:
            issues.append(Issue(field, f"green.{kind}_unknown"))
        return issues

    lk = _lookups()
    lk.load_existing = lambda keys: _orgs_by_uscc(kind, keys)
    lk.check_row = check_row
    return lk


def prepare_project_import(p: Principal | None) -> Lookups:
    """The registry's lookups for a project sheet: reference tables, the enterprises the file names and
    the row checks the form applies (cross-field rules, catalogue items, whose project it is)."""
    items = selectors.item_index()
    kind, role = Organization.Kind.ENTERPRISE, Role.ENTERPRISE
    return _owner_lookups(p, kind, role, lambda rec: imports.row_issues(rec, items))


def apply_project_import(records: list[dict], *, actor, **_context) -> dict:
    """Write the clean records of a project sheet (inside the registry's transaction)."""
    p = as_principal(actor)
    if p.role == Role.ENTERPRISE:
        owners = dict.fromkeys(range(len(records)), _require_enterprise(p))
    else:
        found = Organization.objects.in_bulk({r["enterprise_uscc"] for r in records}, field_name="uscc")
        owners = {i: found[r["enterprise_uscc"]] for i, r in enumerate(records)}
    for i, rec in enumerate(records):
        _create(p, owners[i], rec)
    return {"created": len(records)}


def import_projects(actor, data: bytes, filename: str) -> dict:
    """A project sheet through the kernel's import registry: every row valid, or nothing written (the
    problems are returned)."""
    result = registry.dry_run(imports.PROJECTS, data, filename, actor=actor)
    if not result.ok or not result.records:
        return {"created": 0, "rows": result.total_rows, "problems": result.errors}
    out = registry.commit(imports.PROJECTS, result, actor=actor)
    return {"created": out["created"], "rows": result.total_rows, "problems": []}


def identify(actor, project: GreenProject, catalogue: str = selectors.LATEST) -> Identification:
    """Run the rules of a catalogue version on the project and keep the proposal (pending an assessor)."""
    p = as_principal(actor)
    cat = Catalogue.objects.filter(code=catalogue).first()
    if cat is None:
        raise _fail("catalogue", f"目录“{catalogue}”不存在", f"unknown catalogue '{catalogue}'")
    matches = engine.identify_one(
        {
            "industry_code": project.industry_code,
            "description": project.description,
            "output_kind": project.output_kind,
            "annual_output": project.annual_output,
        },
        catalogue,
    )
    best = matches[0] if matches else None
    ident = Identification.objects.create(
        project=project,
        catalogue=cat,
        matches=[
            {
                "item": m.item,
                "name": m.name,
                "level": m.level,
                "path": m.path,
                "confidence": m.confidence,
                "evidence": m.evidence,
            }
            for m in matches
        ],
        best_item=best.item if best else "",
        confidence=Decimal(str(best.confidence)) if best else Decimal(0),
        rules_version=str(engine.rule_table()["version"]),
    )
    _event(
        p,
        project,
        "identified",
        catalogue=catalogue,
        best_item=ident.best_item,
        confidence=str(ident.confidence),
    )
    return ident


def _require_assessor(p: Principal) -> None:
    if not p.is_admin:
        raise Forbidden(
            "只有平台认定人员可以认定绿色项目", "Only the platform's assessors decide identifications"
        )


def _locked_identification(
    identification_id: int, decision: str, conflict: tuple[str, str]
) -> Identification:
    """The identification, locked for this transaction, when its decision is still ``decision``; else the
    ``conflict`` message (zh, en)."""
    ident = Identification.objects.select_for_update().filter(pk=identification_id).first()
    if ident is None:
        raise ValidationFailed("识别记录不存在", "Identification not found", field="identification")
    if ident.decision != decision:
        raise ValidationFailed(*conflict, code="conflict")
    return ident


def decide(actor, identification_id: int, *, confirm: bool, reason: str = "") -> Identification:
    """Confirm or reject an identification; a rejection needs a reason. Audited."""
    p = as_principal(actor)
    _require_assessor(p)
    reason = (reason or "").strip()
    if not confirm and not reason:
        raise ValidationFailed("驳回时须填写理由", "A rejection needs a reason", field="reason")
    with transaction.atomic():
        ident = _locked_identification(
            identification_id,
            Identification.Decision.PENDING,
            ("该识别结果已认定过", "This identification was already decided"),
        )
        if confirm and not ident.best_item:
            raise ValidationFailed(
                "未匹配到任何目录条目，不能确认",
                "Nothing was matched; it cannot be confirmed",
                field="best_item",
            )
        ident.decision = Identification.Decision.CONFIRMED if confirm else Identification.Decision.REJECTED
        ident.reason, ident.assessor, ident.decided_at = reason, p.user, timezone.now()
        ident.save()
        project = ident.project
        project.status = GreenProject.Status.CONFIRMED if confirm else GreenProject.Status.REJECTED
        if confirm and not project.tier:
            project.tier = Tier.RESERVE
        if not confirm:
            project.published = False
        project.save()
        _event(p, project, "confirmed" if confirm else "rejected", reason=reason, item=ident.best_item)
    return ident


def _require_reviewer(p: Principal, project: GreenProject) -> None:
    if p.is_admin:
        return
    if p.role == Role.GOVERNMENT and p.jurisdiction.covers(project.division_id, None):
        return
    raise Forbidden("无权调整该项目的入库层级", "Not allowed to tier or publish this project")


def set_tier(actor, project_id: int, tier: str, *, publish: bool | None = None) -> GreenProject:
    p = as_principal(actor)
    if tier not in Tier.values:
        raise ValidationFailed(
            "层级应为储备、入库或推荐", "tier must be reserve, pool or recommended", field="tier"
        )
    with transaction.atomic():
        visible = selectors.projects_for(p).filter(pk=project_id).values("pk")
        project = GreenProject.objects.select_for_update().filter(pk__in=visible).first()
        if project is None:
            raise NotFound("项目不存在或无权查看", "Project not found")
        _require_reviewer(p, project)
        if project.status != GreenProject.Status.CONFIRMED:
            raise ValidationFailed(
                "项目尚未通过绿色认定", "The project is not confirmed green", field="status"
            )
        project.tier = tier
        if publish is not None:
            project.published = publish
        project.save()
        _event(p, project, "tiered", tier=tier, published=project.published)
    return project


def claim(actor, project_id: int) -> GreenLoan:
    p = as_principal(actor)
    if p.role != Role.INSTITUTION or p.organization is None:
        raise Forbidden("只有金融机构可以认领项目", "Only institutions claim projects")
    project = selectors.hall_for(p).filter(pk=project_id).first()
    if project is None:
        raise ValidationFailed(
            "项目不在项目大厅中", "The project is not in the project hall", field="project"
        )
    try:
        with transaction.atomic():
            loan = GreenLoan.objects.create(project=project, institution=p.organization)
            _event(p, project, "claimed", institution=p.organization.name)
    except IntegrityError:
        raise ValidationFailed(
            "贵机构已认领该项目", "Your institution already claimed this project", code="conflict"
        ) from None
    return loan


def _decimal(value, fld: str, label_zh: str) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"「{label_zh}」不是有效的数字", f"{fld} is not a number", field=fld) from None
    if not d.is_finite() or d <= 0:
        raise ValidationFailed(f"「{label_zh}」必须大于 0", f"{fld} must be positive", field=fld)
    return d


def record_loan(actor, loan_id: int, *, amount, granted_on: dt.date | None = None) -> GreenLoan:
    p = as_principal(actor)
    amount = _decimal(amount, "amount", "贷款金额（万元）")
    with transaction.atomic():
        loan = (
            GreenLoan.objects.select_for_update()
            .select_related("project")
            .filter(pk=loan_id, institution_id=p.org_id)
            .first()
        )
        if loan is None or p.role != Role.INSTITUTION:
            raise ValidationFailed("认领记录不存在", "Claim not found", field="loan")
        if amount > loan.project.financing_need:
            raise ValidationFailed(
                f"贷款金额 {engine.n(amount)} 万元高于项目融资需求 {engine.n(loan.project.financing_need)} 万元",
                "the loan exceeds the project's financing need",
                field="amount",
            )
        loan.amount = loan.outstanding = amount
        loan.granted_on = granted_on or timezone.localdate()
        loan.save()
        _event(p, loan.project, "loan_recorded", amount=str(amount))
    return loan


def save_product(actor, data: dict) -> GreenProduct:
    """An institution publishes a green product; its rule is validated against the project fields."""
    p = as_principal(actor)
    if p.role != Role.INSTITUTION or p.organization is None:
        raise Forbidden("只有金融机构可以发布绿色金融产品", "Only institutions publish green products")
    name = (data.get("name") or "").strip()
    if not name:
        raise ValidationFailed("「产品名称」：必填项为空", "name: required value is missing", field="name")
    text = (data.get("rule") or "").strip()
    try:
        matching.compile_product_rule(text)
    except matching.RuleError as e:
        raise ValidationFailed(
            f"「适用项目规则」：{e.message_zh}", f"rule: {e.message_en}", field="rule"
        ) from None
    return GreenProduct.objects.create(
        institution=p.organization, name=name[:200], rule=text, terms=(data.get("terms") or "").strip()[:300]
    )


# ---------------------------------------------------------------------------
# Green risk warning (绿色风险预警): an environmental penalty or a withdrawn 绿色 label on an enterprise
# with green loans alerts each lending institution (its own loans only) and the finance offices whose
# jurisdiction covers the enterprise.
# ---------------------------------------------------------------------------

# A penalty is environmental when the authority that imposed it is an ecology/environment department
# (生态环境局/厅/部, the former 环境保护局, 环保局) — the platform's rule, read from credit's penalty records.
ENVIRONMENTAL_AUTHORITY_WORDS = ("生态环境", "环境保护", "环保")


def is_environmental(authority: str) -> bool:
    return any(w in (authority or "") for w in ENVIRONMENTAL_AUTHORITY_WORDS)


def _offices() -> list[tuple[int, object]]:
    return [
        (org.pk, of_organization(org))
        for org in Organization.objects.filter(kind=Organization.Kind.GOVERNMENT)
    ]


def _green_loans(enterprise_id: int) -> list[GreenLoan]:
    return list(
        GreenLoan.objects.filter(project__enterprise_id=enterprise_id, amount__isnull=False)
        .select_related("project", "project__enterprise")
        .order_by("pk")
    )


def risk_alert(enterprise_id: int, *, key: str, what: str) -> list[workflow.Notice]:
    """The notices of one risk event on an enterprise with green loans (none without loans): to each lending
    institution about its own loans, to the covering finance offices about the total. ``key`` dedupes."""
    loans = _green_loans(enterprise_id)
    if not loans:
        return []
    title = f"绿色贷款风险预警：{loans[0].project.enterprise.name}"
    groups: list[tuple[int, str, list[GreenLoan]]] = []  # (organization, role, the loans it may hear of)
    for inst in dict.fromkeys(ln.institution_id for ln in loans):
        groups.append((inst, Role.INSTITUTION, [ln for ln in loans if ln.institution_id == inst]))
    for office, jurisdiction in _offices():
        covered = [ln for ln in loans if jurisdiction.covers(ln.project.division_id, None)]
        if covered:
            groups.append((office, Role.GOVERNMENT, covered))
    notices = []
    for org, role, own in groups:
        amount = sum((ln.amount for ln in own), Decimal(0))
        whose = "贵机构对该企业的" if role == Role.INSTITUTION else "该企业在本辖区项目上的"
        notices.append(
            workflow.Notice(
                workflow.members(org, roles=(role,)),
                kind="green_risk",
                title=title,
                body=f"{what}。{whose}绿色贷款 {len(own)} 笔，合计 {engine.n(amount)} 万元。",
                url=reverse("green:project", args=[own[0].project_id]),
                key=key,
                link_roles=(role,),
            )
        )
    return notices


def scan_environmental_penalties() -> int:
    """Alert on every environmental penalty (credit's penalty records) of an enterprise with green loans,
    dated on or after its first green loan; once per penalty (the notices' dedupe key). Returns the number
    of notifications sent."""
    first: dict[int, dt.date] = {}
    for org, granted, claimed in GreenLoan.objects.filter(amount__isnull=False).values_list(
        "project__enterprise_id", "granted_on", "claimed_at"
    ):
        day = granted or timezone.localtime(claimed).date()
        first[org] = min(first.get(org, day), day)
    if not first:
        return 0
    sent = 0
    for rec in credit_selectors.penalty_records(first, since=min(first.values())):
        if rec["date"] < first[rec["org_id"]] or not is_environmental(rec["authority"]):
            continue
        what = f"{rec['date']:%Y-%m-%d} 受到{rec['authority']}行政处罚（{rec['decision_no']}）" + (
            f"：{rec['reason']}" if rec["reason"] else ""
        )
        for notice in risk_alert(rec["org_id"], key=f"green:penalty:{rec['id']}", what=what):
            sent += notice.send()
    return sent


def revoke(actor, identification_id: int, *, reason: str) -> Identification:
    """The assessor withdraws a confirmed 绿色 label (a reason is required; audited). The project leaves
    the hall, the enterprise stops being 绿色企业 unless another confirmed project remains, and the lenders
    and finance offices are alerted when it has green loans."""
    p = as_principal(actor)
    _require_assessor(p)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("撤销认定须填写理由", "A revocation needs a reason", field="reason")
    with transaction.atomic():
        ident = _locked_identification(
            identification_id,
            Identification.Decision.CONFIRMED,
            ("只能撤销已确认的绿色认定", "Only a confirmed identification can be revoked"),
        )
        ident.decision = Identification.Decision.REVOKED
        ident.reason, ident.assessor, ident.decided_at = reason, p.user, timezone.now()
        ident.save()
        project = ident.project
        project.status, project.published = GreenProject.Status.REVOKED, False
        project.save()
        _event(p, project, "revoked", reason=reason, item=ident.best_item)
        what = f"项目「{project.name}」的绿色认定已被撤销，理由：{reason}"
        workflow.notify_on_commit(
            *risk_alert(project.enterprise_id, key=f"green:revoked:{ident.pk}", what=what)
        )
        _signals_on_commit()
    return ident


def _signals_on_commit() -> None:
    """Hand green's risk signals to the kernel's signal sinks (risk) once the change is committed; the
    hourly kernel job delivers them too, so a failure here loses nothing (idempotent per record)."""
    transaction.on_commit(lambda: feeds.deliver_signals(source=selectors.RISK_SIGNAL_SOURCE), robust=True)


# ---------------------------------------------------------------------------
# 企业环境信用评价 (imported: green.env_credit). A rating below the enterprise's previous year's on the
# platform is a downgrade: the green risk warning (risk_alert, to its lenders and the covering offices)
# and a signal to risk (selectors.risk_signals).
# ---------------------------------------------------------------------------


def can_import_env_credit(p: Principal) -> bool:
    """The platform operator imports the ecology and environment authorities' published ratings."""
    return p is not None and p.is_admin


def _enterprises_for_rating(keys: set[str]) -> dict[str, dict]:
    rows = Organization.objects.filter(kind=Organization.Kind.ENTERPRISE, uscc__in=keys)
    return {uscc: {"id": pk} for pk, uscc in rows.values_list("pk", "uscc")}


def prepare_env_credit_import(p: Principal | None) -> Lookups:
    today = timezone.localdate()

    def check_row(rec: dict, enterprise: dict | None, _existing: dict) -> list[Issue]:
        # a rating year after this one is the year column's own rule (range.future_period)
        return [Issue("enterprise_uscc", "green.enterprise_unknown")] if enterprise is None else []

    return Lookups(today=today, load_existing=_enterprises_for_rating, check_row=check_row)


def _previous_rating(enterprise_id: int, year: int) -> EnvCreditRating | None:
    return (
        EnvCreditRating.objects.filter(enterprise_id=enterprise_id, rating_year__lt=year)
        .order_by("-rating_year")
        .first()
    )


def apply_env_credit_import(records: list[dict], *, actor, **_context) -> dict:
    """Write the ratings (inside the registry's transaction; a year imported again is replaced) and raise
    the green risk warning for every downgrade against the enterprise's previous rated year."""
    found = _enterprises_for_rating({r["enterprise_uscc"] for r in records})
    downgrades = 0
    for rec in sorted(records, key=lambda r: r["rating_year"]):
        enterprise_id = found[rec["enterprise_uscc"]]["id"]
        rating, _created = EnvCreditRating.objects.update_or_create(
            enterprise_id=enterprise_id,
            rating_year=rec["rating_year"],
            defaults={
                "rating": imports.ENV_CREDIT_NAME[rec["rating"]],
                "rank": imports.ENV_CREDIT_RANK[rec["rating"]],
                "authority": rec["authority"],
                "document_number": rec["document_number"],
                "imported_by": actor,
            },
        )
        before = _previous_rating(enterprise_id, rating.rating_year)
        if before is not None and rating.rank > before.rank:
            downgrades += 1
            what = selectors.downgrade_text(before, rating)
            workflow.notify_on_commit(
                *risk_alert(enterprise_id, key=f"green:env_credit:{rating.pk}:{rating.rank}", what=what)
            )
    if downgrades:
        _signals_on_commit()
    return {"written": len(records), "downgrades": downgrades}


def import_env_credit(actor, data: bytes, filename: str) -> dict:
    """企业环境信用评价 from .xlsx/.csv: every row checked (USCC on the platform, a level of the scale, the
    year, authority and document number), all rows or none. Returns {rows, written, downgrades, problems}."""
    result = registry.dry_run(imports.ENV_CREDIT, data, filename, actor=actor)
    if not result.ok or not result.records:
        return {"rows": result.total_rows, "written": 0, "downgrades": 0, "problems": result.errors}
    out = registry.commit(imports.ENV_CREDIT, result, actor=actor, event={"file": filename[:200]})
    return {"rows": result.total_rows, **out, "problems": []}


# ---------------------------------------------------------------------------
# Institutions' green evaluation: quarterly figures (form or import) and the finance office's
# qualitative scores. The evaluation itself is engine.evaluate, read through selectors.evaluation.
# ---------------------------------------------------------------------------

REPORT_FIELDS = ("year", "quarter", "green_balance", "prior_green_balance", "total_balance", "green_risk")


def can_report(p: Principal) -> bool:
    """Institutions report their own figures; the platform operator imports for any institution."""
    return p.is_admin or (p.role == Role.INSTITUTION and p.organization is not None)


def prepare_report_import(p: Principal | None) -> Lookups:
    today = timezone.localdate()
    kind, role = Organization.Kind.INSTITUTION, Role.INSTITUTION
    return _owner_lookups(p, kind, role, lambda rec: imports.report_issues(rec, today))


def _write_report(p: Principal, institution_id: int, rec: dict) -> GreenReport:
    report, _created = GreenReport.objects.update_or_create(
        institution_id=institution_id,
        year=rec["year"],
        quarter=rec["quarter"],
        defaults={k: rec[k] for k in REPORT_FIELDS[2:]} | {"submitted_by": p.user},
    )
    return report


def apply_report_import(records: list[dict], *, actor, **_context) -> dict:
    """Write a figures sheet (inside the registry's transaction): a quarter reported again is replaced."""
    p = as_principal(actor)
    if p.role == Role.INSTITUTION:
        owners = dict.fromkeys(range(len(records)), p.org_id)
    else:
        found = _orgs_by_uscc(Organization.Kind.INSTITUTION, {r["institution_uscc"] for r in records})
        owners = {i: found[r["institution_uscc"]]["id"] for i, r in enumerate(records)}
    for i, rec in enumerate(records):
        _write_report(p, owners[i], rec)
    return {"written": len(records)}


def import_reports(actor, data: bytes, filename: str) -> dict:
    result = registry.dry_run(imports.REPORTS, data, filename, actor=actor)
    if not result.ok or not result.records:
        return {"written": 0, "rows": result.total_rows, "problems": result.errors}
    out = registry.commit(imports.REPORTS, result, actor=actor)
    return {"written": out["written"], "rows": result.total_rows, "problems": []}


def save_report(actor, data: dict) -> GreenReport:
    """An institution's figures for one quarter from the form (the import's columns and checks)."""
    p = as_principal(actor)
    if p.role != Role.INSTITUTION or p.organization is None:
        raise Forbidden("只有金融机构报送绿色金融数据", "Only institutions report green finance figures")
    validator = RowValidator(imports.REPORTS.key, _lookups())
    rec: dict = {}
    for col in imports.REPORT_COLUMNS[:-1]:
        label_zh, label_en = col.label_zh, col.label_en
        raw = data.get(col.field)
        if raw is None or not str(raw).strip():
            raise ValidationFailed(f"「{label_zh}」：必填项为空", f"{label_en}: required", field=col.field)
        value, rule, zh, en = validator.parse(col, raw)
        if rule:
            base_zh, base_en = RULES.get(rule, (rule, rule))
            raise ValidationFailed(
                f"「{label_zh}」：{base_zh}" + (f"（{zh}）" if zh else ""),
                f"{label_en}: {base_en}" + (f" ({en})" if en else ""),
                field=col.field,
                code=rule,
            )
        rec[col.field] = value
    for issue in imports.report_issues(rec, timezone.localdate()):
        zh, en = issue.base or imports.REPORTS.messages()[issue.rule]
        raise ValidationFailed(zh, en, field=issue.field, code=issue.rule)
    with transaction.atomic():
        return _write_report(p, p.org_id, rec)


def score_qualitative(actor, report_id: int, data: dict) -> GreenReport:
    """The finance office's qualitative scores (0–100 each) of an institution in its jurisdiction."""
    p = as_principal(actor)
    with transaction.atomic():
        report = (
            GreenReport.objects.select_for_update().select_related("institution").filter(pk=report_id).first()
        )
        if report is None or not (
            p.is_admin
            or (p.role == Role.GOVERNMENT and p.jurisdiction.covers(report.institution.division_id, None))
        ):
            raise NotFound("报送记录不存在或不在本辖区", "Report not found in your jurisdiction")
        for key, (label, _w) in engine.QUAL_ITEMS.items():
            try:
                value = Decimal(str(data.get(key, "")).strip())
            except InvalidOperation:
                value = Decimal(-1)
            if not value.is_finite() or not (0 <= value <= 100):
                raise ValidationFailed(f"「{label}」应为 0–100 分", f"{key} must be 0 to 100", field=key)
            setattr(report, key, value.quantize(Decimal("0.01")))
        report.save()
    return report


# ---------------------------------------------------------------------------
# Green news and policy notices (绿色资讯 / 通知公告): a finance office (government organization) or the
# platform operator writes a draft, publishes it to signed-in users and may withdraw it with a reason.
# Each step is one transaction and audited (django-auditlog on the row + a security event naming it).
# ---------------------------------------------------------------------------

NOTICE_LIMITS = {"title": 200, "source": 200, "body": 20000}


def _require_publisher(p: Principal) -> None:
    if not (p.is_admin or (p.role == Role.GOVERNMENT and p.organization is not None)):
        raise Forbidden(
            "只有金融工作部门或平台运营方可以发布绿色资讯和通知公告",
            "Only finance offices and the platform operator publish green news and notices",
        )


def _own_notice(p: Principal, pk: int) -> GreenNotice:
    """A notice this principal manages (its organization's, or any for the operator), locked for update."""
    notice = GreenNotice.objects.select_for_update().filter(pk=pk).first()
    if notice is None or not (p.is_admin or notice.publisher_id == p.org_id):
        raise NotFound("通知不存在或不属于本单位", "Notice not found, or not your organization's")
    return notice


def _notice_fields(data: dict) -> dict:
    labels = {"title": ("标题", "title"), "body": ("正文", "body"), "source": ("来源", "source")}
    out = {
        "title": clean_name(data.get("title"), field="title", label_zh="「标题」", label_en="title"),
        "source": clean_name(data.get("source"), field="source", label_zh="「来源」", label_en="source"),
        "body": clean_long_text(data.get("body")),
    }
    for key in ("title", "body"):
        if not out[key]:
            zh, en = labels[key]
            raise ValidationFailed(f"「{zh}」：必填项为空", f"{en}: required value is missing", field=key)
    for key, limit in NOTICE_LIMITS.items():
        if len(out[key]) > limit:
            zh, en = labels[key]
            raise ValidationFailed(
                f"「{zh}」：不能超过 {limit} 个字（现有 {len(out[key])} 个）",
                f"{en}: at most {limit} characters ({len(out[key])} given)",
                field=key,
            )
    kind = (data.get("kind") or GreenNotice.Kind.NOTICE).strip()
    if kind not in GreenNotice.Kind.values:
        raise ValidationFailed(
            "「类型」：应为绿色资讯或通知公告", "kind: must be 'news' or 'notice'", field="kind"
        )
    return {**out, "kind": kind}


def _notice_event(p: Principal, notice: GreenNotice, action: str) -> None:
    record_event(
        "admin_action",
        user=p.user,
        action=f"green_notice_{action}",
        notice=notice.pk,
        title=notice.title,
        organization=notice.publisher_id,
    )


@transaction.atomic
def save_notice(actor, data: dict, pk: int | None = None) -> GreenNotice:
    """Write a new draft, or change a draft of one's own organization (a published or withdrawn notice is
    not edited: withdraw it and publish a corrected one, so what readers saw stays on record)."""
    p = as_principal(actor)
    _require_publisher(p)
    fields = _notice_fields(data)
    if pk is None:
        org = None if p.is_admin else p.organization  # the operator publishes as 平台运营方
        notice = GreenNotice.objects.create(publisher=org, author=p.user, **fields)
        _notice_event(p, notice, "draft")
        return notice
    notice = _own_notice(p, pk)
    if notice.status != GreenNotice.Status.DRAFT:
        raise ValidationFailed(
            "只有草稿可以修改；已发布的通知请撤回后重新发布",
            "Only a draft can be changed; withdraw a published notice and publish a corrected one",
            field="status",
            code="notice.not_draft",
        )
    for key, value in fields.items():
        setattr(notice, key, value)
    notice.save()
    _notice_event(p, notice, "edit")
    return notice


@transaction.atomic
def publish_notice(actor, pk: int) -> GreenNotice:
    p = as_principal(actor)
    _require_publisher(p)
    notice = _own_notice(p, pk)
    if notice.status != GreenNotice.Status.DRAFT:
        raise ValidationFailed(
            f"「{notice.title}」{notice.get_status_display()}，只有草稿可以发布",
            f"notice {notice.pk} is {notice.status}; only a draft can be published",
            field="status",
            code="notice.not_draft",
        )
    notice.status = GreenNotice.Status.PUBLISHED
    notice.published_at = timezone.now()
    notice.save(update_fields=["status", "published_at", "updated_at"])
    _notice_event(p, notice, "publish")
    return notice


@transaction.atomic
def withdraw_notice(actor, pk: int, reason: str) -> GreenNotice:
    p = as_principal(actor)
    _require_publisher(p)
    notice = _own_notice(p, pk)
    reason = clean_name(reason, field="reason", label_zh="「撤回原因」", label_en="reason")
    if not reason:
        raise ValidationFailed(
            "「撤回原因」：必填项为空", "reason: required value is missing", field="reason"
        )
    if notice.status != GreenNotice.Status.PUBLISHED:
        raise ValidationFailed(
            f"「{notice.title}」{notice.get_status_display()}，只有已发布的通知可以撤回",
            f"notice {notice.pk} is {notice.status}; only a published notice can be withdrawn",
            field="status",
            code="notice.not_published",
        )
    notice.status = GreenNotice.Status.WITHDRAWN
    notice.withdrawn_at = timezone.now()
    notice.withdraw_reason = reason[:300]
    notice.save(update_fields=["status", "withdrawn_at", "withdraw_reason", "updated_at"])
    _notice_event(p, notice, "withdraw")
    return notice

"""Case work 发现 → 核查 → 处置 → 结案 on the workflow kernel (core/workflow.py), the routing table (行业主管
by industry, 街镇 by street; editable, loops refused) and public tip-offs (举报).

Who works a case: the regulators whose jurisdiction covers its division, and the platform operator, take every
transition. The offices the routing named (``Case.industry_org`` — a 行业主管部门, role ``sector`` — and
``Case.street_org`` — a 街镇网格, role ``street``) are parties: they see the case on their own board and work
the tasks given to them (notes, files, completing), but take no transition — verifying, deciding a measure
and closing are the financial office's (docs/risk.md, "Who may do what on a case"). SLA in
Chinese working days per stage, overdue cases escalated to the division's regulators (``jinfu risk
escalate``). Every step is a kernel transition: locked, versioned, audited (django-auditlog) and on the
case's timeline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from jinfu.core import workflow
from jinfu.core.errors import Forbidden, NotFound, TooManyRequests, ValidationFailed
from jinfu.core.models import Organization, Role, User
from jinfu.core.principal import as_principal
from jinfu.core.reference import workdays

from . import engine
from .models import Case, CaseEvent, RiskScore, RoutingRule, Signal, SignalBatch, TipOff

SLA = {"discovered": 3, "verifying": 10, "handling": 20}  # working days per stage (docs/risk.md)
MIN_REASON = 4


# ---------------------------------------------------------------------------
# Who may, guards, effects
# ---------------------------------------------------------------------------


def may_work(p, case) -> bool:
    """Every transition and giving tasks: the case's regulators and the operator (never the offices)."""
    if p.is_admin:
        return True
    return p.role == Role.REGULATOR and p.jurisdiction.covers(case.division_id, None)


OFFICE_ROLES = (Role.SECTOR, Role.STREET)
_PARTY_BY_ROLE = {Role.SECTOR: "industry", Role.STREET: "street"}


def is_office(p) -> bool:
    """A 行业主管部门 or 街镇 user (a case party through routing, never a regulator)."""
    return p.role in OFFICE_ROLES and p.org_id is not None


def party_of(p, case) -> str | None:
    """The collaboration party ("industry" / "street") this office user is on the case, or None."""
    party = _PARTY_BY_ROLE.get(p.role)
    if party is None or p.org_id is None:
        return None
    org_id = case.industry_org_id if party == "industry" else case.street_org_id
    return party if org_id == p.org_id else None


def _office_org(name: str, kind: str, division_id: str | None):
    """The organization (sector or street office) the routing table named: same name and kind, in the case's
    division or city level; None when the office has no account on the platform."""
    if not name:
        return None
    from django.db.models import Q

    place = Q(division__isnull=True) | Q(division_id="500000")
    if division_id:
        place |= Q(division_id=division_id)
    return Organization.objects.filter(place, kind=kind, name=name).order_by("pk").first()


def _outcome_given(step):
    outcome = step.params.get("outcome", "")
    if outcome not in Case.Outcome.values:
        raise ValidationFailed("请选择处置结果", "choose an outcome", field="outcome")
    if step.transition.name == "exclude" and outcome != Case.Outcome.EXCLUDED:
        raise ValidationFailed(
            "核查后排除只能选择“排除”", "only 'excluded' ends a verification", field="outcome"
        )
    if step.transition.name == "decide" and outcome == Case.Outcome.EXCLUDED:
        raise ValidationFailed("处置结果须为约谈、责令整改或移送公安", "choose a measure", field="outcome")
    reason = (step.params.get("reason") or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(
            f"请填写理由（至少 {MIN_REASON} 个字）", "a reason is required", field="reason"
        )
    if len(reason) > 500:
        raise ValidationFailed("理由最多 500 字", "the reason is at most 500 characters", field="reason")


def _record_outcome(step):
    step.obj.outcome = step.params["outcome"]
    step.obj.outcome_reason = step.params["reason"].strip()
    step.note = f"{Case.Outcome(step.obj.outcome).label}：{step.obj.outcome_reason}"


def _regulators(case) -> list[User]:
    offices = Organization.objects.filter(kind=Organization.Kind.GOVERNMENT)
    if case.division_id:
        offices = offices.filter(division_id__in=[case.division_id, "500000"]) | offices.filter(division=None)
    return list(
        User.objects.filter(organization__in=offices, role=Role.REGULATOR, is_active=True).order_by("pk")[:50]
    )


def _overdue_notices(case):
    return [
        workflow.Notice(
            _regulators(case),
            kind="risk_case_overdue",
            title=f"涉众风险案件 {case.number} 已超过办理时限",
            url=f"/risk/cases/{case.pk}/",
        )
    ]


# Who may take each transition (docs/risk.md, "Who may do what on a case"): all four are the financial office's
# — the regulators whose jurisdiction covers the case and the operator (may_work). The 行业主管部门 and 街镇
# offices the routing named are parties without transitions: they work their tasks (collaboration.py) and
# the case moves only when the regulator, with their replies, verifies, decides or closes it.
CASES = workflow.Workflow(
    name="risk.case",
    model=Case,
    states=Case.Status.values,
    initial="discovered",
    transitions=(
        workflow.Transition(
            "verify", "discovered", "verifying", "开始核查", who_may=may_work, sla_workdays=SLA["verifying"]
        ),
        workflow.Transition(
            "exclude",
            "verifying",
            "closed",
            "核查排除并结案",
            who_may=may_work,
            guards=(_outcome_given,),
            effect=_record_outcome,
        ),
        workflow.Transition(
            "decide",
            "verifying",
            "handling",
            "决定处置措施",
            who_may=may_work,
            guards=(_outcome_given,),
            effect=_record_outcome,
            sla_workdays=SLA["handling"],
        ),
        workflow.Transition("close", "handling", "closed", "结案", who_may=may_work),
    ),
    timeline=workflow.Timeline(CaseEvent, "case"),
    noun_zh="案件",
    noun_en="case",
    forbidden_zh="核查、处置和结案由辖区监管部门办理；承办单位请办理交办的任务",
    forbidden_en="only the regulators of the case's district move it; offices work the tasks given to them",
    escalation=workflow.Escalation(notices=_overdue_notices),
)


# ---------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------


def _follow(rules: dict[str, RoutingRule | dict], start: str) -> tuple[str | None, list[str]]:
    """Follow hand-overs from ``start``: (the final rule's target, the path); a loop gives (None, path)."""
    path, key = [], start
    while key in rules:
        if key in path:
            return None, [*path, key]
        path.append(key)
        rule = rules[key]
        fwd = rule["forward_to"] if isinstance(rule, dict) else rule.forward_to
        if not fwd:
            return (rule["target"] if isinstance(rule, dict) else rule.target), path
        key = fwd
    return None, path


def route(industry_code: str | None, street: str | None) -> tuple[str, str]:
    """(行业主管部门, 街镇) for an enterprise: the longest industry prefix (a 4-digit class, its 2-digit
    division, or the 门类 letter) and the street name, each followed through its hand-overs."""
    by_kind: dict[str, dict[str, RoutingRule]] = {"industry": {}, "street": {}}
    for r in RoutingRule.objects.all():
        by_kind[r.kind][r.match] = r
    office = ""
    if industry_code:
        from jinfu.core.models import Industry

        section = Industry.objects.filter(code=industry_code).values_list("section", flat=True).first() or ""
        for key in (industry_code, industry_code[:2], section):
            if key and key in by_kind["industry"]:
                office = _follow(by_kind["industry"], key)[0] or ""
                break
    grid = _follow(by_kind["street"], street)[0] or "" if street else ""
    return office, grid


ROUTING_HEAD = ("类型", "匹配", "承办单位", "转交至")


def replace_routing(actor, rows: list[dict]) -> int:
    """Replace the routing table. ``rows``: {kind, match, target, forward_to} in file order (row 2 on). Every
    problem names its row and field; a hand-over loop names its path; nothing is written unless all is right."""
    p = as_principal(actor)
    if not (p.is_admin or p.role == Role.REGULATOR):
        raise Forbidden("只有监管部门可以编辑分派规则", "only regulators may edit the routing table")
    problems, seen = [], {}
    kinds = {"行业": "industry", "industry": "industry", "街镇": "street", "street": "street"}
    clean = []
    for i, r in enumerate(rows, start=2):
        kind = kinds.get((r.get("kind") or "").strip())
        match, target = (r.get("match") or "").strip(), (r.get("target") or "").strip()
        fwd = (r.get("forward_to") or "").strip()
        if kind is None:
            problems.append(
                _problem(i, "类型", "kind", "类型须为“行业”或“街镇”", "kind must be 行业 or 街镇")
            )
            continue
        if not match or len(match) > 64:
            problems.append(
                _problem(i, "匹配", "match", "匹配不能为空，最多 64 字", "match is required (≤ 64)")
            )
            continue
        if not target and not fwd:
            problems.append(
                _problem(i, "承办单位", "target", "须填写承办单位或转交至", "a target or a hand-over")
            )
            continue
        if (kind, match) in seen:
            problems.append(
                _problem(
                    i,
                    "匹配",
                    "match",
                    f"与第 {seen[(kind, match)]} 行重复",
                    f"same as row {seen[(kind, match)]}",
                )
            )
            continue
        seen[(kind, match)] = i
        clean.append({"row": i, "kind": kind, "match": match, "target": target[:200], "forward_to": fwd[:64]})
    for kind in ("industry", "street"):
        table = {r["match"]: r for r in clean if r["kind"] == kind}
        for r in table.values():
            if r["forward_to"] and r["forward_to"] not in table:
                problems.append(
                    _problem(
                        r["row"], "转交至", "forward_to", "转交的规则不存在", "the hand-over names no rule"
                    )
                )
                continue
            target, path = _follow(table, r["match"])
            if target is None and r["forward_to"]:
                loop = " → ".join(path)
                problems.append(
                    _problem(
                        r["row"], "转交至", "forward_to", f"转交形成循环：{loop}", f"hand-overs loop: {loop}"
                    )
                )
    if problems:
        raise RoutingRejected(sorted(problems, key=lambda x: x["row"]))
    with transaction.atomic():
        RoutingRule.objects.all().delete()
        RoutingRule.objects.bulk_create(
            [
                RoutingRule(kind=r["kind"], match=r["match"], target=r["target"], forward_to=r["forward_to"])
                for r in clean
            ]
        )
    return len(clean)


class RoutingRejected(ValidationFailed):
    def __init__(self, problems: list[dict]):
        first = problems[0]
        super().__init__(first["message_zh"], first["message_en"], field=first["field"])
        self.problems = problems


def _problem(row: int, column: str, field: str, zh: str, en: str) -> dict:
    return {
        "row": row,
        "column": column,
        "field": field,
        "message_zh": f"第 {row} 行「{column}」：{zh}",
        "message_en": f"row {row}, column '{column}': {en}",
    }


def parse_routing(data: bytes) -> list[dict]:
    """A routing table file (CSV or .xlsx through the kernel's reader) → rows for :func:`replace_routing`."""
    from jinfu.core.imports.engine import FileRejected, read_sheet

    try:
        sheet = read_sheet(data, "routing.csv" if not data.startswith(b"PK") else "routing.xlsx")
    except FileRejected as exc:
        e = exc.errors[0]
        raise ValidationFailed(e["message_zh"], e["message_en"], field="file") from exc
    idx = {h: i for i, h in enumerate(sheet.headers)}
    missing = [h for h in ROUTING_HEAD[:3] if h not in idx]
    if missing:
        raise ValidationFailed(f"缺少列「{missing[0]}」", f"missing column '{missing[0]}'", field="file")
    keys = dict(zip(ROUTING_HEAD, ("kind", "match", "target", "forward_to"), strict=True))
    out = []
    for raw in sheet.rows:
        out.append(
            {
                k: (str(raw[idx[h]]) if h in idx and idx[h] < len(raw) and raw[idx[h]] is not None else "")
                for h, k in keys.items()
            }
        )
    return out


# ---------------------------------------------------------------------------
# Opening cases
# ---------------------------------------------------------------------------


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.token_hex(3).upper()}"


def _open(p, *, enterprise, subject: str, source: str, summary: str = "", synthetic: bool = False) -> Case:
    street = ""
    industry = None
    if enterprise is not None:
        street = RiskScore.objects.filter(pk=enterprise.pk).values_list("street", flat=True).first() or ""
        street = street or (engine_street(enterprise.address) or "")
        industry = getattr(getattr(enterprise, "enterprise", None), "industry_id", None)
    office, grid = route(industry, street)
    division = enterprise.division_id if enterprise is not None else None
    case = Case.objects.create(
        number=_number("AJ"),
        enterprise=enterprise,
        subject=subject[:200],
        division_id=enterprise.division_id if enterprise is not None else None,
        street=street[:32],
        source=source,
        industry_office=office,
        street_office=grid,
        industry_org=_office_org(office, Organization.Kind.SECTOR, division),
        street_org=_office_org(grid, Organization.Kind.STREET, division),
        summary=summary[:4000],
        created_by=p.user,
        stage_due=workdays.add_workdays(timezone.localdate(), SLA["discovered"], estimate=True),
        is_synthetic=synthetic,
    )
    workflow.record_start(CASES, case, p, note=Case.Source(source).label)
    return case


def engine_street(address: str | None) -> str | None:
    import re

    if not address:
        return None
    m = re.search(engine._STREET_RE, address)
    return m.group(1) if m else None


def open_case(actor, enterprise_pk: int, *, source: str = "warning", summary: str = "") -> Case:
    """Open a case on an enterprise from its warning or by hand; an open case on it is returned instead."""
    from .selectors import score_for

    p = as_principal(actor)
    if not (p.is_admin or p.role == Role.REGULATOR):
        raise Forbidden("只有监管部门可以立案", "only regulators may open a case")
    if source not in (Case.Source.WARNING, Case.Source.MANUAL):
        raise ValidationFailed("立案来源须为预警或人工", "source must be warning or manual", field="source")
    score = score_for(p, enterprise_pk)  # NotFound outside the jurisdiction
    existing = Case.objects.filter(enterprise_id=enterprise_pk).exclude(status=Case.Status.CLOSED).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        return _open(
            p, enterprise=score.enterprise, subject=score.enterprise.name, source=source, summary=summary
        )


def transition(actor, case_pk: int, action: str, *, note: str = "", expected_version=None, **params) -> Case:
    case = get_case(actor, case_pk)
    return workflow.apply(
        CASES, case.pk, action, actor, note=note[:500], expected_version=expected_version, **params
    ).obj


def may_see_cases(p) -> bool:
    """Who has a case board: regulators, the operator, and the 行业主管 / 街镇 offices (their cases only)."""
    return p.is_admin or p.role == Role.REGULATOR or is_office(p)


def get_case(actor, case_pk: int) -> Case:
    """A case its asker may see: the regulators of its division and the operator, or an office the routing
    named on it. Anything else is NotFound (the same answer whether the case exists or not)."""
    p = as_principal(actor)
    if not may_see_cases(p):
        raise Forbidden(
            "案件仅对监管部门和承办单位开放", "cases are open to regulators and their offices only"
        )
    case = Case.objects.select_related("enterprise", "division").filter(pk=case_pk).first()
    if case is None or not (may_work(p, case) or party_of(p, case)):
        raise NotFound("案件不存在或不在您的辖区", "no such case in your jurisdiction")
    return case


def board(actor, *, open_limit: int = 300, closed_limit: int = 100):
    """Open cases first by deadline (overdue first), then the closed ones; the actor's jurisdiction only (an
    office: the cases the routing named it on)."""
    p = as_principal(actor)
    if not may_see_cases(p):
        raise Forbidden(
            "案件仅对监管部门和承办单位开放", "cases are open to regulators and their offices only"
        )
    qs = Case.objects.select_related("enterprise")
    if is_office(p):
        field = "industry_org" if _PARTY_BY_ROLE[p.role] == "industry" else "street_org"
        qs = qs.filter(**{field: p.org_id})
    elif not p.jurisdiction.citywide:
        qs = qs.filter(p.jurisdiction.q("division", None))
    today = timezone.localdate()
    open_ = list(qs.exclude(status=Case.Status.CLOSED).order_by("stage_due", "created_at")[:open_limit])
    for c in open_:
        c.overdue = c.stage_due is not None and c.stage_due < today
    closed = list(qs.filter(status=Case.Status.CLOSED).order_by("-created_at")[:closed_limit])
    return {"open": open_, "closed": closed}


def escalate(today: dt.date | None = None) -> int:
    return workflow.escalate_overdue(CASES, today=today)


# ---------------------------------------------------------------------------
# Tip-offs
# ---------------------------------------------------------------------------

MAX_TEXT = 2000
MAX_ATTACHMENT = 5 * 1024 * 1024
ATTACHMENT_TYPES = {  # extension → (content type label, magic prefix)
    "pdf": b"%PDF-",
    "png": b"\x89PNG\r\n\x1a\n",
    "jpg": b"\xff\xd8\xff",
    "jpeg": b"\xff\xd8\xff",
}
RATE = (5, 3600)  # tip-offs per client address per hour
LOOKUP_RATE = (30, 3600)  # status lookups per client address per hour


def _client_key(ip: str | None) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip or '-'}".encode()).hexdigest()[:32]


def _rate_limit(key: str, rate: tuple[int, int] = RATE) -> None:
    limit, seconds = rate
    ck = f"risk-tipoff:{key}"
    cache.add(ck, 0, timeout=seconds)
    try:
        n = cache.incr(ck)
    except ValueError:
        cache.set(ck, 1, timeout=seconds)
        n = 1
    if n > limit:
        raise TooManyRequests(
            "提交过于频繁，请一小时后再试", "too many tip-offs from this address; try again later"
        )


def _check_attachment(name: str, data: bytes) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ATTACHMENT_TYPES:
        raise ValidationFailed(
            "附件只接受 PDF、PNG、JPG", "attachments must be PDF, PNG or JPG", field="attachment"
        )
    if len(data) > MAX_ATTACHMENT:
        raise ValidationFailed("附件不能超过 5 MB", "the attachment is larger than 5 MB", field="attachment")
    if not data.startswith(ATTACHMENT_TYPES[ext]):
        raise ValidationFailed(
            f"附件内容不是 {ext.upper()} 文件（与扩展名不符）",
            f"the attachment's content is not {ext.upper()} (it does not match its extension)",
            field="attachment",
        )
    return "jpg" if ext == "jpeg" else ext


def _spam(text: str) -> bool:
    """Links, or one character repeated over most of the text: refused as spam."""
    low = text.lower()
    if low.count("http://") + low.count("https://") + low.count("www.") >= 3:
        return True
    return bool(text) and max(text.count(c) for c in set(text)) > 0.6 * len(text) and len(text) > 20


def submit_tipoff(
    *,
    subject: str,
    text: str,
    contact: str = "",
    attachment: tuple[str, bytes] | None = None,
    ip: str | None = None,
) -> TipOff:
    """A public tip-off: checked, rate-limited, matched to an enterprise by name or USCC and merged into its
    open case (one case per enterprise), or a new case is opened. Returns it with its number."""
    subject, text, contact = (subject or "").strip(), (text or "").strip(), (contact or "").strip()
    if not subject or len(subject) > 200:
        raise ValidationFailed(
            "请填写被举报的单位或个人（最多 200 字）", "the subject is required (≤ 200)", field="subject"
        )
    if len(text) < 10:
        raise ValidationFailed(
            "请描述举报内容（至少 10 个字）", "describe what you report (≥ 10 characters)", field="text"
        )
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"举报内容最多 {MAX_TEXT} 字", f"at most {MAX_TEXT} characters", field="text")
    if len(contact) > 100:
        raise ValidationFailed(
            "联系方式最多 100 字", "the contact is at most 100 characters", field="contact"
        )
    if _spam(text):
        raise ValidationFailed(
            "内容疑似垃圾信息，未受理", "the text looks like spam; not accepted", field="text"
        )
    kind = None
    if attachment is not None:
        kind = _check_attachment(*attachment)
    key = _client_key(ip)
    _rate_limit(key)
    ent = (
        Organization.objects.filter(kind=Organization.Kind.ENTERPRISE).filter(uscc=subject.upper()).first()
        or Organization.objects.filter(kind=Organization.Kind.ENTERPRISE, name=subject).first()
    )
    with transaction.atomic():
        tip = TipOff(number=_number("JB"), subject=subject, text=text, contact=contact, client_key=key)
        if attachment is not None:
            from django.core.files.base import ContentFile

            tip.attachment.save(f"{secrets.token_hex(8)}.{kind}", ContentFile(attachment[1]), save=False)
            tip.attachment_type = kind
        case = None
        if ent is not None:
            case = Case.objects.filter(enterprise=ent).exclude(status=Case.Status.CLOSED).first()
            batch = SignalBatch.objects.create(kind="complaint", source="公众举报（网上举报）", rows=1)
            Signal.objects.create(
                enterprise=ent,
                kind=Signal.Kind.TIPOFF,
                text=text,
                occurred_on=timezone.localdate(),
                batch=batch,
            )
        if case is None:
            anon = workflow_actor()
            case = _open(anon, enterprise=ent, subject=subject, source=Case.Source.TIPOFF, summary=text)
        else:
            CaseEvent.objects.create(
                case=case,
                from_status=case.status,
                to_status=case.status,
                action="merge",
                note=f"合并举报 {tip.number}",
            )
        tip.case = case
        tip.save()
    return tip


def workflow_actor():
    """The public (no login) as a principal: it opens a case but can take no transition."""
    from jinfu.core.principal import Principal

    return Principal(organization=None, role="public")


TIPOFF_STATUS = {
    Case.Status.DISCOVERED: "已受理",
    Case.Status.VERIFYING: "核查中",
    Case.Status.HANDLING: "处置中",
    Case.Status.CLOSED: "已办结",
}


def tipoff_status(number: str, ip: str | None = None) -> str:
    """The status of a tip-off by its number: one word, nothing about the case or the firm. Lookups share
    the rate limit's budget, so numbers cannot be guessed in bulk."""
    _rate_limit(_client_key(ip) + ":q", LOOKUP_RATE)
    number = (number or "").strip().upper()
    tip = (
        TipOff.objects.select_related("case").filter(number=number).first()
        if 8 <= len(number) <= 16
        else None
    )
    if tip is None:
        raise NotFound("没有这个受理编号", "no tip-off with this number", field="number")
    return TIPOFF_STATUS.get(tip.case.status if tip.case else "", "已受理")

"""Local financial organization supervision (地方金融组织监管, issue 12 item 6): the registry, periodic report
import (importer ``risk.org_reports`` on the kernel's registry), and the board — regulatory ratios against
the versioned rules, the classification rating and 空壳/失联 detection (``supervision_engine``, pure).

Who: regulators whose jurisdiction covers the organization's division (and the operator) read the board and
import reports for their organizations; an organization's own (institution) users import their own reports
only and read nothing of the board. Enterprises see nothing here."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.imports import registry as import_registry
from jinfu.core.imports.engine import Issue, Lookups
from jinfu.core.models import Organization, Role
from jinfu.core.principal import as_principal
from jinfu.credit import selectors as credit

from . import reference
from . import supervision_engine as eng
from .imports import ORG_REPORTS
from .models import LocalFinanceOrg, OrgReport, SignalBatch


@functools.cache
def params() -> eng.Params:
    return eng.params_from(reference.load("local_finance"))


@functools.cache
def excerpts() -> dict[str, dict]:
    """The texts the rules were checked against (data/law_excerpts.yaml): id → kind, name, where, text."""
    return reference.load("law_excerpts")["excerpts"]


def may_supervise(p) -> bool:
    return p.is_admin or p.role == Role.REGULATOR


def _require(p) -> None:
    if not may_supervise(p):
        raise Forbidden(
            "地方金融组织监管仅对监管部门开放", "local finance supervision is open to regulators only"
        )
    if not p.has_api_scope("risk:read"):
        raise Forbidden("API 密钥缺少权限 risk:read", "API key lacks scope risk:read")


def orgs_in_reach(p):
    qs = LocalFinanceOrg.objects.select_related("organization", "organization__division")
    if p is None:
        return qs.none()
    if p.is_admin:
        return qs
    if p.role == Role.REGULATOR:
        return (
            qs
            if p.jurisdiction.citywide
            else qs.filter(p.jurisdiction.q("organization__division", "organization__zone"))
        )
    if p.role == Role.INSTITUTION and p.org_id:
        return qs.filter(organization_id=p.org_id)
    return qs.none()


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------


def register(
    organization: Organization, *, kind: str, registered_capital, paid_in_capital, **fields
) -> LocalFinanceOrg:
    """Enter (or update) an organization in the registry. Capital must not be negative."""
    if kind not in LocalFinanceOrg.Kind.values:
        raise ValidationFailed("未知的地方金融组织类型", f"unknown kind {kind!r}", field="kind")
    for name, value in (("registered_capital", registered_capital), ("paid_in_capital", paid_in_capital)):
        if value is None or Decimal(str(value)) < 0:
            raise ValidationFailed("注册资本和实缴资本不能为负数", f"{name} must not be negative", field=name)
    obj, _ = LocalFinanceOrg.objects.update_or_create(
        organization=organization,
        defaults={
            "kind": kind,
            "registered_capital": registered_capital,
            "paid_in_capital": paid_in_capital,
            **fields,
        },
    )
    return obj


# ---------------------------------------------------------------------------
# Report import (the registry's callables for risk.org_reports)
# ---------------------------------------------------------------------------


def can_import_reports(p) -> bool:
    return p is not None and (may_supervise(p) or p.role == Role.INSTITUTION)


def prepare_reports(p) -> Lookups:
    """Row checks: the organization must be in the importer's reach (a regulator's jurisdiction, or the
    institution itself); net assets cannot exceed total assets."""
    reach = dict(orgs_in_reach(p).exclude(organization__uscc=None).values_list("organization__uscc", "pk"))

    def check_row(rec: dict, _old, _existing) -> list[Issue]:
        issues = []
        org = reach.get(rec.get("org_uscc"))
        if org is None:
            issues.append(Issue("org_uscc", "risk.unknown_org"))
        else:
            rec["local_org_id"] = org
        net, total = rec.get("net_assets"), rec.get("total_assets")
        if net is not None and total is not None and net > total:
            issues.append(Issue("net_assets", "risk.net_above_total"))
        single, estate = rec.get("real_estate_pawn_max_single"), rec.get("real_estate_pawn")
        if single is not None and estate is not None and single > estate:
            issues.append(Issue("real_estate_pawn_max_single", "risk.single_above_balance"))
        return issues

    return Lookups(today=timezone.localdate(), check_row=check_row)


REPORT_FIELDS = tuple(c.field for c in ORG_REPORTS.columns if c.field not in ("org_uscc", "period_end"))


def apply_reports(records: list[dict], *, actor=None, filename: str = "", source: str = "") -> dict:
    """Write validated reports inside the registry's transaction; a second report for a period replaces the
    first (a correction). One SignalBatch records who sent the file."""
    p = as_principal(actor) if actor is not None else None
    org = p.organization if p is not None else None
    batch = SignalBatch.objects.create(
        kind=SignalBatch.Kind.ORG_REPORT,
        source=(source or "").strip()[:200] or (org.name if org else "平台管理员"),
        filename=(filename or "")[:255],
        rows=len(records),
        submitted_by=actor,
        submitter_org=org,
    )
    created = replaced = 0
    for rec in records:
        values = {f: rec.get(f) for f in REPORT_FIELDS}
        _obj, new = OrgReport.objects.update_or_create(
            org_id=rec["local_org_id"], period_end=rec["period_end"], defaults={**values, "batch": batch}
        )
        created += new
        replaced += not new
    return {"written": created + replaced, "created": created, "replaced": replaced, "batch": batch.pk}


def import_reports(actor, data: bytes, filename: str, *, commit: bool = True) -> dict:
    """Validate a report file through the registry; with no problem (and ``commit``), write all rows in one
    transaction. Returns {ok, rows, written, errors}."""
    p = as_principal(actor)
    import_registry.require(ORG_REPORTS, p)
    res = import_registry.dry_run(ORG_REPORTS, data, filename, actor=p)
    ok = res.ok and res.total_rows > 0
    out = {"ok": ok, "rows": res.total_rows, "written": 0, "errors": res.errors}
    if ok and commit:
        done = import_registry.commit(
            ORG_REPORTS,
            res,
            actor=p,
            event={"action": "risk_org_reports", "file": filename[:200]},
            filename=filename,
        )
        out["written"] = done["written"]
    return out


# ---------------------------------------------------------------------------
# The board
# ---------------------------------------------------------------------------


def _violations(org_ids: list[int]) -> dict[int, int]:
    return {
        r["org_id"]: sum(int(r.get(k) or 0) for k in credit.VIOLATION_COUNTS)
        for r in credit.violation_counts(org_ids)
    }


def _frames(orgs: list[LocalFinanceOrg]):
    ids = [o.organization_id for o in orgs]
    viol = _violations(ids)
    org_rows = [
        (
            o.pk,
            o.kind,
            o.serves_small_micro,
            len(o.officers or []),
            o.address_reachable,
            viol.get(o.organization_id, 0),
            float(o.registered_capital),
        )
        for o in orgs
    ]
    reports = OrgReport.objects.filter(org__in=[o.pk for o in orgs]).values_list(
        "org_id", "period_end", *eng.AMOUNTS, "insured_staff"
    )
    rep_rows = [(r[0], r[1], *(float(v) if v is not None else None for v in r[2:-1]), r[-1]) for r in reports]
    return eng.frame(org_rows, eng.ORGS), eng.frame(rep_rows, eng.REPORTS)


def _assess(orgs: list[LocalFinanceOrg], today: dt.date) -> tuple[dict[int, dict], list[dict]]:
    p = params()
    of, rf = _frames(orgs)
    result = {r["org_id"]: r for r in eng.assess(of, rf, today, p).iter_rows(named=True)}
    ratios = eng.ratios(of, eng.latest_reports(rf), p).to_dicts()
    return result, ratios


def _warnings(row: dict, rules: dict) -> list[str]:
    out = [f"违反监管指标：{rules[r].label}" for r in row["breaches"]]
    if row["status"] != "normal":
        out.append(f"疑似{eng.STATUS_LABELS[row['status']]}机构")
    return out


def board(actor, *, kind: str = "", status: str = "", grade: str = "") -> dict:
    """The regulator's board: every organization of the jurisdiction with its rating, breaches, flags and
    warnings; filters by kind, status (missing/shell/normal/breach) and grade."""
    p = as_principal(actor)
    _require(p)
    orgs = list(orgs_in_reach(p).order_by("kind", "organization__name"))
    today = timezone.localdate()
    assessed, _ratios = _assess(orgs, today)
    rules = {r.id: r for r in params().rules}
    rows = []
    for o in orgs:
        a = assessed[o.pk]
        row = {
            "org": o,
            "grade": a["grade"],
            "score": a["score"],
            "status": a["status"],
            "status_label": eng.STATUS_LABELS[a["status"]],
            "flags": [eng.FLAG_LABELS[f] for f in eng.FLAG_LABELS if a[f]],
            "breaches": [rules[r].label for r in a["breaches"]],
            "warnings": _warnings(a, rules),
            "period_end": a["period_end"],
        }
        rows.append(row)
    counts = {
        "total": len(rows),
        "warned": sum(1 for r in rows if r["warnings"]),
        "missing": sum(1 for r in rows if r["status"] == "missing"),
        "shell": sum(1 for r in rows if r["status"] == "shell"),
        "by_grade": {g: sum(1 for r in rows if r["grade"] == g) for _t, g in params().grades},
    }
    if kind:
        rows = [r for r in rows if r["org"].kind == kind]
    if status == "breach":
        rows = [r for r in rows if r["breaches"]]
    elif status in eng.STATUS_LABELS:
        rows = [r for r in rows if r["status"] == status]
    if grade:
        rows = [r for r in rows if r["grade"] == grade]
    rows.sort(key=lambda r: (not r["warnings"], r["score"]))
    return {
        "rows": rows,
        "counts": counts,
        "has_synthetic": any(r["org"].is_synthetic for r in rows),
        "version": params().version,
    }


def detail(actor, org_pk: int) -> dict:
    """One organization: its registry entry, reports, each ratio with its working and source, the rating's
    five dimensions and the flags."""
    p = as_principal(actor)
    _require(p)
    org = orgs_in_reach(p).filter(pk=org_pk).first()
    if org is None:
        raise NotFound(
            "没有该地方金融组织，或不在您的辖区", "no such local financial organization in your jurisdiction"
        )
    assessed, ratios = _assess([org], timezone.localdate())
    a = assessed[org.pk]
    rules = {r.id: r for r in params().rules}
    checks = [
        {
            **r,
            "rule": rules[r["rule"]],
            "applies": True,
            "evidence": excerpts().get(rules[r["rule"]].evidence, {}).get("name", ""),
        }
        for r in ratios
    ]
    checked = {c["rule"].id for c in checks}
    capital = float(org.registered_capital)
    unchecked = [r for r in params().rules if eng.applies(r, org.kind, capital) and r.id not in checked]
    return {
        "org": org,
        "reports": list(org.reports.all()[:12]),
        "checks": checks,
        "unchecked": unchecked,
        "assessment": a,
        "dimensions": [(eng.DIMENSION_LABELS[d], a[f"pts_{d}"]) for d in eng.DIMENSIONS],
        "flags": [eng.FLAG_LABELS[f] for f in eng.FLAG_LABELS if a[f]],
        "status_label": eng.STATUS_LABELS[a["status"]],
        "warnings": _warnings(a, rules),
        "version": params().version,
    }


def ratings(p=None) -> dict[str, int]:
    """Organizations by grade (the brain's indicator), for the principal's jurisdiction (all for None)."""
    orgs = list(orgs_in_reach(p) if p is not None else LocalFinanceOrg.objects.select_related("organization"))
    assessed, _ = _assess(orgs, timezone.localdate())
    out = {g: 0 for _t, g in params().grades}
    for a in assessed.values():
        out[a["grade"]] += 1
    return out


def assess_in(jurisdiction, today: dt.date) -> list[tuple[LocalFinanceOrg, dict]]:
    """Every organization registered in the places of ``jurisdiction`` (core/jurisdiction.py) with its
    assessment (grade, status): the brain's indicator feeds (selectors.feed_*), no principal involved."""
    qs = LocalFinanceOrg.objects.select_related("organization")
    if not jurisdiction.citywide:
        qs = qs.filter(jurisdiction.q("organization__division", "organization__zone"))
    orgs = list(qs)
    assessed, _ = _assess(orgs, today)
    return [(o, assessed[o.pk]) for o in orgs]


@transaction.atomic
def set_address_check(actor, org_pk: int, reachable: bool) -> LocalFinanceOrg:
    """Record the street grid's address check (the 失联 signal)."""
    p = as_principal(actor)
    _require(p)
    org = orgs_in_reach(p).select_for_update().filter(pk=org_pk).first()
    if org is None:
        raise NotFound(
            "没有该地方金融组织，或不在您的辖区", "no such local financial organization in your jurisdiction"
        )
    org.address_reachable, org.address_checked_on = reachable, timezone.localdate()
    org.save(update_fields=["address_reachable", "address_checked_on", "updated_at"])
    return org

"""Reads of the listing module, always filtered by who is asking.

* An enterprise sees its own statements, readiness, reserve status and milestones.
* Government users see readiness, reserve entries and milestones of enterprises in their division
  (a city-level office sees the whole city); they do not get the raw statements table.
* Institutions see an enterprise's statements and readiness only under a live grant with scope
  ``financials`` (jinfu.core.selectors.check_enterprise_access records every attempt).
* The platform operator sees everything.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db.models import Max, QuerySet
from django.utils import timezone

from jinfu.core import jurisdiction as jur
from jinfu.core.errors import Forbidden, NotFound
from jinfu.core.features import enterprise_features
from jinfu.core.models import Organization, Role, Scope
from jinfu.core.principal import Principal, as_principal
from jinfu.core.selectors import check_enterprise_access, enterprise_figures

from . import engine
from .featuresets import VERIFIED_SOURCES
from .models import STAGE_ORDER, FinancialStatement, ListingProfile, Milestone, ReserveEntry, Tier

FS_FIELDS = (
    "year",
    "revenue",
    "net_profit",
    "operating_cash_flow",
    "rd_expense",
    "total_assets",
    "net_assets",
    "roe",
)


def is_government(p: Principal) -> bool:
    return p.role in (Role.GOVERNMENT,) and p.organization is not None


def is_city_office(p: Principal) -> bool:
    """A city-level office (``Principal.jurisdiction`` at city level; a zone office is not one)."""
    return is_government(p) and p.jurisdiction.level == jur.CITY


def _enterprise(pk: int) -> Organization:
    org = Organization.objects.filter(pk=pk, kind=Organization.Kind.ENTERPRISE).first()
    if org is None:
        raise NotFound("企业不存在", "Enterprise not found")
    return org


def in_division(p: Principal, org: Organization) -> bool:
    """Is the enterprise inside the principal's jurisdiction (division, or zone for a zone office)?"""
    return p.jurisdiction.covers(org.division_id, org.zone_id)


def enterprises_in_scope(actor) -> QuerySet[Organization]:
    """Enterprises whose listing data (readiness, reserve, milestones) this actor may see."""
    p = as_principal(actor)
    qs = Organization.objects.filter(kind=Organization.Kind.ENTERPRISE)
    if p.is_admin:
        return qs
    if p.role == Role.ENTERPRISE:
        return qs.filter(pk=p.org_id)
    if is_government(p):
        return Organization.objects.visible_to(p, "govern")
    return qs.none()


def check_listing_access(actor, enterprise: Organization, *, statements: bool = False) -> Principal:
    """Raise unless the actor may see this enterprise's readiness (or, with ``statements``, its raw
    statements). Institutions need a live grant with scope financials (the check is recorded)."""
    p = as_principal(actor)
    if p.is_admin or p.org_id == enterprise.pk:
        if p.is_admin and p.api_key is None:
            check_enterprise_access(p, enterprise, Scope.FINANCIALS)  # records the operator's read
        return p
    if p.role == Role.INSTITUTION:
        check_enterprise_access(p, enterprise, Scope.FINANCIALS)
        return p
    if is_government(p) and not statements:
        if in_division(p, enterprise):
            return p
        raise Forbidden("该企业不在本辖区", "This enterprise is outside your division")
    raise Forbidden("无权查看该企业的财务数据", "You may not see this enterprise's financial data")


def statements(actor, enterprise_pk: int) -> QuerySet[FinancialStatement]:
    org = _enterprise(enterprise_pk)
    check_listing_access(actor, org, statements=True)
    return FinancialStatement.objects.filter(enterprise=org).order_by("-year")


def verified_statements(org_ids=None) -> QuerySet[FinancialStatement]:
    """The statements that are not self-reported (audited, imported, synthetic) of the given enterprises
    (all if None). A system read for the feature tables (credit/services.py: load_frames), which derive
    features from authoritative data only; nothing here is shown to a reader as such."""
    qs = FinancialStatement.objects.filter(source__in=VERIFIED_SOURCES)
    return qs.filter(enterprise_id__in=list(org_ids)) if org_ids is not None else qs


def profile_of(org: Organization) -> ListingProfile | None:
    return ListingProfile.objects.filter(enterprise=org).first()


# ---------------------------------------------------------------------------
# The listing frame: enterprise features + financial history + profile + stage
# ---------------------------------------------------------------------------

_FS_SCHEMA = {
    "org_id": pl.Int64,
    "year": pl.Int64,
    "revenue": pl.Float64,
    "net_profit": pl.Float64,
    "operating_cash_flow": pl.Float64,
    "rd_expense": pl.Float64,
    "net_assets": pl.Float64,
    "total_assets": pl.Float64,
    "roe": pl.Float64,
}


def _f(v):
    return float(v) if v is not None else None


STATEMENT_FEATURE_COLUMNS = (
    "year",
    "revenue",
    "net_profit",
    "total_assets",
    "net_assets",
    "rd_expense",
    "operating_cash_flow",
)


def verified_statement_rows(org_ids=None) -> list[tuple]:
    """``(enterprise_id, *STATEMENT_FEATURE_COLUMNS)`` of the statements the feature table may read: not
    self-reported (featuresets.VERIFIED_SOURCES). For the feature pipeline (no principal: what a rule
    reads, never shown as such)."""
    qs = FinancialStatement.objects.filter(source__in=VERIFIED_SOURCES)
    if org_ids is not None:
        qs = qs.filter(enterprise_id__in=list(org_ids))
    return list(qs.values_list("enterprise_id", *STATEMENT_FEATURE_COLUMNS))


def listing_frame(org_ids=None, *, as_of_year: int | None = None) -> pl.DataFrame:
    """One row per enterprise with every field of ``RESERVE_FIELDS`` except the engine-derived ones."""
    feats = enterprise_features(org_ids)
    fs = FinancialStatement.objects.all()
    prof = ListingProfile.objects.all()
    ms = Milestone.objects.all()
    if org_ids is not None:
        ids = list(org_ids)
        fs, prof, ms = (
            fs.filter(enterprise_id__in=ids),
            prof.filter(enterprise_id__in=ids),
            ms.filter(enterprise_id__in=ids),
        )
    rows = [
        {
            "org_id": r["enterprise_id"],
            "year": r["year"],
            **{k: _f(r[k]) for k in _FS_SCHEMA if k not in ("org_id", "year")},
        }
        for r in fs.values("enterprise_id", "year", *[k for k in _FS_SCHEMA if k not in ("org_id", "year")])
    ]
    wide = engine.financial_frame(pl.DataFrame(rows, schema=_FS_SCHEMA), as_of_year=as_of_year)
    profiles = pl.DataFrame(
        [
            {
                "org_id": p.enterprise_id,
                "market_cap": _f(p.market_cap),
                "neeq_innovation_months": p.neeq_innovation_months
                if p.neeq_tier == ListingProfile.NeeqTier.INNOVATION
                else 0,
                "star_5_core_products_approved": p.star_core_products_approved,
            }
            for p in prof
        ],
        schema={
            "org_id": pl.Int64,
            "market_cap": pl.Float64,
            "neeq_innovation_months": pl.Int64,
            "star_5_core_products_approved": pl.Boolean,
        },
    )
    stages = pl.DataFrame(
        [{"org_id": r["enterprise_id"], "stage": r["stage"]} for r in ms.values("enterprise_id", "stage")],
        schema={"org_id": pl.Int64, "stage": pl.Utf8},
    )
    rank = (
        stages.with_columns(
            pl.col("stage")
            .replace_strict(STAGE_ORDER, list(range(1, len(STAGE_ORDER) + 1)), return_dtype=pl.Int64)
            .alias("stage_rank")
        )
        .group_by("org_id")
        .agg(pl.col("stage_rank").max())
    )
    out = (
        feats.join(wide, on="org_id", how="left", maintain_order="left")
        .join(profiles, on="org_id", how="left", maintain_order="left")
        .join(rank, on="org_id", how="left", maintain_order="left")
        .with_columns(pl.col("stage_rank").fill_null(0))
    )
    return out


def readiness_row(org: Organization) -> dict:
    frame = listing_frame([org.pk])
    if frame.height == 0:  # an organization registered without an enterprise profile
        frame = pl.DataFrame([{"org_id": org.pk}])
    return engine.as_row(frame.to_dicts()[0])


def readiness(actor, enterprise_pk: int, on: dt.date | None = None) -> dict:
    """Per board and standard in force: each condition met or not, with actual value and gap; the
    reserve tiers the enterprise qualifies for; the data the answer rests on."""
    org = _enterprise(enterprise_pk)
    check_listing_access(actor, org)
    on = on or timezone.localdate()
    row = readiness_row(org)
    boards = engine.evaluate_row(row, on=on)
    row.update(engine.summary(boards))
    criteria = engine.criteria_in_force(on)
    tiers = []
    for key, t in criteria.tiers.items():
        passes, clauses = engine.check_tier(t, row)
        tiers.append({"tier": key, "name": t.name, "basis": t.basis, "passes": passes, "clauses": clauses})
    return {
        "enterprise": org,
        "row": row,
        "boards": boards,
        "tiers": tiers,
        "criteria_version": criteria.version,
        "fiscal_year": row.get("fiscal_year"),
        "has_statements": row.get("fiscal_year") is not None,
        "profile": profile_of(org),
        "figures": enterprise_figures(org.pk),
        "synthetic": org.is_synthetic,
        "as_of": on,
    }


# ---------------------------------------------------------------------------
# Reserve and milestones
# ---------------------------------------------------------------------------


def reserve_entries(
    actor, *, tier: str | None = None, status: str | None = None, flagged: bool | None = None
):
    p = as_principal(actor)
    if not (p.is_admin or is_government(p) or p.role == Role.ENTERPRISE):
        raise Forbidden("无权查看储备库", "You may not see the reserve")
    qs = ReserveEntry.objects.filter(enterprise__in=enterprises_in_scope(p)).select_related(
        "enterprise", "enterprise__division", "nominated_by", "nominating_org"
    )
    if tier:
        if tier not in Tier.values:
            raise NotFound("储备库层级无效", "Unknown tier")
        qs = qs.filter(tier=tier)
    if status:
        qs = qs.filter(status=status)
    if flagged is not None:
        qs = qs.filter(flagged=flagged)
    return qs.order_by("tier", "status", "-nominated_at")


def get_entry(actor, pk: int) -> ReserveEntry:
    e = reserve_entries(actor).filter(pk=pk).first()
    if e is None:
        raise NotFound("储备库记录不存在或无权查看", "Reserve entry not found or not visible to you")
    return e


def milestones(actor, enterprise_pk: int) -> QuerySet[Milestone]:
    org = _enterprise(enterprise_pk)
    if not enterprises_in_scope(actor).filter(pk=org.pk).exists():
        raise Forbidden("无权查看该企业的上市进程", "You may not see this enterprise's milestones")
    return Milestone.objects.filter(enterprise=org).order_by("date", "pk")


# Plan targets for the listing pipeline, quoted from the seeds (file and words).
TARGETS = {
    "500103": {
        "division": "渝中区",
        "year": 2027,
        "city_reserve": 25,
        "listed": 12,
        "source": "种子 003《渝中区深入落实“智融惠畅”工程…实施方案(2024-2027年)》：到2027年,市级拟上市企业后备库动态保有量25家,境内外上市公司数量达到12家以上",
    },
}


def funnel(actor) -> dict:
    """The listing pipeline of the actor's division: reserve tiers (approved), milestone stages
    reached (the furthest per enterprise), flags, and the seed 003 targets for context."""
    p = as_principal(actor)
    if not (p.is_admin or is_government(p)):
        raise Forbidden("只有政府用户可以查看上市培育漏斗", "Only government users see the listing funnel")
    ents = enterprises_in_scope(p)
    entries = ReserveEntry.objects.filter(enterprise__in=ents)
    tiers = []
    for value, label in Tier.choices:
        e = entries.filter(tier=value)
        tiers.append(
            {
                "tier": value,
                "label": str(label),
                "approved": e.filter(status=ReserveEntry.Status.APPROVED).count(),
                "nominated": e.filter(status=ReserveEntry.Status.NOMINATED).count(),
                "flagged": e.filter(status=ReserveEntry.Status.APPROVED, flagged=True).count(),
            }
        )
    furthest = (
        Milestone.objects.filter(enterprise__in=ents).values("enterprise_id").annotate(last=Max("date"))
    )
    reached = {s: 0 for s in STAGE_ORDER}
    per_ent: dict[int, int] = {}
    for enterprise_id, stage in Milestone.objects.filter(enterprise__in=ents).values_list(
        "enterprise_id", "stage"
    ):
        per_ent[enterprise_id] = max(per_ent.get(enterprise_id, 0), STAGE_ORDER.index(stage) + 1)
    for rank in per_ent.values():  # cumulative: an enterprise that listed has passed every stage
        for i in range(rank):
            reached[STAGE_ORDER[i]] += 1
    from .models import Stage

    stages = [{"stage": s, "label": str(Stage(s).label), "count": reached[s]} for s in STAGE_ORDER]
    synthetic = (
        entries.filter(is_synthetic=True).exists()
        or Milestone.objects.filter(enterprise__in=ents, is_synthetic=True).exists()
    )
    division = p.organization.division_id if p.organization is not None else None
    target = TARGETS.get(division or "")
    if target is not None:
        city_now = next(t["approved"] for t in tiers if t["tier"] == Tier.CITY) + next(
            t["approved"] for t in tiers if t["tier"] == Tier.CITY_KEY
        )
        target = target | {"city_reserve_now": city_now, "listed_now": reached[STAGE_ORDER[-1]]}
    return {
        "target": target,
        "tiers": tiers,
        "stages": stages,
        "enterprises_with_milestones": len(per_ent),
        "active": furthest.count(),
        "synthetic": synthetic,
    }


def listing_policies(actor) -> list:
    """Published policies tagged ``listing`` (上市挂牌) that this actor may see, from the policy
    module (jinfu.policy.selectors.search). Empty when the policy module is not installed."""
    try:
        from jinfu.policy import selectors as policy_selectors  # noqa: PLC0415
    except ImportError:
        return []
    return list(policy_selectors.search(actor, None, tag="listing")[:10])

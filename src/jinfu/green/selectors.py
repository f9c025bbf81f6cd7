"""Reads of the green module, always filtered by who is asking.

* An enterprise sees its own projects (any status) and their identifications, loans and carbon.
* An institution sees the project hall — confirmed projects published to institutions — and the
  projects it claimed; it sees its own loans only.
* A government office sees the pool of its jurisdiction (a city office: the whole city).
* The platform operator (admin) sees everything and is the assessor.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from jinfu.core.errors import NotFound
from jinfu.core.feeds import FeedSignal, FeedValue
from jinfu.core.models import Role
from jinfu.core.principal import Principal, as_principal

from . import engine, matching
from .models import (
    Catalogue,
    CatalogueItem,
    EnvCreditRating,
    GreenLoan,
    GreenNotice,
    GreenProduct,
    GreenProject,
    GreenReport,
    Identification,
    Tier,
)

LATEST = "gfspc2025"


def catalogues() -> QuerySet[Catalogue]:
    return Catalogue.objects.prefetch_related("items")


def catalogue_items(code: str = LATEST) -> QuerySet[CatalogueItem]:
    return CatalogueItem.objects.filter(catalogue__code=code).select_related("catalogue")


def item_index() -> dict[tuple[str, str], CatalogueItem]:
    return {(i.catalogue.code, i.code): i for i in CatalogueItem.objects.select_related("catalogue")}


def projects_for(actor) -> QuerySet[GreenProject]:
    p = as_principal(actor)
    qs = GreenProject.objects.select_related("enterprise", "item__catalogue", "division")
    if p.is_admin:
        return qs
    if p.role == Role.ENTERPRISE:
        return qs.filter(enterprise_id=p.org_id)
    if p.role == Role.INSTITUTION:
        hall = Q(status=GreenProject.Status.CONFIRMED, published=True)
        return qs.filter(hall | Q(loans__institution_id=p.org_id)).distinct()
    if p.role == Role.GOVERNMENT and p.organization is not None:
        if p.jurisdiction.citywide:
            return qs
        return qs.filter(p.jurisdiction.q("division", None))
    return qs.none()


FILTERS = ("q", "item", "tier", "division", "status")


def filter_projects(qs: QuerySet[GreenProject], params) -> tuple[QuerySet[GreenProject], dict[str, str]]:
    """A project list narrowed by the page's filters (name, catalogue item, tier, district, status); the
    export reads the same query string, so it holds exactly the rows the page lists."""
    f = {k: (params.get(k) or "").strip() for k in FILTERS}
    if f["q"]:
        qs = qs.filter(name__icontains=f["q"])
    if f["item"]:
        qs = qs.filter(item__code=f["item"], item__catalogue__code=LATEST)
    if f["tier"]:
        qs = qs.filter(tier="" if f["tier"] == "none" else f["tier"])
    if f["division"]:
        qs = qs.filter(division_id=f["division"])
    if f["status"]:
        qs = qs.filter(status=f["status"])
    return qs, f


def hall_for(actor) -> QuerySet[GreenProject]:
    """Published, confirmed projects an institution may claim."""
    return projects_for(actor).filter(status=GreenProject.Status.CONFIRMED, published=True)


def get_project(actor, pk: int) -> GreenProject:
    project = projects_for(actor).filter(pk=pk).first()
    if project is None:
        raise NotFound("项目不存在或无权查看", "Project not found")
    return project


def latest_identification(project: GreenProject) -> Identification | None:
    return project.identifications.select_related("catalogue").first()


def loans_for(actor, project: GreenProject | None = None) -> QuerySet[GreenLoan]:
    p = as_principal(actor)
    qs = GreenLoan.objects.select_related("project", "institution")
    if project is not None:
        qs = qs.filter(project=project)
    if p.is_admin:
        return qs
    if p.role == Role.INSTITUTION:
        return qs.filter(institution_id=p.org_id)
    if p.role == Role.ENTERPRISE:
        return qs.filter(project__enterprise_id=p.org_id)
    if p.role == Role.GOVERNMENT and p.organization is not None:
        return qs.filter(project__in=projects_for(p))
    return qs.none()


def project_carbon(project: GreenProject) -> engine.Figure:
    return engine.carbon_one(
        project.output_kind, project.annual_output, project.output_unit, project.factor_year, project.grid
    )


def loan_carbon(loan: GreenLoan) -> engine.Figure | None:
    if loan.amount is None:
        return None
    return engine.loan_reduction(
        project_carbon(loan.project).value, loan.amount, loan.project.total_investment
    )


def portfolio_carbon(actor) -> dict:
    """An institution's green loans: each loan's attributed annual reduction with its working, and the sum."""
    rows, total = [], Decimal(0)
    for loan in loans_for(actor).filter(amount__isnull=False):
        fig = loan_carbon(loan)
        rows.append({"loan": loan, "figure": fig})
        total += fig.value
    return {"rows": rows, "total": total}


def pool_summary(actor) -> dict:
    """Counts by tier, catalogue item and district; financing facilitated; carbon reduced (government)."""
    p: Principal = as_principal(actor)
    qs = projects_for(p)
    by_tier: dict[str, int] = {}
    by_item: dict[str, int] = {}
    by_district: dict[str, int] = {}
    carbon, confirmed = Decimal(0), 0
    for project in qs:
        tier = project.get_tier_display() if project.tier else "未分层"
        by_tier[tier] = by_tier.get(tier, 0) + 1
        by_item[project.item.name] = by_item.get(project.item.name, 0) + 1
        by_district[project.division.name] = by_district.get(project.division.name, 0) + 1
        if project.status == GreenProject.Status.CONFIRMED:
            carbon += project_carbon(project).value
            confirmed += 1
    financed = sum((loan.amount for loan in loans_for(p).filter(amount__isnull=False)), Decimal(0))
    return {
        "count": qs.count(),
        "by_tier": sorted(by_tier.items()),
        "by_item": sorted(by_item.items()),
        "by_district": sorted(by_district.items()),
        "financed": financed,
        "carbon": carbon,
        "confirmed": confirmed,
        "synthetic": qs.filter(is_synthetic=True).exists(),
    }


def products_for(actor) -> QuerySet[GreenProduct]:
    """An institution manages its own products; everyone signed in sees the active ones (the showcase)."""
    p = as_principal(actor)
    qs = GreenProduct.objects.select_related("institution")
    if p.role == Role.INSTITUTION:
        return qs.filter(Q(institution_id=p.org_id) | Q(active=True))
    return qs.filter(active=True)


def _row(project: GreenProject) -> dict:
    try:
        reduction = float(project_carbon(project).value)
    except engine.GreenInputError:
        reduction = None
    return matching.project_row(
        {
            "catalogue_item": project.item.code,
            "total_investment": float(project.total_investment),
            "financing_need": float(project.financing_need),
            "construction_months": project.construction_months,
            "annual_reduction": reduction,
            "division_code": project.division_id,
        }
    )


def matched_products(actor, project: GreenProject) -> list[dict]:
    """Active green products whose rule the (visible) project meets, each with its reasons."""
    row = _row(project)
    out = []
    for product in GreenProduct.objects.filter(active=True).select_related("institution"):
        ok, reasons = matching.match(product.rule, row)
        if ok:
            out.append({"product": product, "reasons": reasons})
    return out


def reports_for(actor) -> QuerySet[GreenReport]:
    """Quarterly figures: an institution its own; a finance office those of institutions in its
    jurisdiction; the operator all."""
    p = as_principal(actor)
    qs = GreenReport.objects.select_related("institution")
    if p.is_admin:
        return qs
    if p.role == Role.INSTITUTION:
        return qs.filter(institution_id=p.org_id)
    if p.role == Role.GOVERNMENT and p.organization is not None:
        return qs if p.jurisdiction.citywide else qs.filter(p.jurisdiction.q("institution__division", None))
    return qs.none()


def evaluation_periods(actor) -> list[tuple[int, int]]:
    return list(reports_for(actor).order_by("-year", "-quarter").values_list("year", "quarter").distinct())


def evaluation(actor, year: int, quarter: int) -> list[engine.Evaluation]:
    """The 绿色金融评价 of one quarter for a finance office (or the operator): the institutions of its
    jurisdiction that reported, evaluated among themselves (the peer bounds and the market total in the
    working are theirs only), ranked, each score with its working."""
    p = as_principal(actor)
    if not (p.is_admin or p.role == Role.GOVERNMENT):
        return []
    rows = [
        {
            "institution": r.institution,
            "report": r,
            **{
                k: getattr(r, k)
                for k in ("green_balance", "prior_green_balance", "total_balance", "green_risk")
            },
            **{k: getattr(r, k) for k in engine.QUAL_ITEMS},
        }
        for r in reports_for(p).filter(year=year, quarter=quarter)
    ]
    return engine.evaluate(rows)


# ---------------------------------------------------------------------------
# Green news and notices: published ones to every signed-in user; drafts and withdrawn ones only to the
# organization that wrote them (and the operator, who manages all).
# ---------------------------------------------------------------------------


def published_notices() -> QuerySet[GreenNotice]:
    return GreenNotice.objects.filter(status=GreenNotice.Status.PUBLISHED).select_related("publisher")


def managed_notices(actor) -> QuerySet[GreenNotice]:
    """Every notice (any status) this principal manages: its finance office's, or all for the operator;
    none for anybody else."""
    p = as_principal(actor)
    qs = GreenNotice.objects.select_related("publisher").order_by("-updated_at", "-pk")
    if p.is_admin:
        return qs
    if p.role == Role.GOVERNMENT and p.org_id is not None:
        return qs.filter(publisher_id=p.org_id)
    return qs.none()


def get_notice(actor, pk: int) -> GreenNotice:
    """A published notice, or one this principal manages; otherwise 404 (a draft's existence is not told)."""
    notice = (published_notices() | managed_notices(actor)).filter(pk=pk).first()
    if notice is None:
        raise NotFound("通知不存在或已撤回", "Notice not found or withdrawn")
    return notice


def can_manage_notices(actor) -> bool:
    p = as_principal(actor)
    return p.is_admin or (p.role == Role.GOVERNMENT and p.org_id is not None)


# Indicator feeds (GreenConfig.contract.indicator_feeds): platform figures over a jurisdiction and a period,
# from the projects and the loans recorded on the platform only (not the banks' statistical returns).
# ---------------------------------------------------------------------------


def _projects_in(jurisdiction) -> QuerySet[GreenProject]:
    qs = GreenProject.objects.all()
    return qs if jurisdiction.citywide else qs.filter(jurisdiction.q("division", "enterprise__zone"))


def _recorded_loans_in(jurisdiction) -> QuerySet[GreenLoan]:
    qs = GreenLoan.objects.filter(amount__isnull=False).select_related("project")
    if jurisdiction.citywide:
        return qs
    return qs.filter(jurisdiction.q("project__division", "project__enterprise__zone"))


def feed_loan_balance(jurisdiction, start: dt.date, end: dt.date) -> FeedValue:
    """绿色贷款余额（平台登记）: the outstanding balance of the green loans institutions recorded on the
    platform against projects in the jurisdiction (万元), as it stands."""
    loans = _recorded_loans_in(jurisdiction)
    total = loans.aggregate(s=Sum("outstanding"))["s"] or Decimal(0)
    return FeedValue(
        float(total),
        loans.count(),
        loans.filter(is_synthetic=True).exists(),
        _by_borrower(loans, "outstanding"),
    )


def _by_borrower(loans, field: str) -> tuple[float, ...]:
    """Each borrowing enterprise's part of the loans' sum of ``field`` (for the disclosure check)."""
    rows = loans.values("project__enterprise_id").annotate(s=Sum(field)).values_list("s", flat=True)
    return tuple(float(s or 0) for s in rows.order_by())


def _tier_feed(tier: str):
    def feed(jurisdiction, start: dt.date, end: dt.date) -> FeedValue:
        pool = _projects_in(jurisdiction).filter(status=GreenProject.Status.CONFIRMED)
        hits = pool.filter(tier=tier)
        return FeedValue(float(hits.count()), pool.count(), pool.filter(is_synthetic=True).exists())

    feed.__doc__ = f"绿色项目库（{tier}）: confirmed projects of this tier now."
    return feed


feed_pool_reserve = _tier_feed(Tier.RESERVE)
feed_pool_pool = _tier_feed(Tier.POOL)
feed_pool_recommended = _tier_feed(Tier.RECOMMENDED)


def feed_financing(jurisdiction, start: dt.date, end: dt.date) -> FeedValue:
    """撮合融资金额: green loans recorded on the platform with a grant date from ``start`` to ``end`` (万元)."""
    loans = _recorded_loans_in(jurisdiction).filter(granted_on__gte=start, granted_on__lte=end)
    total = loans.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    return FeedValue(
        float(total), loans.count(), loans.filter(is_synthetic=True).exists(), _by_borrower(loans, "amount")
    )


def feed_carbon(jurisdiction, start: dt.date, end: dt.date) -> FeedValue:
    """碳减排量（tCO2/年）: the annual reduction attributed to the green loans recorded on the platform (碳减排
    支持工具 method: project reduction × loan ÷ total investment), as they stand."""
    loans = list(_recorded_loans_in(jurisdiction))
    by_borrower: dict[int, Decimal] = defaultdict(Decimal)
    for loan in loans:
        by_borrower[loan.project.enterprise_id] += loan_carbon(loan).value
    return FeedValue(
        float(sum(by_borrower.values(), Decimal(0))),
        len(loans),
        any(loan.is_synthetic for loan in loans),
        tuple(float(v) for v in by_borrower.values()),  # each borrower's part: the disclosure check
    )


# ---------------------------------------------------------------------------
# The signal source (GreenConfig.contract.signal_sources): green's risk warnings that are green's own facts
# — a withdrawn 绿色 label, a downgraded 企业环境信用评价. An environmental penalty is not handed over: risk
# already counts the same penalty record (credit's) in 违规度, and would count it twice.
# ---------------------------------------------------------------------------

RISK_SIGNAL_SOURCE = "green.risk_warnings"


def downgrade_text(before: EnvCreditRating, after: EnvCreditRating) -> str:
    return (
        f"企业环境信用评价由{before.rating_year}年度的“{before.rating}”降为{after.rating_year}年度的"
        f"“{after.rating}”（{after.authority}，{after.document_number}）"
    )


def _revocations(since: dt.date | None) -> list[FeedSignal]:
    qs = Identification.objects.filter(decision=Identification.Decision.REVOKED).select_related("project")
    if since is not None:
        qs = qs.filter(decided_at__date__gte=since)
    return [
        FeedSignal(
            source=RISK_SIGNAL_SOURCE,
            record=f"revoked:{i.pk}",
            enterprise_id=i.project.enterprise_id,
            occurred_on=timezone.localtime(i.decided_at).date(),
            kind="label_revoked",
            kind_label="绿色认定撤销",
            text=f"项目「{i.project.name}」的绿色认定已撤销，理由：{i.reason}",
            is_synthetic=i.project.is_synthetic,
        )
        for i in qs
        if i.decided_at is not None
    ]


def _downgrades(since: dt.date | None) -> list[FeedSignal]:
    out: list[FeedSignal] = []
    last: dict[int, EnvCreditRating] = {}
    for r in EnvCreditRating.objects.order_by("enterprise_id", "rating_year"):
        before = last.get(r.enterprise_id)
        last[r.enterprise_id] = r
        day = timezone.localtime(r.created_at).date()
        if before is None or r.rank <= before.rank or (since is not None and day < since):
            continue
        out.append(
            FeedSignal(
                source=RISK_SIGNAL_SOURCE,
                record=f"env_credit:{r.pk}:{r.rank}",
                enterprise_id=r.enterprise_id,
                occurred_on=day,
                kind="env_credit_downgrade",
                kind_label="企业环境信用评价降级",
                text=downgrade_text(before, r),
                is_synthetic=r.is_synthetic,
            )
        )
    return out


def risk_signals(since: dt.date | None = None) -> list[FeedSignal]:
    """Green's risk signals for the kernel's signal sinks, with provenance (record id, date)."""
    return _revocations(since) + _downgrades(since)

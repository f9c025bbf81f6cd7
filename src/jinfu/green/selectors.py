"""Reads of the green module, always filtered by who is asking.

* An enterprise sees its own projects (any status) and their identifications, loans and carbon.
* An institution sees the project hall — confirmed projects published to institutions — and the
  projects it claimed; it sees its own loans only.
* A government office sees the pool of its jurisdiction (a city office: the whole city).
* The platform operator (admin) sees everything and is the assessor.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet

from jinfu.core.errors import NotFound
from jinfu.core.models import Role
from jinfu.core.principal import Principal, as_principal

from . import engine, matching
from .models import (
    Catalogue,
    CatalogueItem,
    GreenLoan,
    GreenNotice,
    GreenProduct,
    GreenProject,
    GreenReport,
    Identification,
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

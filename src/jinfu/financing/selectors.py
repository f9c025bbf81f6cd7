"""Reads of the financing service, filtered by who asks; matching through the pure engine."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import polars as pl
from django.db.models import Avg, Count, F, Q, Sum
from django.utils import timezone

from jinfu.core import dataversion
from jinfu.core import jurisdiction as jur
from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.features import cached_feature_row, features_keys
from jinfu.core.models import Division, Grant, Organization, Role, Scope
from jinfu.core.principal import as_principal
from jinfu.core.reference.workdays import workdays_between
from jinfu.core.selectors import enterprise_figures, live_grant_scopes, readable_scopes_many

from . import engine, rulebook
from .models import Application, Demand, DemandClaim, Fund, Product, RoadshowEvent, RoadshowProject


def _filter_amount(value) -> Decimal | None:
    """The market's amount filter (万元) as typed in the query string: a positive, plausible number."""
    if value is None or str(value).strip() == "":
        return None
    try:
        d = Decimal(str(value).replace(",", "").strip())
    except ArithmeticError:
        d = None
    if d is None or not d.is_finite() or not 0 < d <= Decimal("10000000"):
        raise ValidationFailed(
            "金额应为大于 0 的数字（万元）", "amount must be a positive number (万元)", field="amount"
        )
    return d


def _filter_term(value) -> int | None:
    """The market's term filter: whole months, 1–360."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= 360):
        raise ValidationFailed(
            "期限应为 1–360 之间的整数（月）", "term must be a whole number of months, 1-360", field="term"
        )
    return int(text)


# 产品超市 sort orders (allow-list): key -> (label, ordering); a trailing pk keeps pages stable.
MARKET_SORTS = {
    "latest": ("最新发布", (F("published_at").desc(nulls_last=True), "-pk")),
    "rate": ("利率从低到高", ("rate_min", "rate_max", "name", "pk")),
    "amount": ("额度从高到低", ("-amount_max", "-amount_min", "name", "pk")),
    "term": ("期限从长到短", ("-term_max", "-term_min", "name", "pk")),
}
MARKET_DEFAULT_SORT = "latest"


def market_sort(value) -> str:
    """The market's sort key from the query string; anything not on the allow-list is the default."""
    return value if isinstance(value, str) and value in MARKET_SORTS else MARKET_DEFAULT_SORT


def catalog(
    actor,
    *,
    category=None,
    subtype=None,
    amount=None,
    term=None,
    q=None,
    institution_id=None,
    sort: str = "rate",
):
    """产品超市: published products (institutions also see their own drafts in their workbench), in the
    order of ``sort`` (a MARKET_SORTS key; unknown values give the default)."""
    amount, term = _filter_amount(amount), _filter_term(term)
    qs = Product.objects.filter(status=Product.Status.PUBLISHED).select_related(
        "institution", "institution__institution"
    )
    if category:
        qs = qs.filter(category=category)
    if subtype:
        qs = qs.filter(subtype=subtype)
    if amount:
        qs = qs.filter(amount_min__lte=amount, amount_max__gte=amount)
    if term:
        qs = qs.filter(term_min__lte=term, term_max__gte=term)
    if institution_id:
        qs = qs.filter(institution_id=institution_id)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(institution__name__icontains=q) | Q(description__icontains=q))
    return qs.order_by(*MARKET_SORTS[market_sort(sort)][1])


#: what the market's grid shows besides the enterprise's own features: products, institutions, contacts
MARKET_TABLES = ("financing.Product", "core.Organization", "core.InstitutionProfile")


def market_version(actor, parts) -> str:
    """Changes whenever the market grid would for this viewer and ``parts`` (filters, sort, page): the
    catalog, the institutions' names and contacts, and for an enterprise its own feature row (eligibility)."""
    p = as_principal(actor)
    keys = [*dataversion.table_keys(*MARKET_TABLES)]
    if p.role == Role.ENTERPRISE:
        keys += features_keys(p.org_id)
    viewer = (p.role, p.org_id, p.is_admin)
    return dataversion.version(keys, ("financing.market", viewer, parts, timezone.localdate()))


def market_eligibility(actor, products) -> dict[int, bool]:
    """For a logged-in enterprise: product id -> whether its own feature row (one per request) passes the
    product's eligibility rule. Empty for every other role, and for an enterprise without a profile."""
    p = as_principal(actor)
    if p.role != Role.ENTERPRISE or p.organization is None:
        return {}
    products = list(products)
    row = cached_feature_row(p.org_id)  # computed once per change of the enterprise's features
    if not row or not products:
        return {}
    flags, _why = rulebook.eligibility_for(row, products, explain=False)
    return {product.pk: ok for product, ok in zip(products, flags, strict=True)}


def own_products(actor):
    p = as_principal(actor)
    if p.role != Role.INSTITUTION:
        return Product.objects.none()
    return Product.objects.filter(institution_id=p.org_id).order_by("status", "name")


def get_product(actor, pk: int) -> Product:
    p = as_principal(actor)
    product = Product.objects.select_related("institution", "institution__institution").filter(pk=pk).first()
    if product is None or (
        product.status != Product.Status.PUBLISHED and product.institution_id != p.org_id and not p.is_admin
    ):
        raise NotFound("产品不存在或未发布", "Product not found or not published")
    return product


def _need(row: dict, demand: Demand | None) -> dict:
    if demand is not None:
        return {
            "amount": float(demand.amount),
            "term": demand.term_months,
            "collateral_offered": list(demand.collateral_offered),
            "credit_grade": row.get("credit_grade"),
            "source": "demand",
        }
    need = engine.infer_need(row.get("revenue"))
    return need | {"credit_grade": row.get("credit_grade"), "source": "inferred"}


def products_frame(products: list[Product]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "product_id": [p.pk for p in products],
            "amount_min": [float(p.amount_min) for p in products],
            "amount_max": [float(p.amount_max) for p in products],
            "term_min": [p.term_min for p in products],
            "term_max": [p.term_max for p in products],
            "rate_min": [float(p.rate_min) for p in products],
            "rate_max": [float(p.rate_max) for p in products],
            "collateral": [list(p.collateral) for p in products],
            "policy_support": [list(p.policy_support) for p in products],
            "expected_days": [p.expected_days for p in products],
        },
        schema_overrides={"collateral": pl.List(pl.Utf8), "policy_support": pl.List(pl.Utf8)},
    )


def matches_for(
    actor,
    *,
    demand_id: int | None = None,
    category: str | None = None,
    limit: int = 50,
    near_misses: int = 20,
    with_figures: bool = True,
    with_products: bool = True,
) -> dict:
    """The match list for the asking enterprise: eligible products ranked with the score breakdown and
    why (the best ``limit``), and the ``near_misses`` ineligible products it comes closest to (fewest failed
    clauses) with the failed clauses and how far off. ``with_figures``: also the enterprise's figures (the
    page shows them; the API does not). ``with_products``: each result with its Product (the page's cards);
    without, the results carry the product's name only (the API).

    A cache hit costs the demand, one read of the data versions and (``with_products``) the products shown:
    no catalog, no Polars."""
    p = as_principal(actor)
    if p.role != Role.ENTERPRISE or p.organization is None:
        raise Forbidden("只有企业可以查看匹配结果", "Only enterprises see their matches")
    demand = (
        Demand.objects.filter(pk=demand_id, enterprise_id=p.org_id).first()
        if demand_id
        else (
            Demand.objects.filter(enterprise_id=p.org_id, status__in=["open", "claimed"])
            .order_by("-created_at")
            .first()
        )
    )
    keys = [*features_keys(p.org_id), *dataversion.table_keys(*MATCH_TABLES)]
    known = dataversion.read(keys)  # one query for both cached results, read before either is computed
    row = cached_feature_row(p.org_id, known)
    need = _need(row, demand)
    figures = enterprise_figures(p.org_id, row) if row and with_figures else None
    qs = Product.objects.filter(status=Product.Status.PUBLISHED)
    parts = (p.org_id, timezone.localdate(), sorted(need.items()), category, limit, near_misses)
    found, hit = dataversion.cached(
        "financing.match",
        keys,
        parts,
        lambda: _match(qs, row, need, category, limit, near_misses),
        known=known,
    )
    if with_products:
        shown = _products_shown(qs, found)
        if shown is None:  # a product shown was taken off the catalog meanwhile
            found, hit = _match(qs, row, need, category, limit, near_misses), False
            shown = rulebook.match_catalog(qs).by_id
        results = [r | {"product": shown[r["product_id"]]} for r in found["results"]]
    else:  # the cached result is keyed on the catalog's version: its names are the current ones
        results = found["results"]
    return {
        "need": need,
        "demand": demand,
        "results": results,
        "row": row,
        "figures": figures,
        "eligible_count": found["eligible_count"],
        "total": found["total"],
        "cache_hit": hit,
    }


def _products_shown(qs, found: dict) -> dict | None:
    """The published products a match result names (one query), or None when one is no longer published."""
    ids = [r["product_id"] for r in found["results"]]
    products = qs.select_related("institution").in_bulk(ids)
    return products if len(products) == len(set(ids)) else None


#: what a match reads besides the enterprise's feature row: the catalog, and the names its explanations use
MATCH_TABLES = ("financing.Product", "core.Industry", "core.Division", "core.Zone")


def _match(qs, row: dict, need: dict, category, limit: int, near_misses: int) -> dict:
    """The match computed (plain values: product ids, no model objects, so that it can be cached)."""
    cat = rulebook.match_catalog(qs)
    picked = [i for i, pr in enumerate(cat.products) if not category or pr.category == category]
    if not picked:
        return {"results": [], "eligible_count": 0, "total": 0}
    flags, failed = cat.evaluate(row)
    frame = _frame_for(cat, picked)
    misses = sorted((i for i in picked if not flags[i]), key=lambda i: (failed[i], i))[:near_misses]
    why = {cat.products[i].pk: cat.explain(i, row) for i in misses}
    ranked = engine.rank_for_enterprise(
        need, frame, [flags[i] for i in picked], explanations=why, limit=limit
    )
    ranked_rows = [r | {"product_name": cat.by_id[r["product_id"]].name} for r in ranked.to_dicts()]
    eligible = [r for r in ranked_rows if r["eligible"]]
    rest = sorted((r for r in ranked_rows if not r["eligible"]), key=lambda r: len(r["failed_clauses"]))
    return {
        "results": eligible + rest,
        "eligible_count": sum(1 for i in picked if flags[i]),
        "total": len(picked),
    }


_FRAMES: dict = {}


def _frame_for(cat, picked: list[int]):
    key = (id(cat), tuple(picked) if len(picked) < len(cat.products) else None)
    if key not in _FRAMES:
        if len(_FRAMES) > 32:
            _FRAMES.clear()
        _FRAMES[key] = engine.prepare_products(products_frame([cat.products[i] for i in picked]))
    return _FRAMES[key]


# ---------------------------------------------------------------------------
# Demands
# ---------------------------------------------------------------------------


def own_demands(actor):
    p = as_principal(actor)
    return (
        Demand.objects.filter(enterprise_id=p.org_id)
        .prefetch_related("claims__institution")
        .order_by("-created_at", "-pk")
        if (p.role == Role.ENTERPRISE)
        else Demand.objects.none()
    )


# The consent scope a demand-hall field needs when the enterprise did not publish it on the demand. Name,
# industry and district are public registration data, hidden in the hall so that demands are anonymous
# until the enterprise authorizes the institution (basic); revenue is financial data (financials).
HALL_FIELD_SCOPES = {
    "name": Scope.BASIC,
    "industry": Scope.BASIC,
    "division": Scope.BASIC,
    "size_class": Scope.BASIC,
    "employees": Scope.BASIC,
    "revenue": Scope.FINANCIALS,
}


def _hall_needed(demand: Demand, granted_scopes: set[str]) -> set[str]:
    """The scopes a demand's card would read beyond what its enterprise published on it, among those the
    enterprise grants the institution (``granted_scopes``: a one-query pre-filter; the check decides)."""
    if getattr(demand.enterprise, "enterprise", None) is None:
        return set()
    published = set(demand.visible_fields)
    return {HALL_FIELD_SCOPES[f] for f in HALL_FIELD_SCOPES if f not in published} & granted_scopes


def _hall_facts(demand: Demand, granted: set[str]) -> dict:
    """A demand's card: the fields its enterprise published on the demand, plus each other field whose
    scope the kernel consent check let this institution read (``granted``; one check and one access record
    per scope per display)."""
    ent = demand.enterprise
    profile = getattr(ent, "enterprise", None)
    published = set(demand.visible_fields)
    shown = published | {f for f, scope in HALL_FIELD_SCOPES.items() if scope in granted}
    values = {
        "name": ent.name,
        "industry": profile.industry.name if profile else None,
        "division": ent.division.name if ent.division else None,
        "size_class": (profile.get_size_class_display() or None) if profile else None,
        "revenue": profile.revenue if profile else None,
        "employees": profile.employees if profile else None,
    }
    return {f: (v if f in shown else None) for f, v in values.items()}


#: the most demands one hall read returns (an export, an API page); the page shows HALL_PAGE_SIZE at a time
HALL_MAX = 200
HALL_PAGE_SIZE = 20


def hall_demands(actor):
    """揭榜大厅's demands, newest most urgent first (a queryset: page it, then :func:`hall_rows`)."""
    p = as_principal(actor)
    if p.role != Role.INSTITUTION and not p.is_admin:
        raise Forbidden("只有金融机构可以进入揭榜大厅", "Only institutions see the demand hall")
    return (
        Demand.objects.filter(
            status__in=[Demand.Status.OPEN, Demand.Status.CLAIMED], expires_at__gt=timezone.now()
        )
        .select_related("enterprise__division", "enterprise__enterprise__industry")
        .prefetch_related("claims__institution")
        .order_by("-urgency", "-created_at", "-pk")
    )


def hall_rows(actor, demands) -> list[dict]:
    """The hall rows of ``demands`` (the ones shown): each showing only the fields its enterprise chose to
    show — every other field appears once the enterprise authorizes this institution for the field's scope,
    and each such display is checked and recorded by the kernel consent check (only the demands shown are
    read, so only they are recorded)."""
    p = as_principal(actor)
    demands = list(demands)
    grants = live_grant_scopes(p.organization, enterprise_ids=[d.enterprise_id for d in demands])
    wanted = [(d.enterprise, _hall_needed(d, grants.get(d.enterprise_id, set()))) for d in demands]
    read = readable_scopes_many(p, wanted, live=grants)  # one grant query, one insert of access records
    out = []
    for d, scopes_read in zip(demands, read, strict=True):
        active = next((c for c in d.claims.all() if c.status == DemandClaim.Status.ACTIVE), None)
        out.append(
            {
                "demand": d,
                "facts": _hall_facts(d, scopes_read),
                "granted": Scope.BASIC in scopes_read,
                "claim": active,
                "mine": bool(active and active.institution_id == p.org_id),
            }
        )
    return out


def demand_hall(actor, *, offset: int = 0, limit: int = HALL_MAX) -> list[dict]:
    """揭榜大厅 for institutions: ``limit`` open and claimed demands from ``offset`` (:func:`hall_rows`)."""
    return hall_rows(actor, hall_demands(actor)[offset : offset + min(limit, HALL_MAX)])


# ---------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------


def applications_for(actor, *, status: str | None = None):
    p = as_principal(actor)
    qs = Application.objects.select_related("enterprise", "product", "institution")
    if p.is_admin:
        pass
    elif p.role == Role.ENTERPRISE:
        qs = qs.filter(enterprise_id=p.org_id)
    elif p.role == Role.INSTITUTION:
        qs = qs.filter(institution_id=p.org_id)
    else:
        return qs.none()
    if status:
        qs = qs.filter(status=status)
    return qs


def get_application(actor, pk: int) -> Application:
    app = applications_for(actor).filter(pk=pk).first()
    if app is None:
        raise NotFound("申请不存在或无权查看", "Application not found or not visible")
    return app


def queue(actor) -> list[dict]:
    """The institution's queue: open applications with their SLA (working days left, overdue first)."""
    today = timezone.localdate()
    rows = []
    for app in applications_for(actor).exclude(status__in=["disbursed", "rejected", "withdrawn"]):
        left = (
            workdays_between(today, app.stage_due, estimate=True)
            if app.stage_due and app.stage_due >= today
            else (-workdays_between(app.stage_due, today, estimate=True) if app.stage_due else None)
        )
        rows.append({"app": app, "days_left": left, "overdue": left is not None and left < 0})
    rows.sort(key=lambda r: (not r["overdue"], r["days_left"] if r["days_left"] is not None else 999))
    return rows


# ---------------------------------------------------------------------------
# KPIs
# ---------------------------------------------------------------------------


def kpi_divisions(actor) -> list[tuple[str, str]]:
    """The districts and counties of Chongqing (GB/T 2260 reference data) this actor may pick on the KPI
    page: every one for the city level and the admin, its own for a district or street office, none for a
    zone office (its figures are its zone's)."""
    j = as_principal(actor).jurisdiction
    divisions = Division.objects.filter(level=Division.Level.COUNTY, code__startswith="50").order_by("code")
    if not j.citywide:
        divisions = divisions.filter(code=j.division) if j.division else divisions.none()
    return list(divisions.values_list("code", "name"))


def _kpi_scope(p, division: str | None) -> tuple[Q, str]:
    """The filter on enterprises (field paths from Organization) and the label of the KPIs' scope:
    a division asked for, if the jurisdiction covers it (403 otherwise); else the whole jurisdiction."""
    j = p.jurisdiction
    if division:
        if not j.covers(division, None):
            raise Forbidden(
                "您只能查看本辖区的平台指标",
                f"division {division} is outside your jurisdiction; you may only see your own",
                code="jurisdiction",
            )
        name = (
            Division.objects.filter(pk=division, code__startswith="50").values_list("name", flat=True).first()
        )
        if name is None:
            raise ValidationFailed(
                f"未知的区县代码：{division}",
                f"unknown Chongqing division code {division!r}",
                field="division",
            )
        return Q(division_id=division), name
    if j.level in (jur.DIVISION, jur.STREET):
        return j.q(), Division.objects.filter(pk=j.division).values_list(
            "name", flat=True
        ).first() or j.division
    if j.level == jur.ZONE:
        return j.q(), p.organization.zone.name
    return j.q(), j.label


KPI_YEARS = (2000, 2100)  # the platform's records start this century; a year outside is a typo, not a query


def kpis(actor, *, year: int | None = None, division: str | None = None) -> dict:
    """Platform KPIs (the figures 004 reports for 高新金服, and more): by period and district, over the
    asker's jurisdiction by default (a district office its district; the city level and the admin the
    whole city or a district they pick)."""
    p = as_principal(actor)
    if not (p.is_admin or p.role in (Role.GOVERNMENT, Role.REGULATOR)):
        raise Forbidden("平台指标仅对政府用户开放", "Platform KPIs are for government users")
    if year is not None and not KPI_YEARS[0] <= year <= KPI_YEARS[1]:
        raise ValidationFailed(
            f"年份应在 {KPI_YEARS[0]}–{KPI_YEARS[1]} 之间",
            f"year must be {KPI_YEARS[0]}-{KPI_YEARS[1]}",
            field="year",
        )
    scope, scope_label = _kpi_scope(p, division)  # refuses another jurisdiction before the cache
    # live grants change with the clock (expiry) without a write: the minute is part of the key
    minute = timezone.now().replace(second=0, microsecond=0)
    out, _hit = dataversion.cached(
        "financing.kpis",
        dataversion.table_keys(*KPI_TABLES),
        (p.is_admin, p.jurisdiction, year, division, minute),
        lambda: _kpis(p, scope, scope_label, year, division),
    )
    return out


#: what the KPI page reads: computed once per change of these tables (and per viewer scope and minute)
KPI_TABLES = (
    "financing.Application",
    "financing.Product",
    "core.Organization",
    "core.Grant",
    "core.Division",
    "core.Zone",
    "core.HolidayNotice",
    "core.HolidayDay",
)


def _kpis(p, scope: Q, scope_label: str, year: int | None, division: str | None) -> dict:
    enterprises = Organization.objects.filter(scope, kind=Organization.Kind.ENTERPRISE)
    apps = Application.objects.filter(enterprise__in=enterprises)
    if year:
        apps = apps.filter(submitted_at__year=year)
    decided = apps.filter(status__in=["approved", "disbursed", "rejected"])
    disbursed = apps.filter(status="disbursed")
    approved_n = apps.filter(status__in=["approved", "disbursed"]).count()
    credit_types = ["credit", "knowledge_value", "business_value", "first_loan"]
    total_amt = disbursed.aggregate(s=Sum("approved_amount"))["s"] or Decimal(0)
    credit_amt = (
        disbursed.filter(product__subtype__in=credit_types).aggregate(s=Sum("approved_amount"))["s"] or 0
    )
    days = [
        workdays_between(a.submitted_at.date(), a.decided_at.date(), estimate=True)
        for a in decided.exclude(decided_at=None).only("submitted_at", "decided_at")
    ]
    by_division = list(
        disbursed.values("enterprise__division__name")
        .annotate(n=Count("pk"), amount=Sum("approved_amount"))
        .order_by("-amount")
    )
    by_month = defaultdict(lambda: {"n": 0, "amount": Decimal(0)})
    for a in disbursed.only("disbursed_on", "approved_amount"):
        if a.disbursed_on:
            key = a.disbursed_on.strftime("%Y-%m")
            by_month[key]["n"] += 1
            by_month[key]["amount"] += a.approved_amount or Decimal(0)  # summed exactly, shown as float
    for month in by_month.values():
        month["amount"] = float(month["amount"])
    return {
        "enterprises": enterprises.count(),
        "institutions": Organization.objects.filter(kind=Organization.Kind.INSTITUTION).count(),
        "products": Product.objects.filter(status=Product.Status.PUBLISHED).count(),
        "applications": apps.count(),
        "decided": decided.count(),
        "approval_rate": (approved_n / decided.count()) if decided.count() else None,
        "disbursed": disbursed.count(),
        "financing_amount": float(total_amt),
        "first_loan_customers": disbursed.filter(is_first_loan=True).values("enterprise").distinct().count(),
        "credit_loan_share": (float(credit_amt) / float(total_amt)) if total_amt else None,
        "avg_days_to_decision": (sum(days) / len(days)) if days else None,
        "avg_rate": disbursed.aggregate(r=Avg("rate"))["r"],
        "by_division": by_division,
        "by_month": sorted(by_month.items()),
        "synthetic": apps.filter(is_synthetic=True).exists(),
        "grants_live": Grant.objects.filter(
            enterprise__in=enterprises, revoked_at=None, expires_at__gt=timezone.now()
        ).count(),
        "year": year,
        "division": division,
        "scope_label": scope_label,
        "divisions": kpi_divisions(p),
    }


def disbursed_by_enterprise(actor) -> dict:
    """What the 数据大屏 shows of financing: the disbursed loans of the enterprises in the asker's
    jurisdiction (government users and the admin), summed per enterprise with its district, so that
    core.screen can withhold groups below the disclosure threshold."""
    p = as_principal(actor)
    if not (p.is_admin or p.role == Role.GOVERNMENT):
        raise Forbidden("融资数据大屏仅对政府用户开放", "The financing screen is for government users")
    enterprises = Organization.objects.filter(p.jurisdiction.q(), kind=Organization.Kind.ENTERPRISE)
    disbursed = Application.objects.filter(enterprise__in=enterprises, status="disbursed")
    rows = list(
        disbursed.values("enterprise", "enterprise__division__name")
        .annotate(n=Count("pk"), amount=Sum("approved_amount"))
        .order_by("enterprise")
    )
    return {
        "rows": rows,
        "first_loans": disbursed.filter(is_first_loan=True).values("enterprise").distinct().count(),
        "synthetic": disbursed.filter(is_synthetic=True).exists(),
    }


# ---------------------------------------------------------------------------
# Equity side
# ---------------------------------------------------------------------------


def funds(actor):
    return Fund.objects.select_related("manager").prefetch_related("records")


def roadshows(actor):
    p = as_principal(actor)
    qs = RoadshowProject.objects.select_related("enterprise")
    return qs.filter(Q(published=True) | Q(enterprise_id=p.org_id))


def fund_matches(actor, project: RoadshowProject) -> list[dict]:
    """Investor–project matching with the same engine: a fund is eligible when the project's stage,
    industry and ticket fit its preferences; ranked by ticket fit."""
    ent = getattr(project.enterprise, "enterprise", None)
    section = ent.industry.section if ent else None
    division = (ent.industry_id or "")[:2] if ent else ""
    out = []
    for f in funds(actor):
        reasons = []
        stage_ok = not f.stages or project.stage in f.stages
        if not stage_ok:
            reasons.append(f"投资阶段不符（基金关注：{'、'.join(f.stages)}）")
        ind_ok = not f.industries or section in f.industries or division in f.industries
        if not ind_ok:
            reasons.append("行业不在基金关注范围")
        amount = float(project.amount_sought)
        ticket_ok = float(f.ticket_min) <= amount <= float(f.ticket_max)
        if not ticket_ok:
            reasons.append(f"拟融资额不在单笔投资区间 {f.ticket_min}–{f.ticket_max} 万元")
        eligible = stage_ok and ind_ok and ticket_ok
        fit = float(engine.range_fit(amount, float(f.ticket_min), float(f.ticket_max)))
        out.append({"fund": f, "eligible": eligible, "score": round(100 * fit, 1), "reasons": reasons})
    out.sort(key=lambda r: (not r["eligible"], -r["score"], r["fund"].name))
    return out


def upcoming_events(actor):
    return RoadshowEvent.objects.filter(
        starts_at__gte=timezone.now() - dt.timedelta(days=1)
    ).prefetch_related("registrations", "projects")

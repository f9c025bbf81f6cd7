"""Reads for the brain, filtered by who is asking; analysis through the pure engine."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl
from django.db.models import Prefetch
from django.utils import timezone

from jinfu.core import dataversion, feeds
from jinfu.core.errors import Forbidden, NotFound
from jinfu.core.principal import as_principal

from . import engine
from .models import Actual, Indicator, Milestone, MonitoringReport, Plan, Task
from .permissions import can_edit_plan, can_view_brain, can_view_tasks, is_city_level

STATUS_ORDER = {
    "behind": 0,
    "no_reference": 1,
    "needs_ranking": 1,
    "no_data": 2,
    "on_track": 3,
    "ahead": 4,
    "achieved": 5,
}
CANONICAL_LABELS = {
    "financial_value_added": "金融业增加值",
    "financial_va_share_gdp": "金融业增加值占GDP比重",
    "deposit_balance": "存款余额",
    "loan_balance": "贷款余额",
    "deposit_loan_balance": "存贷款余额",
    "financial_institutions": "金融机构数量",
    "premium_income": "保费收入",
    "green_loan_balance": "绿色贷款余额",
    "listed_companies": "上市公司数量",
    "cross_border_settlement": "跨境结算",
    "financial_va_growth": "金融业增加值年均增速",
    "social_financing": "社会融资规模",
    "fund_scale": "基金规模",
    "financial_employees": "金融从业人员",
    "financial_va_share_city": "金融业增加值占全市比重",
    "listed_companies_new": "新增上市公司",
    "financial_assets": "金融资产规模",
    "equity_investment_firms": "股权投资类企业",
}


def _require_view(actor):
    p = as_principal(actor)
    if not can_view_brain(p):
        raise Forbidden("金融产业大脑仅对政府用户开放", "The finance brain is for government users only")
    return p


def default_year() -> int:
    """The latest full year: monitoring reports the year that has ended."""
    return timezone.localdate().year - 1


def visible_plans(actor):
    _require_view(actor)
    return Plan.objects.prefetch_related("divisions", "zones").order_by("code")


def _frames(indicators: list[Indicator], as_of_year: int):
    """DataFrames for the engine: indicators, milestones and annual actuals (current values; a year's
    latest quarter or month stands in for the year when no annual figure exists)."""
    ids = [i.pk for i in indicators]
    ind_df = pl.DataFrame(
        {
            "code": [i.code for i in indicators],
            "kind": [i.kind for i in indicators],
            "unit": [i.unit for i in indicators],
            "comparator": [i.comparator for i in indicators],
            "base_year": [i.base_year for i in indicators],
            "base_value": [i.base_value for i in indicators],
            "target_year": [i.target_year for i in indicators],
            "target_value": [i.target_value for i in indicators],
            "relative_relation": [(i.relative or {}).get("relation") for i in indicators],
            "relative_reference": [(i.relative or {}).get("reference") for i in indicators],
        },
        schema_overrides={
            "base_year": pl.Int64,
            "base_value": pl.Float64,
            "target_year": pl.Int64,
            "target_value": pl.Float64,
            "relative_relation": pl.Utf8,
            "relative_reference": pl.Utf8,
        },
    )
    code_of = {i.pk: i.code for i in indicators}
    ms = list(Milestone.objects.filter(indicator_id__in=ids).values_list("indicator_id", "year", "value"))
    ms_df = pl.DataFrame(
        {"code": [code_of[m[0]] for m in ms], "year": [m[1] for m in ms], "value": [m[2] for m in ms]},
        schema={"code": pl.Utf8, "year": pl.Int64, "value": pl.Float64},
    )
    best: dict[tuple[str, int], tuple[int, float]] = {}

    # The latest period wins: scored by the month it ends (a year ends after December; Q4 ties month 12
    # and wins it, a quarter being the more complete figure).
    def score_of(kind: str, period: int) -> tuple[int, int]:
        if kind == Actual.PeriodKind.YEAR:
            return (13, 2)
        if kind == Actual.PeriodKind.QUARTER:
            return (3 * period, 1)
        return (period, 0)

    for ind_id, kind, year, period, value in Actual.objects.filter(
        indicator_id__in=ids, is_current=True, year__lte=as_of_year
    ).values_list("indicator_id", "period_kind", "year", "period", "value"):
        key = (code_of[ind_id], year)
        score = score_of(kind, period)
        if key not in best or score > best[key][0]:
            best[key] = (score, value)
    act_df = pl.DataFrame(
        {"code": [k[0] for k in best], "year": [k[1] for k in best], "value": [v[1] for v in best.values()]},
        schema={"code": pl.Utf8, "year": pl.Int64, "value": pl.Float64},
    )
    return ind_df, ms_df, act_df


def evaluate_indicators(indicators: list[Indicator], as_of_year: int) -> dict[str, dict]:
    if not indicators:
        return {}
    ind_df, ms_df, act_df = _frames(indicators, as_of_year)
    result = engine.evaluate(ind_df, act_df, as_of_year, milestones=ms_df)
    return {row["code"]: row for row in result.to_dicts()}


def plans_overview(actor, as_of_year: int | None = None, *, code: str | None = None) -> list[dict]:
    """The traffic-light grid: each plan (or the one with ``code``) with its indicators' statuses, computed
    once per change of the brain's data (jinfu.core.dataversion) for each kind of viewer: what a viewer may
    see and edit depends only on being the operator, the role and the jurisdiction."""
    p = _require_view(actor)
    year = as_of_year or default_year()
    out, _hit = dataversion.cached(
        "brain.plans_overview",
        _overview_keys(),
        (_viewer(p), year, code),
        lambda: _plans_overview(p, year, code),
    )
    return out


def plans_overview_version(actor, as_of_year: int | None = None) -> str:
    """Changes whenever :func:`plans_overview` would (the same data and the same kind of viewer): the key the
    overview page caches its rendered grid under."""
    p = _require_view(actor)
    return dataversion.version(_overview_keys(), ("brain.overview", _viewer(p), as_of_year or default_year()))


def _overview_keys() -> list[str]:
    return dataversion.table_keys(*dataversion.app_models("brain"), "core.Division", "core.Zone")


def _viewer(p) -> tuple:
    """What a viewer may see and edit on the overview depends only on these."""
    return (p.is_admin, p.role, p.jurisdiction)


def _plans_overview(p, year: int, code: str | None) -> list[dict]:
    qs = visible_plans(p).filter(code=code) if code else visible_plans(p)
    plans = list(
        qs.prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.select_related("scope_division", "scope_zone"))
        )
    )
    all_inds = [i for plan in plans for i in plan.indicators.all()]
    evals = evaluate_indicators(all_inds, year)
    synthetic = set(
        Actual.objects.filter(is_current=True, is_synthetic=True, indicator__in=all_inds).values_list(
            "indicator__code", flat=True
        )
    )
    out = []
    for plan in plans:
        tasks = plan_tasks(p, plan)
        rows = []
        counts: dict[str, int] = defaultdict(int)
        for ind in plan.indicators.all():
            ev = evals.get(ind.code, {})
            counts[ev.get("status", "no_data")] += 1
            rows.append({"indicator": ind, "eval": ev, "synthetic": ind.code in synthetic})
        out.append(
            {
                "plan": plan,
                "rows": rows,
                "counts": dict(counts),
                # task boards are internal: no counts either for a plan whose tasks this actor can't see
                "tasks": tasks.count() if tasks is not None else None,
                "overdue": tasks.filter(status=Task.Status.OVERDUE).count() if tasks is not None else None,
                "can_edit": can_edit_plan(p, plan),
                "can_view_tasks": tasks is not None,
                "synthetic": any(r["synthetic"] for r in rows),
            }
        )
    return out


def plan_tasks(actor, plan: Plan):
    """The tasks of ``plan`` as the task board shows them to this actor: all of them, or None when the
    plan's tasks are not visible to it. Pages, API, reports and exports all read tasks through here."""
    p = _require_view(actor)
    return plan.tasks.all() if can_view_tasks(p, plan) else None


def visible_reports(actor):
    """Monitoring-report jobs this actor may list and download. A report holds what its requester could
    see when it was generated, so a city-level user (who sees every task board) sees every report and
    anyone else only the reports requested from its own organization, which has the same visibility."""
    p = _require_view(actor)
    qs = MonitoringReport.objects.select_related("plan", "created_by")
    if is_city_level(p):
        return qs
    if p.org_id is None:
        return qs.filter(created_by_id=p.user.pk) if p.user is not None else qs.none()
    return qs.filter(created_by__organization_id=p.org_id)


def get_plan(actor, code: str) -> Plan:
    plan = visible_plans(actor).filter(code=code).first()
    if plan is None:
        raise NotFound(f"规划不存在：{code}", f"Plan not found: {code}")
    return plan


def get_indicator(actor, code: str) -> Indicator:
    _require_view(actor)
    ind = Indicator.objects.select_related("plan", "scope_division", "scope_zone").filter(code=code).first()
    if ind is None:
        raise NotFound(f"指标不存在：{code}", f"Indicator not found: {code}")
    return ind


def indicator_detail(actor, code: str, as_of_year: int | None = None) -> dict:
    """Actuals with history, the 序时进度 path, target, projection and the evaluation of one indicator."""
    p = _require_view(actor)
    ind = get_indicator(p, code)
    year = as_of_year or default_year()
    ev = evaluate_indicators([ind], year).get(ind.code, {})
    milestones = list(ind.milestones.all())
    actuals = list(
        ind.actuals.select_related("entered_by").order_by("year", "period_kind", "period", "-entered_at")
    )
    current = [a for a in actuals if a.is_current]
    path = []
    if (
        ind.base_value is not None
        and ind.target_value is not None
        and ind.base_year
        and ind.kind != "annual_growth"
    ):
        mode = engine.path_for(ind.kind, ind.base_value, ind.target_value)
        knots = [(m.year, m.value) for m in milestones]
        path = [
            (
                y,
                round(
                    engine.expected_value(
                        ind.base_value,
                        ind.target_value,
                        ind.base_year,
                        ind.target_year,
                        y,
                        path=mode,
                        milestones=knots,
                    ),
                    4,
                ),
            )
            for y in range(ind.base_year, ind.target_year + 1)
        ]
    annual = {a.year: a.value for a in current if a.period_kind == Actual.PeriodKind.YEAR}
    years = list(range(min([ind.base_year or ind.plan.period_start] + list(annual)), ind.target_year + 1))
    projection = []
    if ev.get("projected_value") is not None and ev.get("latest_year"):
        projection = [(ev["latest_year"], ev["latest_value"]), (ind.target_year, ev["projected_value"])]
    chart = {
        "years": [str(y) for y in years],
        "actual": [annual.get(y, (ind.base_value if y == ind.base_year else None)) for y in years],
        "path": [dict(path).get(y) for y in years],
        "target": [
            ind.target_value
            if y == ind.target_year
            else (next((m.value for m in milestones if m.year == y), None))
            for y in years
        ],
        "projection": [dict(projection).get(y) for y in years],
        "unit": ind.unit,
        "name": ind.name,
    }
    return {
        "indicator": ind,
        "eval": ev,
        "milestones": milestones,
        "actuals": actuals,
        "chart": chart,
        "year": year,
        "can_edit": can_edit_plan(p, ind.plan),
        "synthetic": any(a.is_synthetic for a in current),
        "feed": feed_panel(p, ind, current),
    }


def feed_panel(actor, ind: Indicator, current: list[Actual]) -> dict:
    """The indicator's platform-data binding as its page shows it: the feed (name, module, what it counts,
    the plan text that justifies it), the latest actual it wrote (computed at, inputs, 示例数据), whether
    this reader may refresh it, and for an operator the feeds that could be bound (binding_problem)."""
    from .services import binding_problem

    p = _require_view(actor)
    binding = getattr(ind, "feed_binding", None)
    declared = {code: f for code, (_app, f) in feeds.indicator_feeds().items()}
    out: dict = {"binding": binding, "decl": None, "latest": None, "choices": [], "operator": p.is_admin}
    if binding is not None:
        out["decl"] = declared.get(binding.feed)
        fed = [a for a in current if a.channel == "feed" and a.feed == binding.feed]
        out["latest"] = max(fed, key=lambda a: (a.year, a.computed_at or a.entered_at), default=None)
        out["can_refresh"] = out["decl"] is not None and can_edit_plan(p, ind.plan)
    if p.is_admin:
        out["choices"] = [(code, f) for code, f in declared.items() if binding_problem(ind, f) is None]
    return out


def comparison(actor, canonical: str, as_of_year: int | None = None) -> dict:
    """One canonical indicator across plans and scopes, on normalized units, ranked by the latest actual."""
    p = _require_view(actor)
    year = as_of_year or default_year()
    inds = list(
        Indicator.objects.select_related("plan").filter(canonical=canonical).order_by("plan__code", "order")
    )
    evals = evaluate_indicators(inds, year)
    rows = []
    for ind in inds:
        ev = evals.get(ind.code, {})
        latest = ev.get("latest_value")
        try:
            latest_norm, unit_norm, family = (
                engine.normalize_unit(latest, ind.unit) if latest is not None else (None, None, None)
            )
            target_norm = (
                engine.normalize_unit(ind.target_value, ind.unit)[0] if ind.target_value is not None else None
            )
            base_norm = (
                engine.normalize_unit(ind.base_value, ind.unit)[0] if ind.base_value is not None else None
            )
            if unit_norm is None:
                unit_norm, family = engine.normalize_unit(1.0, ind.unit)[1:]
        except ValueError:
            latest_norm = target_norm = base_norm = None
            unit_norm, family = ind.unit, "unknown"
        rows.append(
            {
                "indicator": ind,
                "eval": ev,
                "latest_norm": latest_norm,
                "target_norm": target_norm,
                "base_norm": base_norm,
                "unit_norm": unit_norm,
                "family": family,
            }
        )
    families = {r["family"] for r in rows if r["family"]}
    main_unit = max(
        {r["unit_norm"] for r in rows if r["latest_norm"] is not None} or {None},
        key=lambda u: sum(1 for r in rows if r["unit_norm"] == u),
    )
    ranked = sorted(rows, key=lambda r: (r["latest_norm"] is None, -(r["latest_norm"] or 0)))
    for n, r in enumerate(ranked, 1):
        r["rank"] = n if r["latest_norm"] is not None else None
    comparable = [r for r in ranked if r["latest_norm"] is not None and r["unit_norm"] == main_unit]
    return {
        "canonical": canonical,
        "label": CANONICAL_LABELS.get(canonical, canonical),
        "rows": ranked,
        "chart": {
            "labels": [f"{r['indicator'].scope_name}（{r['indicator'].plan.code}）" for r in comparable],
            "values": [round(r["latest_norm"], 4) for r in comparable],
            "targets": [
                round(r["target_norm"], 4) if r["target_norm"] is not None else None for r in comparable
            ],
            "unit": main_unit,
            "name": CANONICAL_LABELS.get(canonical, canonical),
        },
        "year": year,
        "mixed_units": len(families) > 1,
        "available": available_canonicals(p),
    }


def available_canonicals(actor) -> list[tuple[str, str, int]]:
    _require_view(actor)
    counts: dict[str, int] = defaultdict(int)
    for c in Indicator.objects.exclude(canonical="").values_list("canonical", flat=True):
        counts[c] += 1
    return sorted(
        ((c, CANONICAL_LABELS.get(c, c), n) for c, n in counts.items()), key=lambda x: (-x[2], x[0])
    )


INDEX_CRITERIA = {
    "financial_value_added": "benefit",
    "financial_va_share_gdp": "benefit",
    "deposit_balance": "benefit",
    "loan_balance": "benefit",
    "financial_institutions": "benefit",
    "green_loan_balance": "benefit",
    "listed_companies": "benefit",
}


def development_index(actor, as_of_year: int | None = None) -> dict:
    """金融发展指数 across scopes (districts and zones) by the entropy-weight method with TOPSIS, on the
    latest actual of each canonical indicator (normalized units). A criterion enters when at least three
    scopes report it; a scope enters when it reports every chosen criterion."""
    _require_view(actor)
    year = as_of_year or default_year()
    # where two plans report the same scope (渝中区 in 001 and 003), the later plan's figure is used
    inds = list(
        Indicator.objects.select_related("plan")
        .filter(canonical__in=list(INDEX_CRITERIA))
        .order_by("plan__period_end")
    )
    evals = evaluate_indicators(inds, year)
    values: dict[str, dict[str, float]] = defaultdict(dict)
    sources: dict[str, set] = defaultdict(set)
    for ind in inds:
        v = evals.get(ind.code, {}).get("latest_value")
        if v is None:
            continue
        try:
            values[ind.scope_name][ind.canonical] = engine.normalize_unit(v, ind.unit)[0]
        except ValueError:
            continue
        sources[ind.scope_name].add(ind.plan.code)
    coverage = {c: sum(1 for s in values.values() if c in s) for c in INDEX_CRITERIA}
    criteria, scopes = _best_panel(values, list(INDEX_CRITERIA))
    result = {
        "year": year,
        "criteria": criteria,
        "coverage": coverage,
        "scopes": scopes,
        "weights": [],
        "scores": [],
        "labels": CANONICAL_LABELS,
        "excluded_scopes": sorted(set(values) - set(scopes)),
    }
    if len(scopes) < 2 or not criteria:
        return result
    df = pl.DataFrame({"scope": scopes, **{c: [values[s][c] for s in scopes] for c in criteria}})
    weights, scores = engine.entropy_topsis(df, "scope", {c: INDEX_CRITERIA[c] for c in criteria})
    result["weights"] = [
        w | {"label": CANONICAL_LABELS.get(w["criterion"], w["criterion"])} for w in weights.to_dicts()
    ]
    result["scores"] = scores.sort("rank").to_dicts()
    result["chart"] = [[s["scope"], round(s["score"], 4)] for s in result["scores"]]
    result["matrix"] = df.to_dicts()
    return result


def _best_panel(values: dict[str, dict[str, float]], candidates: list[str]) -> tuple[list[str], list[str]]:
    """The complete sub-matrix with the most cells: a set of ≥ 2 criteria and the ≥ 3 scopes that report all
    of them (ties: more scopes, then the criteria's order). Exhaustive over the few candidate criteria."""
    from itertools import combinations

    best: tuple[tuple[int, int], list[str], list[str]] = ((0, 0), [], [])
    for k in range(len(candidates), 1, -1):
        for combo in combinations(candidates, k):
            scopes = sorted(s for s, vals in values.items() if all(c in vals for c in combo))
            if len(scopes) < 3:
                continue
            score = (len(scopes) * k, len(scopes))
            if score > best[0]:
                best = (score, list(combo), scopes)
    return best[1], best[2]


TASK_STATUS_ORDER = {"overdue": 0, "at_risk": 1, "not_started": 2, "on_track": 3, "done": 4}


def task_board(actor, *, plan_code: str | None = None) -> list[dict]:
    """Tasks this actor may supervise, overdue first, grouped by owner."""
    p = _require_view(actor)
    plans = [pl_ for pl_ in visible_plans(p) if can_view_tasks(p, pl_)]
    if plan_code:
        plans = [pl_ for pl_ in plans if pl_.code == plan_code]
    tasks = Task.objects.filter(plan__in=plans).select_related("plan", "owner_org", "owner_user")
    groups: dict[str, list[Task]] = defaultdict(list)
    for t in tasks:
        owner = t.owner_org.name if t.owner_org else (t.lead_units[0] if t.lead_units else "未分派")
        groups[owner].append(t)
    out = []
    for owner, items in groups.items():
        items.sort(key=lambda t: (TASK_STATUS_ORDER.get(t.status, 9), t.due_date or dt.date.max, t.code))
        out.append(
            {
                "owner": owner,
                "tasks": items,
                "overdue": sum(t.status == "overdue" for t in items),
                "at_risk": sum(t.status == "at_risk" for t in items),
            }
        )
    out.sort(key=lambda g: (-g["overdue"], -g["at_risk"], g["owner"]))
    return out


def task_board_version(actor, *, plan_code: str | None = None) -> str:
    """Changes whenever :func:`task_board` would for this viewer: the key the board page caches its
    rendered groups under (the statuses themselves change by writes: the daily check, reports)."""
    p = _require_view(actor)
    keys = [*_overview_keys(), *dataversion.table_keys("core.Organization")]
    return dataversion.version(keys, ("brain.task_board", _viewer(p), plan_code))


def get_task(actor, code: str) -> Task:
    p = _require_view(actor)
    task = Task.objects.select_related("plan", "owner_org", "owner_user").filter(code=code).first()
    if task is None or not can_view_tasks(p, task.plan):
        raise NotFound(f"任务不存在或无权查看：{code}", f"Task not found or not visible: {code}")
    return task

"""Risk reads, each filtered by who asks: regulators see the enterprises of their jurisdiction (a street
office its district), the platform operator everything; enterprises never see a risk score, not even
their own, and institutions see nothing here."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import polars as pl
from django.db.models import Count, Q, Sum
from django.utils import timezone

from jinfu.core import dataversion
from jinfu.core.errors import Forbidden, NotFound
from jinfu.core.feeds import FeedValue, signal_sources
from jinfu.core.models import Division
from jinfu.core.principal import as_principal
from jinfu.credit import selectors as credit

from . import engine, reference
from .models import Case, CaseEvent, ColourCount, ColourOverride, ModuleSignal, RiskScore, Signal

MAX_LIST = 500
MAX_GRAPH = 150
TREND_DAYS = 90


def _analyst(actor):
    p = as_principal(actor)
    if not (p.is_admin or p.role == "regulator"):
        raise Forbidden("风险监测仅对监管部门开放", "risk monitoring is open to regulators only")
    if not p.has_api_scope("risk:read"):
        raise Forbidden("API 密钥缺少权限 risk:read", "API key lacks scope risk:read")
    return p


def scores(actor):
    p = _analyst(actor)
    qs = RiskScore.objects.select_related("enterprise", "enterprise__division")
    if not p.jurisdiction.citywide:
        qs = qs.filter(p.jurisdiction.q("enterprise__division", "enterprise__zone"))
    return qs


def score_for(actor, enterprise_pk: int) -> RiskScore:
    s = scores(actor).filter(pk=enterprise_pk).first()
    if s is None:
        raise NotFound(
            "没有该企业的风险评分，或不在您的辖区", "no risk score for this enterprise in your jurisdiction"
        )
    return s


def _counts(qs) -> dict[str, int]:
    c = dict(qs.values_list("colour").annotate(n=Count("pk")).values_list("colour", "n"))
    return {k: int(c.get(k, 0)) for k in engine.COLOURS}


#: what the overview and the cluster list read: computed once per change of these (and per day, for the trend)
OVERVIEW_TABLES = ("risk.RiskScore", "risk.ColourCount", "core.Organization", "core.Division", "core.Zone")


def _once_per_change(name: str, p, parts, compute):
    """``compute()`` once per state of OVERVIEW_TABLES, day and jurisdiction: aggregates over every score in
    the jurisdiction (3.7 million rows for the city) are not run again on every view."""
    keys = dataversion.table_keys(*OVERVIEW_TABLES)
    viewer = (p.is_admin, p.role, p.jurisdiction)
    value, _hit = dataversion.cached(name, keys, (viewer, timezone.localdate(), parts), compute)
    return value


def overview(actor) -> dict:
    p = _analyst(actor)
    return _once_per_change("risk.overview", p, (), lambda: _overview(p))


def _overview(p) -> dict:
    qs = scores(p)
    by_div = (
        qs.values("enterprise__division", "enterprise__division__name")
        .annotate(
            red=Count("pk", filter=Q(colour="red")),
            yellow=Count("pk", filter=Q(colour="yellow")),
            green=Count("pk", filter=Q(colour="green")),
        )
        .order_by("-red", "-yellow", "enterprise__division")
    )
    by_street = (
        qs.exclude(street="")
        .values("street")
        .annotate(
            red=Count("pk", filter=Q(colour="red")),
            yellow=Count("pk", filter=Q(colour="yellow")),
            green=Count("pk", filter=Q(colour="green")),
        )
        .order_by("-red", "-yellow", "street")[:30]
    )
    return {
        "counts": _counts(qs),
        "jurisdiction": p.jurisdiction.label,
        "by_division": [
            {"division": r["enterprise__division__name"] or "未登记区划", **{c: r[c] for c in engine.COLOURS}}
            for r in by_div
        ],
        "by_street": [{"street": r["street"], **{c: r[c] for c in engine.COLOURS}} for r in by_street],
        "trend": trend(p),
        "top_signals": top_signals(p),
        "has_synthetic": qs.filter(enterprise__is_synthetic=True).exists(),
    }


def trend(actor) -> list[dict]:
    p = _analyst(actor)
    since = timezone.localdate() - dt.timedelta(days=TREND_DAYS)
    qs = ColourCount.objects.filter(on__gte=since)
    if not p.jurisdiction.citywide:
        if p.jurisdiction.level == "zone":
            return []  # counts are kept per division; a zone's share of it is not known
        qs = qs.filter(division_id=p.jurisdiction.division)
    rows = qs.values("on").annotate(red=Sum("red"), yellow=Sum("yellow"), green=Sum("green")).order_by("on")
    return [{"on": r["on"].isoformat(), **{c: r[c] for c in engine.COLOURS}} for r in rows]


def top_signals(actor, limit: int = 10) -> list[dict]:
    """The dictionary words most often found among the red and yellow firms, with how many firms."""
    qs = scores(actor).filter(colour__in=("red", "yellow"))
    c: Counter = Counter()
    for measures in qs.values_list("measures", flat=True)[:20000]:
        c.update(set((measures or {}).get("words") or []))
    return [{"word": w, "firms": n} for w, n in c.most_common(limit)]


def warnings(
    actor, *, colour: str = "", division: str = "", street: str = "", q: str = "", limit: int = MAX_LIST
) -> dict:
    """The warning list with the page's filters, highest index first (``limit`` rows; the Excel export asks
    for the whole filtered list)."""
    qs = scores(actor)
    if colour in engine.COLOURS:
        qs = qs.filter(colour=colour)
    if division:
        qs = qs.filter(enterprise__division_id=division)
    if street:
        qs = qs.filter(street=street)
    if q:
        qs = qs.filter(Q(enterprise__name__icontains=q) | Q(enterprise__uscc__iexact=q))
    total = qs.count()
    return {
        "rows": list(qs.order_by("-index", "enterprise__name")[:limit]),
        "total": total,
        "limit": limit,
    }


def divisions(actor) -> list[tuple[str, str]]:
    ids = scores(actor).values_list("enterprise__division", flat=True).distinct()
    return list(Division.objects.filter(pk__in=ids).order_by("code").values_list("code", "name"))


def firm(actor, enterprise_pk: int) -> dict:
    p = _analyst(actor)
    s = score_for(p, enterprise_pk)
    params = reference.params()
    row = {**s.measures, "hop": s.hop}
    today = timezone.localdate()
    sig = engine.frame(
        list(
            Signal.objects.filter(enterprise_id=enterprise_pk)
            .order_by("-occurred_on")
            .values_list("enterprise_id", "kind", "text", "promised_return", "occurred_on")[:2000]
        ),
        engine.SIGNALS,
    )
    from .models import RegistrationInfo

    info = RegistrationInfo.objects.filter(pk=enterprise_pk).first()
    ev = engine.evidence(
        sig, {"name": s.enterprise.name, "scope": info.business_scope if info else ""}, params, today
    )
    kind_labels = dict(Signal.Kind.choices) | {"registration": "名称与经营范围"}
    for item in ev:
        item["kind_label"] = kind_labels.get(item["kind"], item["kind"])
        item["segments"] = highlight(item["text"], set(item["words"]))
        item["dimension_labels"] = [engine.DIMENSION_LABELS[d] for d in item["dimensions"]]
    return {
        "score": s,
        "enterprise": s.enterprise,
        "working": engine.working(row, params),
        "evidence": ev,
        "records": credit.violation_records(p, enterprise_pk),
        "overrides": list(
            ColourOverride.objects.filter(enterprise_id=enterprise_pk).select_related("created_by")
        ),
        "graph": graph(p, s),
        "open_case": Case.objects.filter(enterprise_id=enterprise_pk)
        .exclude(status=Case.Status.CLOSED)
        .first(),
        "sources": reference.sources(),
        "params": params,
        "module_signals": module_signals(p, enterprise_pk),
    }


def module_signals(actor, enterprise_pk: int) -> list[ModuleSignal]:
    """The signals other modules handed over for one firm (core/feeds.py), newest first, with provenance;
    a firm outside the reader's jurisdiction raises NotFound (score_for)."""
    score_for(actor, enterprise_pk)
    labels = {src.name: src.label for src in signal_sources()}
    rows = list(ModuleSignal.objects.filter(enterprise_id=enterprise_pk)[:200])
    for r in rows:
        r.source_label = labels.get(r.source) or "其他模块"
        r.dimension_label = engine.DIMENSION_LABELS.get(r.dimension, "")
    return rows


def highlight(text: str, words: set[str]) -> list[tuple[str, bool]]:
    """The text cut by the versioned jieba dictionary, each token marked when it is a dictionary word."""
    if not words:
        return [(text, False)]
    return [(tok, tok in words) for tok in reference.tokenizer().lcut(text)]


def graph(actor, s: RiskScore) -> dict:
    """The firm's cluster as ECharts nodes and links (at most MAX_GRAPH firms, nearest first)."""
    from .services import load_frames

    if s.cluster is None:
        return {"nodes": [], "links": [], "truncated": False, "size": 0}
    members = scores(actor).filter(cluster=s.cluster)
    ids = list(members.values_list("pk", flat=True)[: MAX_GRAPH * 4])
    params = reference.params()
    edges = engine.edges_from_attributes(load_frames(ids)["attrs"], params.max_group_size)
    keep = _nearest(edges, s.pk, MAX_GRAPH)
    edges = edges.filter(pl.col("a").is_in(keep) & pl.col("b").is_in(keep))
    info = {m.pk: m for m in members.filter(pk__in=keep)}
    nodes = [
        {
            "id": str(pk),
            "name": info[pk].enterprise.name,
            "colour": info[pk].colour,
            "index": float(info[pk].index),
            "self": pk == s.pk,
        }
        for pk in keep
        if pk in info
    ]
    links = [
        {
            "source": str(a),
            "target": str(b),
            "label": "、".join(engine.EDGE_KIND_LABELS.get(k, k) for k in kinds),
        }
        for a, b, kinds in edges.iter_rows()
        if a in info and b in info
    ]
    return {"nodes": nodes, "links": links, "truncated": s.cluster_size > len(nodes), "size": s.cluster_size}


def _nearest(edges: pl.DataFrame, start: int, limit: int) -> list[int]:
    seen = [start]
    frontier = {start}
    both = pl.concat([edges.select("a", "b"), edges.select(pl.col("b").alias("a"), pl.col("a").alias("b"))])
    while frontier and len(seen) < limit:
        nxt = set(both.filter(pl.col("a").is_in(list(frontier)))["b"].to_list()) - set(seen)
        seen += sorted(nxt)[: limit - len(seen)]
        frontier = nxt
    return seen


def clusters(actor, limit: int = 50) -> list[dict]:
    """团伙: clusters with a red or yellow member, largest risk first, with their members."""
    p = _analyst(actor)
    return _once_per_change("risk.clusters", p, limit, lambda: _clusters(p, limit))


def _clusters(p, limit: int) -> list[dict]:
    qs = scores(p).exclude(cluster=None)
    hot = (
        qs.filter(colour__in=("red", "yellow"))
        .values("cluster")
        .annotate(red=Count("pk", filter=Q(colour="red")), n=Count("pk"))
        .order_by("-red", "-n")[:limit]
    )
    out = []
    for h in hot:
        members = list(qs.filter(cluster=h["cluster"]).order_by("-index")[:30])
        out.append(
            {"cluster": h["cluster"], "members": members, "size": members[0].cluster_size if members else 0}
        )
    return out


# ---------------------------------------------------------------------------
# Indicator feeds (RiskConfig.contract.indicator_feeds): platform figures over a jurisdiction and a period,
# for the brain's plan indicators. Called by the kernel (core/feeds.compute) with a Jurisdiction, never
# with a reader: the brain decides who sees the indicator.
# ---------------------------------------------------------------------------


def _cases_in(jurisdiction):
    qs = Case.objects.all()
    if jurisdiction.citywide:
        return qs
    return qs.filter(jurisdiction.q("division", "enterprise__zone"))


def _opened(jurisdiction, start: dt.date, end: dt.date):
    return _cases_in(jurisdiction).filter(created_at__date__gte=start, created_at__date__lte=end)


def _closed_ids(cases, end: dt.date) -> set[int]:
    """The cases of ``cases`` closed on or before ``end`` (their 结案 event)."""
    return set(
        CaseEvent.objects.filter(case__in=cases, to_status=Case.Status.CLOSED, at__date__lte=end)
        .values_list("case_id", flat=True)
        .distinct()
    )


def _synthetic(qs) -> bool:
    return qs.filter(is_synthetic=True).exists()


def feed_cases_opened(jurisdiction, start: dt.date, end: dt.date) -> FeedValue:
    """风险案件立案数: cases opened (立案) from ``start`` to ``end``."""
    qs = _opened(jurisdiction, start, end)
    n = qs.count()
    return FeedValue(float(n), n, _synthetic(qs))


def feed_cases_closed(jurisdiction, start: dt.date, end: dt.date) -> FeedValue:
    """风险案件结案数: cases whose 结案 falls from ``start`` to ``end`` (opened whenever)."""
    cases = _cases_in(jurisdiction)
    ids = set(
        CaseEvent.objects.filter(
            case__in=cases, to_status=Case.Status.CLOSED, at__date__gte=start, at__date__lte=end
        ).values_list("case_id", flat=True)
    )
    return FeedValue(float(len(ids)), len(ids), _synthetic(Case.objects.filter(pk__in=ids)))


def feed_disposal_rate(jurisdiction, start: dt.date, end: dt.date) -> FeedValue | None:
    """处置率 (%): of the cases opened in the period, the share closed by its end; None without cases."""
    opened = _opened(jurisdiction, start, end)
    n = opened.count()
    if n == 0:
        return None
    closed = len(_closed_ids(opened, end))
    return FeedValue(round(100.0 * closed / n, 2), n, _synthetic(opened))


def feed_red_warnings(jurisdiction, start: dt.date, end: dt.date) -> FeedValue:
    """红色预警企业数: firms whose warning colour is red now (the last recompute), a stock."""
    qs = RiskScore.objects.all()
    if not jurisdiction.citywide:
        qs = qs.filter(jurisdiction.q("enterprise__division", "enterprise__zone"))
    total = qs.count()
    red = qs.filter(colour="red")
    return FeedValue(float(red.count()), total, qs.filter(enterprise__is_synthetic=True).exists())


def _lfo_count(jurisdiction, keep) -> FeedValue:
    from .supervision import assess_in

    rows = assess_in(jurisdiction, timezone.localdate())
    hits = [o for o, a in rows if keep(a)]
    return FeedValue(float(len(hits)), len(rows), any(o.is_synthetic for o, _a in rows))


def _grade_feed(grade: str):
    def feed(jurisdiction, start: dt.date, end: dt.date) -> FeedValue:
        return _lfo_count(jurisdiction, lambda a: a["grade"] == grade)

    feed.__doc__ = (
        f"地方金融组织（{grade} 级）: organizations rated {grade} now (the versioned rating rules)."
    )
    return feed


feed_lfo_grade_a = _grade_feed("A")
feed_lfo_grade_b = _grade_feed("B")
feed_lfo_grade_c = _grade_feed("C")
feed_lfo_grade_d = _grade_feed("D")


def feed_lfo_shell_missing(jurisdiction, start: dt.date, end: dt.date) -> FeedValue:
    """“空壳”“失联”地方金融组织: organizations the detection flags as 空壳 or 失联 now."""
    return _lfo_count(jurisdiction, lambda a: a["status"] in ("shell", "missing"))

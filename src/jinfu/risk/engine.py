"""The 涉众风险指数 engine: pure Polars, no Django. The same code scores one firm on its page, the city in a
batch and a million firms in the benchmark.

Inputs are DataFrames with the schemas below; :class:`Params` carries the versioned reference data
(jinfu.risk.reference builds it from data/*.yaml). Outputs are DataFrames and plain dicts.

Six dimensions, each a measure scaled to 0..1 and multiplied by its weight (the weights add up to 100):

* 收益率偏离度 ``yield_deviation``: the highest promised annual return in the firm's texts, placed between the
  one-year LPR (0) and the judicial protection ceiling, ``ceiling_multiple`` × LPR (1);
* 投诉举报度 ``complaints``: complaints, tip-offs and 12345 records in the last 365 days;
* 传播力 ``spread``: public texts (news, ads, app and web pages) in the last 365 days;
* 特征词命中度 ``keywords``: distinct dictionary words in the firm's texts, name and business scope; an Art. 9
  word in the name or scope counts twice;
* 违规度 ``violations``: penalties and judgments (3 years), dishonest-debtor and abnormal listings, bank
  fund-flow alerts, and the signals other modules hand over for this dimension (kind ``module_violation``,
  e.g. a revoked 绿色 label: core/feeds.py) in the last 365 days;
* 关联风险 ``network``: decay^hop from the nearest red firm within ``max_depth`` hops of the related-party
  network (a red firm raises its neighbours; the others do not).

Clusters (团伙) are the connected components of the network, found by min-label propagation with pointer
jumping: a handful of joins over the edge list, no per-firm loop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

FIRMS = {"org_id": pl.Int64, "name": pl.Utf8, "scope": pl.Utf8, "division": pl.Utf8, "address": pl.Utf8}
SIGNALS = {
    "org_id": pl.Int64,
    "kind": pl.Utf8,
    "text": pl.Utf8,
    "promised_return": pl.Float64,  # per cent a year, when the source states it
    "occurred_on": pl.Date,
}
VIOLATIONS = {
    "org_id": pl.Int64,
    "penalties_3y": pl.Int64,
    "judgments_3y": pl.Int64,
    "dishonest_debtor": pl.Boolean,
    "abnormal_listed": pl.Boolean,
}
ATTRIBUTES = {"org_id": pl.Int64, "kind": pl.Utf8, "value": pl.Utf8}
EDGES = {"a": pl.Int64, "b": pl.Int64}

SIGNAL_KINDS = (
    "registration_change",
    "public_text",
    "complaint",
    "tipoff",
    "hotline",
    "bank_alert",
    "module_violation",
)
MODULE_VIOLATION = "module_violation"  # a signal another module handed over, counted in 违规度
COMPLAINT_KINDS = ("complaint", "tipoff", "hotline")
TEXT_KINDS = ("public_text", "registration_change")
DIMENSIONS = ("yield_deviation", "complaints", "spread", "keywords", "violations", "network")
DIMENSION_LABELS = {
    "yield_deviation": "收益率偏离度",
    "complaints": "投诉举报度",
    "spread": "传播力",
    "keywords": "特征词命中度",
    "violations": "违规度",
    "network": "关联风险",
}
COLOURS = ("red", "yellow", "green")
COLOUR_LABELS = {"red": "红色", "yellow": "黄色", "green": "绿色"}
EDGE_KIND_LABELS = {
    "legal_rep": "同一法定代表人",
    "shareholder": "共同股东",
    "address": "同一地址",
    "phone": "同一电话",
    "email": "同一电子邮箱",
}

# 「年化收益15%」「回报率 18.5%」「利息12%」; 「月息2%」 is a monthly rate (× 12).
_ANNUAL_RE = r"(?:年化|年息|收益率?|回报率?|利率|利息)[^0-9%％]{0,8}?(\d{1,3}(?:\.\d{1,2})?)\s*[%％]"
_MONTHLY_RE = r"月息[^0-9%％]{0,4}?(\d{1,2}(?:\.\d{1,2})?)\s*[%％]"
_STREET_RE = r"([^\s区县市路号]{2,10}?(?:街道|镇|乡))"


@dataclass(frozen=True)
class Params:
    lpr: float  # one-year LPR, per cent
    ceiling_multiple: float  # judicial protection ceiling = multiple × LPR
    weights: dict[str, float]
    red: float
    yellow: float
    scales: dict[str, float]
    keywords: dict[str, str]  # word → category (features / art9)
    max_depth: int = 2
    decay: float = 0.5
    max_group_size: int = 50
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def ceiling(self) -> float:
        return self.lpr * self.ceiling_multiple


def frame(data, schema: dict) -> pl.DataFrame:
    """A DataFrame with exactly ``schema`` (missing columns null), from a frame, dict or rows."""
    df = data if isinstance(data, pl.DataFrame) else pl.DataFrame(data, schema=schema, orient="row")
    missing = [c for c in schema if c not in df.columns]
    if missing:
        df = df.with_columns(pl.lit(None, dtype=schema[c]).alias(c) for c in missing)
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])


# ---------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------


def promised_return_expr(text: pl.Expr) -> pl.Expr:
    """The annual return a text promises (per cent), null when it names none."""
    annual = text.str.extract(_ANNUAL_RE, 1).cast(pl.Float64, strict=False)
    monthly = text.str.extract(_MONTHLY_RE, 1).cast(pl.Float64, strict=False) * 12
    return pl.max_horizontal(annual, monthly)


def street_expr(address: pl.Expr) -> pl.Expr:
    """The 街道/镇/乡 named in an address (GB/T 2260 has no street codes), null when none."""
    return address.str.extract(_STREET_RE, 1)


def _words(texts: pl.LazyFrame, words: list[str]) -> pl.LazyFrame:
    """org_id, mask: bit i set when dictionary word i is in any of the firm's texts. One Aho-Corasick pass
    (overlapping, so 「股权众筹」 also finds 「众筹」) lists the words of each text; the words found are then
    OR-ed per firm as bits: no per-word scan, no tokeniser."""
    if not words:
        return texts.select("org_id", pl.lit(0, dtype=pl.Int64).alias("mask")).limit(0)
    bits = [1 << i for i in range(len(words))]
    return (
        texts.select("org_id", pl.col("text").str.extract_many(words, overlapping=True).alias("w"))
        .filter(pl.col("w").list.len() > 0)
        .explode("w")
        .group_by("org_id")
        .agg(pl.col("w").replace_strict(words, bits, return_dtype=pl.Int64).bitwise_or().alias("mask"))
    )


def _mask_words(mask: pl.Expr, words: list[str]) -> pl.Expr:
    """The list of dictionary words a bit mask stands for (in dictionary order)."""
    return pl.concat_list(
        [
            pl.when((mask & (1 << i)) > 0).then(pl.lit(w)).otherwise(pl.lit(None, dtype=pl.Utf8))
            for i, w in enumerate(words)
        ]
    ).list.drop_nulls()


def measures(
    firms: pl.DataFrame, signals: pl.DataFrame, violations: pl.DataFrame, params: Params, today: dt.date
) -> pl.DataFrame:
    """One row per firm: the raw measure of each dimension (network excepted)."""
    # one lazy plan: the independent parts (counts, rates, words, violations) run in parallel
    firms, signals = frame(firms, FIRMS).lazy(), frame(signals, SIGNALS).lazy()
    violations = frame(violations, VIOLATIONS).lazy()
    since = today - dt.timedelta(days=365)
    recent = signals.filter(pl.col("occurred_on").is_null() | (pl.col("occurred_on") >= since))
    words = sorted(params.keywords)
    art9 = [w for w, c in params.keywords.items() if c == "art9"]

    per_signal = recent.group_by("org_id").agg(
        pl.col("kind").is_in(COMPLAINT_KINDS).sum().cast(pl.Int64).alias("complaints_365"),
        (pl.col("kind") == "public_text").sum().cast(pl.Int64).alias("texts_365"),
        (pl.col("kind") == "bank_alert").sum().cast(pl.Int64).alias("bank_alerts_365"),
        (pl.col("kind") == MODULE_VIOLATION).sum().cast(pl.Int64).alias("module_365"),
    )
    texts = recent.filter(pl.col("kind").is_in(TEXT_KINDS)).select("org_id", "text", "promised_return")
    # the regular expression only runs on texts with a per-cent sign (a cheap literal scan first)
    rates = (
        texts.filter(
            pl.col("promised_return").is_not_null()
            | pl.col("text").str.contains("%", literal=True)
            | pl.col("text").str.contains("％", literal=True)
        )
        .group_by("org_id")
        .agg(pl.coalesce("promised_return", promised_return_expr(pl.col("text"))).max().alias("max_return"))
    )
    if len(words) > 62:
        raise ValueError("the keyword dictionary holds at most 62 words (one bit each)")
    art9_mask = sum(1 << i for i, w in enumerate(words) if w in art9)
    text_words = _words(texts.select("org_id", "text"), words)
    own = firms.select(
        "org_id", pl.concat_str("name", "scope", separator=" ", ignore_nulls=True).alias("text")
    )
    own_words = _words(own, words).rename({"mask": "own_mask"})
    kw = (
        text_words.join(own_words, on="org_id", how="full", coalesce=True)
        .with_columns(pl.col("mask").fill_null(0), pl.col("own_mask").fill_null(0))
        .select(
            "org_id",
            (pl.col("mask") | pl.col("own_mask")).alias("_m"),
            (pl.col("own_mask") & art9_mask).bitwise_count_ones().cast(pl.Int64).alias("art9_own"),
        )
    )
    # the word lists are spelled once per distinct mask (a few hundred), not once per firm
    spelled = (
        kw.select("_m")
        .unique()
        .with_columns(
            _mask_words(pl.col("_m"), words).alias("words"),
            pl.col("_m").bitwise_count_ones().cast(pl.Int64).alias("n_words"),
        )
    )
    kw = kw.join(spelled, on="_m", how="left").select("org_id", "words", "n_words", "art9_own")
    v = violations.select(
        "org_id",
        (
            pl.col("penalties_3y").fill_null(0)
            + pl.col("judgments_3y").fill_null(0)
            + pl.col("dishonest_debtor").fill_null(False).cast(pl.Int64)
            + pl.col("abnormal_listed").fill_null(False).cast(pl.Int64)
        ).alias("records"),
    )
    out = (
        firms.select("org_id")
        .join(per_signal, on="org_id", how="left", maintain_order="left")
        .join(rates, on="org_id", how="left", maintain_order="left")
        .join(kw, on="org_id", how="left", maintain_order="left")
        .join(v, on="org_id", how="left", maintain_order="left")
    )
    return out.with_columns(
        pl.col(
            "complaints_365", "texts_365", "bank_alerts_365", "module_365", "n_words", "records"
        ).fill_null(0),
        pl.col("art9_own").fill_null(0).cast(pl.Int64),
        pl.col("words").fill_null([]),
    ).collect()


def _scaled(expr: pl.Expr, full_at: float) -> pl.Expr:
    return (expr.cast(pl.Float64) / float(full_at)).clip(0.0, 1.0)


def dimension_scores(m: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Points of the five own dimensions and their sum ``base`` (0..100 less the network's weight)."""
    w, s = params.weights, params.scales
    span = max(params.ceiling - params.lpr, 1e-9)
    yield_share = ((pl.col("max_return") - params.lpr) / span).clip(0.0, 1.0).fill_null(0.0)
    kw_units = pl.col("n_words") + pl.col("art9_own")
    viol_units = (
        pl.col("records")
        + pl.col("bank_alerts_365") * float(s.get("bank_alert_points", 1))
        + pl.col("module_365")
    )
    pts = {
        "yield_deviation": yield_share * w["yield_deviation"],
        "complaints": _scaled(pl.col("complaints_365"), s["complaints_full_at"]) * w["complaints"],
        "spread": _scaled(pl.col("texts_365"), s["spread_full_at"]) * w["spread"],
        "keywords": _scaled(kw_units, s["keywords_full_at"]) * w["keywords"],
        "violations": _scaled(viol_units, s["violations_full_at"]) * w["violations"],
    }
    out = m.with_columns(e.round(2).alias(f"pts_{k}") for k, e in pts.items())
    return out.with_columns(
        pl.sum_horizontal([f"pts_{k}" for k in pts]).round(2).alias("base"),
    )


def colour_expr(index: pl.Expr, params: Params) -> pl.Expr:
    return (
        pl.when(index >= params.red)
        .then(pl.lit("red"))
        .when(index >= params.yellow)
        .then(pl.lit("yellow"))
        .otherwise(pl.lit("green"))
    )


# ---------------------------------------------------------------------------
# Related-party network
# ---------------------------------------------------------------------------


def _norm_value(kind: pl.Expr, value: pl.Expr) -> pl.Expr:
    v = value.str.strip_chars().str.to_lowercase().str.replace_all(r"[\s\-()（）]", "")
    return pl.concat_str(kind, v, separator=":")


def edges_from_attributes(attrs: pl.DataFrame, max_group_size: int) -> pl.DataFrame:
    """a < b, kinds: firms sharing a legal representative, shareholder, address, phone or e-mail. A value
    shared by more than ``max_group_size`` firms (an agent's address, a switchboard) makes no edges."""
    a = frame(attrs, ATTRIBUTES).filter(
        pl.col("value").is_not_null() & (pl.col("value").str.strip_chars() != "")
    )
    a = a.with_columns(_norm_value(pl.col("kind"), pl.col("value")).alias("key")).unique(["org_id", "key"])
    a = a.filter(pl.len().over("key").is_between(2, max_group_size))
    pairs = (
        a.select("org_id", "key", "kind")
        .join(a.select(pl.col("org_id").alias("b"), "key"), on="key")
        .filter(pl.col("org_id") < pl.col("b"))
        .rename({"org_id": "a"})
    )
    return pairs.group_by("a", "b").agg(pl.col("kind").unique().sort().alias("kinds")).sort("a", "b")


class _Dense:
    """The network on dense positions 0..n-1 (firm ids sorted), so that a step is a gather, not a join."""

    def __init__(self, edges: pl.DataFrame):
        e = edges.select(pl.col("a").cast(pl.Int64), pl.col("b").cast(pl.Int64)).filter(
            pl.col("a") != pl.col("b")
        )
        self.ids = pl.concat([e["a"], e["b"]]).unique().sort()
        self.n = self.ids.len()
        self._table = self._lookup_table()
        self.a = self._positions(e["a"])
        self.b = self._positions(e["b"])

    def _lookup_table(self) -> np.ndarray | None:
        """id − smallest id → position, when the ids are dense enough (database keys are) for an array of
        at most 4 × n + 1 M entries; a lookup is then one gather instead of a binary search."""
        if self.n == 0:
            return None
        lo, hi = self.ids[0], self.ids[-1]
        if hi - lo + 1 > 4 * self.n + 1_000_000:
            return None
        table = np.full(hi - lo + 1, -1, dtype=np.int64)
        table[self.ids.to_numpy() - lo] = np.arange(self.n, dtype=np.int64)
        return table

    def _positions(self, ids: pl.Series) -> pl.Series:
        """Positions of ids known to be in the network."""
        if self._table is None:
            return self.ids.search_sorted(ids).cast(pl.Int64)
        return pl.Series(self._table[ids.to_numpy() - self.ids[0]], dtype=pl.Int64)

    def pos(self, ids: pl.Series) -> pl.Series:
        """Positions of the given firm ids that are in the network."""
        ids = ids.cast(pl.Int64)
        at = self.ids.search_sorted(ids).cast(pl.Int64)
        ok = (at < self.n) & (self.ids.gather(at.clip(0, max(self.n - 1, 0))) == ids) if self.n else at < 0
        return at.filter(ok)


def propagate(
    edges: pl.DataFrame, sources: pl.Series, params: Params, dense: _Dense | None = None
) -> pl.DataFrame:
    """org_id, hop (1..max_depth), via (the red firm it is nearest to; the smallest id on a tie), network
    (decay^hop): breadth-first from every red firm at once, one pass over the edge list per hop. Red firms
    themselves are not listed."""
    empty = pl.DataFrame(schema={"org_id": pl.Int64, "via": pl.Int64, "hop": pl.Int64, "network": pl.Float64})
    g = dense or _Dense(edges)
    start = g.pos(sources)
    if g.n == 0 or start.len() == 0:
        return empty
    null = pl.Series("v", [None] * g.n, dtype=pl.Int64)
    via = null.scatter(start, g.ids.gather(start))  # via of the current frontier, null elsewhere
    seen = pl.Series([False] * g.n).scatter(start, True)
    reached: list[pl.DataFrame] = []
    for hop in range(1, params.max_depth + 1):
        va, vb = via.gather(g.a), via.gather(g.b)
        cand = pl.concat(
            [
                pl.DataFrame({"p": g.b, "via": va}).filter(pl.col("via").is_not_null()),
                pl.DataFrame({"p": g.a, "via": vb}).filter(pl.col("via").is_not_null()),
            ]
        )
        nxt = cand.filter(~seen.gather(cand["p"])).group_by("p").agg(pl.col("via").min())
        if nxt.height == 0:
            break
        reached.append(nxt.with_columns(pl.lit(hop, dtype=pl.Int64).alias("hop")))
        seen = seen.scatter(nxt["p"], True)
        via = null.scatter(nxt["p"], nxt["via"])
    if not reached:
        return empty
    out = pl.concat(reached)
    return out.select(
        g.ids.gather(out["p"]).alias("org_id"),
        "via",
        "hop",
        (params.decay ** pl.col("hop").cast(pl.Float64)).alias("network"),
    )


def components(edges: pl.DataFrame, max_rounds: int = 64, dense: _Dense | None = None) -> pl.DataFrame:
    """org_id, cluster (the smallest org_id of its connected component), for every firm with an edge.

    Iterative label propagation by hooking and pointer jumping, vectorised: every label adjacent to a
    smaller one hooks onto the smallest (a group-by over the edges), labels then jump to their root
    (``label = label[label]`` until stable), and the edges are rewritten in labels, dropping those inside
    one label. The edge list shrinks every round; the rounds are O(log n)."""
    g = dense or _Dense(edges)
    if g.n == 0:
        return pl.DataFrame(schema={"org_id": pl.Int64, "cluster": pl.Int64})
    lab = pl.Series("lab", range(g.n), dtype=pl.Int64)
    a, b = g.a, g.b
    for _ in range(max_rounds):
        la, lb = lab.gather(a), lab.gather(b)
        e = pl.DataFrame({"a": la, "b": lb}).filter(pl.col("a") != pl.col("b"))
        if e.height == 0:
            break
        hook = e.group_by(pl.max_horizontal("a", "b").alias("hi")).agg(
            pl.min_horizontal("a", "b").min().alias("lo")
        )
        lab = lab.scatter(hook["hi"], hook["lo"])
        while True:  # pointer jumping to the roots
            up = lab.gather(lab)
            if up.equals(lab):
                break
            lab = up
        a, b = e["a"], e["b"]
    return pl.DataFrame({"org_id": g.ids, "cluster": g.ids.gather(lab)})


# ---------------------------------------------------------------------------
# The whole run
# ---------------------------------------------------------------------------


def score_firms(
    firms: pl.DataFrame, signals: pl.DataFrame, violations: pl.DataFrame, params: Params, today: dt.date
) -> pl.DataFrame:
    """Stage 1, per firm: measures and the five own dimensions. Any split of the firms gives the same rows,
    as long as each part holds all of its firms' signals and violations (the batch partitions by org_id)."""
    return dimension_scores(measures(firms, signals, violations, params, today), params)


def red_sources(scored: pl.DataFrame | pl.LazyFrame, params: Params) -> pl.Series:
    """The firms whose own points alone reach red: the sources of the network walk."""
    return scored.lazy().filter(pl.col("base") >= params.red).select("org_id").collect()["org_id"]


GRAPH = {
    "org_id": pl.Int64,
    "via": pl.Int64,
    "hop": pl.Int64,
    "network": pl.Float64,
    "cluster": pl.Int64,
    "cluster_size": pl.Int64,
}


def network(edges: pl.DataFrame, sources: pl.Series, params: Params) -> pl.DataFrame:
    """Stage 2, the whole graph at once: for every firm with an edge, the red firm it is nearest to (via,
    hop, network) and its cluster and cluster size (columns ``GRAPH``)."""
    dense = _Dense(edges)  # built once for both walks
    net = propagate(edges, sources, params, dense)
    comp = components(edges, dense=dense)
    comp = comp.with_columns(pl.len().over("cluster").cast(pl.Int64).alias("cluster_size"))
    return comp.join(net, on="org_id", how="left").select(list(GRAPH))


def finish(scored: pl.DataFrame, graph: pl.DataFrame, params: Params) -> pl.DataFrame:
    """Stage 3, per firm: the network's points, the index 0–100 and the colour (``graph`` may hold more or
    fewer firms than ``scored``: a firm without a row has no edge)."""
    out = (
        scored.join(graph, on="org_id", how="left", maintain_order="left")
        .with_columns(
            (pl.col("network").fill_null(0.0) * params.weights["network"]).round(2).alias("pts_network"),
            pl.col("hop").fill_null(0),
        )
        .with_columns(
            pl.min_horizontal(pl.col("base") + pl.col("pts_network"), pl.lit(100.0)).round(1).alias("index")
        )
    )
    return out.with_columns(colour_expr(pl.col("index"), params).alias("colour"))


def run(
    firms: pl.DataFrame,
    signals: pl.DataFrame,
    violations: pl.DataFrame,
    edges: pl.DataFrame,
    params: Params,
    today: dt.date,
) -> pl.DataFrame:
    """One row per firm: measures, the points of every dimension, index 0–100, colour, the network hop and
    source that raised it, cluster and cluster size (stages 1–3 in one process)."""
    scored = score_firms(firms, signals, violations, params, today)
    return finish(scored, network(edges, red_sources(scored, params), params), params)


def colour_counts(result: pl.DataFrame) -> dict[str, int]:
    counts = dict(result.group_by("colour").len().iter_rows())
    return {c: int(counts.get(c, 0)) for c in COLOURS}


# ---------------------------------------------------------------------------
# Working and evidence (one firm)
# ---------------------------------------------------------------------------


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if x is not None else "0"


def working(row: dict, params: Params) -> list[dict]:
    """Each dimension's points with the sentence that shows how they were reached."""
    w, s = params.weights, params.scales
    r = row.get("max_return")
    if r is None:
        y = "未发现承诺收益率"
    else:
        y = (
            f"承诺年化 {_n(r)}%；一年期 LPR {_n(params.lpr)}% 计 0 分，司法保护上限 {_n(params.ceiling)}%"
            f"（LPR 的 {_n(params.ceiling_multiple)} 倍）计满分"
        )
    kw = "、".join(row.get("words") or []) or "无"
    lines = {
        "yield_deviation": y,
        "complaints": f"近一年投诉、举报和 12345 记录 {row.get('complaints_365', 0)} 件（{_n(s['complaints_full_at'])} 件计满分）",
        "spread": f"近一年公开宣传和舆情 {row.get('texts_365', 0)} 条（{_n(s['spread_full_at'])} 条计满分）",
        "keywords": (
            f"命中特征词 {row.get('n_words', 0)} 个：{kw}；名称或经营范围含第九条字样 {row.get('art9_own', 0)} 个，"
            f"各再计 1 个（{_n(s['keywords_full_at'])} 个计满分）"
        ),
        "violations": (
            f"行政处罚、裁判文书、失信和经营异常 {row.get('records', 0)} 项，银行资金预警 "
            f"{row.get('bank_alerts_365', 0)} 条，其他模块报送的风险信号 {row.get('module_365') or 0} 条"
            f"（{_n(s['violations_full_at'])} 项计满分）"
        ),
        "network": (
            f"与红色预警企业相距 {row.get('hop')} 层关联，按 {_n(params.decay)} 的 {row.get('hop')} 次方计"
            if row.get("hop")
            else "关联企业中没有红色预警企业（2 层以内）"
        ),
    }
    return [
        {
            "dimension": d,
            "label": DIMENSION_LABELS[d],
            "points": float(row.get(f"pts_{d}") or 0.0),
            "max": float(w[d]),
            "working": lines[d],
        }
        for d in DIMENSIONS
    ]


def evidence(
    signals: pl.DataFrame, firm: dict, params: Params, today: dt.date, limit: int = 20
) -> list[dict]:
    """The texts behind the points of one firm: the sentence with a promised return, each text with a
    dictionary word (the words it contains), complaints and bank alerts, newest first."""
    sig = frame(signals, SIGNALS).filter(
        pl.col("occurred_on").is_null() | (pl.col("occurred_on") >= today - dt.timedelta(days=365))
    )
    words = sorted(params.keywords)
    sig = sig.with_columns(
        pl.coalesce("promised_return", promised_return_expr(pl.col("text"))).alias("rate"),
        pl.col("text").fill_null("").str.extract_many(words, overlapping=True).list.unique().alias("words"),
    ).sort("occurred_on", descending=True, nulls_last=True)
    items = []
    for rec in sig.iter_rows(named=True):
        dims = []
        if rec["kind"] in TEXT_KINDS and rec["rate"] is not None:
            dims.append("yield_deviation")
        if rec["kind"] in TEXT_KINDS and rec["words"]:
            dims.append("keywords")
        if rec["kind"] == "public_text":
            dims.append("spread")
        if rec["kind"] in COMPLAINT_KINDS:
            dims.append("complaints")
        if rec["kind"] in ("bank_alert", MODULE_VIOLATION):
            dims.append("violations")
        if dims:
            items.append({**rec, "dimensions": dims, "words": sorted(rec["words"] or [])})
    own = " ".join(x for x in (firm.get("name"), firm.get("scope")) if x)
    own_words = sorted({w for w in words if w in own})
    if own_words:
        items.insert(0, {"kind": "registration", "text": own, "words": own_words, "dimensions": ["keywords"]})
    return items[:limit]

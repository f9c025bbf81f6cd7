"""Batch matching (精准推送 push list) for every enterprise of the feature table, as a registered batch job
(``jinfu batch match``). The run is the composition of the pure pieces the online path and the benchmark use:
``jinfu.rules.batch.eligibility`` (each published product's rule) → ``engine.infer_needs`` →
``engine.Ranker.top_k`` → ``engine.push_list``. No Django in :func:`run`; :func:`prepare` reads the
published products on the driver.
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

from jinfu.rules import ENTERPRISE_FIELDS, compile_rule
from jinfu.rules.batch import eligibility

from . import engine

TOP_K = 10
SCHEMA = {"org_id": pl.Int64, "rank": pl.Int16, "product_id": pl.Int64, "score": pl.Float32}

_RANKERS: dict = {}  # per worker process: the prepared products of the current context


def _prepared(context: dict):
    key = context["key"]
    if key not in _RANKERS:
        _RANKERS.clear()
        catalog = context["catalog"]  # the driver's snapshot: a worker's feature registry is empty
        rules = [compile_rule(t, catalog) if t.strip() else None for t in context["rules"]]
        _RANKERS[key] = (engine.Ranker(context["products"], threads=1), rules)
    return _RANKERS[key]


def _eligible(rules, df: pl.DataFrame) -> np.ndarray:
    """n × m eligibility; a product without a rule is open to everyone."""
    ruled = [j for j, r in enumerate(rules) if r is not None]
    if len(ruled) == len(rules):
        return eligibility(rules, df)
    # the same column-major layout as ``eligibility`` (the ranker reads a product's column contiguously)
    out = np.ones((len(rules), df.height), dtype=bool).T
    if ruled:
        out[:, ruled] = eligibility([rules[j] for j in ruled], df)
    return out


def run(context: dict, df: pl.DataFrame) -> pl.DataFrame:
    """Top-k eligible products per enterprise: org_id, rank (1 = best), product_id, score (0–100)."""
    if df.height == 0 or not context["rules"]:
        return pl.DataFrame(schema=SCHEMA)
    ranker, rules = _prepared(context)
    needs = engine.needs_from_frame(engine.infer_needs(df))
    idx, sc = ranker.top_k(needs, _eligible(rules, df), context.get("k", TOP_K))
    pushed = engine.push_list(
        idx, sc, context["products"]["product_id"], enterprise_ids=df["org_id"].cast(pl.Int64)
    )
    return pushed.rename({"enterprise_id": "org_id"}).select(list(SCHEMA))


def context_for(products: pl.DataFrame, rules: list[str], k: int = TOP_K) -> dict:
    key = hashlib.sha1(repr((products.rows(), rules, k)).encode()).hexdigest()
    return {
        "products": products,
        "rules": list(rules),
        "k": k,
        "key": key,
        "catalog": ENTERPRISE_FIELDS.snapshot(),
    }


def prepare() -> dict:
    """The published products in the online catalog's order (rate, name), with their rule texts."""
    from .models import Product
    from .selectors import products_frame

    products = list(Product.objects.filter(status=Product.Status.PUBLISHED).order_by("rate_min", "name"))
    return context_for(products_frame(products), [p.eligibility_rule or "" for p in products])


def register_batch_jobs() -> None:
    from jinfu.batch.registry import BatchJob, register

    register(
        BatchJob(
            name="match",
            help="批量匹配：每家企业的前10个可申请产品 / top-10 eligible products per enterprise",
            schema=SCHEMA,
            run=run,
            prepare=prepare,
            key=("org_id", "rank"),
        )
    )

"""The financing module's use of the rule language: the enterprise catalog, compiled-rule cache,
eligibility with explanations for one enterprise, and the qualifying-count preview for the editor."""

from __future__ import annotations

import functools

import polars as pl

from jinfu.core.errors import ValidationFailed
from jinfu.rules import catalog as rules_catalog
from jinfu.rules.errors import RuleError
from jinfu.rules.rule import compile_rule


def catalog():
    return rules_catalog.ENTERPRISE_FIELDS


@functools.lru_cache(maxsize=4096)
def compiled(text: str):
    """A compiled rule (cached by its text); empty text means 'no restriction'."""
    return compile_rule(text, catalog(), kind="boolean") if text.strip() else None


def check_rule(text: str):
    """Validate a product rule; ValidationFailed carries the position and both messages."""
    try:
        return compiled(text or "")
    except RuleError as exc:
        err = ValidationFailed(exc.message_zh, exc.message_en, field="eligibility_rule", code=exc.code)
        err.position = (exc.start, exc.end)
        raise err from None


def eligibility_for(row: dict, products, *, explain: bool = True) -> tuple[list[bool], dict[int, list]]:
    """For one enterprise's feature row: eligible flags per product and, for the ineligible ones, the
    failed clauses (ClauseResult) explaining why (``explain=False``: the flags alone)."""
    flags, why = [], {}
    for p in products:
        rule = compiled(p.eligibility_rule or "")
        if rule is None:
            flags.append(True)
            continue
        ok = rule.passes(row)
        flags.append(ok)
        if not ok and explain:
            why[p.pk] = [c for c in rule.explain(row) if c.passed is not True]
    return flags, why


def qualifying_count(text: str, features: pl.DataFrame) -> int:
    rule = check_rule(text)
    if rule is None:
        return features.height
    return int(features.select(rule.to_polars().fill_null(False).alias("ok"))["ok"].sum())


class MatchCatalog:
    """The published products with their rules compiled and their clauses shared, for online matching.

    A rule passes when every one of its top-level clauses is TRUE (SQL three-valued logic), so one
    enterprise row is checked against all products by evaluating each distinct clause once. Built once per
    catalog state (count and last change of published products) and reused across requests."""

    def __init__(self, products):
        self.products = list(products)
        self.by_id = {p.pk: p for p in self.products}
        self.rules = [compiled(p.eligibility_rule or "") for p in self.products]
        self.clause_fns: dict[str, object] = {}
        self.product_clauses: list[tuple[str, ...]] = []
        for rule in self.rules:
            keys = []
            if rule is not None:
                for clause, fn in zip(rule.clauses, rule.clause_functions, strict=True):
                    self.clause_fns.setdefault(clause.key, fn)
                    keys.append(clause.key)
            self.product_clauses.append(tuple(keys))

    def evaluate(self, row: dict) -> tuple[list[bool], list[int]]:
        """Eligible flags and, per product, how many clauses are not TRUE (0 for eligible products)."""
        results = {key: fn(row) for key, fn in self.clause_fns.items()}
        failed = [sum(1 for k in keys if results[k] is not True) for keys in self.product_clauses]
        return [f == 0 for f in failed], failed

    def explain(self, index: int, row: dict) -> list:
        rule = self.rules[index]
        return [] if rule is None else [c for c in rule.explain(row) if c.passed is not True]


_CACHE: dict = {"key": None, "catalog": None}


def match_catalog(products_qs) -> MatchCatalog:
    from django.db.models import Count, Max

    from jinfu.core import dataversion

    state = products_qs.aggregate(n=Count("pk"), last=Max("updated_at"))
    # the table's data version too: a QuerySet.update() leaves updated_at alone
    key = (state["n"], state["last"], dataversion.tokens(dataversion.table_keys("financing.Product")))
    if _CACHE["key"] != key:
        _CACHE["catalog"] = MatchCatalog(
            products_qs.select_related("institution").order_by("rate_min", "name")
        )
        _CACHE["key"] = key
    return _CACHE["catalog"]

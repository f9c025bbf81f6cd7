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


def eligibility_for(row: dict, products) -> tuple[list[bool], dict[int, list]]:
    """For one enterprise's feature row: eligible flags per product and, for the ineligible ones, the
    failed clauses (ClauseResult) explaining why."""
    flags, why = [], {}
    for p in products:
        rule = compiled(p.eligibility_rule or "")
        if rule is None:
            flags.append(True)
            continue
        ok = rule.passes(row)
        flags.append(ok)
        if not ok:
            why[p.pk] = [c for c in rule.explain(row) if c.passed is not True]
    return flags, why


def qualifying_count(text: str, features: pl.DataFrame) -> int:
    rule = check_rule(text)
    if rule is None:
        return features.height
    return int(features.select(rule.to_polars().fill_null(False).alias("ok"))["ok"].sum())

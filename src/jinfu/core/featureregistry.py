"""The feature registry: how a module adds columns to the one enterprise feature table.

A :class:`FeatureSet` is a Polars schema (its columns), the catalog fields that document them, a
``load`` (the only Django-touching part: ``org_ids, today → {org_id: {column: value}}``), an optional
pure ``derive`` over the assembled table (for columns computed from other sets' columns, such as the
credit score) and an optional ``facts`` loader that offers candidate values for a shared fact
(revenue, employees, total assets) with their provenance.

Each app registers its sets from its ``AppConfig.ready()``; :mod:`jinfu.core.features` assembles the
rows from whatever is registered, so the kernel names no module. No Django import here.

One value per fact: when several sets offer a value for the same fact, :func:`pick_fact` keeps the one
whose source ranks first in :data:`FACT_PRECEDENCE` (ties: the latest ``as_of``). Self-declared values
(:data:`SELF_DECLARED`) are never candidates: they are shown as 自报 and no rule ever reads them.
docs/features.md documents the precedence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

Loader = Callable[[list[int] | None, dt.date], dict[int, dict]]
Derive = Callable[[pl.DataFrame, Any], pl.DataFrame]


@dataclass(frozen=True)
class FactValue:
    """A candidate value for a shared fact, with where it comes from and the date it describes."""

    org_id: int
    fact: str
    value: float | int | None
    source: str
    as_of: dt.date | None = None


FactLoader = Callable[[list[int] | None, dt.date], Iterable[FactValue]]

#: source code → Chinese label shown on pages (「来源：经审计财务报表 2025」)
SOURCE_LABELS = {
    "audited": "经审计财务报表",
    "statements_import": "财务报表（批量导入）",
    "tax": "纳税申报",
    "social_insurance": "社保缴纳",
    "registration": "企业登记/导入",
    "self_declared": "企业自报",
    "synthetic": "示例数据",
}
SELF_DECLARED = "self_declared"

#: fact → its sources, best first. A source missing from a fact's list never provides it.
FACT_PRECEDENCE: dict[str, tuple[str, ...]] = {
    "revenue": ("audited", "statements_import", "synthetic", "registration"),
    "total_assets": ("audited", "statements_import", "synthetic", "registration"),
    "employees": ("registration", "social_insurance"),
}
FACTS = tuple(FACT_PRECEDENCE)


@dataclass(frozen=True)
class FeatureSet:
    name: str
    schema: dict[str, pl.DataType]
    fields: tuple = ()  # jinfu.rules.catalog.Field, one per column a rule may read
    load: Loader | None = None
    #: pure: (the assembled table, the context ``prepare`` returned) → org_id + this set's columns
    derive: Derive | None = None
    prepare: Callable[[], Any] | None = None  # Django part of a derived set (e.g. the active scorecard)
    facts: FactLoader | None = None
    defaults: dict = field(default_factory=dict)  # the value of a column for an enterprise ``load`` omits
    scope: str = ""  # the consent scope an institution needs to read these columns
    order: int = 100  # loaders run in this order; derives run after every loader, in this order
    #: the tables ``load``/``facts``/``prepare`` read: ("app_label.Model", path to the enterprise id on a row,
    #: e.g. "enterprise_id" or "project.enterprise_id"; "" when a change concerns every enterprise). A write
    #: to one of them makes cached results over the feature row stale (jinfu.core.dataversion).
    sources: tuple[tuple[str, str], ...] = ()


_SETS: dict[str, FeatureSet] = {}


def register(fs: FeatureSet) -> FeatureSet:
    """Add (or replace, on a second ready()) a feature set. A column belongs to one set only."""
    for other in _SETS.values():
        if other.name != fs.name:
            clash = set(other.schema) & set(fs.schema)
            if clash:
                raise ValueError(f"feature set {fs.name}: columns {sorted(clash)} already in {other.name}")
    _SETS[fs.name] = fs
    return fs


def feature_sets() -> list[FeatureSet]:
    return sorted(_SETS.values(), key=lambda s: (s.order, s.name))


def schema() -> dict[str, pl.DataType]:
    """org_id, every registered column, then the provenance columns of each shared fact."""
    out: dict[str, pl.DataType] = {"org_id": pl.Int64}
    for fs in feature_sets():
        out.update(fs.schema)
    for fact in FACTS:
        out.setdefault(fact, pl.Float64)
        out[f"{fact}_source"] = pl.Utf8
        out[f"{fact}_as_of"] = pl.Date
    return out


def defaults() -> dict:
    out: dict = {}
    for fs in feature_sets():
        out.update(fs.defaults)
    return out


def sources() -> list[tuple[str, str]]:
    return [src for fs in feature_sets() for src in fs.sources]


def fields() -> list:
    return [f for fs in feature_sets() for f in fs.fields]


def pick_fact(candidates: Iterable[FactValue]) -> FactValue | None:
    """The candidate whose source ranks first for its fact; the latest as_of breaks a tie."""
    best, best_key = None, None
    for c in candidates:
        order = FACT_PRECEDENCE.get(c.fact, ())
        if c.value is None or c.source not in order:
            continue  # self-declared and unknown sources never provide a verified value
        key = (order.index(c.source), -(c.as_of.toordinal() if c.as_of else 0))
        if best_key is None or key < best_key:
            best, best_key = c, key
    return best


def source_label(source: str | None, as_of: dt.date | None = None) -> str:
    if not source:
        return ""
    label = SOURCE_LABELS.get(source, source)
    return f"{label} {as_of.isoformat()}" if as_of else label

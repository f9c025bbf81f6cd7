"""The feature registry: how a module adds columns to the one enterprise feature table, and the one
place the rule catalog's enterprise fields are declared.

A :class:`FeatureSet` is a Polars schema (its columns), the catalog :class:`Field` of each column (type,
Chinese label, unit, source; the set's grant ``scope`` is stamped on each field), a ``load`` (the only
Django-touching part: ``org_ids, today → LazyFrame`` of ``org_id`` and the set's columns), an optional
pure ``derive`` over the assembled table (for columns computed from other sets' columns, such as the
credit score) and an optional ``facts`` loader that offers candidate values for a shared fact (revenue,
employees, total assets) with their provenance, as a LazyFrame of :data:`FACT_SCHEMA`.

Each app registers its sets from its ``AppConfig.ready()``; :mod:`jinfu.core.features` assembles the
table from whatever is registered and :data:`jinfu.rules.catalog.ENTERPRISE_FIELDS` lists the registered
fields, so neither the kernel nor the rule language names a module. No Django import here.

One value per fact: when several sets offer a value for the same fact, :func:`pick_fact` keeps the one
whose source ranks first in :data:`FACT_PRECEDENCE` (ties: the latest ``as_of``). Self-declared values
(:data:`SELF_DECLARED`) are never candidates: they are shown as 自报 and no rule ever reads them.
docs/features.md documents the precedence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

#: the types a catalog field may have (what the rule validator checks)
TYPES = ("number", "integer", "string", "boolean", "date")


@dataclass(frozen=True)
class Field:
    """A documented column: what a rule may name, what explanations print, who may read it."""

    name: str
    type: str
    label_zh: str
    unit: str = ""
    source: str = ""
    description: str = ""
    nullable: bool = True
    label_en: str = ""
    scope: str = ""  # the consent scope an institution needs to read the column ("" = not a feature set's)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"field {self.name}: type must be one of {TYPES}, not {self.type!r}")
        if not self.name.isidentifier() or self.name.lower() != self.name:
            raise ValueError(f"field name must be a lower-case identifier: {self.name!r}")

    @property
    def kind(self) -> str:
        """The type the validator works with: integer and number are both 'number'."""
        return "number" if self.type in ("number", "integer") else self.type


#: a catalog field type → the Polars type of its column
POLARS_TYPES: dict[str, pl.DataType] = {
    "number": pl.Float64,
    "integer": pl.Int64,
    "string": pl.Utf8,
    "boolean": pl.Boolean,
    "date": pl.Date,
}

Loader = Callable[[list[int] | None, dt.date], pl.LazyFrame]
Derive = Callable[[pl.DataFrame, Any], pl.DataFrame]

#: the columns of a ``facts`` loader's frame: one candidate value per row
FACT_SCHEMA: dict[str, pl.DataType] = {
    "org_id": pl.Int64,
    "fact": pl.Utf8,
    "value": pl.Float64,
    "source": pl.Utf8,
    "as_of": pl.Date,
}
FactLoader = Callable[[list[int] | None, dt.date], pl.LazyFrame]

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
    fields: tuple[Field, ...] = ()  # one per column a rule may read
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
_VERSION = [0]


def register(fs: FeatureSet) -> FeatureSet:
    """Add (or replace, on a second ready()) a feature set. A column belongs to one set only, and each
    field documents a column of the set; the set's scope is stamped on its fields."""
    for other in _SETS.values():
        if other.name != fs.name:
            clash = set(other.schema) & set(fs.schema)
            if clash:
                raise ValueError(f"feature set {fs.name}: columns {sorted(clash)} already in {other.name}")
    documented = {f.name: f for f in fs.fields}
    if set(documented) != set(fs.schema):
        raise ValueError(f"feature set {fs.name}: fields {sorted(documented)} ≠ columns {sorted(fs.schema)}")
    wrong = [n for n, f in documented.items() if POLARS_TYPES[f.type] != fs.schema[n]]
    if wrong:
        raise ValueError(f"feature set {fs.name}: the field types of {wrong} differ from the schema")
    fields = tuple(f if f.scope else dataclasses.replace(f, scope=fs.scope) for f in fs.fields)
    fs = dataclasses.replace(fs, fields=fields)
    _SETS[fs.name] = fs
    _VERSION[0] += 1
    return fs


def version() -> int:
    """Changes whenever a set is registered (catalogs built from the registry refresh on it)."""
    return _VERSION[0]


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


def fields() -> list[Field]:
    return [f for fs in feature_sets() for f in fs.fields]


def fact_frame(rows) -> pl.LazyFrame:
    """Candidate rows ``(org_id, fact, value, source, as_of)`` as a facts loader's LazyFrame."""
    return pl.LazyFrame(list(rows), schema=FACT_SCHEMA, orient="row")


@dataclass(frozen=True)
class FactValue:
    """A candidate value for a shared fact, with where it comes from and the date it describes."""

    org_id: int
    fact: str
    value: float | int | None
    source: str | None
    as_of: dt.date | None = None


def pick_fact(candidates) -> FactValue | None:
    """The candidate whose source ranks first for its fact; the latest as_of breaks a tie. Candidates
    with no value or a source the fact does not list (self-declared) never provide it."""
    best, best_key = None, None
    for c in candidates:
        order = FACT_PRECEDENCE.get(c.fact, ())
        if c.value is None or c.source not in order:
            continue
        key = (order.index(c.source), -(c.as_of.toordinal() if c.as_of else 0))
        if best_key is None or key < best_key:
            best, best_key = c, key
    return best


def source_label(source: str | None, as_of: dt.date | None = None) -> str:
    if not source:
        return ""
    label = SOURCE_LABELS.get(source, source)
    return f"{label} {as_of.isoformat()}" if as_of else label

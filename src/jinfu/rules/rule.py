"""``compile_rule``: text → validated ``Rule`` with its clauses and compiled back ends."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import polars as pl
from sqlglot import exp

from . import compile as backends
from .catalog import Catalog
from .limits import too_deep_for_parser
from .validate import DIALECT, clause_span, validate


@dataclass(frozen=True)
class Clause:
    """One top-level AND operand of a rule: its source text, its node and a canonical key."""

    text: str
    node: exp.Expression = field(repr=False, compare=False)
    key: str = field(compare=True)
    start: int = 0
    end: int = 0


def canonical(node: exp.Expression) -> str:
    """Canonical SQL of an expression: outer parentheses dropped, IN lists sorted and deduplicated."""
    n = node
    while isinstance(n, exp.Paren):
        n = n.this
    n = n.copy()
    for i in list(n.find_all(exp.In)):
        items = {e.sql(dialect=DIALECT): e for e in i.expressions}
        i.set("expressions", [items[k] for k in sorted(items)])
    return n.sql(dialect=DIALECT, normalize=True)


def split_and(node: exp.Expression) -> list[exp.Expression]:
    n = node
    while isinstance(n, exp.Paren) and isinstance(n.this, exp.Paren | exp.And):
        n = n.this
    if isinstance(n, exp.And):
        return split_and(n.this) + split_and(n.expression)
    return [node]


class Rule:
    """A validated rule. Build with :func:`compile_rule`."""

    def __init__(self, text: str, kind: str, node: exp.Expression, fields: set[str], catalog: Catalog):
        self.text = text
        self.kind = kind
        self.node = node
        self.fields = frozenset(fields)
        self.catalog = catalog
        clauses = []
        parts = split_and(node) if kind == "boolean" else [node]
        for c in parts:
            s, e = clause_span(c, text) if len(parts) > 1 else (0, len(text))
            clauses.append(Clause(text[s:e].strip() or c.sql(dialect=DIALECT), c, canonical(c), s, e))
        self.clauses: tuple[Clause, ...] = tuple(clauses)

    def __repr__(self) -> str:
        return f"Rule({self.text!r}, kind={self.kind!r})"

    @cached_property
    def python_source(self) -> str:
        return backends.to_python_source(self.node, self.catalog)[0]

    @cached_property
    def _fn(self) -> Callable[[Mapping], Any]:
        return backends.to_python(self.node, self.catalog)

    def to_python(self) -> Callable[[Mapping], Any]:
        """The rule compiled once to a Python function of one row (a mapping field → value)."""
        return self._fn

    def evaluate(self, row: Mapping) -> Any:
        return self._fn(row)

    @cached_property
    def _exact_fn(self) -> Callable[[Mapping], Any]:
        return backends.to_python(self.node, self.catalog, exact=True)

    def evaluate_exact(self, row: Mapping) -> Any:
        """The rule's value with numbers as Decimal (literals exactly as written, float fields by their
        shortest repr): for money, where ``40.5 * 0.03`` must be 1.215, not 1.2149999999999999."""
        return self._exact_fn(row)

    def passes(self, row: Mapping) -> bool:
        """True only if the rule is TRUE for the row (NULL counts as not eligible)."""
        return self._fn(row) is True

    def to_polars(self) -> pl.Expr:
        expr = backends.to_polars(self.node, self.catalog)
        if not self.fields:  # a constant rule: broadcast to the frame's length
            expr = pl.repeat(expr, pl.len())
        return expr

    def to_sql(self, dialect: str = DIALECT) -> str:
        """SQL text for ``duckdb`` or ``spark`` (any sqlglot dialect works)."""
        return backends.to_sql(self.node, dialect)

    @cached_property
    def clause_functions(self) -> tuple[Callable[[Mapping], Any], ...]:
        return tuple(backends.to_python(c.node, self.catalog) for c in self.clauses)

    def explain(self, row: Mapping) -> list:
        from .explain import explain

        return explain(self, row)


def compile_rule(text: str, catalog: Catalog, kind: str = "boolean") -> Rule:
    """Validate ``text`` against ``catalog`` and return a :class:`Rule`; raises ``RuleError``.

    The size limits of :mod:`jinfu.rules.limits` keep every tree shallow enough for the recursive
    type checker; the RecursionError guard is the last line should one be missed."""
    try:
        node, fields, _ = validate(text, catalog, kind)
        return Rule(text, kind, node, fields, catalog)
    except RecursionError:
        raise too_deep_for_parser(text) from None

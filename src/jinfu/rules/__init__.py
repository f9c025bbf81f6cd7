"""The rule language: SQL boolean and numeric expressions over a documented field catalog.

Shared by product eligibility, policy eligibility and benefits, listing standards and profile tags.
Pure (no Django): validate with sqlglot, explain clause by clause, compile to Polars (batch), a Python
closure (one row, online) and SQL text (DuckDB, Spark).
"""

from .batch import (
    eligibility,
    eligibility_chunks,
    eligibility_duckdb,
    eligibility_naive_polars,
    eligibility_packed,
)
from .catalog import ENTERPRISE_FIELDS, Catalog, Field
from .errors import RuleError
from .explain import ClauseResult
from .rule import Clause, Rule, compile_rule

__all__ = [
    "ENTERPRISE_FIELDS",
    "Catalog",
    "Clause",
    "ClauseResult",
    "Field",
    "Rule",
    "RuleError",
    "compile_rule",
    "eligibility",
    "eligibility_chunks",
    "eligibility_duckdb",
    "eligibility_naive_polars",
    "eligibility_packed",
]

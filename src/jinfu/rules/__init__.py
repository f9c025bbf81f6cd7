"""The rule language: SQL boolean and numeric expressions over a documented field catalog.

Shared by product eligibility, policy eligibility and benefits, listing standards and profile tags.
Pure (no Django): validate with sqlglot, explain clause by clause, compile to Polars (batch), a Python
closure (one row, online) and SQL text (DuckDB, Spark).
"""

"""Declared output schema → Arrow and Spark schemas, and the cast of Polars' Arrow output to it.

Polars exports ``string_view`` / ``large_string`` / ``large_list`` and dictionary-encoded enums, which
Spark's ``mapInArrow`` rejects: every batch is cast to the plain types declared here before it is yielded.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

_ARROW = {
    pl.Int64: (pa.int64(), "bigint"),
    pl.Int32: (pa.int32(), "int"),
    pl.Int16: (pa.int16(), "smallint"),
    pl.Float64: (pa.float64(), "double"),
    pl.Float32: (pa.float32(), "float"),
    pl.String: (pa.string(), "string"),
    pl.Boolean: (pa.bool_(), "boolean"),
    pl.Date: (pa.date32(), "date"),
}


def _entry(dtype: pl.DataType):
    if dtype == pl.List(pl.String):
        return pa.list_(pa.string()), "array<string>"
    for k, v in _ARROW.items():
        if dtype == k:
            return v
    raise TypeError(f"unsupported batch output type {dtype}")


def arrow_schema(schema: dict[str, pl.DataType]) -> pa.Schema:
    return pa.schema([pa.field(name, _entry(dt)[0]) for name, dt in schema.items()])


def spark_ddl(schema: dict[str, pl.DataType]) -> str:
    return ", ".join(f"`{name}` {_entry(dt)[1]}" for name, dt in schema.items())


def conform(df: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The declared columns, in order, with the declared Polars types (enums → strings)."""
    return df.select(pl.col(name).cast(dt) for name, dt in schema.items())


def to_arrow(df: pl.DataFrame, schema: dict[str, pl.DataType]) -> pa.Table:
    return conform(df, schema).to_arrow().cast(arrow_schema(schema))

"""Batch eligibility: many rules × many enterprises, fast.

Every rule is split into its top-level AND clauses; identical clauses across rules (same canonical
SQL) are evaluated once over the whole frame, as packed bit arrays (NULL counts as FALSE: a rule
passes only if every clause is TRUE, which is exactly "the Kleene AND is TRUE"). A rule is then the
AND of its clauses' bits. Simple clause shapes (field op literal, field [NOT] IN (…), BETWEEN,
IS [NOT] NULL, boolean fields) run on NumPy arrays — string columns are dictionary-encoded once
(a lookup table over the categories answers IN/= for the whole column); the other clauses run in
one Polars ``select``.

Spark: the same function runs per partition. A driver would do::

    schema = "matrix binary"  # or one boolean column per product
    CATALOG = ENTERPRISE_FIELDS.snapshot()  # on the driver (Django set up): a fixed, picklable catalog
    def per_partition(batches):  # Iterator[pyarrow.RecordBatch]
        rules = [compile_rule(t, CATALOG) for t in RULE_TEXTS]  # broadcast the texts and the catalog
        for rb in batches:
            df = pl.from_arrow(rb)
            packed = eligibility_packed(rules, df)  # (n_rules, ceil(n/8)) uint8
            yield pyarrow.RecordBatch.from_pydict({"uscc": df["uscc"], ...})
    features.mapInArrow(per_partition, schema)

or, SQL only, ``SELECT uscc, <rule.to_sql("spark")> AS p1, … FROM features``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from sqlglot import exp

from jinfu.core.featureregistry import POLARS_TYPES

from .compile import is_literal, literal_value
from .rule import Rule

_NUM_OPS = {
    exp.EQ: np.equal,
    exp.NEQ: np.not_equal,
    exp.LT: np.less,
    exp.LTE: np.less_equal,
    exp.GT: np.greater,
    exp.GTE: np.greater_equal,
}
_FLIP = {exp.EQ: exp.EQ, exp.NEQ: exp.NEQ, exp.LT: exp.GT, exp.LTE: exp.GTE, exp.GT: exp.LT, exp.GTE: exp.LTE}


def _strip(n):
    while isinstance(n, exp.Paren):
        n = n.this
    return n


@dataclass
class _Column:
    kind: str
    values: np.ndarray | None = None  # number: float64 (NaN for null); boolean: bool
    valid: np.ndarray | None = None  # bool mask of non-null
    categories: list | None = None  # string: sorted categories
    codes: np.ndarray | None = None  # string: code per row, len(categories) for null


class _Frame:
    def __init__(self, df: pl.DataFrame, catalog):
        self.df = df
        self.catalog = catalog
        self.n = df.height
        self._cols: dict[str, _Column] = {}

    def col(self, name: str) -> _Column:
        c = self._cols.get(name)
        if c is None:
            s = self.df.get_column(name)
            kind = self.catalog[name].kind
            valid = s.is_not_null().to_numpy()
            if kind == "number":
                v = s.cast(pl.Float64).to_numpy()
                valid = valid & ~np.isnan(v)
                c = _Column(kind, v, valid)
            elif kind == "boolean":
                c = _Column(kind, s.fill_null(False).to_numpy().astype(bool, copy=False), valid)
            elif kind == "string":
                cats = s.drop_nulls().unique().sort().to_list()
                codes = s.cast(pl.Enum(cats)).to_physical().cast(pl.Int64).fill_null(len(cats)).to_numpy()
                c = _Column(kind, None, valid, cats, codes)
            else:
                c = _Column(kind, None, valid)
            self._cols[name] = c
        return c

    def lut(self, c: _Column, pred) -> np.ndarray:
        table = np.zeros(len(c.categories) + 1, dtype=bool)
        for i, cat in enumerate(c.categories):
            table[i] = pred(cat)
        return table[c.codes]


def _fast(node: exp.Expression, frame: _Frame) -> np.ndarray | None:
    """A NumPy bool array (NULL → False) for the simple shapes, else None."""
    node = _strip(node)
    negated = False
    if isinstance(node, exp.Not):
        negated, node = True, _strip(node.this)

    def column(n):
        n = _strip(n)
        return frame.col(n.name) if isinstance(n, exp.Column) else None

    out = None
    if isinstance(node, exp.Column):
        c = column(node)
        out = c.values & c.valid if c.kind == "boolean" else None
        if out is not None and negated:
            return ~c.values & c.valid
        return out
    if isinstance(node, exp.Is):
        c = column(node.this)
        if c is None:
            return None
        return c.valid.copy() if negated else ~c.valid
    if isinstance(node, tuple(_NUM_OPS)):
        op, a, b = type(node), node.this, node.expression
        if not isinstance(_strip(a), exp.Column) and isinstance(_strip(b), exp.Column):
            op, a, b = _FLIP[op], b, a
        if not (isinstance(_strip(a), exp.Column) and is_literal(b)) or literal_value(b) is None:
            return None
        c, v = column(a), literal_value(b)
        if c.kind == "number":
            out = _NUM_OPS[op](c.values, v) & c.valid
        elif c.kind == "string":
            f = _NUM_OPS[op]
            out = frame.lut(c, lambda cat: bool(f(cat, v)))
        elif c.kind == "boolean" and op in (exp.EQ, exp.NEQ):
            want = v if op is exp.EQ else not v
            out = (c.values if want else ~c.values) & c.valid
        else:
            return None
    elif isinstance(node, exp.In) and isinstance(_strip(node.this), exp.Column):
        vals = [literal_value(v) for v in node.expressions]
        present = [v for v in vals if v is not None]
        if negated and len(present) < len(vals):
            return np.zeros(frame.n, dtype=bool)  # NOT IN (…, NULL) is never TRUE
        c = column(node.this)
        if c.kind == "number":
            out = np.isin(c.values, np.array(present, dtype=float)) & c.valid
        elif c.kind == "string":
            s = set(present)
            out = frame.lut(c, lambda cat: cat in s)
        elif c.kind == "boolean":
            s = set(present)
            out = np.where(c.values, True in s, False in s) & c.valid
        else:
            return None
    elif isinstance(node, exp.Between) and isinstance(_strip(node.this), exp.Column):
        lo, hi = node.args["low"], node.args["high"]
        if not (is_literal(lo) and is_literal(hi)):
            return None
        lo, hi = literal_value(lo), literal_value(hi)
        c = column(node.this)
        if lo is None or hi is None or c.kind != "number":
            return None
        out = (c.values >= lo) & (c.values <= hi) & c.valid
    else:
        return None
    if negated:
        return ~out & column(node.this if not isinstance(node, tuple(_NUM_OPS)) else a).valid
    return out


def _clause_bits(rules: Sequence[Rule], df: pl.DataFrame) -> tuple[dict[str, np.ndarray], list[list[str]]]:
    if not rules:
        return {}, []
    catalog = rules[0].catalog
    frame = _Frame(df, catalog)
    distinct: dict[str, exp.Expression] = {}
    per_rule: list[list[str]] = []
    for r in rules:
        if r.kind != "boolean":
            raise ValueError(f"eligibility needs boolean rules, not {r.kind}: {r.text}")
        keys = []
        for c in r.clauses:
            distinct.setdefault(c.key, c.node)
            keys.append(c.key)
        per_rule.append(keys)
    bits: dict[str, np.ndarray] = {}
    slow: list[tuple[str, exp.Expression]] = []
    for key, node in distinct.items():
        arr = _fast(node, frame)
        if arr is None:
            slow.append((key, node))
        else:
            bits[key] = np.packbits(arr)
    if slow:
        from .compile import to_polars

        used = {c.name for _, n in slow for c in n.find_all(exp.Column)}
        floats = [c for c in used if df.schema[c] in (pl.Float32, pl.Float64)]
        src = df.with_columns([pl.col(c).fill_nan(None) for c in floats]) if floats else df
        # An all-null column has dtype Null; Polars may fold expressions over it to a length-1 result.
        # Give it the catalog's type so every clause yields one value per row.
        nulls = [c for c in used if src.schema[c] == pl.Null]
        if nulls:
            src = src.with_columns([pl.col(c).cast(POLARS_TYPES[catalog[c].type]) for c in nulls])
        exprs = []
        for i, (_key, node) in enumerate(slow):
            e = to_polars(node, catalog)
            if not any(True for _ in node.find_all(exp.Column)):
                e = pl.repeat(e, pl.len())
            exprs.append(e.fill_null(False).alias(f"c{i}"))
        out = src.select(exprs)
        for i, (key, _) in enumerate(slow):
            bits[key] = np.packbits(out.get_column(f"c{i}").to_numpy().astype(bool, copy=False))
    return bits, per_rule


def eligibility_packed(rules: Sequence[Rule], df: pl.DataFrame) -> np.ndarray:
    """(n_rules, ceil(n_rows / 8)) uint8: bit j of row i (``np.unpackbits``) says rule i passes row j."""
    bits, per_rule = _clause_bits(rules, df)
    nbytes = (df.height + 7) // 8
    packed = np.empty((len(rules), nbytes), dtype=np.uint8)
    for i, keys in enumerate(per_rule):
        np.copyto(packed[i], bits[keys[0]])
        for k in keys[1:]:
            np.bitwise_and(packed[i], bits[k], out=packed[i])
    return packed


def eligibility(rules: Sequence[Rule], df: pl.DataFrame) -> np.ndarray:
    """Boolean matrix (n_rows × n_rules): ``m[j, i]`` is True iff rule i is TRUE for row j (NULL → False).

    The matrix is the transpose of a C-ordered (n_rules × n_rows) array (column-major for this shape):
    ``m[:, i]`` is contiguous. For bounded memory use :func:`eligibility_chunks`."""
    packed = eligibility_packed(rules, df)
    rows = np.unpackbits(packed, axis=1, count=df.height).view(bool)
    return rows.T


def eligibility_chunks(
    rules: Sequence[Rule], df: pl.DataFrame, chunk_rows: int = 200_000
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(offset, matrix)`` for consecutive row chunks: ``matrix`` as :func:`eligibility`."""
    for offset in range(0, df.height, chunk_rows):
        yield offset, eligibility(rules, df.slice(offset, chunk_rows))


def eligibility_naive_polars(rules: Sequence[Rule], df: pl.DataFrame) -> np.ndarray:
    """Reference: one ``df.select(rule.to_polars())`` per rule."""
    out = np.empty((len(rules), df.height), dtype=bool)
    for i, r in enumerate(rules):
        out[i] = df.select(r.to_polars().fill_null(False).alias("ok")).get_column("ok").to_numpy()
    return out.T


def eligibility_duckdb(rules: Sequence[Rule], df: pl.DataFrame, con=None) -> np.ndarray:
    """Reference: one DuckDB query per rule over the frame, loaded once into a DuckDB table
    (through a Parquet file: no pyarrow dependency; a production run reads the exported Parquet)."""
    import os
    import tempfile

    import duckdb

    con = con or duckdb.connect()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "features.parquet")
        df.write_parquet(path)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE features AS SELECT * FROM read_parquet(?, file_row_number = true)",
            [path],
        )
    out = np.empty((len(rules), df.height), dtype=bool)
    for i, r in enumerate(rules):
        sql = f"SELECT file_row_number AS rid, COALESCE(({r.to_sql('duckdb')}), FALSE) AS ok FROM features"
        res = con.execute(sql).fetchnumpy()  # parallel scans need not keep row order: place by row number
        out[i, np.asarray(res["rid"])] = np.asarray(res["ok"], dtype=bool)
    con.execute("DROP TABLE features")
    return out.T

"""Back ends for a validated rule expression: a Python closure (one row), Polars (batch), SQL text.

Semantics shared by every back end (see docs/rules.md):
SQL three-valued logic (a comparison with NULL is NULL, Kleene AND/OR, NOT NULL is NULL); numbers are
compared and computed as floats, except on the exact Python path (``exact=True``: money), which computes
with Decimal; division by zero is NULL; IN with a NULL in the list is NULL when
nothing matches; CASE without ELSE is NULL; LEAST/GREATEST ignore NULL arguments (NULL only if all
are); COALESCE returns the first non-NULL; ROUND rounds half away from zero.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl
from sqlglot import exp

from .catalog import Catalog
from .validate import DIALECT

PY_OP = {exp.EQ: "==", exp.NEQ: "!=", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
ARITH_OP = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}


def literal_value(node: exp.Expression, exact: bool = False) -> Any:
    """The Python value of a literal node (numbers as float, or as Decimal when ``exact``)."""
    if isinstance(node, exp.Paren):
        return literal_value(node.this, exact)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        return decimal.Decimal(node.this) if exact else float(node.this)
    if isinstance(node, exp.Neg):
        return -literal_value(node.this, exact)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Cast):
        return dt.date.fromisoformat(node.this.this)
    raise TypeError(f"not a literal: {node.sql()}")


def is_literal(node: exp.Expression) -> bool:
    try:
        literal_value(node)
    except (TypeError, AttributeError, ValueError):
        return False
    return True


def round_half_away(x: float, d: int = 0) -> float:
    if not math.isfinite(x):  # ROUND(1e999) is inf, ROUND(inf - inf) NaN, as in SQL
        return x
    p = 10.0**d
    return math.copysign(math.floor(abs(x) * p + 0.5), x) / p


# Exact arithmetic never raises: an overflow is Infinity, an invalid operation NaN (no amount then).
EXACT_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN, traps=[])


def round_half_away_exact(x: decimal.Decimal, d: int = 0) -> decimal.Decimal:
    return x.quantize(decimal.Decimal(1).scaleb(-d), rounding=decimal.ROUND_HALF_UP)


def to_decimal(v) -> decimal.Decimal | None:
    """A number of a row as Decimal: a float by its shortest repr (30000.1, not 30000.099999999998545),
    NaN as NULL."""
    if v is None:
        return None
    if isinstance(v, decimal.Decimal):
        return None if v.is_nan() else v
    if isinstance(v, int):
        return decimal.Decimal(int(v))
    f = float(v)
    return None if f != f else decimal.Decimal(repr(f))


def _least(*xs):
    vals = [x for x in xs if x is not None]
    return min(vals) if vals else None


def _greatest(*xs):
    vals = [x for x in xs if x is not None]
    return max(vals) if vals else None


# ------------------------------------------------------------------------------------------- Python
class _PyGen:
    def __init__(self, catalog: Catalog, exact: bool = False):
        self.catalog = catalog
        self.exact = exact
        self.fields: dict[str, str] = {}
        self.consts: dict[str, Any] = {}
        self.n = 0

    def tmp(self) -> str:
        self.n += 1
        return f"_t{self.n}"

    def const(self, value) -> str:
        name = f"_c{len(self.consts)}"
        self.consts[name] = value
        return name

    def field(self, name: str) -> str:
        if name not in self.fields:
            self.fields[name] = f"_f{len(self.fields)}"
        return self.fields[name]

    def strict(self, a: str, b: str, fmt: str, extra_null: str = "") -> str:
        """NULL if either side is NULL, else fmt with the two temps."""
        ta, tb = self.tmp(), self.tmp()
        cond = f"({ta} := {a}) is None or ({tb} := {b}) is None" + (
            f" or {extra_null.format(a=ta, b=tb)}" if extra_null else ""
        )
        return f"(None if {cond} else {fmt.format(a=ta, b=tb)})"

    def kand(self, a: str, b: str) -> str:
        ta, tb = self.tmp(), self.tmp()
        return f"(False if ({ta} := {a}) is False or ({tb} := {b}) is False else (None if {ta} is None or {tb} is None else True))"

    def gen(self, node: exp.Expression) -> str:  # noqa: C901
        if isinstance(node, exp.Paren):
            return self.gen(node.this)
        if isinstance(node, exp.Column):
            return self.field(node.name)
        if is_literal(node):
            v = literal_value(node, self.exact)
            if isinstance(v, float) and not math.isfinite(v):  # 1e999 is inf, whose repr is no literal
                return self.const(v)
            return repr(v) if isinstance(v, str | float | bool | type(None)) else self.const(v)
        if isinstance(node, exp.Neg):
            t = self.tmp()
            return f"(None if ({t} := {self.gen(node.this)}) is None else -{t})"
        if isinstance(node, tuple(ARITH_OP)):
            op = ARITH_OP[type(node)]
            extra = "{b} == 0" if op == "/" else ""
            return self.strict(self.gen(node.this), self.gen(node.expression), "{a} " + op + " {b}", extra)
        if isinstance(node, tuple(PY_OP)):
            return self.strict(
                self.gen(node.this), self.gen(node.expression), "{a} " + PY_OP[type(node)] + " {b}"
            )
        if isinstance(node, exp.And):
            return self.kand(self.gen(node.this), self.gen(node.expression))
        if isinstance(node, exp.Or):
            ta, tb = self.tmp(), self.tmp()
            a, b = self.gen(node.this), self.gen(node.expression)
            return f"(True if ({ta} := {a}) is True or ({tb} := {b}) is True else (None if {ta} is None or {tb} is None else False))"
        if isinstance(node, exp.Not):
            t = self.tmp()
            return f"(None if ({t} := {self.gen(node.this)}) is None else not {t})"
        if isinstance(node, exp.Is):
            return f"({self.gen(node.this)} is None)"
        if isinstance(node, exp.Between):
            t = self.tmp()
            x = f"({t} := {self.gen(node.this)})"
            lo = self.strict(x, self.gen(node.args["low"]), "{a} >= {b}")
            hi = self.strict(t, self.gen(node.args["high"]), "{a} <= {b}")
            return self.kand(lo, hi)
        if isinstance(node, exp.In):
            vals = [literal_value(v, self.exact) for v in node.expressions]
            has_null = any(v is None for v in vals)
            s = self.const(frozenset(v for v in vals if v is not None))
            t = self.tmp()
            miss = "None" if has_null else "False"
            return f"(None if ({t} := {self.gen(node.this)}) is None else (True if {t} in {s} else {miss}))"
        if isinstance(node, exp.Case):
            out = self.gen(node.args["default"]) if node.args.get("default") is not None else "None"
            for branch in reversed(node.args.get("ifs") or []):
                out = f"({self.gen(branch.args['true'])} if {self.gen(branch.this)} is True else {out})"
            return out
        if isinstance(node, exp.Coalesce):
            args = [node.this, *node.expressions]
            out = self.gen(args[-1])
            for arg in reversed(args[:-1]):
                t = self.tmp()
                out = f"({t} if ({t} := {self.gen(arg)}) is not None else {out})"
            return out
        if isinstance(node, exp.Least | exp.Greatest):
            fn = "_least" if isinstance(node, exp.Least) else "_greatest"
            return f"{fn}({', '.join(self.gen(a) for a in [node.this, *node.expressions])})"
        if isinstance(node, exp.Abs):
            t = self.tmp()
            return f"(None if ({t} := {self.gen(node.this)}) is None else abs({t}))"
        if isinstance(node, exp.Round):
            d = node.args.get("decimals")
            t = self.tmp()
            return f"(None if ({t} := {self.gen(node.this)}) is None else _round({t}, {int(d.this) if d else 0}))"
        raise TypeError(f"cannot compile {type(node).__name__}")


_COERCE = {
    "number": "    if {v} is not None:\n        {v} = float({v})\n        if {v} != {v}:\n            {v} = None\n",
    "integer": "    if {v} is not None:\n        {v} = float({v})\n",
    "boolean": "    if {v} is not None:\n        {v} = bool({v})\n",
    "string": "",
    "date": "    if isinstance({v}, _datetime):\n        {v} = {v}.date()\n",
}


_COERCE_EXACT = _COERCE | {
    "number": "    {v} = _decimal({v})\n",
    "integer": "    {v} = _decimal({v})\n",
}


def to_python_source(
    node: exp.Expression, catalog: Catalog, name: str = "_rule", exact: bool = False
) -> tuple[str, dict]:
    g = _PyGen(catalog, exact)
    body = g.gen(node)
    lines = [f"def {name}(r):"]
    coercions = _COERCE_EXACT if exact else _COERCE
    for field, var in g.fields.items():
        lines.append(f"    {var} = r.get({field!r})")
        coerce = coercions[catalog[field].type]
        if coerce:
            lines.append(coerce.format(v=var).rstrip("\n"))
    lines.append(f"    return {body}")
    ns = {
        "_least": _least,
        "_greatest": _greatest,
        "_round": round_half_away_exact if exact else round_half_away,
        "_decimal": to_decimal,
        "_datetime": dt.datetime,
        **g.consts,
    }
    return "\n".join(lines) + "\n", ns


def to_python(node: exp.Expression, catalog: Catalog, exact: bool = False) -> Callable[[Mapping], Any]:
    """The rule as a Python function of one row. ``exact``: numbers are Decimal (fields converted by
    :func:`to_decimal`, literals from their text), computed in :data:`EXACT_CONTEXT`; for money."""
    src, ns = to_python_source(node, catalog, exact=exact)
    with warnings.catch_warnings():  # `1.5 is None` (a literal IS NULL) is right, if unusual, Python
        warnings.simplefilter("ignore", SyntaxWarning)
        code = compile(src, "<rule>", "exec")
    exec(code, ns)  # noqa: S102 - source generated from a validated AST
    fn = ns["_rule"]
    fn.__source__ = src
    if not exact:
        return fn

    def exact_fn(row: Mapping) -> Any:
        with decimal.localcontext(EXACT_CONTEXT):
            return fn(row)

    exact_fn.__source__ = src
    return exact_fn


# ------------------------------------------------------------------------------------------- Polars
_PL_NULL = {"boolean": pl.Boolean, "number": pl.Float64}


def to_polars(node: exp.Expression, catalog: Catalog) -> pl.Expr:  # noqa: C901
    def g(n: exp.Expression, want: str | None = None) -> pl.Expr:
        if isinstance(n, exp.Paren):
            return g(n.this, want)
        if isinstance(n, exp.Column):
            return pl.col(n.name)
        if is_literal(n):
            v = literal_value(n)
            if v is None:
                return pl.lit(None, dtype=_PL_NULL.get(want, pl.Null))
            return pl.lit(v)
        if isinstance(n, exp.Neg):
            return -g(n.this, "number")
        if isinstance(n, tuple(ARITH_OP)):
            a, b = g(n.this, "number"), g(n.expression, "number")
            if isinstance(n, exp.Add):
                return a + b
            if isinstance(n, exp.Sub):
                return a - b
            if isinstance(n, exp.Mul):
                return a * b
            return pl.when(b == 0).then(pl.lit(None, dtype=pl.Float64)).otherwise(a.cast(pl.Float64) / b)
        if isinstance(n, tuple(PY_OP)):
            op = PY_OP[type(n)]
            left, right = n.this, n.expression
            if (
                next(left.find_all(exp.Column), None) is None
                and next(right.find_all(exp.Column), None) is not None
            ):
                # constant side on the right: Polars 2.1 can fold `const <op> expr` to one row when the
                # column is all null; the mirrored comparison is the same predicate, one value per row
                left, right = right, left
                op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            a, b = g(left), g(right)
            return {
                "==": a.__eq__,
                "!=": a.__ne__,
                "<": a.__lt__,
                "<=": a.__le__,
                ">": a.__gt__,
                ">=": a.__ge__,
            }[op](b)
        if isinstance(n, exp.And):
            return g(n.this, "boolean") & g(n.expression, "boolean")
        if isinstance(n, exp.Or):
            return g(n.this, "boolean") | g(n.expression, "boolean")
        if isinstance(n, exp.Not):
            return ~g(n.this, "boolean")
        if isinstance(n, exp.Is):
            return g(n.this).is_null()
        if isinstance(n, exp.Between):
            x = g(n.this)
            return (x >= g(n.args["low"])) & (x <= g(n.args["high"]))
        if isinstance(n, exp.In):
            vals = [literal_value(v) for v in n.expressions]
            present = [v for v in vals if v is not None]
            x = g(n.this)
            if not present:
                return (
                    pl.when(x.is_null())
                    .then(pl.lit(None, dtype=pl.Boolean))
                    .otherwise(pl.lit(None, dtype=pl.Boolean))
                )
            if isinstance(present[0], float):
                x = x.cast(pl.Float64)
            hit = x.is_in(present)
            if len(present) < len(vals):
                return pl.when(hit).then(pl.lit(True)).otherwise(pl.lit(None, dtype=pl.Boolean))
            return hit
        if isinstance(n, exp.Case):
            branches = n.args.get("ifs") or []
            chain = pl.when(g(branches[0].this, "boolean")).then(g(branches[0].args["true"], want))
            for b in branches[1:]:
                chain = chain.when(g(b.this, "boolean")).then(g(b.args["true"], want))
            default = n.args.get("default")
            return chain.otherwise(g(default, want) if default is not None else pl.lit(None))
        if isinstance(n, exp.Coalesce):
            return pl.coalesce([g(a, want) for a in [n.this, *n.expressions]])
        if isinstance(n, exp.Least):
            return pl.min_horizontal([g(a, "number") for a in [n.this, *n.expressions]])
        if isinstance(n, exp.Greatest):
            return pl.max_horizontal([g(a, "number") for a in [n.this, *n.expressions]])
        if isinstance(n, exp.Abs):
            return g(n.this, "number").abs()
        if isinstance(n, exp.Round):
            d = n.args.get("decimals")
            return (
                g(n.this, "number")
                .cast(pl.Float64)
                .round(int(d.this) if d else 0, mode="half_away_from_zero")
            )
        raise TypeError(f"cannot compile {type(n).__name__}")

    return g(node)


# ---------------------------------------------------------------------------------------------- SQL
def to_sql(node: exp.Expression, dialect: str = DIALECT) -> str:
    """SQL text for DuckDB or Spark. Non-integer numeric literals are cast to DOUBLE so that every
    engine computes with floats like the Python and Polars paths (DuckDB and Spark would use DECIMAL),
    and divisors are wrapped in NULLIF(…, 0) so that division by zero is NULL everywhere."""

    tree = exp.Paren(this=node.copy())
    for d in list(tree.find_all(exp.Div)):  # x / 0 is NULL on every path (DuckDB would give inf/NaN)
        d.set("expression", exp.Nullif(this=d.expression, expression=exp.Literal.number(0)))
    for n in list(tree.find_all(exp.Literal)):
        if not n.is_string and not n.this.lstrip("-").isdigit() and not isinstance(n.parent, exp.Round):
            n.replace(exp.cast(n.copy(), "DOUBLE"))
    tree = tree.this
    return tree.sql(dialect=dialect)

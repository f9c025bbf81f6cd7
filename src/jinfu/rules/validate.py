"""Parse a rule with sqlglot (DuckDB dialect) as one pure expression, normalise it and type-check it.

The rule text is parsed as ``SELECT <text>``; anything but a single projection without alias, FROM or
other clauses is rejected, and so are ';', comments, subqueries, '*', aggregate/window functions and
any function not in the whitelist. IF/IFF and the simple ``CASE x WHEN v`` form are rewritten to a
searched CASE, so every back end sees one shape. Errors carry character offsets in the original text.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError, TokenError

from . import limits
from .catalog import Catalog
from .errors import make_error

PREFIX = "SELECT "
DIALECT = "duckdb"

COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div)
OP_SYMBOL = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
FUNCTIONS = ("COALESCE", "LEAST", "GREATEST", "ABS", "ROUND", "IF", "IFF")
TYPE_ZH = {"number": "数值", "string": "字符串", "boolean": "布尔", "date": "日期", "null": "NULL"}


# --------------------------------------------------------------------------------------------- spans
def _meta_span(node: exp.Expression) -> tuple[int, int] | None:
    lo = hi = None
    for n in node.walk():
        m = n.meta if n._meta else None  # noqa: SLF001 - sqlglot keeps token positions in meta
        if m and "start" in m:
            s, e = m["start"] - len(PREFIX), m["end"] - len(PREFIX) + 1
            lo = s if lo is None else min(lo, s)
            hi = e if hi is None else max(hi, e)
    return None if lo is None else (lo, hi)


def node_span(node: exp.Expression, text: str) -> tuple[int, int]:
    """Character span [start, end) of a node in the rule text (parentheses of a Paren included)."""
    if isinstance(node, exp.Not):
        lo, hi = node_span(node.this, text)
        m = re.search(r"NOT[\s(]*$", text[:lo], re.IGNORECASE)
        return (m.start() if m else lo), hi
    span = _meta_span(node)
    if span is None:
        sql = node.sql(dialect=DIALECT)
        i = text.upper().find(sql.upper()) if sql else -1
        if i < 0:
            word = re.match(r"\w+", sql or "")
            i = text.upper().find(word.group(0).upper()) if word else -1
        return (i, i + len(sql)) if i >= 0 else (0, len(text))
    lo, hi = span
    if isinstance(node, exp.Subquery | exp.Select):
        kw = text.upper().rfind("SELECT", 0, lo)
        lo = kw if kw >= 0 else lo
    if isinstance(node, exp.Paren | exp.Subquery):
        j = lo - 1
        while j >= 0 and text[j].isspace():
            j -= 1
        if j >= 0 and text[j] == "(":
            lo = j
        k = hi
        depth = 0
        while k < len(text):  # the matching ')' (skip nested parens and strings roughly)
            ch = text[k]
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    hi = k + 1
                    break
                depth -= 1
            k += 1
    elif isinstance(node, exp.Func | exp.In) and hi < len(text):
        k = text.find(")", hi)
        hi = k + 1 if k >= 0 else hi
    return lo, hi


def clause_span(node: exp.Expression, text: str) -> tuple[int, int]:
    """Span of a top-level clause: its node span widened over neighbouring tokens up to the
    surrounding top-level AND or an unmatched parenthesis (covers TRUE/NULL tokens, closing ')')."""
    lo, hi = node_span(node, text)
    tokens = sqlglot.Dialect.get_or_raise(DIALECT).tokenize(text)
    T = sqlglot.TokenType
    after = [t for t in tokens if t.start >= hi]
    depth = 0
    for t in after:
        if t.token_type == T.L_PAREN:
            depth += 1
        elif t.token_type == T.R_PAREN:
            if depth == 0:
                break
            depth -= 1
        elif t.token_type == T.AND and depth == 0:
            break
        hi = t.end + 1
    before = [t for t in tokens if t.end < lo]
    depth = 0
    for t in reversed(before):
        if t.token_type == T.R_PAREN:
            depth += 1
        elif t.token_type == T.L_PAREN:
            if depth == 0:
                break
            depth -= 1
        elif t.token_type == T.AND and depth == 0:
            break
        lo = t.start
    return lo, hi


# ------------------------------------------------------------------------------------------- parsing
def parse_expression(text: str) -> exp.Expression:
    if not text or not text.strip():
        raise make_error("empty", text or "", 0, 0)
    limits.check_length(text)
    dialect = sqlglot.Dialect.get_or_raise(DIALECT)
    try:
        tokens = dialect.tokenize(text)
    except TokenError as e:
        m = re.search(r"line (\d+), col (\d+)", str(e))
        off = _offset(text, int(m.group(1)), int(m.group(2))) if m else 0
        unterminated = text.find("'", max(0, off - 1))
        off = unterminated if unterminated >= 0 else off
        raise make_error("syntax", text, off, len(text), "未闭合的字符串", "unterminated string") from None
    prev_end = 0
    for tok in tokens:
        gap = text[prev_end : tok.start]
        for marker in ("--", "/*"):
            if marker in gap:
                s = prev_end + gap.index(marker)
                raise make_error("comment", text, s, tok.start)
        if tok.token_type == sqlglot.TokenType.SEMICOLON:
            raise make_error("statement", text, tok.start, tok.end + 1)
        prev_end = tok.end + 1
    tail = text[prev_end:]
    for marker in ("--", "/*"):
        if marker in tail:
            raise make_error("comment", text, prev_end + tail.index(marker), len(text))
    limits.check_parentheses(text, tokens)
    try:
        statements = sqlglot.parse(PREFIX + text, dialect=DIALECT)
    except RecursionError:
        raise limits.too_deep_for_parser(text) from None
    except ParseError as e:
        err = e.errors[0] if e.errors else {}
        line, col = err.get("line", 1), err.get("col", 1)
        hl = err.get("highlight") or ""
        end = _offset(PREFIX + text, line, col) + 1 - len(PREFIX)
        start = max(0, end - len(hl))
        desc = err.get("description", "syntax error")
        raise make_error(
            "syntax", text, start, end, f"语法错误（{desc}）", f"syntax error ({desc})"
        ) from None
    except SqlglotError as e:  # any other parser complaint is a syntax error of the rule, never a 500
        raise make_error("syntax", text, 0, len(text), f"语法错误（{e}）", f"syntax error ({e})") from None
    stmts = [s for s in statements if s is not None]
    if len(stmts) != 1 or not isinstance(stmts[0], exp.Select):
        raise make_error("not_expression", text, 0, len(text))
    select = stmts[0]
    for key, value in select.args.items():
        if key == "expressions" or not value:
            continue
        node = value[0] if isinstance(value, list) else value
        s, e = node_span(node, text) if isinstance(node, exp.Expression) else (0, len(text))
        kw = re.search(rf"\b{re.escape(key.rstrip('_'))}\b", text, re.IGNORECASE)
        if kw:
            s = min(s, kw.start())
        raise make_error("not_expression", text, s, e)
    if not select.expressions:
        raise make_error("syntax", text, 0, len(text))
    if len(select.expressions) != 1:
        s, e = node_span(select.expressions[1], text)
        comma = text.rfind(",", 0, s)
        raise make_error("not_expression", text, comma if comma >= 0 else s, e)
    node = select.expressions[0]
    if isinstance(node, exp.Alias):
        s, e = node_span(node.args["alias"], text)
        raise make_error("not_expression", text, s, e, "不能使用别名（AS）", "aliases are not allowed")
    node.pop()  # detach from the SELECT
    limits.check_tree(text, node, node_span)
    return node


def _offset(text: str, line: int, col: int) -> int:
    start = 0
    for _ in range(line - 1):
        nl = text.find("\n", start)
        if nl < 0:
            break
        start = nl + 1
    return start + col - 1


# -------------------------------------------------------------------------------------- type checker
class Checker:
    def __init__(self, text: str, catalog: Catalog):
        self.text = text
        self.catalog = catalog
        self.fields: set[str] = set()

    def err(self, code, node, zh="", en=""):
        s, e = node_span(node, self.text)
        return make_error(code, self.text, s, e, zh, en)

    # IF/IFF and simple CASE become searched CASE before type checking.
    def normalise(self, node: exp.Expression) -> exp.Expression:
        def rewrite(n):
            if isinstance(n, exp.If) and not isinstance(n.parent, exp.Case):
                return exp.Case(
                    ifs=[exp.If(this=n.this, true=n.args.get("true"))], default=n.args.get("false")
                )
            if isinstance(n, exp.Anonymous) and n.name.upper() in ("IF", "IFF"):
                if len(n.expressions) not in (2, 3):
                    raise self.err(
                        "arity", n, f"{n.name.upper()} 需要 2 或 3 个参数", "IF/IFF takes 2 or 3 arguments"
                    )
                args = n.expressions
                return exp.Case(
                    ifs=[exp.If(this=args[0], true=args[1])], default=args[2] if len(args) > 2 else None
                )
            if isinstance(n, exp.Case) and n.this is not None:
                subject = n.this
                ifs = [
                    exp.If(this=exp.EQ(this=subject.copy(), expression=i.this), true=i.args.get("true"))
                    for i in n.args.get("ifs") or []
                ]
                return exp.Case(ifs=ifs, default=n.args.get("default"))
            return n

        root = exp.Paren(this=node)
        for n in reversed(list(root.walk())):  # bottom-up, in place: nested IF/IFF/CASE are rewritten too
            new = rewrite(n)
            if new is not n:
                n.replace(new)
        return root.this

    def check(self, node: exp.Expression, kind: str) -> str:
        t = self.type_of(node)
        want = "boolean" if kind == "boolean" else "number"
        if t not in (want, "null"):  # a bare NULL is a valid (always-NULL) rule of either kind
            raise self.err(
                "result_type",
                node,
                f"规则结果应为{TYPE_ZH[want]}，实际为{TYPE_ZH[t]}",
                f"the rule must be a {want} expression, not {t}",
            )
        return t

    def _comparable(self, node, a, b, ta, tb, op="="):
        if ta == "null" or tb == "null":
            return
        # a date field against an ISO date string literal: coerce the literal to DATE
        for x, tx, ty in ((a, ta, tb), (b, tb, ta)):
            if tx == "string" and ty == "date" and isinstance(x, exp.Literal) and x.is_string:
                try:
                    dt.date.fromisoformat(x.this)
                except ValueError:
                    raise self.err(
                        "type_mismatch",
                        x,
                        f"日期格式应为 YYYY-MM-DD：{x.this}",
                        "dates are written 'YYYY-MM-DD'",
                    ) from None
                x.replace(exp.cast(x.copy(), "DATE"))
                return
        if ta != tb:
            raise self.err(
                "type_mismatch",
                node,
                f"类型不匹配：不能比较{TYPE_ZH[ta]}与{TYPE_ZH[tb]}",
                f"type mismatch: cannot compare {ta} with {tb}",
            )
        if ta == "boolean" and op not in ("=", "<>"):
            raise self.err(
                "type_mismatch", node, "布尔值只能用 = 或 <> 比较", "booleans compare with = or <> only"
            )

    def _expect(self, node, t, want, what_zh, what_en):
        if t != "null" and t not in want:
            raise self.err(
                "type_mismatch",
                node,
                f"类型不匹配：{what_zh}需要{'或'.join(TYPE_ZH[w] for w in want)}，实际为{TYPE_ZH[t]}",
                f"type mismatch: {what_en} needs {' or '.join(want)}, got {t}",
            )

    def _literal_ok(self, node) -> bool:
        if isinstance(node, exp.Paren):
            return self._literal_ok(node.this)
        if isinstance(node, exp.Neg):
            return isinstance(node.this, exp.Literal) and not node.this.is_string
        return isinstance(node, exp.Literal | exp.Boolean | exp.Null) or self._is_date_literal(node)

    @staticmethod
    def _is_date_literal(node) -> bool:
        return (
            isinstance(node, exp.Cast)
            and node.to.is_type("date")
            and isinstance(node.this, exp.Literal)
            and node.this.is_string
        )

    def type_of(self, node: exp.Expression) -> str:  # noqa: C901 - one branch per node type
        if node.comments:
            raise self.err("comment", node)
        if isinstance(node, exp.Paren):
            return self.type_of(node.this)
        if isinstance(node, exp.Column):
            if node.args.get("table") or node.args.get("db") or node.args.get("catalog"):
                raise self.err(
                    "qualified_column",
                    node,
                    f"字段不能带表名前缀：{node.sql()}",
                    f"qualified column: {node.sql()}",
                )
            ident = node.this
            if isinstance(ident, exp.Star):
                raise self.err("star", node)
            name = ident.name if ident.args.get("quoted") else ident.name.lower()
            field = self.catalog.get(name)
            if field is None:
                hint = self.catalog.suggest(name)
                raise self.err(
                    "unknown_field",
                    node,
                    f"未知字段 {ident.name}" + (f"（是否指 {hint}？）" if hint else ""),
                    f"unknown field '{ident.name}'" + (f" (did you mean '{hint}'?)" if hint else ""),
                )
            node.set("this", exp.to_identifier(field.name))
            node.this.meta.update(ident.meta)
            self.fields.add(field.name)
            return field.kind
        if isinstance(node, exp.Literal):
            return "string" if node.is_string else "number"
        if isinstance(node, exp.Boolean):
            return "boolean"
        if isinstance(node, exp.Null):
            return "null"
        if self._is_date_literal(node):
            try:
                dt.date.fromisoformat(node.this.this)
            except ValueError:
                raise self.err(
                    "type_mismatch", node, "日期格式应为 YYYY-MM-DD", "dates are written 'YYYY-MM-DD'"
                ) from None
            return "date"
        if isinstance(node, exp.Neg):
            self._expect(node.this, self.type_of(node.this), ("number",), "负号", "unary minus")
            return "number"
        if isinstance(node, ARITHMETIC):
            if isinstance(node, exp.Div) and (node.args.get("typed") or node.args.get("safe") is False):
                pass
            for side in (node.this, node.expression):
                self._expect(side, self.type_of(side), ("number",), "算术运算", "arithmetic")
            return "number"
        if isinstance(node, exp.And | exp.Or):
            for side in (node.this, node.expression):
                self._expect(side, self.type_of(side), ("boolean",), "AND/OR", "AND/OR")
            return "boolean"
        if isinstance(node, exp.Not):
            self._expect(node.this, self.type_of(node.this), ("boolean",), "NOT", "NOT")
            return "boolean"
        if isinstance(node, COMPARISONS):
            a, b = node.this, node.expression
            ta, tb = self.type_of(a), self.type_of(b)
            self._comparable(b if isinstance(a, exp.Column) else node, a, b, ta, tb, OP_SYMBOL[type(node)])
            return "boolean"
        if isinstance(node, exp.Is):
            if not isinstance(node.expression, exp.Null):
                raise self.err(
                    "unsupported", node, "只支持 IS NULL / IS NOT NULL", "only IS NULL / IS NOT NULL"
                )
            self.type_of(node.this)
            return "boolean"
        if isinstance(node, exp.Between):
            x = node.this
            tx = self.type_of(x)
            for bound in (node.args["low"], node.args["high"]):
                self._comparable(node, x, bound, tx, self.type_of(bound), "<=")
                if tx == "boolean":
                    raise self.err("type_mismatch", node, "布尔值不能用 BETWEEN", "BETWEEN on booleans")
            return "boolean"
        if isinstance(node, exp.In):
            for key in ("query", "unnest", "field"):
                if node.args.get(key) is not None:
                    raise self.err("subquery", node.args[key])
            tx = self.type_of(node.this)
            if not node.expressions:
                raise self.err("syntax", node, "IN 列表为空", "empty IN list")
            for item in node.expressions:
                if not self._literal_ok(item):
                    if isinstance(item, exp.Subquery | exp.Select):
                        raise self.err("subquery", item)
                    raise self.err("unsupported", item, "IN 列表只能包含常量", "IN lists hold literals only")
                self._comparable(node, node.this, item, tx, self.type_of(item))
            return "boolean"
        if isinstance(node, exp.Case):
            result = "null"
            for branch in node.args.get("ifs") or []:
                self._expect(
                    branch.this, self.type_of(branch.this), ("boolean",), "WHEN 条件", "WHEN condition"
                )
                result = self._unify(branch.args["true"], result)
            if node.args.get("default") is not None:
                result = self._unify(node.args["default"], result)
            return result
        if isinstance(node, exp.Coalesce):
            result = "null"
            for arg in [node.this, *node.expressions]:
                result = self._unify(arg, result)
            return result
        if isinstance(node, exp.Least | exp.Greatest):
            for arg in [node.this, *node.expressions]:
                self._expect(arg, self.type_of(arg), ("number",), node.sql_name(), node.sql_name())
            return "number"
        if isinstance(node, exp.Abs):
            self._expect(node.this, self.type_of(node.this), ("number",), "ABS", "ABS")
            return "number"
        if isinstance(node, exp.Round):
            extra = [k for k, v in node.args.items() if v is not None and k not in ("this", "decimals")]
            if extra:
                raise self.err("arity", node, "ROUND 只接受 1 或 2 个参数", "ROUND takes 1 or 2 arguments")
            self._expect(node.this, self.type_of(node.this), ("number",), "ROUND", "ROUND")
            d = node.args.get("decimals")
            if d is not None and not (isinstance(d, exp.Literal) and not d.is_string and d.this.isdigit()):
                raise self.err(
                    "unsupported",
                    d,
                    "ROUND 的小数位数必须是非负整数常量",
                    "ROUND decimals must be a non-negative integer literal",
                )
            return "number"
        if isinstance(node, exp.Subquery | exp.Select | exp.Exists | exp.Query):
            raise self.err("subquery", node)
        if isinstance(node, exp.Star):
            raise self.err("star", node)
        if isinstance(node, exp.AggFunc | exp.Window):
            raise self.err("aggregate", node)
        if isinstance(node, exp.Func):
            name = node.name.upper() if isinstance(node, exp.Anonymous) else node.sql_name()
            if any(isinstance(n, exp.Star) for n in node.walk()):
                raise self.err("star", node)
            raise self.err(
                "function",
                node,
                f"不允许的函数 {name}（可用：COALESCE, LEAST, GREATEST, ABS, ROUND, IF/IFF, CASE）",
                f"function {name} is not allowed (allowed: COALESCE, LEAST, GREATEST, ABS, ROUND, IF/IFF, CASE)",
            )
        raise self.err(
            "unsupported",
            node,
            f"不支持的写法：{node.sql(dialect=DIALECT)}",
            f"unsupported construct: {node.sql(dialect=DIALECT)}",
        )

    def _unify(self, node, current: str) -> str:
        t = self.type_of(node)
        if current == "null":
            return t
        if t not in ("null", current):
            raise self.err(
                "type_mismatch",
                node,
                f"类型不匹配：各分支/参数应为同一类型（{TYPE_ZH[current]}），实际为{TYPE_ZH[t]}",
                f"type mismatch: branches/arguments must share a type ({current}), got {t}",
            )
        return current


def validate(text: str, catalog: Catalog, kind: str = "boolean") -> tuple[exp.Expression, set[str], str]:
    """Parse, normalise and type-check; returns (expression, fields used, result type)."""
    if kind not in ("boolean", "number"):
        raise ValueError("kind must be 'boolean' or 'number'")
    node = parse_expression(text)
    checker = Checker(text, catalog)
    node = checker.normalise(node)
    # a root that is itself a string literal compared to a date cannot happen: the root is checked below
    wrapper = exp.Paren(this=node)  # so that replace() works on the root too
    t = checker.check(wrapper.this, kind)
    return wrapper.this, checker.fields, t

"""Rules read aloud: each top-level clause of a rule as a plain Chinese (and English) sentence built from the
field catalog, with codes shown as their names. Pure: the caller passes the code → name tables
(``value_labels``: field name → {code: label}) that the reference data provides.

    revenue >= 500 AND industry_section IN ('C','I')
    → 营业收入不低于 500 万元；所属行业门类为 制造业、信息传输、软件和信息技术服务业 之一
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp

from .compile import is_literal, literal_value
from .explain import UNIT_EN, fmt, fmt_en, yuan_en

OP_ZH = {exp.GTE: "不低于", exp.GT: "高于", exp.LTE: "不超过", exp.LT: "低于", exp.EQ: "为", exp.NEQ: "不为"}
OP_EN = {
    exp.GTE: "at least",
    exp.GT: "above",
    exp.LTE: "at most",
    exp.LT: "below",
    exp.EQ: "is",
    exp.NEQ: "is not",
}
FLIP = {exp.GTE: exp.LTE, exp.GT: exp.LT, exp.LTE: exp.GTE, exp.LT: exp.GT, exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}

Labels = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Sentence:
    zh: str
    en: str


def _strip(n: exp.Expression) -> exp.Expression:
    while isinstance(n, exp.Paren):
        n = n.this
    return n


class _Reader:
    def __init__(self, catalog, labels: Labels):
        self.catalog, self.labels = catalog, labels

    def field(self, n):
        n = _strip(n)
        return self.catalog.get(n.name) if isinstance(n, exp.Column) else None

    def value(self, f, v, en=False) -> str:
        if isinstance(v, str):
            return self.labels.get(f.name, {}).get(v, v)
        if en and f.unit == "万元" and yuan_en(v) is not None:
            return yuan_en(v)
        text = fmt_en(v) if en else fmt(v)
        unit = UNIT_EN.get(f.unit, f.unit) if en else f.unit
        return f"{text} {unit}".strip() if unit and unit != "比例" else text

    def read(self, node) -> Sentence:
        node = _strip(node)
        for handler in (self._compare, self._in, self._between, self._is_null, self._flag, self._logic):
            s = handler(node)
            if s is not None:
                return s
        return self._fallback(node)

    def _compare(self, node):
        if type(node) not in OP_ZH:
            return None
        op, left, right = type(node), node.this, node.expression
        if self.field(left) is None and self.field(right) is not None and is_literal(left):
            op, left, right = FLIP[op], right, left
        f = self.field(left)
        if f is None or not is_literal(right):
            return None
        v = literal_value(right)
        if f.kind == "boolean" and isinstance(v, bool):
            return self._truth(f, v if op is exp.EQ else not v)
        zh_label, en_label = f.label_zh, f.label_en or f.name
        return Sentence(
            f"{zh_label}{OP_ZH[op]} {self.value(f, v)}", f"{en_label} {OP_EN[op]} {self.value(f, v, True)}"
        )

    def _in(self, node):
        negated = isinstance(node, exp.Not)
        inner = _strip(node.this) if negated else node
        if not isinstance(inner, exp.In) or self.field(inner.this) is None:
            return None
        f = self.field(inner.this)
        values = [literal_value(v) for v in inner.expressions]
        zh = "、".join(self.value(f, v) for v in values)
        en = ", ".join(self.value(f, v, True) for v in values)
        if negated:
            return Sentence(f"{f.label_zh}不属于 {zh}", f"{f.label_en or f.name} not one of {en}")
        if len(values) == 1:
            return Sentence(f"{f.label_zh}为 {zh}", f"{f.label_en or f.name} is {en}")
        return Sentence(f"{f.label_zh}为 {zh} 之一", f"{f.label_en or f.name} is one of {en}")

    def _between(self, node):
        if not isinstance(node, exp.Between) or self.field(node.this) is None:
            return None
        f, lo, hi = self.field(node.this), node.args["low"], node.args["high"]
        if not (is_literal(lo) and is_literal(hi)):
            return None
        lo, hi = literal_value(lo), literal_value(hi)
        return Sentence(
            f"{f.label_zh}在 {self.value(f, lo)} 至 {self.value(f, hi)} 之间",
            f"{f.label_en or f.name} between {self.value(f, lo, True)} and {self.value(f, hi, True)}",
        )

    def _is_null(self, node):
        negated = isinstance(node, exp.Not)
        inner = _strip(node.this) if negated else node
        if not isinstance(inner, exp.Is) or self.field(inner.this) is None:
            return None
        f = self.field(inner.this)
        if negated:
            return Sentence(f"{f.label_zh}已有数据", f"{f.label_en or f.name} is known")
        return Sentence(f"{f.label_zh}暂无数据", f"{f.label_en or f.name} is unknown")

    def _flag(self, node):
        negated = isinstance(node, exp.Not)
        inner = _strip(node.this) if negated else node
        f = self.field(inner)
        if f is None or f.kind != "boolean":
            return None
        return self._truth(f, not negated)

    @staticmethod
    def _truth(f, want: bool) -> Sentence:
        en = f.label_en or f.name
        return Sentence(f"是{f.label_zh}" if want else f"不是{f.label_zh}", en if want else f"not {en}")

    def _logic(self, node):
        if isinstance(node, exp.Or):
            parts = [self.read(node.this), self.read(node.expression)]
            return Sentence(
                "（" + " 或 ".join(p.zh for p in parts) + "）", "(" + " or ".join(p.en for p in parts) + ")"
            )
        if isinstance(node, exp.And):
            parts = [self.read(node.this), self.read(node.expression)]
            return Sentence("，且".join(p.zh for p in parts), " and ".join(p.en for p in parts))
        if isinstance(node, exp.Not):
            inner = self.read(node.this)
            return Sentence(f"并非（{inner.zh}）", f"not ({inner.en})")
        return None

    def _fallback(self, node) -> Sentence:
        """A formula or function: its SQL with every field name replaced by its label."""
        zh, en = node.copy(), node.copy()
        for tree, attr in ((zh, "label_zh"), (en, "label_en")):
            for col in list(tree.find_all(exp.Column)):
                f = self.catalog.get(col.name)
                if f is not None:
                    col.replace(exp.Var(this=getattr(f, attr) or f.name))
        return Sentence(zh.sql(), en.sql())


def describe(rule, value_labels: Labels | None = None) -> list[Sentence]:
    """One sentence per top-level clause of a compiled boolean rule; a numeric rule (a benefit formula)
    gives one sentence, its formula with field labels."""
    reader = _Reader(rule.catalog, value_labels or {})
    return [reader.read(c.node) for c in rule.clauses]

"""Explanations: each top-level clause evaluated on its own, in Chinese and English.

营业收入 ≥ 500万元：不满足，实际 320万元，还差 180万元
所属行业门类 IN ('C','I')：满足，实际 I
信用等级 缺失：无法判断
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from .compile import is_literal, literal_value

# Code → name tables per field (industry letters, size classes, division codes…), installed by the Django side
# (core.apps) from the reference data; explanations then say 「实际 信息传输、软件和信息技术服务业」, not 「实际 I」.
_value_labels = dict


def set_value_labels_provider(provider) -> None:
    global _value_labels
    _value_labels = provider


def value_labels() -> Mapping[str, Mapping[str, str]]:
    try:
        return _value_labels() or {}
    except Exception:  # noqa: BLE001  (no database in a pure context: codes stay codes)
        return {}


def _name(field_name: str, v: Any) -> Any:
    return value_labels().get(field_name, {}).get(v, v) if isinstance(v, str) else v


SYMBOL = {exp.EQ: "=", exp.NEQ: "≠", exp.LT: "<", exp.LTE: "≤", exp.GT: ">", exp.GTE: "≥"}
FLIP = {exp.EQ: exp.EQ, exp.NEQ: exp.NEQ, exp.LT: exp.GT, exp.LTE: exp.GTE, exp.GT: exp.LT, exp.GTE: exp.LTE}
STATUS_ZH = {True: "满足", False: "不满足", None: "无法判断"}
STATUS_EN = {True: "met", False: "not met", None: "undetermined"}


@dataclass(frozen=True)
class ClauseResult:
    text: str
    passed: bool | None
    message_zh: str
    message_en: str
    field: str | None = None
    actual: Any = None
    threshold: Any = None
    gap: float | None = None
    unit: str = ""


def fmt(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, int | float):
        f = float(v)
        if f.is_integer():
            return str(int(f))
        return f"{f:.4f}".rstrip("0").rstrip(".")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def fmt_en(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    return fmt(v)


def _strip(n: exp.Expression) -> exp.Expression:
    while isinstance(n, exp.Paren):
        n = n.this
    return n


UNIT_EN = {"万元": "×10k CNY", "人": "persons", "年": "years", "分": "points", "元": "CNY", "%": "%"}


def yuan_en(v: Any) -> str | None:
    """An amount in 万元 as English readers read it, in yuan with the currency code: 500 → 「CNY 5,000,000」,
    1.49 → 「CNY 14,900」 (the same reading as the pages' jinfu_format ``wan`` filter); None if not a number."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    yuan = round(float(v) * 10000, 2)
    return f"CNY {yuan:,.0f}" if float(yuan).is_integer() else f"CNY {yuan:,.2f}"


def _with_unit(v, unit, en=False):
    if en and unit == "万元" and yuan_en(v) is not None:
        return yuan_en(v)
    s = fmt_en(v) if en else fmt(v)
    if en:
        unit = UNIT_EN.get(unit, unit)
    if not unit or v is None:
        return s
    return f"{s} {unit}" if en else f"{s}{unit}"


def explain_clause(clause, fn, row: Mapping, catalog) -> ClauseResult:
    passed = fn(row)
    node = _strip(clause.node)
    negated = False
    if isinstance(node, exp.Not):
        negated, node = True, _strip(node.this)

    def field_of(n):
        n = _strip(n)
        return catalog[n.name] if isinstance(n, exp.Column) else None

    def value(f):
        v = row.get(f.name)
        if isinstance(v, float) and v != v:
            return None
        return v

    def shown(f, v):
        return _name(f.name, v)

    def missing(f):
        return ClauseResult(
            clause.text,
            passed,
            f"{f.label_zh} 缺失：无法判断",
            f"{f.label_en or f.name} missing: cannot decide",
            f.name,
            None,
            None,
            None,
            f.unit,
        )

    status_zh, status_en = STATUS_ZH[passed], STATUS_EN[passed]
    # field op literal (either order)
    if not negated and isinstance(node, tuple(SYMBOL)):
        op, left, right = type(node), node.this, node.expression
        if field_of(right) is not None and is_literal(right) is False and is_literal(left):
            op, left, right = FLIP[op], right, left
        f = field_of(left)
        if f is not None and is_literal(right) and literal_value(right) is not None:
            thr = literal_value(right)
            actual = value(f)
            if actual is None:
                return missing(f)
            unit = f.unit
            gap = None
            extra_zh = extra_en = ""
            if f.kind == "number":
                a = float(actual)
                if op in (exp.GTE, exp.GT):
                    gap = max(0.0, thr - a)
                    if passed is False:
                        extra_zh, extra_en = (
                            f"，还差 {_with_unit(gap, unit)}",
                            f", short by {_with_unit(gap, unit, True)}",
                        )
                elif op in (exp.LTE, exp.LT):
                    gap = max(0.0, a - thr)
                    if passed is False:
                        extra_zh, extra_en = (
                            f"，超出 {_with_unit(gap, unit)}",
                            f", over by {_with_unit(gap, unit, True)}",
                        )
                elif op is exp.EQ:
                    gap = abs(a - thr)
            if f.kind == "boolean" and op in (exp.EQ, exp.NEQ):
                want = thr if op is exp.EQ else not thr
                head_zh = f.label_zh if want else f"非{f.label_zh}"
                head_en = (f.label_en or f.name) if want else f"not {f.label_en or f.name}"
            else:
                sym = SYMBOL[op]
                head_zh = f"{f.label_zh} {sym} {_with_unit(thr, unit) if not isinstance(thr, str) else shown(f, thr)}"
                head_en = f"{f.label_en or f.name} {sym} {_with_unit(thr, unit, True) if not isinstance(thr, str) else shown(f, thr)}"
            return ClauseResult(
                clause.text,
                passed,
                f"{head_zh}：{status_zh}，实际 {_with_unit(shown(f, actual), unit)}{extra_zh}",
                f"{head_en}: {status_en}, actual {_with_unit(shown(f, actual), unit, True)}{extra_en}",
                f.name,
                actual,
                thr,
                gap,
                unit,
            )
    # field [NOT] IN (literals)
    if isinstance(node, exp.In) and field_of(node.this) is not None:
        f = field_of(node.this)
        actual = value(f)
        if actual is None:
            return missing(f)
        vals = [literal_value(v) for v in node.expressions]
        names_zh = "、".join(str(shown(f, v)) for v in vals)
        names_en = ", ".join(str(shown(f, v)) for v in vals)
        head_zh = (
            f"{f.label_zh}不属于 {names_zh}"
            if negated
            else f"{f.label_zh}为 {names_zh}" + (" 之一" if len(vals) > 1 else "")
        )
        head_en = f"{f.label_en or f.name} {'not one of' if negated else 'one of'} {names_en}"
        return ClauseResult(
            clause.text,
            passed,
            f"{head_zh}：{status_zh}，实际 {_with_unit(shown(f, actual), f.unit)}",
            f"{head_en}: {status_en}, actual {_with_unit(shown(f, actual), f.unit, True)}",
            f.name,
            actual,
            vals,
            None,
            f.unit,
        )
    # field BETWEEN lo AND hi
    if (
        not negated
        and isinstance(node, exp.Between)
        and field_of(node.this) is not None
        and is_literal(node.args["low"])
        and is_literal(node.args["high"])
    ):
        f = field_of(node.this)
        actual = value(f)
        if actual is None:
            return missing(f)
        lo, hi = literal_value(node.args["low"]), literal_value(node.args["high"])
        gap = None
        if f.kind == "number" and lo is not None and hi is not None:
            a = float(actual)
            gap = lo - a if a < lo else (a - hi if a > hi else 0.0)
        rng = f"{_with_unit(lo, f.unit)} 至 {_with_unit(hi, f.unit)}"
        rng_en = f"{_with_unit(lo, f.unit, True)} to {_with_unit(hi, f.unit, True)}"
        return ClauseResult(
            clause.text,
            passed,
            f"{f.label_zh} 在 {rng} 之间：{status_zh}，实际 {_with_unit(actual, f.unit)}"
            + (f"，相差 {_with_unit(gap, f.unit)}" if passed is False and gap else ""),
            f"{f.label_en or f.name} between {rng_en}: {status_en}, actual {_with_unit(actual, f.unit, True)}"
            + (f", off by {_with_unit(gap, f.unit, True)}" if passed is False and gap else ""),
            f.name,
            actual,
            (lo, hi),
            gap,
            f.unit,
        )
    # IS [NOT] NULL
    if isinstance(node, exp.Is) and field_of(node.this) is not None:
        f = field_of(node.this)
        actual = value(f)
        zh = f"{f.label_zh} {'已填报' if negated else '为空'}"
        en = f"{f.label_en or f.name} {'is present' if negated else 'is missing'}"
        return ClauseResult(
            clause.text,
            passed,
            f"{zh}：{status_zh}，实际 {_with_unit(actual, f.unit) if actual is not None else '缺失'}",
            f"{en}: {status_en}, actual {_with_unit(actual, f.unit, True) if actual is not None else 'missing'}",
            f.name,
            actual,
            None,
            None,
            f.unit,
        )
    # a bare boolean field, or NOT field
    if isinstance(node, exp.Column):
        f = field_of(node)
        actual = value(f)
        if actual is None:
            return missing(f)
        return ClauseResult(
            clause.text,
            passed,
            f"{'非' if negated else ''}{f.label_zh}：{status_zh}，实际 {fmt(actual)}",
            f"{'not ' if negated else ''}{f.label_en or f.name}: {status_en}, actual {fmt_en(actual)}",
            f.name,
            actual,
            not negated,
            None,
            "",
        )
    # anything else: the clause text and the values of its fields
    names = sorted({c.name for c in clause.node.find_all(exp.Column)})
    fields = [catalog[n] for n in names]
    actual_zh = "、".join(
        f"{f.label_zh} {_with_unit(value(f), f.unit) if value(f) is not None else '缺失'}" for f in fields
    )
    actual_en = ", ".join(
        f"{f.label_en or f.name} {_with_unit(value(f), f.unit, True) if value(f) is not None else 'missing'}"
        for f in fields
    )
    only = fields[0] if len(fields) == 1 else None
    return ClauseResult(
        clause.text,
        passed,
        f"{clause.text}：{status_zh}" + (f"，实际 {actual_zh}" if fields else ""),
        f"{clause.text}: {status_en}" + (f", actual {actual_en}" if fields else ""),
        only.name if only else None,
        value(only) if only else ({f.name: value(f) for f in fields} or None),
        None,
        None,
        only.unit if only else "",
    )


def explain(rule, row: Mapping) -> list[ClauseResult]:
    """One result per top-level clause (a number rule gives one result with its value)."""
    if rule.kind == "number":
        v = rule.evaluate(row)
        return [
            ClauseResult(
                rule.text,
                None,
                f"{rule.text} = {fmt(v) if v is not None else '无法计算（缺少数据）'}",
                f"{rule.text} = {fmt(v) if v is not None else 'cannot compute (missing data)'}",
                None,
                v,
            )
        ]
    return [
        explain_clause(c, fn, row, rule.catalog)
        for c, fn in zip(rule.clauses, rule.clause_functions, strict=True)
    ]

"""Row-level validation shared by the file and REST connectors (messages via core.imports.problem)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from jinfu.core.imports import engine as imp
from jinfu.core.imports.engine import problem

from ..sources import SourceSpec

# Credit-specific rule codes, added to the import engine's bilingual message table.
CREDIT_RULES = {
    "enterprise.unknown": (
        "该统一社会信用代码不是本平台已登记的企业",
        "this USCC is not an enterprise registered on the platform",
    ),
    "type.year": ("不是有效的年份（应为四位数字）", "not a valid year (four digits expected)"),
    "type.month": ("不是有效的月份（应为 YYYY-MM）", "not a valid month (expected YYYY-MM)"),
    "type.bool": ("应为 是/否", "expected yes/no (是/否)"),
    "range.future_period": ("期间晚于当前", "the period is in the future"),
    "duplicate.period": (
        "同一企业同一期间（唯一键）重复",
        "duplicate period (natural key) for the enterprise",
    ),
    "order.removed_before_listed": ("移出日期早于列入日期", "removal date is before the listing date"),
    "file.wrong_template": ("模板不符：缺少必需的列", "wrong template: required columns are missing"),
    "rest.malformed": ("接口返回内容不是有效的 JSON", "the response is not valid JSON"),
    "rest.missing_field": ("接口记录缺少字段", "a record from the endpoint lacks a field"),
    "rest.http": ("接口请求失败", "the request to the endpoint failed"),
}
for _k, _v in CREDIT_RULES.items():
    imp.RULES.setdefault(_k, _v)

TRUE = {"是", "y", "yes", "true", "1", "已结案", "t"}
FALSE = {"否", "n", "no", "false", "0", "", "f", "未结案"}
MONTH_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?(?:[-/.]\d{1,2})?$")


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, dt.datetime):
        v = v.date()
    return str(v).strip()


def parse(col, raw: Any, today: dt.date) -> tuple[Any, str | None]:
    """(value, rule code of the problem or None)."""
    s = _text(raw)
    if not s:
        if col.type == "bool":
            return False, None
        return None, ("required" if col.required else None)
    if col.type in ("text", "uscc"):
        return (s.upper() if col.type == "uscc" else s), ("length.max" if len(s) > 200 else None)
    if col.type == "choice":
        v = s.upper() if all(len(c) == 1 and c.isascii() for c in col.choices) else s
        return (v, None) if v in col.choices else (None, "code.unknown_choice")
    if col.type == "bool":
        low = s.lower()
        return (True, None) if low in TRUE else (False, None) if low in FALSE else (None, "type.bool")
    if col.type == "year":
        if not re.fullmatch(r"\d{4}", s):
            return None, "type.year"
        y = int(s)
        return (y, None) if 1900 <= y <= today.year else (None, "range.future_period")
    if col.type == "month":
        if isinstance(raw, (dt.date, dt.datetime)):
            d = raw if isinstance(raw, dt.date) else raw.date()
            m = d.replace(day=1)
        else:
            mm = MONTH_RE.match(s)
            if not mm or not 1 <= int(mm.group(2)) <= 12:
                return None, "type.month"
            m = dt.date(int(mm.group(1)), int(mm.group(2)), 1)
        return (m, None) if m <= today else (None, "range.future_period")
    if col.type == "date":
        if isinstance(raw, dt.datetime):
            d = raw.date()
        elif isinstance(raw, dt.date):
            d = raw
        else:
            try:
                d = dt.date.fromisoformat(s.replace("/", "-"))
            except ValueError:
                return None, "type.date"
        if d > today:
            return None, "date.future"
        return (d, None) if d.year >= 1900 else (None, "date.absurd")
    if col.type in ("int", "money"):
        try:
            n = Decimal(s.replace(",", ""))
        except InvalidOperation:
            return None, "type.number"
        if not n.is_finite():
            return None, "type.number"
        if col.type == "int" and n != n.to_integral_value():
            return None, "type.integer"
        if col.nonneg and n < 0:
            return None, "range.negative"
        if abs(n) >= Decimal("1e13"):
            return None, "range.absurd"
        return (int(n) if col.type == "int" else n), None
    raise ValueError(col.type)


def validate_records(
    spec: SourceSpec,
    raw_rows: list[tuple[int, dict[str, Any]]],
    enterprises: dict[str, int],
    *,
    today: dt.date,
    headers: dict[str, str] | None = None,
) -> tuple[list[dict], list[dict]]:
    """Check each (row number, {field: raw}) pair; returns (clean records with org_id, problems).

    ``enterprises`` maps USCC → organization id of enterprises on the platform.
    """
    headers = headers or {c.name: c.header for c in spec.columns}
    clean, errors, seen = [], [], {}
    for rowno, raw in raw_rows:
        rec, bad = {}, False
        for col in spec.columns:
            value, rule = parse(col, raw.get(col.name), today)
            if rule:
                errors.append(
                    problem(rowno, headers.get(col.name, col.header), col.name, raw.get(col.name), rule)
                )
                bad = True
                continue
            rec[col.name] = value
        if bad:
            continue
        org_id = enterprises.get(rec["uscc"])
        if org_id is None:
            errors.append(
                problem(
                    rowno, headers.get("uscc", "统一社会信用代码"), "uscc", rec["uscc"], "enterprise.unknown"
                )
            )
            continue
        if rec.get("removed_on") and rec["removed_on"] < rec["listed_on"]:
            errors.append(
                problem(
                    rowno,
                    headers.get("removed_on", "移出日期"),
                    "removed_on",
                    rec["removed_on"],
                    "order.removed_before_listed",
                )
            )
            continue
        key = tuple(rec[k] for k in spec.natural_key)
        if key in seen:
            last = spec.natural_key[-1]
            errors.append(
                problem(
                    rowno,
                    headers.get(last, last),
                    last,
                    rec[last],
                    "duplicate.period",
                    f"与第 {seen[key]} 行重复",
                    f"same as row {seen[key]}",
                )
            )
            continue
        seen[key] = rowno
        rec["org_id"] = org_id
        clean.append(rec)
    return clean, errors

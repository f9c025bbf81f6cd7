"""Rule errors: a code, a message in Chinese and English, and the position in the rule text."""

from __future__ import annotations

CODES = {
    "empty": ("规则为空", "the rule is empty"),
    "syntax": ("语法错误", "syntax error"),
    "statement": (
        "只能写一个表达式，不能包含分号或多条语句",
        "only one expression is allowed (no ';' or statements)",
    ),
    "comment": ("规则中不能包含注释", "comments are not allowed in a rule"),
    "not_expression": ("只能写表达式（不能有别名、FROM、WHERE 等子句）", "only a pure expression is allowed"),
    "subquery": ("不允许子查询", "subqueries are not allowed"),
    "star": ("不允许使用 *", "'*' is not allowed"),
    "aggregate": ("不允许聚合函数或窗口函数", "aggregate and window functions are not allowed"),
    "function": ("不允许的函数", "function not allowed"),
    "unsupported": ("不支持的写法", "unsupported construct"),
    "unknown_field": ("未知字段", "unknown field"),
    "qualified_column": ("字段不能带表名前缀", "qualified column names are not allowed"),
    "type_mismatch": ("类型不匹配", "type mismatch"),
    "result_type": ("规则结果类型不对", "wrong result type"),
    "arity": ("函数参数个数不对", "wrong number of arguments"),
    "too_long": ("规则过长", "the rule is too long"),
    "too_deep": ("规则嵌套过深", "the rule is nested too deeply"),
    "too_many_nodes": ("规则过于复杂", "the rule is too complex"),
    "too_many_conditions": ("AND/OR 连接的条件过多", "too many conditions joined by AND/OR"),
    "in_list_too_long": ("IN 列表过长", "IN list too long"),
}


class RuleError(ValueError):
    """A rule that does not validate. ``start``/``end`` are character offsets in the rule text
    (``end`` exclusive); ``line``/``col`` are 1-based."""

    def __init__(
        self, code: str, message_zh: str, message_en: str, start: int, end: int, line: int, col: int
    ):
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.start = start
        self.end = end
        self.line = line
        self.col = col
        super().__init__(message_en)

    def __repr__(self) -> str:
        return f"RuleError({self.code!r}, {self.message_en!r}, start={self.start}, end={self.end})"

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "col": self.col,
        }


def line_col(text: str, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def make_error(
    code: str, text: str, start: int, end: int, detail_zh: str = "", detail_en: str = ""
) -> RuleError:
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    line, col = line_col(text, start)
    base_zh, base_en = CODES[code]
    zh = f"第 {line} 行第 {col} 列：{detail_zh or base_zh}"
    en = f"line {line}, col {col}: {detail_en or base_en}"
    return RuleError(code, zh, en, start, end, line, col)

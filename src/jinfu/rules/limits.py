"""Size limits of a rule, so that no text can make validation, compilation or evaluation expensive or
crash the parser (sqlglot and the back ends recurse over the expression tree).

The text length and the parenthesis depth are checked on the raw text and its tokens, before sqlglot
parses anything; the tree's depth, size, number of AND/OR conditions and IN-list lengths right after
parsing, before the type checker or any back end walks it. Every check walks iteratively.

Each limit is far above what an officer writes by hand; a longer list of codes belongs in a field of
the catalog, not in a rule.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from .errors import make_error

MAX_LENGTH = 4_000  # characters of rule text
MAX_PAREN_DEPTH = 16  # nested parentheses
MAX_DEPTH = 64  # levels of the expression tree (a chain `a OR b OR c` is one level per operator)
MAX_NODES = 2_000  # nodes of the expression tree
MAX_CONDITIONS = 100  # conditions joined by AND/OR (operators + 1)
MAX_IN_ITEMS = 500  # values in one IN list


def check_length(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise make_error(
            "too_long",
            text,
            MAX_LENGTH,
            len(text),
            f"规则过长：{len(text):,} 个字符，上限 {MAX_LENGTH:,} 个字符",
            f"the rule is too long: {len(text):,} characters (limit {MAX_LENGTH:,})",
        )


def check_parentheses(text: str, tokens: list) -> None:
    depth = 0
    for tok in tokens:
        if tok.token_type == sqlglot.TokenType.L_PAREN:
            depth += 1
            if depth > MAX_PAREN_DEPTH:
                raise make_error(
                    "too_deep",
                    text,
                    tok.start,
                    tok.end + 1,
                    f"括号嵌套过深：超过 {MAX_PAREN_DEPTH} 层（上限 {MAX_PAREN_DEPTH} 层）",
                    f"parentheses nested too deeply: more than {MAX_PAREN_DEPTH} levels "
                    f"(limit {MAX_PAREN_DEPTH})",
                )
        elif tok.token_type == sqlglot.TokenType.R_PAREN:
            depth = max(0, depth - 1)


def too_deep_for_parser(text: str):
    """sqlglot ran out of stack (e.g. thousands of NOT or unary minus in a row)."""
    return make_error(
        "too_deep",
        text,
        0,
        len(text),
        f"规则嵌套过深：超过 {MAX_DEPTH} 层（上限 {MAX_DEPTH} 层）",
        f"the rule is nested too deeply: more than {MAX_DEPTH} levels (limit {MAX_DEPTH})",
    )


def check_tree(text: str, root: exp.Expression, span) -> None:
    """Depth, size, AND/OR conditions and IN-list lengths of a parsed rule. ``span(node, text)`` gives a
    node's position for the error."""
    nodes = conditions = 0
    deepest, deepest_node = 0, root
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > deepest:
            deepest, deepest_node = depth, node
        if isinstance(node, exp.And | exp.Or):
            conditions += 1
        if isinstance(node, exp.In) and len(node.expressions) > MAX_IN_ITEMS:
            s, e = span(node, text)
            n = len(node.expressions)
            raise make_error(
                "in_list_too_long",
                text,
                s,
                e,
                f"IN 列表过长：{n:,} 个值，上限 {MAX_IN_ITEMS:,} 个",
                f"IN list too long: {n:,} values (limit {MAX_IN_ITEMS:,})",
            )
        stack.extend((child, depth + 1) for child in node.iter_expressions())
    if nodes > MAX_NODES:
        raise make_error(
            "too_many_nodes",
            text,
            0,
            len(text),
            f"规则过于复杂：{nodes:,} 个语法节点，上限 {MAX_NODES:,} 个",
            f"the rule is too complex: {nodes:,} syntax nodes (limit {MAX_NODES:,})",
        )
    if conditions + 1 > MAX_CONDITIONS:
        raise make_error(
            "too_many_conditions",
            text,
            0,
            len(text),
            f"AND/OR 连接的条件过多：{conditions + 1:,} 个，上限 {MAX_CONDITIONS} 个（多个取值请用 IN）",
            f"too many conditions joined by AND/OR: {conditions + 1:,} (limit {MAX_CONDITIONS}; "
            "use IN for a list of values)",
        )
    if deepest > MAX_DEPTH:
        s, e = span(deepest_node, text)
        raise make_error(
            "too_deep",
            text,
            s,
            e,
            f"规则嵌套过深：{deepest} 层，上限 {MAX_DEPTH} 层（一长串 AND/OR/+ 每个运算符算一层）",
            f"the rule is nested too deeply: {deepest} levels (limit {MAX_DEPTH}; "
            "each operator of a long AND/OR/+ chain is one level)",
        )

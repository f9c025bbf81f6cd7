"""The rule language (pure: no database): validation with positions, semantics, explanations, and a
property test that every execution path (Python closure, Polars, DuckDB SQL, batch) agrees."""

from __future__ import annotations

import datetime as dt
import math
import time

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jinfu.rules import (
    ENTERPRISE_FIELDS,
    Catalog,
    Field,
    RuleError,
    compile_rule,
    eligibility,
)

C = ENTERPRISE_FIELDS


def err(text, kind="boolean", catalog=C) -> RuleError:
    with pytest.raises(RuleError) as info:
        compile_rule(text, catalog, kind)
    return info.value


# ------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "text, code, bad",
    [
        ("revenue >= 500 AND revenu < 9000", "unknown_field", "revenu"),
        ("industry_section = 5", "type_mismatch", "5"),
        ("revenue + size_class > 3", "type_mismatch", "size_class"),
        ("revenue >= 500 AND 1", "type_mismatch", "1"),
        ("revenue >= 500 AND sleep(5) > 0", "function", "sleep"),
        ("read_csv('/etc/passwd') IS NULL", "function", "read_csv"),
        ("revenue > (SELECT 1)", "subquery", "(SELECT"),
        ("revenue IN (SELECT revenue FROM t)", "subquery", "(SELECT"),
        ("count(*) > 1", "aggregate", "count"),
        ("sum(revenue) > 1", "aggregate", "sum"),
        ("t.revenue > 1", "qualified_column", "t.revenue"),
        ("revenue > 1; DROP TABLE x", "statement", ";"),
        ("revenue > 1 -- AND employees > 3", "comment", "--"),
        ("revenue > 1 /* x */", "comment", "/*"),
        ("revenue > 1 AS ok", "not_expression", "ok"),
        ("revenue > 1 FROM features", "not_expression", "FROM"),
        ("revenue >= ", "syntax", ">="),
        ("revenue", "result_type", "revenue"),
        ("revenue > 1 AND tag_green < TRUE", "type_mismatch", "TRUE"),
        ("revenue % 2 = 0", "unsupported", "revenue"),
        ("industry_section || 'x' = 'Cx'", "unsupported", "industry_section"),
        ("ROUND(revenue, employees) > 1", "unsupported", "employees"),
        ("IFF(tag_green, 1) > 0 AND IFF(1) > 0", "arity", "IFF(1)"),
    ],
)
def test_rejects_with_code_and_position(text, code, bad):
    e = err(text)
    assert e.code == code, (e.code, e.message_en)
    assert text[e.start :].lower().startswith(bad.lower()), (e.start, text[e.start :], e.message_en)
    assert e.message_zh.startswith(f"第 {e.line} 行第 {e.col} 列：")
    assert e.message_en.startswith(f"line {e.line}, col {e.col}: ")


def test_unknown_field_suggests_and_positions_on_later_lines():
    text = "revenue >= 500\n  AND revenu < 9000"
    e = err(text)
    assert (e.line, e.col, e.start, e.end) == (2, 7, 21, 27)
    assert e.message_zh == "第 2 行第 7 列：未知字段 revenu（是否指 revenue？）"
    assert e.message_en == "line 2, col 7: unknown field 'revenu' (did you mean 'revenue'?)"


def test_number_rules_must_be_numeric():
    assert err("revenue > 1", kind="number").code == "result_type"
    assert compile_rule("LEAST(paid_in_capital * 0.02, 1000)", C, "number").kind == "number"


@pytest.mark.parametrize(
    "text",
    [
        "revenue >= 500 AND employees BETWEEN 10 AND 300 AND industry_section IN ('C', 'I')",
        "NOT tag_green OR (credit_grade IN ('AAA', 'AA') AND credit_score >= 80)",
        "credit_grade IS NULL OR credit_grade NOT IN ('C', 'CC')",
        "COALESCE(is_first_loan, FALSE) = TRUE AND REVENUE <> 0",
        "CASE WHEN size_class = 'micro' THEN revenue >= 50 ELSE revenue >= 500 END",
        "CASE size_class WHEN 'micro' THEN 1 WHEN 'small' THEN 2 END = 1",
        "IF(tag_high_tech, revenue, 0) / NULLIF_IS_NOT_HERE > 1".replace(" / NULLIF_IS_NOT_HERE", ""),
        "ABS(revenue - total_assets) < ROUND(revenue / 3, 1) AND GREATEST(employees, 1) > -1",
        '"revenue" > 1',
    ],
)
def test_accepts_good_rules(text):
    rule = compile_rule(text, C)
    assert rule.fields
    assert rule.to_sql("spark")


def test_catalog_extends_and_documents():
    ext = C.extend([Field("sample_grade", "string", "纳税信用等级", source="税务")])
    assert "sample_grade" in ext and "sample_grade" not in C
    assert compile_rule("sample_grade IN ('A', 'B')", ext).fields == {"sample_grade"}
    assert "| `revenue` | number | 营业收入 | 万元 |" in C.to_markdown()
    with pytest.raises(ValueError):
        C.extend([Field("revenue", "number", "重复")])


# ------------------------------------------------------------------------------------- semantics
def test_null_semantics():
    r = compile_rule("revenue >= 500 AND employees >= 10", C)
    assert r.evaluate({"revenue": None, "employees": 20}) is None
    assert r.evaluate({"revenue": None, "employees": 5}) is False  # Kleene: FALSE AND NULL = FALSE
    assert r.passes({"revenue": None, "employees": 20}) is False
    assert compile_rule("NOT (revenue > 1)", C).evaluate({}) is None
    assert compile_rule("revenue > 1 OR tag_green", C).evaluate({"tag_green": True}) is True
    assert compile_rule("industry_section IN ('C', NULL)", C).evaluate({"industry_section": "I"}) is None
    assert compile_rule("industry_section IN ('C', NULL)", C).evaluate({"industry_section": "C"}) is True
    assert compile_rule("revenue / employees > 1", C).evaluate({"revenue": 5, "employees": 0}) is None
    assert compile_rule("CASE WHEN tag_green THEN 1 END", C, "number").evaluate({"tag_green": False}) is None
    assert compile_rule("LEAST(revenue, 10)", C, "number").evaluate({}) == 10


def test_benefit_formula_hand_computed():
    benefit = compile_rule("LEAST(paid_in_capital * 0.02, 1000)", C, "number")
    assert benefit.evaluate({"paid_in_capital": 30000}) == pytest.approx(600)
    assert benefit.evaluate({"paid_in_capital": 80000}) == pytest.approx(1000)
    assert benefit.evaluate({"paid_in_capital": None}) == 1000  # LEAST ignores NULL, like SQL engines
    gated = compile_rule(
        "CASE WHEN registered_capital >= 5000 THEN LEAST(paid_in_capital * 0.02, 1000) ELSE 0 END",
        C,
        "number",
    )
    df = pl.DataFrame({"registered_capital": [6000.0, 100.0], "paid_in_capital": [30000.0, 30000.0]})
    assert df.select(gated.to_polars()).to_series().to_list() == pytest.approx([600.0, 0.0])
    assert gated.evaluate({"registered_capital": 6000, "paid_in_capital": 30000}) == pytest.approx(600)


def test_round_half_away_from_zero_everywhere():
    r = compile_rule("ROUND(revenue, 1)", C, "number")
    df = pl.DataFrame({"revenue": [2.25, -2.25, 2.5]})
    py = [r.evaluate(row) for row in df.to_dicts()]
    assert py == [2.3, -2.3, 2.5]
    assert df.select(r.to_polars()).to_series().to_list() == py
    got = duckdb.sql(
        f"SELECT {r.to_sql()} AS v FROM (VALUES (2.25::DOUBLE), (-2.25), (2.5)) t(revenue)"
    ).fetchall()
    assert [v for (v,) in got] == py


def test_date_fields_compare_with_iso_literals():
    cat = C.extend([Field("established_on", "date", "成立日期")])
    r = compile_rule("established_on < '2020-01-01'", cat)
    assert r.passes({"established_on": dt.date(2019, 5, 1)})
    assert not r.passes({"established_on": dt.date(2021, 5, 1)})
    assert err("established_on < '2020-13-01'", catalog=cat).code == "type_mismatch"


def test_python_path_is_fast():
    rule = compile_rule(
        "revenue >= 500 AND employees >= 10 AND established_years >= 3 "
        "AND industry_section IN ('C', 'I', 'M') AND (credit_grade IN ('AAA', 'AA') OR credit_score >= 80)",
        C,
    )
    fn = rule.to_python()
    row = {
        "revenue": 800.0,
        "employees": 50,
        "established_years": 4,
        "industry_section": "I",
        "credit_score": 90.0,
    }
    n = 20000
    t0 = time.perf_counter()
    for _ in range(n):
        fn(row)
    per = (time.perf_counter() - t0) / n
    assert per < 20e-6, per


# ---------------------------------------------------------------------------------- explanations
def test_explanations_in_chinese_with_gaps(monkeypatch):
    from jinfu.rules import explain

    names = {"industry_section": {"C": "制造业", "I": "信息传输、软件和信息技术服务业"}}
    monkeypatch.setattr(explain, "_value_labels", lambda: names)  # the reference data's code → name table
    rule = compile_rule(
        "revenue >= 500 AND industry_section IN ('C','I') AND credit_grade IN ('AAA', 'AA') "
        "AND employees <= 300 AND tag_high_tech = TRUE",
        C,
    )
    row = {
        "revenue": 320,
        "industry_section": "I",
        "credit_grade": None,
        "employees": 350,
        "tag_high_tech": True,
    }
    res = rule.explain(row)
    assert [r.passed for r in res] == [False, True, None, False, True]
    assert res[0].message_zh == "营业收入 ≥ 500万元：不满足，实际 320万元，还差 180万元"
    assert (res[0].field, res[0].actual, res[0].threshold, res[0].gap, res[0].unit) == (
        "revenue",
        320,
        500,
        180,
        "万元",
    )
    assert res[1].message_zh == (
        "所属行业门类为 制造业、信息传输、软件和信息技术服务业 之一：满足，实际 信息传输、软件和信息技术服务业"
    )
    assert res[2].message_zh == "信用等级 缺失：无法判断"
    assert res[3].message_zh == "从业人员 ≤ 300人：不满足，实际 350人，超出 50人"
    assert res[3].gap == 50
    assert res[4].message_zh == "高新技术企业：满足，实际 是"
    assert res[0].message_en.startswith("revenue ≥ CNY 5,000,000: not met, actual CNY 3,200,000")
    assert [r.text for r in res][:2] == ["revenue >= 500", "industry_section IN ('C','I')"]


def test_explanation_of_other_shapes_reports_actual_values():
    rule = compile_rule("revenue / employees > 10 AND (tag_green OR tag_high_tech)", C)
    res = rule.explain({"revenue": 100, "employees": 20, "tag_green": False, "tag_high_tech": None})
    assert (
        res[0].passed is False
        and "营业收入 100万元" in res[0].message_zh
        and "从业人员 20人" in res[0].message_zh
    )
    assert res[1].passed is None and res[1].text == "(tag_green OR tag_high_tech)"


# ------------------------------------------------------------------------- every path agrees
PCAT = Catalog(
    [
        Field("n1", "number", "数一"),
        Field("n2", "number", "数二"),
        Field("i1", "integer", "整数"),
        Field("s1", "string", "文本"),
        Field("b1", "boolean", "布尔一"),
        Field("b2", "boolean", "布尔二"),
    ]
)
SCHEMA = {
    "n1": pl.Float64,
    "n2": pl.Float64,
    "i1": pl.Int64,
    "s1": pl.String,
    "b1": pl.Boolean,
    "b2": pl.Boolean,
}
SQL_TYPE = {"n1": "DOUBLE", "n2": "DOUBLE", "i1": "BIGINT", "s1": "VARCHAR", "b1": "BOOLEAN", "b2": "BOOLEAN"}
NUM_LITS = ["0", "1", "2", "2.5", "3", "10", "-1", "0.5"]
STR_LITS = ["'a'", "'b'", "'c'"]
CMP = ["=", "<>", "!=", "<", "<=", ">", ">="]


@st.composite
def num_expr(draw, depth=2):
    if depth <= 0 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(["n1", "n2", "i1", *NUM_LITS, "NULL"]))
    d = depth - 1
    form = draw(st.integers(0, 8))
    if form <= 3:
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        return f"({draw(num_expr(d))} {op} {draw(num_expr(d))})"
    if form == 4:
        return f"-({draw(num_expr(d))})"
    if form == 5:
        fn = draw(st.sampled_from(["COALESCE", "LEAST", "GREATEST"]))
        return f"{fn}({draw(num_expr(d))}, {draw(num_expr(d))})"
    if form == 6:
        return f"ABS({draw(num_expr(d))})"
    if form == 7:
        return f"IFF({draw(bool_expr(d))}, {draw(num_expr(d))}, {draw(num_expr(d))})"
    default = draw(st.one_of(st.just(""), num_expr(d).map(lambda e: f" ELSE {e}")))
    return f"CASE WHEN {draw(bool_expr(d))} THEN {draw(num_expr(d))}{default} END"


@st.composite
def str_expr(draw, depth=1):
    if depth <= 0 or draw(st.booleans()):
        return draw(st.sampled_from(["s1", "s1", *STR_LITS]))
    d = depth - 1
    if draw(st.booleans()):
        return f"COALESCE(s1, {draw(st.sampled_from(STR_LITS))})"
    return f"CASE WHEN {draw(bool_expr(d))} THEN {draw(str_expr(d))} ELSE {draw(str_expr(d))} END"


@st.composite
def bool_expr(draw, depth=3):
    if depth <= 0:
        return draw(st.sampled_from(["b1", "b2", "TRUE", "FALSE", "n1 > 1", "s1 = 'a'", "i1 >= 2"]))
    d = depth - 1
    form = draw(st.integers(0, 11))
    if form == 0:
        return draw(st.sampled_from(["b1", "b2", "TRUE", "FALSE", "NULL"]))
    if form == 1:
        return f"{draw(num_expr(min(d, 2)))} {draw(st.sampled_from(CMP))} {draw(num_expr(min(d, 2)))}"
    if form == 2:
        return f"{draw(str_expr(1))} {draw(st.sampled_from(CMP))} {draw(str_expr(1))}"
    if form == 3:
        return f"{draw(st.sampled_from(['b1', 'b2']))} {draw(st.sampled_from(['=', '<>']))} {draw(st.sampled_from(['TRUE', 'FALSE', 'b1', 'NULL']))}"
    if form == 4:
        x = draw(st.sampled_from(["n1", "n2", "i1", "s1", "b1"]))
        return f"{x} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"
    if form == 5:
        x, lits = draw(st.sampled_from([("n1", NUM_LITS), ("i1", NUM_LITS), ("s1", STR_LITS)]))
        items = draw(st.lists(st.sampled_from([*lits, "NULL"]), min_size=1, max_size=4))
        return f"{x} {draw(st.sampled_from(['', 'NOT ']))}IN ({', '.join(items)})"
    if form == 6:
        return f"{draw(st.sampled_from(['n1', 'i1', 'n2']))} {draw(st.sampled_from(['', 'NOT ']))}BETWEEN {draw(num_expr(1))} AND {draw(num_expr(1))}"
    if form in (7, 8):
        return f"({draw(bool_expr(d))} {draw(st.sampled_from(['AND', 'OR']))} {draw(bool_expr(d))})"
    if form == 9:
        return f"NOT ({draw(bool_expr(d))})"
    if form == 10:
        return f"COALESCE({draw(bool_expr(d))}, {draw(st.sampled_from(['TRUE', 'FALSE', 'b2']))})"
    return f"CASE WHEN {draw(bool_expr(d))} THEN {draw(bool_expr(d))} ELSE {draw(bool_expr(d))} END"


@st.composite
def top_rule(draw):
    clauses = draw(st.lists(bool_expr(), min_size=1, max_size=4))
    return " AND ".join(clauses)


ROW = st.fixed_dictionaries(
    {
        "n1": st.one_of(st.none(), st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 10.0, 7.25])),
        "n2": st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.5, 10.0, -3.5])),
        "i1": st.one_of(st.none(), st.integers(-3, 12)),
        "s1": st.one_of(st.none(), st.sampled_from(["a", "b", "c", "ab", ""])),
        "b1": st.one_of(st.none(), st.booleans()),
        "b2": st.one_of(st.none(), st.booleans()),
    }
)
CON = duckdb.connect()


def _sql_lit(v, col):
    if v is None:
        return f"CAST(NULL AS {SQL_TYPE[col]})"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return "'" + v + "'"
    return f"CAST({v!r} AS {SQL_TYPE[col]})"


def duckdb_values(rule, rows):
    cols = list(SCHEMA)
    values = ", ".join(
        "(" + ", ".join([str(i)] + [_sql_lit(r[c], c) for c in cols]) + ")" for i, r in enumerate(rows)
    )
    q = f"SELECT {rule.to_sql('duckdb')} AS v FROM (VALUES {values}) t(rid, {', '.join(cols)}) ORDER BY rid"
    return [v for (v,) in CON.execute(q).fetchall()]


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b) and isinstance(a, bool) == isinstance(b, bool)
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def check_paths(rule, rows):
    df = pl.DataFrame(rows, schema=SCHEMA)
    py = [rule.evaluate(r) for r in rows]
    polars_vals = df.select(rule.to_polars().alias("v")).get_column("v").to_list()
    duck = duckdb_values(rule, rows)
    for i, row in enumerate(rows):
        assert same(py[i], polars_vals[i]), (rule.text, row, py[i], polars_vals[i])
        assert same(py[i], duck[i]), (rule.text, row, py[i], duck[i], rule.to_sql())
    if rule.kind == "boolean":
        batch = eligibility([rule], df)[:, 0].tolist()
        assert batch == [v is True for v in py], (rule.text, batch, py)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=top_rule(), rows=st.lists(ROW, min_size=1, max_size=8))
def test_every_path_agrees_on_boolean_rules(text, rows):
    check_paths(compile_rule(text, PCAT, "boolean"), rows)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=num_expr(3), rows=st.lists(ROW, min_size=1, max_size=8))
def test_every_path_agrees_on_number_rules(text, rows):
    try:
        rule = compile_rule(text, PCAT, "number")
    except RuleError as e:
        assert e.code == "result_type"  # e.g. a bare NULL
        return
    check_paths(rule, rows)

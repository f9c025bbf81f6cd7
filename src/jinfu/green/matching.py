"""Matchmaking (交易撮合) in the rule language: a green product's eligibility is a rule over the project
fields below (the catalogue item among them), validated and explained by jinfu.rules. Pure: no Django."""

from __future__ import annotations

from jinfu.rules import Catalog, Field, RuleError, compile_rule

__all__ = ["PROJECT_FIELDS", "RuleError", "compile_product_rule", "match", "project_row"]

PROJECT_FIELDS = Catalog(
    [
        Field(
            "catalogue_item",
            "string",
            "目录条目编号",
            "",
            "绿色识别",
            "《绿色金融支持项目目录（2025年版）》一级类别编号 1–9",
            False,
            "catalogue item",
        ),
        Field("total_investment", "number", "项目总投资", "万元", "项目申报", "", False, "total investment"),
        Field("financing_need", "number", "融资需求", "万元", "项目申报", "", False, "financing need"),
        Field("construction_months", "integer", "建设期", "月", "项目申报", "", False, "construction period"),
        Field(
            "annual_reduction",
            "number",
            "年碳减排量",
            "tCO2",
            "碳核算",
            "按所用排放因子计算",
            True,
            "annual CO2 reduction",
        ),
        Field(
            "division_code",
            "string",
            "所在区县代码",
            "",
            "项目申报",
            "GB/T 2260 六位代码",
            False,
            "division code",
        ),
    ]
)


def compile_product_rule(text: str):
    """The compiled rule, or RuleError (bilingual, with the position) for a bad one."""
    return compile_rule(text, PROJECT_FIELDS)


def project_row(project: dict) -> dict:
    return {f.name: project.get(f.name) for f in PROJECT_FIELDS}


def match(rule_text: str, row: dict) -> tuple[bool, list[str]]:
    """Does the project meet the product's rule; the reasons, one sentence per clause."""
    try:
        rule = compile_product_rule(rule_text)
    except RuleError:
        return False, []
    results = rule.explain(row)
    return rule.passes(row), [r.message_zh for r in results]

"""Rules read as plain sentences: field labels instead of identifiers, codes as names, no SQL on the pages."""

import pytest

from jinfu.core.reference.selectors import rule_value_labels
from jinfu.rules.catalog import ENTERPRISE_FIELDS, named_catalog
from jinfu.rules.describe import describe
from jinfu.rules.rule import compile_rule
from tests.factories import make_product

LABELS = {
    "industry_section": {"C": "制造业", "I": "信息传输、软件和信息技术服务业"},
    "size_class": {"large": "大型"},
}


def _zh(text, catalog=ENTERPRISE_FIELDS, labels=LABELS):
    return [s.zh for s in describe(compile_rule(text, catalog, kind="boolean"), labels)]


def test_each_clause_is_a_sentence_with_labels_units_and_names():
    assert _zh("revenue >= 500 AND industry_section IN ('C','I') AND size_class <> 'large'") == [
        "营业收入不低于 500 万元",
        "所属行业门类为 制造业、信息传输、软件和信息技术服务业 之一",
        "企业规模不为 大型",
    ]


def test_flipped_comparisons_ranges_flags_and_or():
    assert _zh("500 <= revenue") == ["营业收入不低于 500 万元"]
    assert _zh("employees BETWEEN 10 AND 300") == ["从业人员在 10 人 至 300 人 之间"]
    assert _zh("NOT tag_green AND tag_specialized = TRUE") == ["不是绿色企业", "是专精特新企业"]
    assert _zh("tag_specialized OR tag_high_tech") == ["（是专精特新企业 或 是高新技术企业）"]
    assert _zh("credit_grade IS NULL") == ["信用等级暂无数据"]


def test_english_sentences():
    rule = compile_rule("revenue > 100 AND NOT tag_green", ENTERPRISE_FIELDS, kind="boolean")
    assert [s.en for s in describe(rule)] == ["revenue above CNY 1,000,000", "not green enterprise"]


def test_policy_catalog_is_found_by_name():
    import jinfu.policy.engine  # noqa: F401  (registers "policy")

    rule = compile_rule("declared_investment >= 1000", named_catalog("policy"), kind="boolean")
    assert describe(rule)[0].zh == "实际到位投资额不低于 1000 万元"


@pytest.mark.django_db
def test_reference_names_for_codes(reference_data):
    labels = rule_value_labels()
    assert labels["industry_section"]["C"] == "制造业"
    assert labels["size_class"]["micro"] == "微型"
    assert labels["division_code"]["500103"] == "渝中区"


def test_product_page_shows_sentences_not_sql(client, make_user, reference_data):
    bank, ent = make_user("institution"), make_user("enterprise")
    product = make_product(bank, eligibility_rule="revenue >= 500 AND industry_section IN ('C','I')")
    client.force_login(ent)
    html = client.get(f"/financing/products/{product.pk}/").content.decode()
    assert "营业收入不低于 500 万元" in html and "所属行业门类为 制造业、" in html
    assert "industry_section" not in html and "revenue &gt;=" not in html

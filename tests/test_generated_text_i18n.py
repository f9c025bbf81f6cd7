"""Generated text follows the language switch (issue 11 item 3): rule sentences, clause explanations, match
reasons, field labels, credit reasons; amounts read naturally in both languages; the enterprise form speaks
one language on the page (the API keeps both)."""

from __future__ import annotations

import re

from django.template import Context, Template
from django.utils import translation

from jinfu.core.templatetags.jinfu_format import money, span
from jinfu.credit.scoring.selectors import bin_text
from tests.core.test_enterprise_form import _values, gov  # noqa: F401  (fixture)


def _render(source: str, **ctx) -> str:
    return Template("{% load rules_text jinfu_format %}" + source).render(Context(ctx))


def test_amounts_in_wan_read_naturally_in_both_languages():
    assert money(10) == "10 万元" and money("1.4900000000000002") == "1.49 万元"
    assert span(10, 500, "万元") == "10–500 万元"
    with translation.override("en"):
        assert money(10) == "CNY 100,000"
        assert money("1.49") == "CNY 14,900"
        assert span(10, 500, "万元") == "CNY 100,000–5,000,000"
        assert span(12, 12, "months") == "12 months"
        assert _render("{{ a|wan }}", a=None) == "—"


def test_generated_messages_follow_the_language_switch():
    clause = {"message_zh": "营业收入 ≥ 500万元：不满足", "message_en": "revenue ≥ 500: not met"}
    row = {"reason": "额度匹配、利率低", "reason_en": "amount fits, low rate"}
    assert _render("{{ c|said }} | {{ r|lang:'reason' }}", c=clause, r=row) == (
        "营业收入 ≥ 500万元：不满足 | 额度匹配、利率低"
    )
    with translation.override("en"):
        assert _render("{{ c|said }} | {{ r|lang:'reason' }}", c=clause, r=row) == (
            "revenue ≥ 500: not met | amount fits, low rate"
        )


def test_field_labels_never_show_the_identifier():
    import jinfu.policy.engine  # noqa: F401  (registers the policy catalog)

    zh = _render("{{ n|field_label:'policy' }}", n="declared_loan_interest")
    assert zh and "declared_loan_interest" not in zh and re.search(r"[\u4e00-\u9fff]", zh)
    with translation.override("en"):
        en = _render("{{ n|field_label:'policy' }}", n="declared_loan_interest")
        assert "_" not in en and en != zh


def test_rule_sentences_follow_the_language(reference_data):
    text = "industry_section IN ('C', 'I') AND revenue >= 500"
    zh = _render("{% for s in r|rule_sentences %}{{ s }};{% endfor %}", r=text)
    assert "制造业" in zh and "industry_section" not in zh
    with translation.override("en"):
        en = _render("{% for s in r|rule_sentences %}{{ s }};{% endfor %}", r=text)
    assert en != zh and "industry_section" not in en and "不低于" not in en
    assert "CNY 5,000,000" in en and "10k" not in en  # 500 万元 read in yuan


def test_credit_reasons_name_industry_sections(reference_data):
    text = bin_text("industry_section", "行业门类 I/C")
    assert text == "行业门类 信息传输、软件和信息技术服务业、制造业"
    assert not re.search(r"行业门类 [A-T](/|$)", text)
    assert bin_text("tax_grade", "纳税信用等级 缺失") == "纳税信用等级 缺失"
    with translation.override("en"):
        assert bin_text("revenue", "营业收入 ≥ 500万元").startswith("revenue")


def test_enterprise_form_errors_speak_one_language(client, gov):  # noqa: F811
    client.force_login(gov)
    resp = client.post("/orgs/enterprises/new/", _values("91500000202869177X", revenue="-5"))
    assert resp.status_code == 422
    errors = re.findall(r'data-error-for="[a-z_]+"[^>]*>(.*?)</', resp.content.decode(), re.S)
    assert errors
    for e in errors:
        assert not re.search(r"[A-Za-z]{4,}", e), e  # no English beside the Chinese
        assert "（" not in e or not re.search(r"（[^）]*[A-Za-z]{3}", e), e

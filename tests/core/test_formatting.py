"""Figures as people read them: no float artefacts, no needless zeros, ranges that collapse."""

from decimal import Decimal

from django.template import Context, Template

from jinfu.core.templatetags.jinfu_format import plain_number, span
from tests.factories import make_product


def test_plain_numbers():
    assert plain_number(1.4900000000000002) == "1.49"
    assert plain_number(Decimal("498.00")) == "498"
    assert plain_number(Decimal("3.250")) == "3.25"
    assert plain_number(1234567.891) == "1,234,567.89"
    assert plain_number(0.005) == "0.01"  # half up, not banker's rounding
    assert plain_number(None) == "—"


def test_ranges_collapse_when_both_ends_agree():
    assert span(12, 12, "个月") == "12 个月"
    assert span(6, 36, "个月") == "6–36 个月"
    assert span(Decimal("3.20"), Decimal("6.50"), "%") == "3.2–6.5%"


def test_template_tag_in_a_page(client, make_user):
    html = Template("{% load jinfu_format %}{% span a b '万元' %} {{ c|num }}").render(
        Context({"a": Decimal("10.00"), "b": Decimal("500.00"), "c": 1.4900000000000002})
    )
    assert html == "10–500 万元 1.49"


def test_market_card_reads_naturally(client, make_user, reference_data):
    bank = make_user("institution")
    make_product(bank, term_min=12, term_max=12, rate_min="3.2", rate_max="3.2")
    client.force_login(make_user("enterprise"))
    html = client.get("/financing/").content.decode()
    assert "12 个月" in html and "12–12" not in html
    assert "年化 3.2%" in html and "3.200" not in html

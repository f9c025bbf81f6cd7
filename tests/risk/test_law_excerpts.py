"""Local financial organization ratios against the texts read (data/law_excerpts.yaml): every rule's quote is
verbatim in the excerpt it names, only a primary text confirms an article number, and the 典当 and 商业保理
rules added in v2026.2 flag what they should (report import columns: bad input named by row and field)."""

from __future__ import annotations

import re

import pytest

from jinfu.risk import supervision
from jinfu.risk.models import OrgReport

from .test_services import regulator  # noqa: F401
from .test_supervision import _csv, _org, _period

ARTICLE = re.compile(r"第[一二三四五六七八九十百]+条")


def _collapse(text: str) -> str:
    return re.sub(r"\s+", "", text)


RULES = supervision.params().rules


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_each_quote_is_verbatim_in_the_excerpt_it_names(rule):
    excerpt = supervision.excerpts()[rule.evidence]
    assert _collapse(rule.quote) in _collapse(excerpt["text"])
    assert excerpt["where"] and excerpt["name"]
    if rule.verified == "primary":
        assert excerpt["kind"] == "primary" and ARTICLE.search(rule.source)
        article = ARTICLE.findall(rule.source)[0]
        assert article in excerpt["text"]  # the article number is read in the text, not assumed
    else:
        assert rule.verified == "secondary" and excerpt["kind"] == "secondary"
        assert not ARTICLE.search(rule.source), "an unconfirmed article number must not be cited"


def test_pawn_and_factoring_carry_their_figures():
    by_id = {r.id: r for r in RULES}
    assert {r.kind for r in RULES} == {"guarantee", "microloan", "leasing", "pawn", "factoring"}
    assert by_id["pawn.single_client"].max == 0.25 and by_id["pawn.single_client"].denominator == (
        "registered_capital"
    )
    assert (by_id["pawn.property_rights"].max, by_id["pawn.real_estate"].max) == (0.5, 1)
    assert (by_id["pawn.single_real_estate_small"].max, by_id["pawn.single_real_estate"].max) == (100, 0.1)
    assert by_id["pawn.net_assets"].min == 0.9
    assert by_id["factoring.risk_assets"].max == 10
    assert by_id["factoring.single_debtor"].denominator == "risk_assets"  # 风险资产总额, not net assets
    assert (by_id["factoring.single_debtor"].max, by_id["factoring.related_debtors"].max) == (0.5, 0.4)
    assert "金规〔2024〕26号" in by_id["microloan.single_borrower"].source


HEAD = [
    "统一社会信用代码",
    "报告期末",
    "净资产（万元）",
    "资产总额（万元）",
    "实缴资本（万元）",
    "最大单一客户余额（万元）",
    "财产权利质押典当余额（万元）",
    "房地产抵押典当余额（万元）",
    "房地产抵押典当最大单笔当金（万元）",
    "受让以关联企业为债务人的应收账款（万元）",
    "现金、银行存款和国债（万元）",
    "本期纳税（万元）",
    "社保缴纳人数",
]


def _row(org, *, net, total, top="", rights="", estate="", single="", related="", cash=""):
    return [
        org.organization.uscc,
        _period(),
        net,
        total,
        1000,
        top,
        rights,
        estate,
        single,
        related,
        cash,
        10,
        5,
    ]


def _breaches(regulator, org):  # noqa: F811
    return {c["rule"].id for c in supervision.detail(regulator, org.pk)["checks"] if c["breach"]}


def test_pawn_ratios_are_to_registered_capital_and_the_single_loan_cap_follows_the_capital_band(regulator):  # noqa: F811
    small = _org("pawn")
    small.registered_capital = 500
    small.save()
    big = _org("pawn")  # registered capital 20,000 万元
    res = supervision.import_reports(
        regulator,
        _csv(
            [
                HEAD,
                _row(small, net=440, total=900, top=130, rights=260, estate=400, single=120),
                _row(big, net=19000, total=30000, top=4000, rights=9000, estate=15000, single=1500),
            ]
        ),
        "r.csv",
    )
    assert res["ok"], res["errors"]
    # 130/500 = 26 % > 25 %; 260/500 = 52 % > 50 %; 120 万 > 100 万 (capital under 1,000 万); 440/500 = 88 % < 90 %
    assert _breaches(regulator, small) == {
        "pawn.single_client",
        "pawn.property_rights",
        "pawn.single_real_estate_small",
        "pawn.net_assets",
    }
    assert _breaches(regulator, big) == set()  # 20 %, 45 %, 0.75 ×, 1,500 万 = 7.5 % of 20,000 万, 95 %
    d = supervision.detail(regulator, big.pk)
    assert "pawn.single_real_estate_small" not in {c["rule"].id for c in d["checks"]}
    assert "pawn.single_real_estate_small" not in {r.id for r in d["unchecked"]}
    check = next(c for c in d["checks"] if c["rule"].id == "pawn.single_real_estate")
    assert check["value"] == pytest.approx(0.075) and "110法律咨询网" in check["evidence"]


def test_factoring_concentration_is_to_risk_assets(regulator, client):  # noqa: F811
    f = _org("factoring")
    # risk assets = 60,000 − 5,000 = 55,000 = 11 × net assets; single debtor 30,000 = 54.5 %; related 20,000 = 36 %
    res = supervision.import_reports(
        regulator,
        _csv([HEAD, _row(f, net=5000, total=60000, top=30000, related=20000, cash=5000)]),
        "r.csv",
    )
    assert res["ok"], res["errors"]
    assert _breaches(regulator, f) == {"factoring.risk_assets", "factoring.single_debtor"}
    client.force_login(regulator)
    page = client.get(f"/risk/local-finance/{f.pk}/").content.decode()
    assert "银保监办发〔2019〕205号" in page and "条文序号待核" in page and "新华社" in page


def test_bad_pawn_figures_are_named_by_row_and_field_and_nothing_is_written(regulator):  # noqa: F811
    a, b = _org("pawn"), _org("pawn")
    rows = [
        HEAD,
        _row(a, net=900, total=1000, rights=-5),
        _row(b, net=900, total=1000, estate=100, single=150),
    ]
    res = supervision.import_reports(regulator, _csv(rows), "r.csv")
    assert not res["ok"] and res["written"] == 0 and OrgReport.objects.count() == 0
    got = [(e["row"], e["field"], e["rule"]) for e in res["errors"]]
    assert got == [
        (2, "property_rights_pawn", "range.negative"),
        (3, "real_estate_pawn_max_single", "risk.single_above_balance"),
    ]
    assert res["errors"][1]["message_zh"].startswith("第 3 行「房地产抵押典当最大单笔当金（万元）」")
    assert "largest single pawn loan" in res["errors"][1]["message_en"]

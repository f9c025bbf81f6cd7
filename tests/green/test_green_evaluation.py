"""Institutions' green evaluation after 《银行业金融机构绿色金融评价方案》: quantitative 80% (four indicators),
qualitative 20% (30/40/30); every score carries its working; the finance office sees its jurisdiction's
institutions only, evaluated among themselves."""

from decimal import Decimal

import pytest

from jinfu.green import engine


def rep(name, green, prior, total, risk, qual=(None, None, None)):
    return {
        "institution": name,
        "green_balance": Decimal(green),
        "prior_green_balance": Decimal(prior),
        "total_balance": Decimal(total),
        "green_risk": Decimal(risk),
        "qual_policy": qual[0],
        "qual_system": qual[1],
        "qual_support": qual[2],
    }


def test_weights_follow_the_scheme():
    assert engine.QUANT_SHARE == Decimal("0.8") and engine.QUAL_SHARE == Decimal("0.2")
    assert [v[0] for v in engine.QUANT_INDICATORS.values()] == [
        "绿色金融业务总额占比",
        "绿色金融业务总额份额占比",
        "绿色金融业务总额同比增速",
        "绿色金融业务风险总额占比",
    ]
    assert sum(engine.QUANT_WEIGHTS.values()) == 1
    assert [w for _l, w in engine.QUAL_ITEMS.values()] == [Decimal("0.3"), Decimal("0.4"), Decimal("0.3")]


def test_scores_and_working_by_hand():
    a = rep("甲银行", 3000, 2000, 10000, 30, qual=(80, 90, 70))  # share 30%, growth 50%, risk 1%
    b = rep("乙银行", 1000, 1000, 20000, 50)  # share 5%, growth 0%, risk 5%
    ea, eb = engine.evaluate([b, a])
    assert (ea.institution, ea.rank, eb.rank) == ("甲银行", 1, 2)
    # 甲 is best on every indicator: 4 × 100 × 25% = 100; qualitative 0.3×80 + 0.4×90 + 0.3×70 = 81
    assert ea.quantitative == 100 and ea.qualitative == Decimal("81.0")
    assert ea.total == Decimal("96.2")  # 100 × 0.8 + 81 × 0.2
    assert eb.quantitative == 0 and eb.qualitative is None and eb.total == 0
    share = ea.indicators[0]
    assert share.value == Decimal("0.3") and "3,000 ÷ 10,000" in share.working and "30%" in share.working
    market = ea.indicators[1]
    assert market.value == Decimal("0.75") and "4,000" in market.working
    assert "总分 = 100 × 80% + 81 × 20% = 96.2 分" in ea.working
    assert "定性尚未评定" in eb.working


def test_middle_values_and_risk_is_lower_better():
    rows = [
        rep("甲", 1000, 1000, 10000, 0),
        rep("乙", 1000, 1000, 10000, 100),
        rep("丙", 1000, 1000, 10000, 50),
    ]
    by = {e.institution: e for e in engine.evaluate(rows)}
    risk = {k: e.indicators[3].score for k, e in by.items()}
    assert risk == {"甲": 100, "乙": 0, "丙": Decimal("50.0")}
    assert by["甲"].indicators[0].score == 100  # all equal share: 100 each, said so
    assert "取值相同" in by["乙"].indicators[0].working


def test_zero_prior_gives_no_growth_and_bad_figures_are_refused():
    [e] = engine.evaluate([rep("甲", 1000, 0, 10000, 0)])
    assert (
        e.indicators[2].value is None
        and e.indicators[2].score == 0
        and "上年同期为 0" in e.indicators[2].working
    )
    with pytest.raises(engine.GreenInputError) as err:
        engine.evaluate([rep("甲", 20000, 0, 10000, 0)])
    assert err.value.field == "green_balance"
    with pytest.raises(engine.GreenInputError):
        engine.evaluate([rep("甲", 100, 0, 10000, 200)])


# --- reports, import, the ranking page --------------------------------------------------------------

from django.test import Client  # noqa: E402

from jinfu.core.errors import Forbidden, NotFound, ValidationFailed  # noqa: E402
from jinfu.core.imports import registry  # noqa: E402
from jinfu.core.models import Organization  # noqa: E402
from jinfu.green import selectors, services  # noqa: E402
from jinfu.green.models import GreenReport  # noqa: E402

from .test_green_services import world  # noqa: E402, F401  (fixture)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _figures(**over):
    data = {
        "year": "2026",
        "quarter": "1",
        "green_balance": "3000",
        "prior_green_balance": "2000",
        "total_balance": "10000",
        "green_risk": "30",
    }
    data.update(over)
    return data


@pytest.fixture
def banks(world):  # noqa: F811
    """bank in 南岸区 (the gov's jurisdiction), bank2 in 渝中区 (gov_other's)."""
    Organization.objects.filter(pk=world["bank"].organization_id).update(division_id="500108")
    Organization.objects.filter(pk=world["bank2"].organization_id).update(division_id="500103")
    return world


@pytest.mark.django_db
def test_institution_reports_and_bad_figures_name_the_field(banks):
    w = banks
    r = services.save_report(w["bank"], _figures())
    assert (r.year, r.quarter, r.green_balance) == (2026, 1, Decimal("3000"))
    services.save_report(w["bank"], _figures(green_balance="3500"))  # the quarter again: replaced
    assert GreenReport.objects.get().green_balance == Decimal("3500")
    for over, fld in (
        ({"green_balance": "20000"}, "green_balance"),
        ({"green_risk": "5000"}, "green_risk"),
        ({"green_risk": "-1"}, "green_risk"),
        ({"quarter": "5"}, "quarter"),
        ({"year": "2026", "quarter": "4"}, "quarter"),  # after the current quarter (clock: 2026-06-30)
    ):
        with pytest.raises(ValidationFailed) as e:
            services.save_report(w["bank"], _figures(**over))
        assert e.value.field == fld and e.value.message_zh
    with pytest.raises(Forbidden):
        services.save_report(w["ent"], _figures())
    html = _client(w["bank"]).post("/green/reports/", _figures(green_balance="20000")).content.decode()
    assert 'data-error-for="green_balance"' in html and "不能大于各项业务总额" in html


@pytest.mark.django_db
def test_reports_import_through_the_registry(banks):
    w = banks
    header = ",".join(c.label_zh for c in registry.get("green.reports").columns[:-1])
    body = f"{header}\n2026,1,3000,2000,10000,30\n2026,2,3000,2000,1000,30\n"
    res = services.import_reports(w["bank"], body.encode(), "r.csv")
    [p] = res["problems"]
    assert (p["row"], p["field"], res["written"]) == (
        3,
        "green_balance",
        0,
    ) and not GreenReport.objects.exists()
    res = services.import_reports(w["bank"], f"{header}\n2026,1,3000,2000,10000,30\n".encode(), "r.csv")
    assert res["written"] == 1 and GreenReport.objects.get().institution_id == w["bank"].organization_id


@pytest.mark.django_db
def test_ranking_is_jurisdiction_scoped_with_working_and_qualitative_scores(banks):
    w = banks
    services.save_report(w["bank"], _figures())
    services.save_report(
        w["bank2"], _figures(green_balance="1000", prior_green_balance="1000", green_risk="50")
    )
    city = selectors.evaluation(w["admin"], 2026, 1)
    assert [e.institution.pk for e in city] == [w["bank"].organization_id, w["bank2"].organization_id]
    [mine] = selectors.evaluation(w["gov"], 2026, 1)  # 南岸区 sees its bank only, evaluated alone
    assert mine.institution.pk == w["bank"].organization_id
    assert "4,000" not in " ".join(i.working for i in mine.indicators)  # the other district's balance unused
    assert selectors.evaluation(w["bank"], 2026, 1) == []
    report = GreenReport.objects.get(institution_id=w["bank2"].organization_id)
    with pytest.raises(NotFound):
        services.score_qualitative(
            w["gov"], report.pk, {"qual_policy": 80, "qual_system": 80, "qual_support": 80}
        )
    with pytest.raises(ValidationFailed) as e:
        services.score_qualitative(
            w["gov_other"], report.pk, {"qual_policy": 180, "qual_system": 80, "qual_support": 80}
        )
    assert e.value.field == "qual_policy"
    services.score_qualitative(
        w["gov_other"], report.pk, {"qual_policy": 80, "qual_system": 90, "qual_support": 70}
    )
    [other] = selectors.evaluation(w["gov_other"], 2026, 1)
    assert other.qualitative == Decimal("81.0") and other.total == Decimal("96.2")  # alone: 100 each
    html = _client(w["gov"]).get("/green/evaluation/?period=2026-1").content.decode()
    assert "计算过程" in html and "总分 = " in html and w["bank"].organization.name in html
    assert w["bank2"].organization.name not in html
    assert (
        _client(w["gov"]).post(f"/green/evaluation/{report.pk}/qualitative/", {"qual_policy": 1}).status_code
        == 403
    )


@pytest.mark.django_db
def test_demo_reports_are_synthetic_and_rank(banks):
    from jinfu.green.demo import build_green_reports

    assert build_green_reports() == 2 and build_green_reports() == 0
    assert all(r.is_synthetic for r in GreenReport.objects.all())
    (year, quarter) = selectors.evaluation_periods(banks["admin"])[0]
    assert (year, quarter) == (2026, 1)  # the clock's last full quarter
    results = selectors.evaluation(banks["admin"], year, quarter)
    assert [e.rank for e in results] == [1, 2]
    html = _client(banks["admin"]).get("/green/evaluation/").content.decode()
    assert "示例数据" in html


@pytest.mark.django_db
def test_api_reports_and_evaluation(banks):
    import json

    w = banks
    bank = _client(w["bank"])
    body = {k: v for k, v in _figures().items()}
    resp = bank.post("/api/v1/green/reports", json.dumps(body), content_type="application/json")
    assert resp.status_code == 201 and resp.json()["green_balance"] in ("3000", "3000.00", 3000)
    bad = dict(body, green_risk="9000")
    resp = bank.post("/api/v1/green/reports", json.dumps(bad), content_type="application/json")
    assert resp.status_code == 422 and "风险总额" in json.dumps(resp.json(), ensure_ascii=False)
    assert bank.get("/api/v1/green/evaluation?year=2026&quarter=1").status_code == 403
    services.save_report(w["bank2"], _figures(green_balance="1000"))
    rows = _client(w["gov"]).get("/api/v1/green/evaluation?year=2026&quarter=1").json()
    assert [r["institution_id"] for r in rows] == [w["bank"].organization_id]
    assert rows[0]["indicators"][0]["working"].startswith("绿色金融业务总额占比")
    assert len(_client(w["admin"]).get("/api/v1/green/evaluation?year=2026&quarter=1").json()) == 2
    assert [r["institution_id"] for r in bank.get("/api/v1/green/reports").json()] == [
        w["bank"].organization_id
    ]

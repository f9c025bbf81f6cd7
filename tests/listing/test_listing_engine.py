"""Listing standards engine: every standard at its exact boundary (hand-computed), gaps, versions,
batch == single row, and bad rule files. Pure (no database)."""

import datetime as dt
import random

import polars as pl
import pytest

from jinfu.listing import engine
from jinfu.listing.engine import StandardsError, as_row, load_rulebook, parse_rulebook

NOW = dt.date(2026, 6, 1)
OLD = dt.date(2024, 1, 1)  # before the April 2024 revision


def row(**kw):
    return as_row(kw)


def std(board, key, r, on=NOW):
    v = load_rulebook().in_force(board, on)
    s = next(s for s in v.standards if s.key == key)
    return engine.evaluate_standard(s, r)


def cond(res, key):
    return next(c for c in res.conditions if c.key == key)


# -- 主板 (2024-04) ----------------------------------------------------------------------------

MAIN1 = dict(np_y1=10000, np_y2=5000, np_y3=5000, ocf_y1=7000, ocf_y2=7000, ocf_y3=6000)


def test_main_1_exact_boundary_passes():
    assert std("main", "main_1", row(**MAIN1)).met


def test_main_1_last_year_9999_fails_with_gap_of_1():
    r = std("main", "main_1", row(**(MAIN1 | {"np_y1": 9999, "np_y2": 5001})))  # 3-year total still 2亿
    assert not r.met
    c = cond(r, "np_y1")
    assert c.met is False and c.gap == pytest.approx(1) and "还差 1万元" in c.message_zh
    assert cond(r, "np_sum_3y").met


def test_main_1_revenue_branch_and_negative_year():
    r = std(
        "main", "main_1", row(**(MAIN1 | {"ocf_y1": 0, "rev_y1": 50000, "rev_y2": 50000, "rev_y3": 50000}))
    )
    assert r.met  # 3-year revenue exactly 15亿 replaces cash flow
    r = std("main", "main_1", row(**(MAIN1 | {"np_y3": -300, "np_y2": 10300})))
    c = cond(r, "np_positive_3y")
    assert c.met is False and c.gap == pytest.approx(300)


def test_main_2_and_3_boundaries():
    base = dict(market_cap=500000, np_y1=1, rev_y1=60000, ocf_y1=10000, ocf_y2=10000, ocf_y3=5000)
    assert std("main", "main_2", row(**base)).met
    r = std("main", "main_2", row(**(base | {"ocf_y3": 4999})))
    assert not r.met and cond(r, "ocf_sum_3y").gap == pytest.approx(1)
    base3 = dict(market_cap=1000000, np_y1=1, rev_y1=100000)
    assert std("main", "main_3", row(**base3)).met
    r = std("main", "main_3", row(**(base3 | {"market_cap": 999999})))
    assert not r.met and cond(r, "market_cap").gap == pytest.approx(1)
    r = std("main", "main_3", row(**(base3 | {"np_y1": 0})))
    assert cond(r, "np_y1_positive").met is False  # "为正": zero is not positive


def test_gap_message_in_thousands():
    r = std("main", "main_1", row(**(MAIN1 | {"np_y1": 8800, "np_y2": 6200})))
    assert "净利润" in cond(r, "np_y1").label
    assert "还差 1,200万元" in cond(r, "np_y1").message_zh


# -- 主板 versions -------------------------------------------------------------------------------


def test_main_versions_differ_where_2024_raised_thresholds():
    rb = load_rulebook()
    assert rb.in_force("main", OLD).version == "2023-02"
    assert rb.in_force("main", NOW).version == "2024-04"
    firm = row(np_y1=6000, np_y2=4500, np_y3=4500, ocf_y1=4000, ocf_y2=3000, ocf_y3=3000)
    assert std("main", "main_1", firm, on=OLD).met  # 1.5亿 / 6000万 / 现金流 1亿 (2023)
    new = std("main", "main_1", firm, on=NOW)
    assert not new.met
    assert cond(new, "np_sum_3y").gap == pytest.approx(5000)
    assert cond(new, "np_y1").gap == pytest.approx(4000)
    big = row(market_cap=800000, np_y1=1, rev_y1=80000)
    assert std("main", "main_3", big, on=OLD).met and not std("main", "main_3", big, on=NOW).met
    cf = row(market_cap=500000, np_y1=1, rev_y1=60000, ocf_y1=5000, ocf_y2=5000, ocf_y3=5000)
    assert std("main", "main_2", cf, on=OLD).met and not std("main", "main_2", cf, on=NOW).met


# -- 创业板 ---------------------------------------------------------------------------------------


def test_chinext_1_two_year_total_1yi_with_last_year_6000():
    assert std("chinext", "chinext_1", row(np_y1=6000, np_y2=4000)).met
    r = std("chinext", "chinext_1", row(np_y1=5999, np_y2=4001))
    assert not r.met and cond(r, "np_y1").gap == pytest.approx(1) and cond(r, "np_sum_2y").met
    r = std("chinext", "chinext_1", row(np_y1=6000, np_y2=3999))
    assert not r.met and cond(r, "np_sum_2y").gap == pytest.approx(1)


def test_chinext_versions():
    firm = row(np_y1=2500, np_y2=2500)
    assert load_rulebook().in_force("chinext", OLD).version == "2020-06"
    assert std("chinext", "chinext_1", firm, on=OLD).met  # 2020: 累计 ≥ 5000万
    assert not std("chinext", "chinext_1", firm, on=NOW).met
    f2 = row(market_cap=100000, np_y1=1, rev_y1=10000)
    assert std("chinext", "chinext_2", f2, on=OLD).met and not std("chinext", "chinext_2", f2, on=NOW).met


def test_chinext_2_and_3_boundaries():
    assert std("chinext", "chinext_2", row(market_cap=150000, np_y1=1, rev_y1=40000)).met
    assert not std("chinext", "chinext_2", row(market_cap=150000, np_y1=1, rev_y1=39999)).met
    assert std("chinext", "chinext_3", row(market_cap=500000, rev_y1=30000)).met
    assert not std("chinext", "chinext_3", row(market_cap=499999, rev_y1=30000)).met


# -- 科创板 ---------------------------------------------------------------------------------------


def test_star_1a_1b():
    assert std("star", "star_1a", row(market_cap=100000, np_y1=2500, np_y2=2500)).met
    assert not std("star", "star_1a", row(market_cap=100000, np_y1=2500, np_y2=2499)).met
    assert std("star", "star_1b", row(market_cap=100000, np_y1=1, rev_y1=10000)).met
    assert not std("star", "star_1b", row(market_cap=100000, np_y1=-1, rev_y1=10000)).met


def test_star_2_rd_exactly_15_percent():
    base = dict(
        market_cap=150000, rev_y1=20000, rev_y2=20000, rev_y3=20000, rd_y1=3000, rd_y2=3000, rd_y3=3000
    )
    r = std("star", "star_2", row(**base))
    assert r.met and cond(r, "rd_ratio_3y").actual == pytest.approx(15)
    r = std("star", "star_2", row(**(base | {"rd_y3": 2400})))  # 8400 / 60000 = 14%
    c = cond(r, "rd_ratio_3y")
    assert not r.met and c.gap == pytest.approx(1) and "1 个百分点" in c.message_zh


def test_star_3_4_5():
    assert std(
        "star", "star_3", row(market_cap=200000, rev_y1=30000, ocf_y1=4000, ocf_y2=3000, ocf_y3=3000)
    ).met
    assert not std(
        "star", "star_3", row(market_cap=200000, rev_y1=30000, ocf_y1=4000, ocf_y2=3000, ocf_y3=2999)
    ).met
    assert std("star", "star_4", row(market_cap=300000, rev_y1=30000)).met
    assert not std("star", "star_4", row(market_cap=300000, rev_y1=29999)).met
    assert std("star", "star_5", row(market_cap=400000, star_5_core_products_approved=True)).met
    r = std("star", "star_5", row(market_cap=400000, star_5_core_products_approved=False))
    assert not r.met and r.share == 50.0


# -- 北交所 ---------------------------------------------------------------------------------------

BSE = dict(neeq_innovation_months=12, net_assets_y1=5000)


def test_bse_1a_roe_exactly_8():
    base = BSE | dict(market_cap=20000, np_y1=1500, np_y2=1500, roe_y1=8, roe_y2=8)
    assert std("bse", "bse_1a", row(**base)).met
    r = std("bse", "bse_1a", row(**(base | {"roe_y2": 7.98})))
    assert not r.met and cond(r, "roe_avg_2y").gap == pytest.approx(0.01)
    r = std("bse", "bse_1a", row(**(base | {"neeq_innovation_months": 11})))
    assert not r.met and cond(r, "neeq_innovation_12m").gap == pytest.approx(1)
    r = std("bse", "bse_1a", row(**(base | {"net_assets_y1": 4999})))
    assert not r.met


def test_bse_1b_2_3_4():
    assert std("bse", "bse_1b", row(**BSE, market_cap=20000, np_y1=2500, roe_y1=8)).met
    assert not std("bse", "bse_1b", row(**BSE, market_cap=20000, np_y1=2499, roe_y1=8)).met
    b2 = BSE | dict(market_cap=40000, rev_y1=13000, rev_y2=10000, ocf_y1=1)  # avg 1.15亿, growth exactly 30%
    assert std("bse", "bse_2", row(**b2)).met
    r = std("bse", "bse_2", row(**(b2 | {"rev_y1": 12900})))
    assert not r.met and cond(r, "rev_growth_y1").gap == pytest.approx(1)
    b3 = BSE | dict(market_cap=80000, rev_y1=20000, rev_y2=15000, rd_y1=1600, rd_y2=1200)  # 2800/35000 = 8%
    assert std("bse", "bse_3", row(**b3)).met
    assert not std("bse", "bse_3", row(**(b3 | {"rd_y2": 1199}))).met
    assert std("bse", "bse_4", row(**BSE, market_cap=150000, rd_y1=2500, rd_y2=2500)).met
    assert not std("bse", "bse_4", row(**BSE, market_cap=150000, rd_y1=2500, rd_y2=2499)).met


def test_missing_data_is_undetermined_not_met():
    r = std("main", "main_1", row(np_y1=20000))
    c = cond(r, "np_positive_3y")
    assert c.met is None and "无法判断" in c.message_zh and not r.met


# -- batch == single row ---------------------------------------------------------------------------


def test_frame_equals_rows():
    rng = random.Random(7)
    rows = []
    for i in range(300):
        rev = rng.choice([None, rng.uniform(0, 200000)])
        rows.append(
            row(
                org_id=i,
                np_y1=rng.uniform(-2000, 20000),
                np_y2=rng.uniform(-2000, 20000),
                np_y3=rng.choice([None, rng.uniform(-2000, 20000)]),
                rev_y1=rev,
                rev_y2=rng.uniform(1, 150000),
                rev_y3=rng.uniform(1, 150000),
                ocf_y1=rng.uniform(-5000, 15000),
                ocf_y2=rng.uniform(-5000, 15000),
                ocf_y3=rng.uniform(-5000, 15000),
                rd_y1=rng.uniform(0, 9000),
                rd_y2=rng.uniform(0, 9000),
                rd_y3=rng.uniform(0, 9000),
                roe_y1=rng.uniform(-5, 20),
                roe_y2=rng.uniform(-5, 20),
                net_assets_y1=rng.uniform(0, 30000),
                market_cap=rng.choice([None, rng.uniform(0, 1200000)]),
                neeq_innovation_months=rng.choice([0, 12, 30]),
                star_5_core_products_approved=rng.random() < 0.3,
            )
        )
    frame = engine.evaluate_frame(pl.DataFrame(rows, infer_schema_length=None), on=NOW)
    for r, out in zip(rows, frame.to_dicts(), strict=True):
        boards = engine.evaluate_row(r, on=NOW)
        for b in boards:
            assert out[f"board_{b.board}"] == b.met
            for s in b.standards:
                assert out[s.key] == s.met
                assert out[f"{s.key}__share"] == pytest.approx(s.share)
        summary = engine.summary(boards)
        assert out["best_share"] == pytest.approx(summary["best_share"])
        assert out["standards_met"] == summary["standards_met"]


def test_financial_frame_pivots_years_and_never_borrows_missing_year():
    s = pl.DataFrame(
        {
            "org_id": [1, 1, 1, 2, 2],
            "year": [2025, 2024, 2023, 2025, 2022],
            "revenue": [300.0, 200.0, 100.0, 50.0, 40.0],
            "net_profit": [30.0, 20.0, 10.0, 5.0, 4.0],
            "operating_cash_flow": [1.0] * 5,
            "rd_expense": [1.0] * 5,
            "net_assets": [9.0] * 5,
            "total_assets": [10.0] * 5,
            "roe": [8.0] * 5,
        }
    )
    w = {r["org_id"]: r for r in engine.financial_frame(s).to_dicts()}
    assert (w[1]["fiscal_year"], w[1]["rev_y1"], w[1]["rev_y2"], w[1]["rev_y3"]) == (2025, 300, 200, 100)
    assert w[2]["rev_y2"] is None and w[2]["rev_y3"] is None  # 2024 and 2023 missing; 2022 not borrowed
    w = {r["org_id"]: r for r in engine.financial_frame(s, as_of_year=2024).to_dicts()}
    assert w[1]["fiscal_year"] == 2024 and w[1]["np_y1"] == 20


# -- bad rule files ----------------------------------------------------------------------------------


def _doc(rule):
    return {
        "boards": {
            "main": {
                "name": "主板",
                "versions": [
                    {
                        "version": "x",
                        "effective_from": "2024-01-01",
                        "standards": [
                            {
                                "key": "s",
                                "name": "s",
                                "conditions": [{"key": "c", "label": "c", "rule": rule}],
                            }
                        ],
                    }
                ],
            }
        }
    }


def test_unknown_field_in_a_standard_is_rejected_with_position():
    with pytest.raises(StandardsError) as e:
        parse_rulebook(_doc("net_profit_y1 >= 10000"))
    assert e.value.rule_error.code == "unknown_field"
    assert "main@x/s/c" in e.value.where and "未知字段" in e.value.message_zh


def test_overlapping_versions_rejected():
    d = _doc("np_y1 > 0")
    v = d["boards"]["main"]["versions"][0]
    d["boards"]["main"]["versions"].append(v | {"version": "y", "effective_from": "2020-01-01"})
    with pytest.raises(StandardsError):
        parse_rulebook(d)


def test_shipped_files_load_and_every_board_has_a_current_version():
    rb = load_rulebook()
    assert {v.board for v in rb.current(NOW)} == {"main", "star", "chinext", "bse"}
    assert all(v.source for b in rb.boards for v in rb.versions[b])
    assert set(engine.criteria_in_force(NOW).tiers) == {"district", "city", "city_key"}

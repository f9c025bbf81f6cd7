"""The pure engine: identification evidence and confidence, batch = one-by-one, carbon with versioned
factors and working, loan attribution (碳减排支持工具) and PCAF."""

from decimal import Decimal

import polars as pl
import pytest

from jinfu.green import engine

SOLAR = {
    "industry_code": "4416",
    "description": "利用厂房屋顶建设分布式光伏发电设施，装机 2 MW",
    "output_kind": "renewable_mwh",
    "annual_output": 2200,
}


def test_rooftop_solar_is_identified_with_evidence():
    best = engine.identify_one(SOLAR, "gfspc2025")[0]
    assert best.item == "4" and best.name == "能源绿色低碳转型"
    assert best.confidence == 0.95  # industry 0.45 + two keywords 0.30 + threshold 0.20
    assert any("4416" in e for e in best.evidence)
    assert any("光伏" in e for e in best.evidence)


def test_nothing_matches_an_unrelated_project():
    assert engine.identify_one({"industry_code": "6511", "description": "软件开发外包"}, "gfspc2025") == []


def test_unknown_catalogue_is_an_error():
    with pytest.raises(engine.GreenInputError) as e:
        engine.identify_one(SOLAR, "gbt2015")
    assert e.value.field == "catalogue"


def test_batch_agrees_with_one_by_one():
    rows = [
        SOLAR,
        {
            "industry_code": "4620",
            "description": "污水处理厂提标改造",
            "output_kind": "sewage_m3",
            "annual_output": 1000,
        },
        {
            "industry_code": "",
            "description": "既有建筑改造，更换高效电机，节能改造",
            "output_kind": "electricity_saved_mwh",
            "annual_output": 5,
        },
        {
            "industry_code": "5267",
            "description": "建设公共充电站",
            "output_kind": "water_m3",
            "annual_output": 0,
        },
        {"industry_code": "6511", "description": "软件开发", "output_kind": "water_m3", "annual_output": 1},
    ]
    df = pl.DataFrame([{**r, "project_id": i} for i, r in enumerate(rows)])
    out = engine.identify_frame(df.with_columns(pl.col("annual_output").cast(pl.Float64)), "gfspc2025")
    for i, r in enumerate(rows):
        one = engine.identify_one(r, "gfspc2025")
        got = out.row(i, named=True)
        assert got["best_item"] == (one[0].item if one else None)
        assert got["confidence"] == pytest.approx(one[0].confidence if one else 0.0)
        assert got["match_count"] == len(one)


def test_2019_identification_reaches_the_third_level_with_its_path():
    best = engine.identify_one(SOLAR, "gic2019")[0]
    assert (best.item, best.level, best.name) == ("3.2.2", 3, "太阳能利用设施建设和运营")
    assert best.path == "清洁能源产业 › 清洁能源设施建设和运营 › 太阳能利用设施建设和运营"
    assert best.confidence == 0.35  # keyword 光伏 0.15 + threshold 0.20 (no industry rule for 2019)
    charging = engine.identify_one({"description": "建设公共充电站及充电桩"}, "gic2019")[0]
    assert charging.item == "5.2.5" and charging.path.startswith("基础设施绿色升级 › 绿色交通")
    # evidence spanning two items under one first-level item: the first level is proposed (the fallback)
    both = engine.identify_one({"description": "绿色建筑配套充电站"}, "gic2019")[0]
    assert (both.item, both.level, both.confidence) == ("5", 1, 0.3)
    services = engine.identify_one({"description": "碳资产管理咨询"}, "gic2019")[0]
    assert (services.item, services.name) == ("6", "绿色服务")
    # the current catalogue has no verified level below the first: identification stays there
    assert engine.identify_one(SOLAR, "gfspc2025")[0].level == 1


def test_2019_batch_agrees_with_one_by_one_and_prefers_the_deepest_item():
    rows = [
        SOLAR,
        {
            "industry_code": "",
            "description": "既有建筑节能改造，余热回收",
            "output_kind": "",
            "annual_output": 0,
        },
        {
            "industry_code": "",
            "description": "污水处理及污泥处置",
            "output_kind": "sewage_m3",
            "annual_output": 9,
        },
        {"industry_code": "", "description": "办公楼装修", "output_kind": "water_m3", "annual_output": 1},
        {
            "industry_code": "",
            "description": "绿色建筑配套充电站",
            "output_kind": "water_m3",
            "annual_output": 1,
        },
        {"industry_code": "", "description": "公共充电站", "output_kind": "water_m3", "annual_output": 1},
    ]
    df = pl.DataFrame([{**r, "project_id": i} for i, r in enumerate(rows)])
    out = engine.identify_frame(df.with_columns(pl.col("annual_output").cast(pl.Float64)), "gic2019")
    for i, r in enumerate(rows):
        one = engine.identify_one(r, "gic2019")
        got = out.row(i, named=True)
        assert got["best_item"] == (one[0].item if one else None)
        assert got["confidence"] == pytest.approx(one[0].confidence if one else 0.0)
        assert got["match_count"] == len(one)
    assert out.row(2, named=True)["best_item"] == "5.3.1"
    assert out.row(4, named=True)["best_item"] == "5" and out.row(5, named=True)["best_item"] == "5.2.5"


def test_carbon_uses_the_named_factor_and_shows_working():
    fig = engine.carbon_one("renewable_mwh", 1000, "MWh", 2023, "西南")
    assert fig.value == Decimal("247.2")
    assert fig.factor.year == 2023 and fig.factor.grid == "西南"
    assert "1,000 MWh × 2023年西南区域电网平均排放因子 0.2472" in fig.working
    assert engine.carbon_one("renewable_mwh", 1000, "MWh", 2021).value == Decimal("556.8")
    assert engine.carbon_one("electricity_saved_mwh", 10, "MWh", 2022).value == Decimal("5.366")


def test_fuel_switch_and_non_carbon_outputs():
    assert engine.carbon_one("fuel_switch_tco2", 120, "tCO2").value == Decimal(120)
    assert engine.carbon_one("water_m3", 5000, "m³").value == 0


def test_missing_factor_year_and_unit_mismatch_are_errors():
    with pytest.raises(engine.GreenInputError) as e:
        engine.carbon_one("renewable_mwh", 1000, "MWh", 2019)
    assert e.value.field == "factor_year" and "2021、2022、2023" in e.value.message_zh
    with pytest.raises(engine.GreenInputError) as e:
        engine.carbon_one("renewable_mwh", 1000000, "kWh", 2023)
    assert e.value.field == "output_unit" and "kWh" in e.value.message_zh
    with pytest.raises(engine.GreenInputError) as e:
        engine.carbon_one("renewable_mwh", -5, "MWh", 2023)
    assert e.value.field == "annual_output"


def test_batch_carbon_agrees():
    df = pl.DataFrame(
        {
            "project_id": [1, 2, 3],
            "output_kind": ["renewable_mwh", "fuel_switch_tco2", "water_m3"],
            "annual_output": [1000.0, 50.0, 9.0],
            "factor_year": [2023, 2023, 2023],
            "grid": ["西南", "西南", "西南"],
        },
        schema_overrides={"factor_year": pl.Int32},
    )
    out = engine.carbon_frame(df)
    assert out["reduction_t"].to_list() == pytest.approx([247.2, 50.0, 0.0])


def test_loan_attribution_pboc_rule():
    fig = engine.loan_reduction(Decimal("543.84"), Decimal("800"), Decimal("1200"))
    assert fig.value == Decimal("362.56")
    assert "× 贷款 800 万元 ÷ 项目总投资 1,200 万元" in fig.working
    with pytest.raises(engine.GreenInputError):
        engine.loan_reduction(Decimal(1), Decimal("1300"), Decimal("1200"))


def test_pcaf_attribution_and_quality():
    fig = engine.pcaf_financed(Decimal(500), Decimal(1500), Decimal(3500), Decimal(2000), 4)
    assert fig.value == Decimal(200)
    assert "0.1" in fig.working and "数据质量 4 分" in fig.working
    with pytest.raises(engine.GreenInputError) as e:
        engine.pcaf_financed(Decimal(1), Decimal(1), Decimal(1), Decimal(1), 6)
    assert e.value.field == "data_quality"

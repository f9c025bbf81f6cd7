"""Finance-brain analysis engine (jinfu.brain.engine): hand-computed cases.

Every expected number below is worked out in the comment beside it (by hand / pocket calculator), never by
calling the code under test. The engine is pure (polars + floats), so no database is needed.
"""

import math

import polars as pl
import pytest

from jinfu.brain import engine as E

approx = pytest.approx


# ---------------------------------------------------------------------------------------------------------
# 序时进度
# ---------------------------------------------------------------------------------------------------------


def test_expected_value_compound():
    # base 100 (2020) → target 200 (2025), t = 2022: 100 × 2^((2022−2020)/(2025−2020)) = 100 × 2^0.4
    # 2^0.4 = e^(0.4 × 0.693147) = e^0.277259 = 1.319508 → 131.9508
    assert E.expected_value(100, 200, 2020, 2025, 2022, "compound") == approx(131.9508, abs=1e-4)
    # the endpoints and clamping: t ≤ t0 → base, t ≥ T → target
    assert E.expected_value(100, 200, 2020, 2025, 2020, "compound") == 100
    assert E.expected_value(100, 200, 2020, 2025, 2027, "compound") == 200


def test_expected_value_linear():
    # share 10% (2020) → 20% (2025), t = 2023: 10 + (20 − 10) × 3/5 = 16
    assert E.expected_value(10, 20, 2020, 2025, 2023, "linear") == approx(16.0)


def test_expected_value_piecewise_with_milestones():
    # 000 长嘉汇 金融业增加值: 77.2 (2020) → 100 (2021) → 170 (2023) → 287 (2025)
    ms = [(2021, 100.0), (2023, 170.0)]
    # 2022 lies in the segment 100 (2021) → 170 (2023): 100 × (170/100)^(1/2) = 100 × √1.7 = 130.384
    assert E.expected_value(77.2, 287, 2020, 2025, 2022, "compound", ms) == approx(130.384, abs=1e-3)
    # 2024 in 170 (2023) → 287 (2025): 170 × (287/170)^(1/2) = √(170 × 287) = √48790 = 220.8846
    assert E.expected_value(77.2, 287, 2020, 2025, 2024, "compound", ms) == approx(220.8846, abs=1e-3)
    # a milestone year is met exactly
    assert E.expected_value(77.2, 287, 2020, 2025, 2023, "compound", ms) == approx(170.0)
    # linear piecewise, 2022: 100 + (170 − 100) × 1/2 = 135
    assert E.expected_value(77.2, 287, 2020, 2025, 2022, "linear", ms) == approx(135.0)


def test_path_for_kinds():
    assert E.path_for("end_value", 77.2, 287) == "compound"
    assert E.path_for("share") == "linear"
    assert E.path_for("count") == "linear"
    assert E.path_for("end_value", 0, 10) == "linear"  # a compound path cannot start at 0
    with pytest.raises(ValueError):
        E.path_for("ratio")


def test_completion_rate_and_required_growth():
    # (170 − 77.2)/(287 − 77.2) = 92.8/209.8 = 0.44233
    assert E.completion_rate(77.2, 287, 170) == approx(0.44233, abs=1e-5)
    assert E.completion_rate(10, 10, 12) is None
    # target 287 in 2025, actual 170 in 2023: (287/170)^(1/2) − 1 = √1.688235 − 1 = 1.299321 − 1 = 0.299321
    assert E.required_growth(287, 170, 2025, 2023) == approx(0.299321, abs=1e-6)
    assert E.required_growth(287, 170, 2025, 2025) is None  # T ≤ t
    assert E.required_growth(287, 0, 2025, 2023) is None  # value ≤ 0


def test_average_growth_is_compound():
    # rates 12% and 4%: (1.12 × 1.04)^(1/2) − 1 = √1.1648 − 1 = 0.079259 → 7.9259% (arithmetic mean would be 8)
    assert E.average_growth([12, 4]) == approx(7.9259, abs=1e-4)


# ---------------------------------------------------------------------------------------------------------
# Projection
# ---------------------------------------------------------------------------------------------------------


def test_project_log_linear_exact_growth():
    # exactly 10% a year: 100, 110, 121, 133.1 (2020–2023); 2025 → 100 × 1.1^5 = 161.051
    df = pl.DataFrame({"year": [2020, 2021, 2022, 2023], "value": [100.0, 110.0, 121.0, 133.1]})
    p = E.project(df, 2025, "end_value")
    assert p.method == "log_linear"
    assert p.value == approx(161.051, rel=1e-9)
    assert p.growth == approx(0.10, rel=1e-9)


def test_project_single_point_uses_base():
    # base (2020, 100) and one actual (2022, 121): growth √(121/100) − 1 = 0.1; 2025 → 100 × 1.1^5 = 161.051
    df = pl.DataFrame({"year": [2022], "value": [121.0]})
    p = E.project(df, 2025, "end_value", base=(2020, 100.0))
    assert p.value == approx(161.051, rel=1e-9)
    assert p.growth == approx(0.10, rel=1e-9)
    assert E.project(df, 2025, "end_value").method == "none"  # one point, no base


def test_project_linear_and_average():
    # share 10, 12, 14 (2021–2023): +2 a year → 2025: 14 + 2 × 2 = 18
    df = pl.DataFrame({"year": [2021, 2022, 2023], "value": [10.0, 12.0, 14.0]})
    p = E.project(df, 2025, "share")
    assert (p.method, p.value, p.growth) == ("linear", approx(18.0), None)
    # least squares on a noisy line: years 0,1,2 values 1,3,2 → slope = Σ(x−1)(y−2)/Σ(x−1)² = (−1·−1 + 1·0)/2 = 0.5,
    # intercept 2 − 0.5 × 1 = 1.5 → at x = 4: 1.5 + 2 = 3.5
    df = pl.DataFrame({"year": [2020, 2021, 2022], "value": [1.0, 3.0, 2.0]})
    assert E.project(df, 2024, "count").value == approx(3.5)
    # annual_growth: the (compound) average of the rates, 12% and 4% → 7.9259%
    df = pl.DataFrame({"year": [2021, 2022], "value": [12.0, 4.0]})
    assert E.project(df, 2025, "annual_growth").value == approx(7.9259, abs=1e-4)


# ---------------------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------------------


def test_normalize_unit():
    # 1.2万亿元 = 1.2 × 10 000 亿元 = 12 000亿元
    assert E.normalize_unit(1.2, "万亿元") == (approx(12000.0), "亿元", "money_cny")
    # 350万元 = 350 / 10 000 亿元 = 0.035亿元
    assert E.normalize_unit(350, "万元") == (approx(0.035), "亿元", "money_cny")
    # 5000万美元 = 5000 / 10 000 亿美元 = 0.5亿美元
    assert E.normalize_unit(5000, "万美元") == (approx(0.5), "亿美元", "money_usd")
    assert E.normalize_unit(23, "%") == (23, "%", "percent")
    assert E.normalize_unit(150, "家") == (150, "家", "count")
    assert E.normalize_unit(3, "万户") == (30000, "户", "count")
    with pytest.raises(ValueError, match="吨"):
        E.normalize_unit(1, "吨")
    assert E.convert_unit(350, "万元", "亿元") == approx(0.035)
    with pytest.raises(ValueError):
        E.convert_unit(1, "亿元", "亿美元")


def test_normalize_units_vectorized():
    df = pl.DataFrame({"value": [1.2, 350.0, 5000.0, 12.0], "unit": ["万亿元", "万元", "万美元", "家"]})
    out = E.normalize_units(df)
    assert out.get_column("value_norm").to_list() == approx([12000.0, 0.035, 0.5, 12.0])
    assert out.get_column("unit_norm").to_list() == ["亿元", "亿元", "亿美元", "家"]
    assert out.get_column("unit_family").to_list() == ["money_cny", "money_cny", "money_usd", "count"]
    assert out.get_column("unit").to_list() == ["万亿元", "万元", "万美元", "家"]  # originals kept
    with pytest.raises(ValueError, match="公顷"):
        E.normalize_units(pl.DataFrame({"value": [1.0, 2.0], "unit": ["亿元", "公顷"]}))


# ---------------------------------------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------------------------------------


def _ind(**kw):
    row = {
        "code": "X",
        "kind": "end_value",
        "unit": "亿元",
        "comparator": "at_least",
        "base_year": 2020,
        "base_value": None,
        "target_year": 2025,
        "target_value": None,
        "relative_relation": None,
        "relative_reference": None,
    }
    row.update(kw)
    return row


def _indicators(*rows):
    return pl.DataFrame(
        list(rows),
        schema={
            "code": pl.String,
            "kind": pl.String,
            "unit": pl.String,
            "comparator": pl.String,
            "base_year": pl.Int64,
            "base_value": pl.Float64,
            "target_year": pl.Int64,
            "target_value": pl.Float64,
            "relative_relation": pl.String,
            "relative_reference": pl.String,
        },
        orient="row",
    )


def _actuals(*triples):
    return pl.DataFrame(
        list(triples), schema={"code": pl.String, "year": pl.Int64, "value": pl.Float64}, orient="row"
    )


def _by_code(df):
    return {r["code"]: r for r in df.iter_rows(named=True)}


def test_evaluate_compound_with_milestones_note_and_statuses():
    ind = _indicators(_ind(code="VA", base_value=77.2, target_value=287))
    ms = pl.DataFrame({"code": ["VA", "VA"], "year": [2021, 2023], "value": [100.0, 170.0]})
    act = _actuals(("VA", 2021, 101.0), ("VA", 2022, 135.0), ("VA", 2023, 165.0), ("VA", 2024, 999.0))
    # as of 2023 (the 2024 row is ignored): expected = milestone 170; gap = (165 − 170)/170 = −0.029412
    r = _by_code(E.evaluate(ind, act, 2023, milestones=ms, tolerance=0.02))["VA"]
    assert (r["latest_year"], r["latest_value"]) == (2023, 165.0)
    assert r["expected_value"] == approx(170.0)
    assert r["gap"] == approx(-0.029412, abs=1e-6)
    assert r["status"] == "behind"  # −2.9% < −2%
    assert r["note"] == "按复合增长路径，2023年应达170亿元，实际165亿元，落后2.9%"
    # completion (165 − 77.2)/(287 − 77.2) = 87.8/209.8 = 0.418494
    assert r["completion_rate"] == approx(0.418494, abs=1e-6)
    # required growth (287/165)^(1/2) − 1 = √1.739394 − 1 = 1.318861 − 1 = 0.318861
    assert r["required_growth"] == approx(0.318861, abs=1e-6)
    # with the default tolerance 5%, −2.9% is on track
    assert _by_code(E.evaluate(ind, act, 2023, milestones=ms))["VA"]["status"] == "on_track"
    # projection: log-linear fit of 101, 135, 165 (2021–2023) — growth e^b − 1 with
    # b = Σ(x − x̄)(ln y − mean)/Σ(x − x̄)² = (ln 165 − ln 101)/2 = (5.105945 − 4.615121)/2 = 0.490824/2 = 0.245412
    # → growth e^0.245412 − 1 = 0.278148; projection 2025 = exp(mean ln y + 3b) with x̄ = 2022 and
    # mean ln y = (4.615121 + 4.905275 + 5.105945)/3 = 4.875447 → exp(4.875447 + 0.736236) = exp(5.611683)
    # = 273.60 < 287 → misses
    assert r["projected_growth"] == approx(0.278148, abs=1e-5)
    assert r["projected_value"] == approx(273.60, abs=0.01)
    assert r["projected_status"] == "misses"


def test_evaluate_achieved_ahead_no_data_no_baseline():
    ind = _indicators(
        _ind(code="A", base_value=100, target_value=200),
        _ind(code="B", base_value=100, target_value=200),
        _ind(code="C", base_value=100, target_value=200),
        _ind(code="D", base_year=None, target_value=200),
    )
    act = _actuals(("A", 2022, 210.0), ("B", 2022, 150.0))
    out = _by_code(E.evaluate(ind, act, 2023))
    assert out["A"]["status"] == "achieved"  # 210 ≥ 200 before the deadline
    # B: expected 2022 = 131.9508 (see above); gap = (150 − 131.9508)/131.9508 = 0.136787 > 5% → ahead
    assert out["B"]["gap"] == approx(0.136787, abs=1e-5)
    assert out["B"]["status"] == "ahead"
    assert out["C"]["status"] == "no_data"
    assert out["C"]["latest_value"] is None
    # D has no base value: no 序时进度 → no_baseline (actual row missing → no_data first)
    out = _by_code(E.evaluate(ind, _actuals(("D", 2022, 150.0)), 2023))
    assert out["D"]["status"] == "no_baseline"


def test_evaluate_linear_share_and_deadline_missed():
    ind = _indicators(_ind(code="S", kind="share", unit="%", base_value=10, target_value=20))
    # 2023: expected 16 (hand: 10 + 10 × 3/5); actual 15.5 → gap (15.5 − 16)/16 = −0.03125 → on_track
    r = _by_code(E.evaluate(ind, _actuals(("S", 2023, 15.5)), 2023))["S"]
    assert (r["expected_value"], r["gap"], r["status"]) == (approx(16.0), approx(-0.03125), "on_track")
    assert r["note"] == "按线性路径，2023年应达16%，实际15.5%，符合序时进度（偏差3.1%）"
    # 2025 reached with 19.5 < 20 → behind (deadline passed, no tolerance), gap (19.5 − 20)/20 = −0.025
    r = _by_code(E.evaluate(ind, _actuals(("S", 2025, 19.5)), 2025))["S"]
    assert (r["status"], r["gap"]) == ("behind", approx(-0.025))


def test_evaluate_annual_growth_as_average():
    # 年均增速 8%以上, base 2020; rates 12% (2021), 4% (2022).
    # average (1.12 × 1.04)^(1/2) − 1 = 7.9259%; gap (7.9259 − 8)/8 = −0.009262 → on_track
    # (the latest single rate, 4%, would have been 50% behind)
    ind = _indicators(
        _ind(code="G", kind="annual_growth", unit="%", base_value=6.0, target_value=8),
        _ind(code="H", kind="annual_growth", unit="%", target_value=8),
    )
    act = _actuals(("G", 2020, 3.0), ("G", 2021, 12.0), ("G", 2022, 4.0), ("H", 2021, 5.0), ("H", 2022, 6.0))
    out = _by_code(E.evaluate(ind, act, 2022))
    g = out["G"]
    assert g["latest_value"] == approx(7.9259, abs=1e-4)  # the 2020 (base-year) rate is excluded
    assert g["expected_value"] == 8
    assert g["gap"] == approx(-0.009262, abs=1e-5)
    assert g["status"] == "on_track"
    assert g["required_growth"] is None and g["completion_rate"] is None
    # H: (1.05 × 1.06)^(1/2) − 1 = √1.113 − 1 = 5.4988%; gap (5.4988 − 8)/8 = −0.312648 → behind
    assert out["H"]["gap"] == approx(-0.312648, abs=1e-5)
    assert out["H"]["status"] == "behind"
    assert out["H"]["projected_status"] == "misses"


def test_evaluate_about_target():
    # 23%左右, base 18% (2020). 2023: |22.2 − 23|/23 = 0.8/23 = 0.034783 ≤ 5% → on_track
    ind = _indicators(
        _ind(code="AB", kind="share", unit="%", comparator="about", base_value=18, target_value=23)
    )
    r = _by_code(E.evaluate(ind, _actuals(("AB", 2023, 22.2)), 2023))["AB"]
    assert r["status"] == "on_track"
    assert r["gap"] == approx(-0.034783, abs=1e-6)
    # at the target year 22.2 is within the band → achieved; 21.5: 1.5/23 = 6.5% > 5% → behind;
    # 24.5: 1.5/23 = 6.5% above → ahead (outside the band, on the high side)
    assert _by_code(E.evaluate(ind, _actuals(("AB", 2025, 22.2)), 2025))["AB"]["status"] == "achieved"
    assert _by_code(E.evaluate(ind, _actuals(("AB", 2025, 21.5)), 2025))["AB"]["status"] == "behind"
    assert _by_code(E.evaluate(ind, _actuals(("AB", 2025, 24.5)), 2025))["AB"]["status"] == "ahead"
    # before the deadline and outside the band: progress as at_least. 2023 linear: 18 + 5 × 3/5 = 21;
    # actual 19.5 → gap (19.5 − 21)/21 = −0.071429 → behind
    r = _by_code(E.evaluate(ind, _actuals(("AB", 2023, 19.5)), 2023))["AB"]
    assert (r["expected_value"], r["status"]) == (approx(21.0), "behind")
    assert r["gap"] == approx(-0.071429, abs=1e-6)


def test_evaluate_at_most_target():
    # 不良率 2.0% (2020) → 1.5%以下 (2025), linear (share). 2023 expected: 2.0 − 0.5 × 3/5 = 1.7
    ind = _indicators(
        _ind(code="N", kind="share", unit="%", comparator="at_most", base_value=2.0, target_value=1.5)
    )
    cases = {
        1.8: ("behind", -0.058824),  # (1.7 − 1.8)/1.7
        1.6: ("ahead", 0.058824),  # (1.7 − 1.6)/1.7
        1.68: ("on_track", 0.011765),  # (1.7 − 1.68)/1.7
        1.4: ("ahead", 0.176471),  # below the ceiling before 2025: not yet "achieved"; (1.7 − 1.4)/1.7
    }
    for actual, (status, gap) in cases.items():
        r = _by_code(E.evaluate(ind, _actuals(("N", 2023, actual)), 2023))["N"]
        assert (r["status"], r["gap"]) == (status, approx(gap, abs=1e-6)), actual
    assert _by_code(E.evaluate(ind, _actuals(("N", 2025, 1.5)), 2025))["N"]["status"] == "achieved"
    assert _by_code(E.evaluate(ind, _actuals(("N", 2025, 1.52)), 2025))["N"]["status"] == "behind"


def test_evaluate_keep_target():
    # 保持 95% (base 95, no target value): 92 → (92 − 95)/95 = −0.031579 within 5% → on_track;
    # 90 → −5/95 = −0.052632 → behind; 96 in 2025 → achieved
    ind = _indicators(_ind(code="K", kind="share", unit="%", comparator="keep", base_value=95))
    r = _by_code(E.evaluate(ind, _actuals(("K", 2023, 92.0)), 2023))["K"]
    assert (r["status"], r["gap"]) == ("on_track", approx(-0.031579, abs=1e-6))
    assert _by_code(E.evaluate(ind, _actuals(("K", 2023, 90.0)), 2023))["K"]["status"] == "behind"
    assert _by_code(E.evaluate(ind, _actuals(("K", 2025, 96.0)), 2025))["K"]["status"] == "achieved"


def test_evaluate_relative_targets():
    ind = _indicators(
        _ind(
            code="R",
            kind="share",
            unit="%",
            relative_relation="below_reference",
            relative_reference="city_average",
        ),
        _ind(code="TOP", kind="end_value", relative_relation="top_rank", relative_reference="city_districts"),
        _ind(
            code="SH",
            kind="share",
            unit="%",
            base_value=10,
            target_value=20,
            relative_relation="share_of_reference",
            relative_reference="city_total",
        ),
    )
    refs = pl.DataFrame(
        {"reference": ["city_average", "city_total"], "year": [2023, 2023], "value": [1.8, 1000.0]}
    )
    act = _actuals(("R", 2023, 1.5), ("TOP", 2023, 300.0), ("SH", 2023, 150.0))
    out = _by_code(E.evaluate(ind, act, 2023, references=refs))
    # 1.5 < city average 1.8 → achieved; gap (1.8 − 1.5)/1.8 = 0.166667
    assert out["R"]["status"] == "achieved"
    assert out["R"]["reference_value"] == 1.8
    assert out["R"]["gap"] == approx(0.166667, abs=1e-6)
    assert out["R"]["note"] == "2023年全市平均1.8%，实际1.5%，低于全市平均"
    assert out["TOP"]["status"] == "needs_ranking"
    # share 150/1000 × 100 = 15%; linear 10 → 20 at 2023: 16; gap (15 − 16)/16 = −0.0625 → behind
    assert out["SH"]["latest_value"] == approx(15.0)
    assert out["SH"]["expected_value"] == approx(16.0)
    assert out["SH"]["status"] == "behind"
    # above the average → behind; no 2024 reference → no_reference
    out = _by_code(E.evaluate(ind, _actuals(("R", 2023, 2.0), ("SH", 2024, 1.0)), 2024, references=refs))
    assert out["R"]["status"] == "behind"
    assert out["SH"]["status"] == "no_reference"
    assert _by_code(E.evaluate(ind, act, 2023))["R"]["status"] == "no_reference"  # no references at all
    # with ranks: TOP ranked 2nd among the districts, cutoff 3 → achieved; 5th → behind
    ranks = pl.DataFrame(
        {"reference": ["city_districts"], "year": [2023], "value": [None], "rank": [2], "code": ["TOP"]},
        schema={
            "reference": pl.String,
            "year": pl.Int64,
            "value": pl.Float64,
            "rank": pl.Int64,
            "code": pl.String,
        },
    )
    assert _by_code(E.evaluate(ind, act, 2023, references=ranks))["TOP"]["status"] == "achieved"
    ranks = ranks.with_columns(rank=pl.lit(5, dtype=pl.Int64))
    assert _by_code(E.evaluate(ind, act, 2023, references=ranks))["TOP"]["status"] == "behind"


def test_evaluate_converts_actual_units():
    # actual 1 700 000万元 = 170亿元 against an indicator in 亿元; target 200 reached? no; base 100:
    # expected 2022 = 131.9508 → gap (170 − 131.9508)/131.9508 = 0.288360 → ahead
    ind = _indicators(_ind(code="U", base_value=100, target_value=200))
    act = pl.DataFrame({"code": ["U"], "year": [2022], "value": [1_700_000.0], "unit": ["万元"]})
    r = _by_code(E.evaluate(ind, act, 2022))["U"]
    assert r["latest_value"] == approx(170.0)
    assert r["gap"] == approx(0.288360, abs=1e-5)
    assert r["status"] == "ahead"


def test_evaluate_rejects_unknown_kind():
    with pytest.raises(ValueError, match="ratio"):
        E.evaluate(_indicators(_ind(kind="ratio", target_value=1)), _actuals(("X", 2022, 1.0)), 2022)


# ---------------------------------------------------------------------------------------------------------
# Entropy weights + TOPSIS; ranking
# ---------------------------------------------------------------------------------------------------------


def test_entropy_topsis_by_hand():
    # x1 benefit: A 1, B 2, C 3 → min-max 0, 0.5, 1;  x2 cost: A 5, B 1, C 1 → (5 − x)/4 = 0, 1, 1
    # p1 = 0, 1/3, 2/3 → e1 = −(1/ln3)(⅓ ln⅓ + ⅔ ln⅔) = 1 − (2/3)·ln2/ln3 = 1 − (2/3)(0.630930) = 0.579380
    # p2 = 0, ½, ½   → e2 = −(1/ln3)(2 · ½ ln½) = ln2/ln3 = 0.630930
    # d1 = 0.420620, d2 = 0.369070, Σ = 0.789690 → w1 = 0.532639, w2 = 0.467361
    df = pl.DataFrame({"district": ["A", "B", "C"], "x1": [1.0, 2.0, 3.0], "x2": [5.0, 1.0, 1.0]})
    w, s = E.entropy_topsis(df, "district", {"x1": "benefit", "x2": "cost"})
    assert w.columns == ["criterion", "entropy", "divergence", "weight"]
    assert w.get_column("criterion").to_list() == ["x1", "x2"]
    assert w.get_column("entropy").to_list() == approx([0.579380, 0.630930], abs=1e-6)
    assert w.get_column("divergence").to_list() == approx([0.420620, 0.369070], abs=1e-6)
    assert w.get_column("weight").to_list() == approx([0.532639, 0.467361], abs=1e-6)
    # weighted matrix v: A (0, 0), B (0.5·w1, w2) = (0.266320, 0.467361), C (w1, w2); ideal (w1, w2), anti (0, 0)
    # A: d+ = √(w1² + w2²) = √(0.283704 + 0.218426) = 0.708612, d− = 0 → score 0
    # B: d+ = 0.5·w1 = 0.266320, d− = √(0.266320² + 0.467361²) = √(0.070926 + 0.218426) = 0.537915
    #    score = 0.537915/(0.266320 + 0.537915) = 0.668853
    # C: d+ = 0, d− = 0.708612 → score 1
    assert s.columns == ["district", "d_plus", "d_minus", "score", "rank"]
    rows = {r["district"]: r for r in s.iter_rows(named=True)}
    assert rows["A"]["d_plus"] == approx(0.708612, abs=1e-6) and rows["A"]["score"] == approx(0.0)
    assert rows["B"]["d_plus"] == approx(0.266320, abs=1e-6)
    assert rows["B"]["d_minus"] == approx(0.537915, abs=1e-6)
    assert rows["B"]["score"] == approx(0.668853, abs=1e-6)
    assert rows["C"]["score"] == approx(1.0)
    assert s.get_column("district").to_list() == ["C", "B", "A"]
    assert s.get_column("rank").to_list() == [1, 2, 3]


def test_entropy_topsis_constant_column_and_ties():
    # x2 is constant → all zeros after min-max → ε shift → p = 1/3 each → e = 1, weight 0; x1 carries all
    # weight. P and Q tie (same x1) → ranks broken by id: P before Q.
    df = pl.DataFrame({"id": ["Q", "P", "R"], "x1": [2.0, 2.0, 1.0], "x2": [7.0, 7.0, 7.0]})
    w, s = E.entropy_topsis(df, "id", {"x1": "benefit", "x2": "benefit"})
    assert w.get_column("entropy").to_list()[1] == approx(1.0)
    assert w.get_column("weight").to_list() == approx([1.0, 0.0])
    assert s.get_column("id").to_list() == ["P", "Q", "R"]
    assert s.get_column("rank").to_list() == [1, 2, 3]
    with pytest.raises(ValueError):
        E.entropy_topsis(df.head(1), "id", {"x1": "benefit"})
    with pytest.raises(ValueError):
        E.entropy_topsis(df, "id", {"x1": "good"})


def test_rank_competition():
    df = pl.DataFrame({"district": ["江北", "渝中", "南岸", "高新"], "va": [800.0, 1300.0, 800.0, None]})
    out = E.rank(df, "va", "district")
    # 1300 first; two 800s share 2nd (ordered by id); null last with no rank
    assert out.get_column("district").to_list() == ["渝中", "南岸", "江北", "高新"]
    assert out.get_column("rank").to_list() == [1, 2, 2, None]
    asc = E.rank(df, "va", "district", descending=False)
    assert asc.get_column("rank").to_list() == [1, 1, 3, None]


def test_engine_has_no_django_import():
    import ast
    import pathlib

    tree = ast.parse(pathlib.Path(E.__file__).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    assert "django" not in names
    assert names <= {"__future__", "math", "decimal", "collections", "typing", "polars"}
    assert math.isfinite(E.expected_value(1, 2, 2020, 2021, 2020.5, "linear"))

"""Credit scorecard, innovation score and pre-credit line (jinfu.credit.scoring)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from jinfu.credit.scoring import engine as E


@pytest.fixture(scope="module")
def trained():
    df = E.synthetic_features(8000, seed=3)
    y = E.latent_default_labels(df, seed=3)
    return df, y, E.train(df, y, seed=3)


# ----------------------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------------------


def test_training_is_reproducible_with_a_seed(trained):
    df, y, first = trained
    again = E.train(df, y, seed=3)
    assert again.points_table == first.points_table
    assert {r["feature"] for r in first.points_table} == set(E.FEATURES)


def test_latent_labels_are_reproducible_and_documented():
    df = E.synthetic_features(2000, seed=1)
    assert (E.latent_default_labels(df, seed=1) == E.latent_default_labels(df, seed=1)).all()
    assert 0.02 < E.latent_default_labels(df, seed=1).mean() < 0.2
    assert "−1.2" in E.latent_default_labels.__doc__


def test_training_table_with_one_outcome_is_refused():
    df = E.synthetic_features(300, seed=1)
    with pytest.raises(E.ScoringError) as err:
        E.train(df, np.zeros(df.height, dtype=int), seed=1)
    assert "两类" in err.value.message_zh and "both outcomes" in err.value.message_en


def test_batch_scores_equal_optbinning_and_online_scores(trained):
    df, _, card = trained
    out = E.score_frame(card.points_table, df)
    ref = card.model.score(E._to_pandas(df, card.features))
    assert np.abs(out["score"].to_numpy() - ref).max() <= 0.051
    for i in (0, 1, 17):
        row = df.row(i, named=True)
        online = E.score_row(card.points_table, row)
        assert online["score"] == pytest.approx(out["score"][i], abs=0.051)
        assert online["grade"] == out["grade"][i]
        # the batch top reason is the online top reason
        if online["reasons"]:
            assert out["reason_1"][i] == online["reasons"][0]["feature"]


def test_missing_and_unknown_values_take_the_missing_bin(trained):
    _, _, card = trained
    row = {f: None for f in E.FEATURES}
    online = E.score_row(card.points_table, row)
    miss = sum(r["points"] for r in card.points_table if r["bin"] == -1)
    assert online["score"] == pytest.approx(miss, abs=0.05)
    row["tax_grade"] = "E"  # not a tax grade: scored as missing, never an error
    assert E.score_row(card.points_table, row)["score"] == pytest.approx(online["score"])


# ----------------------------------------------------------------------------------------------------------
# Scaling: 600 points at good:bad odds 50:1, PDO 20
# ----------------------------------------------------------------------------------------------------------


def test_scaling_600_at_50_to_1_and_pdo_20():
    assert E.scaled_score(1 / 51) == pytest.approx(600)  # odds (1 − 1/51)/(1/51) = 50
    assert E.scaled_score(1 / 101) == pytest.approx(620)  # odds 100 = 2 × 50 → + PDO
    assert E.scaled_score(1 / 26) == pytest.approx(580)  # odds 25 → − PDO
    assert E.scaled_score(1 / 51, {"base": 500, "pdo": 40}) == pytest.approx(500)


def test_trained_card_follows_the_scaling(trained):
    # score = offset + factor × ln(good:bad odds); optbinning's logistic regression gives ln(bad:good odds).
    df, _, card = trained
    X = E._to_pandas(df.head(50), card.features)
    p_bad = card.model.predict_proba(X)[:, 1]
    scores = E.score_frame(card.points_table, df.head(50))["score"].to_numpy()
    expected = np.array([E.scaled_score(p) for p in p_bad])
    assert np.abs(scores - expected).max() < 0.06


# ----------------------------------------------------------------------------------------------------------
# Reason codes, improvements, grade bands on a hand-made points table
# ----------------------------------------------------------------------------------------------------------

HAND_TABLE = [
    # tax_grade: A 80, B 60, M 42, C/D 20, missing 30
    {
        "feature": "tax_grade",
        "kind": "cat",
        "bin": 0,
        "categories": ["A"],
        "points": 80,
        "label": "纳税信用等级 A",
    },
    {
        "feature": "tax_grade",
        "kind": "cat",
        "bin": 1,
        "categories": ["B"],
        "points": 60,
        "label": "纳税信用等级 B",
    },
    {
        "feature": "tax_grade",
        "kind": "cat",
        "bin": 2,
        "categories": ["M"],
        "points": 42,
        "label": "纳税信用等级 M",
    },
    {
        "feature": "tax_grade",
        "kind": "cat",
        "bin": 3,
        "categories": ["C", "D"],
        "points": 20,
        "label": "纳税信用等级 C/D",
    },
    {
        "feature": "tax_grade",
        "kind": "cat",
        "bin": -1,
        "categories": None,
        "points": 30,
        "label": "纳税信用等级 缺失",
    },
    # revenue: < 100 → 100, 100–1000 → 120, ≥ 1000 → 130, missing 90
    {
        "feature": "revenue",
        "kind": "num",
        "bin": 0,
        "lower": None,
        "upper": 100.0,
        "points": 100,
        "label": "营业收入 < 100万元",
    },
    {
        "feature": "revenue",
        "kind": "num",
        "bin": 1,
        "lower": 100.0,
        "upper": 1000.0,
        "points": 120,
        "label": "营业收入 100–1,000万元",
    },
    {
        "feature": "revenue",
        "kind": "num",
        "bin": 2,
        "lower": 1000.0,
        "upper": None,
        "points": 130,
        "label": "营业收入 ≥ 1,000万元",
    },
    {"feature": "revenue", "kind": "num", "bin": -1, "points": 90, "label": "营业收入 缺失"},
    # dishonest_debtor: 0 → 400, 1 → 300
    {
        "feature": "dishonest_debtor",
        "kind": "num",
        "bin": 0,
        "lower": None,
        "upper": 0.5,
        "points": 400,
        "label": "失信被执行人 否",
    },
    {
        "feature": "dishonest_debtor",
        "kind": "num",
        "bin": 1,
        "lower": 0.5,
        "upper": None,
        "points": 300,
        "label": "失信被执行人 是",
    },
    {"feature": "dishonest_debtor", "kind": "num", "bin": -1, "points": 400, "label": "失信被执行人 缺失"},
]


def test_reason_codes_and_improvements_on_a_hand_table():
    row = {"tax_grade": "M", "revenue": 50.0, "dishonest_debtor": False}
    out = E.score_row(HAND_TABLE, row)
    # 42 + 100 + 400 = 542
    assert out["score"] == 542 and out["grade"] == "CCC"
    # gaps: tax 80 − 42 = 38, revenue 130 − 100 = 30, dishonest 0 (not a reason)
    assert [r["text"] for r in out["reasons"]] == [
        "纳税信用等级 M：较最优档少 38 分",
        "营业收入 < 100万元：较最优档少 30 分",
    ]
    assert [i["text"] for i in out["improvements"]] == [
        "纳税信用等级：由“纳税信用等级 M”提升至“纳税信用等级 B”可加 18 分",
        "营业收入：由“营业收入 < 100万元”提升至“营业收入 100–1,000万元”可加 20 分",
    ]
    batch = E.score_frame(
        HAND_TABLE,
        pl.DataFrame(
            {
                "tax_grade": ["M", "A", None, "D"],
                "revenue": [50.0, 1000.0, None, 100.0],
                "dishonest_debtor": [False, False, None, True],
            }
        ),
    )
    assert batch["score"].to_list() == [542, 610, 520, 440]  # 80+130+400; 30+90+400; 20+120+300
    assert batch["reason_1"].cast(pl.Utf8).to_list() == ["tax_grade", None, "tax_grade", "dishonest_debtor"]
    assert batch["gap_1"].to_list() == [38, 0, 50, 100]
    assert batch["reason_2"].cast(pl.Utf8).to_list()[0] == "revenue"
    assert batch["reason_3"].cast(pl.Utf8).to_list()[3] == "revenue"  # gap 10 (130 − 120)


def test_grade_bands_default_and_configurable():
    bands = [b for b in E.DEFAULT_GRADE_BANDS]
    assert [E.grade_for(s) for s in (720, 719.9, 690, 660, 630, 600, 570, 540, 510, 509.9)] == [
        "AAA",
        "AA",
        "AA",
        "A",
        "BBB",
        "BB",
        "B",
        "CCC",
        "CC",
        "C",
    ]
    card = E.compile_card(HAND_TABLE, grade_bands=[("好", 600), ("中", 500)])
    assert card.grade(np.array([610.0, 542.0, 440.0])).tolist() == ["好", "中", "C"]
    assert bands == E.DEFAULT_GRADE_BANDS


# ----------------------------------------------------------------------------------------------------------
# Validation metrics on a hand-computed case
# ----------------------------------------------------------------------------------------------------------


def test_auc_gini_ks_on_a_hand_computed_case():
    # 6 firms, y = 1 default. Higher score = lower risk.
    #   score: 500 520 540 560 580 600
    #   y    :   1   0   1   0   0   0
    # AUC = P(good score > bad score): pairs (good, bad) = 4 goods × 2 bads = 8.
    #   bad 500: beaten by all 4 goods → 4; bad 540: beaten by 560, 580, 600 → 3; total 7 → AUC = 7/8 = 0.875
    # Gini = 2 × 0.875 − 1 = 0.75
    # KS: cumulative from the lowest score, F_bad / F_good after each score:
    #   500: 1/2, 0   → 0.5;  520: 1/2, 1/4 → 0.25;  540: 1, 1/4 → 0.75;  560: 1, 2/4 → 0.5 …  → KS = 0.75
    y = [1, 0, 1, 0, 0, 0]
    s = [500, 520, 540, 560, 580, 600]
    m = E.validate(y, s)
    assert m["auc"] == pytest.approx(0.875)
    assert m["gini"] == pytest.approx(0.75)
    assert m["ks"] == pytest.approx(0.75)
    # ties count half: one bad and one good at the same score → AUC 0.5, KS 0
    assert E.auc([1, 0], [600, 600]) == pytest.approx(0.5)
    assert E.ks([1, 0], [600, 600]) == 0


def test_psi_on_a_hand_computed_case():
    # expected: 1..10 with bins=2 → one edge at the median quantile 5.5: [<5.5] 5/10, [≥5.5] 5/10
    # actual: 8 values below 5.5, 2 above → shares 0.8, 0.2
    # PSI = (0.8 − 0.5)·ln(0.8/0.5) + (0.2 − 0.5)·ln(0.2/0.5) = 0.3·0.470004 + 0.3·0.916291 = 0.415888
    expected = list(range(1, 11))
    actual = [1, 2, 3, 4, 5, 1, 2, 3, 9, 10]
    assert E.psi(expected, actual, bins=2) == pytest.approx(0.3 * math.log(1.6) + 0.3 * math.log(2.5))
    assert E.psi(expected, expected) == pytest.approx(0.0)
    # an empty bin uses ε = 1e-4: all actual below the edge → (1−0.5)ln(1/0.5) + (1e-4 − 0.5)ln(1e-4/0.5)
    p = E.psi(expected, [1] * 10, bins=2)
    assert p == pytest.approx(0.5 * math.log(2) + (1e-4 - 0.5) * math.log(1e-4 / 0.5))
    assert (
        E.psi_reading(0.05) == "stable" and E.psi_reading(0.2) == "watch" and E.psi_reading(0.3) == "shifted"
    )


def test_pass_fail_policy():
    ok, fails = E.passes_policy({"auc": 0.7, "ks": 0.3, "psi": 0.05})
    assert ok and not fails
    ok, fails = E.passes_policy({"auc": 0.6, "ks": 0.1, "psi": 0.3})
    assert not ok and len(fails) == 3


def test_demo_model_passes_validation_on_a_later_sample(trained):
    _, _, card = trained
    later = E.synthetic_features(5000, seed=4)
    y = E.latent_default_labels(later, seed=4)
    m = E.validate(y, E.score_frame(card.points_table, later)["score"].to_numpy())
    assert m["auc"] > 0.7 and m["ks"] > 0.3


def test_load_outcomes():
    out = E.load_outcomes("uscc,default_flag,observed_at\n91500000202869177Y,1,2026-06-30\n")
    assert out == {"91500000202869177Y": (1, "2026-06-30")}
    with pytest.raises(E.ScoringError):
        E.load_outcomes("uscc,default_flag,observed_at\nX,2,2026-06-30\n")


# ----------------------------------------------------------------------------------------------------------
# Innovation score and pre-credit line on hand cases
# ----------------------------------------------------------------------------------------------------------


def test_innovation_score_hand_case():
    row = {
        "rd_intensity": 6.0,  # tier 5 → 0.8 × 25
        "rd_staff_share": None,  # optional, missing → its 10 spread: others × 100/90
        "invention_patents": 3,  # tier 3 → 0.7 × 25
        "software_copyrights": 2,
        "trademarks": 1,  # other IP 3 → 0.6 × 10
        "insured_growth_12m": 0.12,  # ratio, tier 0.1 → 0.7 × 15
        "revenue": 600.0,  # tier 500 → 0.6 × 10
        "procurement_amount_12m": 0.0,  # below 1 → 0
    }
    score, grade, breakdown = E.innovation_score(row)
    # (20 + 17.5 + 6 + 10.5 + 6 + 0) × 100/90 = 60 × 1.1111 = 66.7
    assert score == pytest.approx(66.7)
    assert grade == "B"
    staff = next(b for b in breakdown if b["key"] == "rd_staff_share")
    assert staff["weight"] == 0 and "分摊" in staff["note"]
    assert E.innovation_score({})[0] == 0 and E.innovation_score({})[1] == "D"


def test_pre_credit_line_hand_case():
    row = {"revenue": 2000.0, "tax_paid": 50.0, "credit_grade": "A", "platform_loans_outstanding": 30.0}
    amount, steps = E.pre_credit_line(row, "credit_loan")
    # base = 0.10 × 2000 + 2 × 50 = 300; × 0.8 (A) = 240; − 30 = 210; cap 1000; floor to 5 → 210
    assert amount == 210
    assert len(steps) == 5 and "300.0" in steps[0] and "210" in steps[-1]
    # knowledge-value loan: grade from the innovation score; cap 300
    kv, _ = E.pre_credit_line({**row, "innovation_grade": "A"}, "knowledge_value_loan")
    # 0.15 × 2000 + 1 × 50 = 350; × 1.0 = 350; − 0.5 × 30 = 335; cap 300 → 300
    assert kv == 300
    assert E.pre_credit_line({**row, "credit_grade": "CCC"}, "credit_loan")[0] == 0
    # 0.1 × 90 = 9 万元 < floor 10 → 0; 0.1 × 100 = 10 → 10
    assert E.pre_credit_line({"revenue": 90.0, "credit_grade": "AAA"}, "credit_loan")[0] == 0
    assert E.pre_credit_line({"revenue": 100.0, "credit_grade": "AAA"}, "credit_loan")[0] == 10
    with pytest.raises(E.ScoringError):
        E.pre_credit_line(row, "nonexistent")

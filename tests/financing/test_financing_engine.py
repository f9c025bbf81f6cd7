"""Financing matching engine (jinfu.financing.engine): hand-computed components, ranking, reasons, and the
batch top-k against an exact brute force.

Expected numbers are worked out by hand in the comments; the engine is pure (no database needed).
"""

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jinfu.financing import engine as F
from jinfu.rules import ENTERPRISE_FIELDS, ClauseResult, compile_rule

approx = pytest.approx


def three_products() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "product_id": [101, 102, 103],
            "amount_min": [50.0, 100.0, 1000.0],
            "amount_max": [500.0, 300.0, 2000.0],
            "term_min": [6, 12, 1],
            "term_max": [36, 24, 6],
            "rate_min": [4.0, 3.5, 6.0],
            "rate_max": [6.0, 4.5, 8.0],
            "collateral": [[], ["房产抵押"], ["设备抵押", "房产抵押"]],
            "policy_support": [["interest_subsidy", "risk_compensation"], [], ["guarantee_fee_subsidy"]],
            "expected_days": [5, 10, 20],
        },
        schema_overrides={"collateral": pl.List(pl.String), "policy_support": pl.List(pl.String)},
    )


NEED = {"amount": 400.0, "term": 12, "collateral_offered": ["房产抵押"], "credit_grade": "AA"}


# ---------------------------------------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------------------------------------


def test_range_fit_inside_below_above():
    assert F.range_fit(400.0, 50.0, 500.0) == 1.0  # inside
    assert F.range_fit(50.0, 50.0, 500.0) == 1.0  # on the bound
    assert F.range_fit(400.0, 100.0, 300.0) == approx(0.75)  # above: 300/400
    assert F.range_fit(400.0, 1000.0, 2000.0) == approx(0.4)  # below: 400/1000
    # exp(−|ln(need/bound)|): twice the maximum → 0.5
    assert F.range_fit(600.0, 100.0, 300.0) == approx(math.exp(-abs(math.log(600 / 300))))
    assert F.range_fit(0.0, 0.0, 100.0) == 1.0  # a range from 0 accepts 0
    assert F.range_fit(0.0, 10.0, 100.0) == 0.0
    assert F.range_fit(1e9, 10.0, np.inf) == 1.0  # unbounded above


def test_components_and_total_by_hand():
    df = F.rank_for_enterprise(NEED, three_products(), [True, True, True])
    rows = {r["product_id"]: r for r in df.to_dicts()}
    # rate: lowest rate_min 3.5, highest 6.0 → 101: 1 − 0.5/2.5 = 0.8; 102: 1; 103: 0
    assert rows[101]["rate"] == approx(0.8)
    assert rows[102]["rate"] == approx(1.0)
    assert rows[103]["rate"] == approx(0.0)
    # 101: amount 1 (400 ∈ [50, 500]), term 1, collateral 1 (none needed), approval AA 0.90, policy 2×0.5 = 1
    # total = .25 + .15 + .2×.8 + .15 + .15×.9 + .1 = .945
    r = rows[101]
    assert (r["amount"], r["term"], r["collateral"], r["approval"], r["policy"]) == approx((1, 1, 1, 0.9, 1))
    assert r["score"] == approx(94.5)
    # 102: amount 300/400 = .75, term 1, rate 1, collateral 1 (offers 房产抵押), policy 0
    # total = .25×.75 + .15 + .2 + .15 + .135 = .8225
    assert rows[102]["amount"] == approx(0.75)
    assert rows[102]["score"] == approx(82.25)
    # 103: amount 400/1000 = .4, term 6/12 = .5, rate 0, collateral 1, policy .5
    # total = .1 + .075 + 0 + .15 + .135 + .05 = .51
    assert (rows[103]["amount"], rows[103]["term"], rows[103]["policy"]) == approx((0.4, 0.5, 0.5))
    assert rows[103]["score"] == approx(51.0)


def test_collateral_not_offered():
    need = NEED | {"collateral_offered": []}
    rows = {r["product_id"]: r for r in F.rank_for_enterprise(need, three_products(), [1, 1, 1]).to_dicts()}
    assert rows[101]["collateral"] == 1.0  # credit product: nothing required
    assert rows[102]["collateral"] == 0.0
    assert rows[102]["score"] == approx(82.25 - 15.0)
    assert "需提供担保：房产抵押" in rows[102]["caveat"]


def test_approval_table_and_missing_grade():
    assert F.approval_likelihood("AAA") == (0.95, False)
    assert F.approval_likelihood("bbb") == (0.72, False)
    assert F.approval_likelihood("C") == (0.10, False)
    assert F.approval_likelihood(None) == (0.5, True)
    assert F.approval_likelihood("") == (0.5, True)
    with pytest.raises(ValueError):
        F.approval_likelihood("D")
    # grades are monotone
    vals = [F.APPROVAL_BY_GRADE[g] for g in ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]]
    assert vals == sorted(vals, reverse=True)
    df = F.rank_for_enterprise(NEED | {"credit_grade": None}, three_products(), [1, 1, 1])
    assert set(df["approval"]) == {0.5}
    assert set(df["approval_note"]) == {"信用等级缺失，按中性估计"}
    # 101 with approval .5 instead of .9: 94.5 − 15 × .4 = 88.5
    assert df.filter(pl.col("product_id") == 101)["score"][0] == approx(88.5)
    # a configurable table
    df = F.rank_for_enterprise(NEED, three_products(), [1, 1, 1], approval_table={"AA": 0.5})
    assert set(df["approval"]) == {0.5}


def test_policy_component():
    p = three_products().with_columns(
        pl.Series(
            "policy_support",
            [["interest_subsidy", "risk_compensation", "guarantee_fee_subsidy"], ["unknown_scheme"], []],
        )
    )
    rows = {r["product_id"]: r for r in F.rank_for_enterprise(NEED, p, [1, 1, 1]).to_dicts()}
    assert rows[101]["policy"] == 1.0  # min(1, 1.5)
    assert rows[102]["policy"] == 0.0  # unknown supports are not counted
    assert rows[103]["policy"] == 0.0


def test_rate_all_equal_is_one():
    p = three_products().with_columns(pl.lit(4.0).alias("rate_min"))
    assert set(F.rank_for_enterprise(NEED, p, [1, 1, 1])["rate"]) == {1.0}


def test_weights_normalised_and_validated():
    w = F.normalize_weights({"amount": 2, "term": 0, "rate": 0, "collateral": 0, "approval": 0, "policy": 0})
    assert w["amount"] == 1.0 and sum(w.values()) == approx(1.0)
    df = F.rank_for_enterprise(NEED, three_products(), [1, 1, 1], weights=w)
    rows = {r["product_id"]: r["score"] for r in df.to_dicts()}
    assert rows == approx({101: 100.0, 102: 75.0, 103: 40.0})
    assert sum(F.normalize_weights().values()) == approx(1.0)
    with pytest.raises(ValueError):
        F.normalize_weights({"speed": 1})
    with pytest.raises(ValueError):
        F.normalize_weights({k: 0 for k in F.COMPONENTS})


def test_infer_need_rule():
    assert F.infer_need(1000.0)["amount"] == 200.0  # 20% of revenue
    assert F.infer_need(10.0)["amount"] == 10.0  # floor 10 万元
    assert F.infer_need(1e6)["amount"] == 5000.0  # cap 5000 万元
    assert F.infer_need(None)["amount"] == 10.0
    n = F.infer_need(300.0)
    assert (n["term"], n["collateral_offered"], n["inferred"]) == (12.0, [], True)
    df = pl.DataFrame(
        {
            "revenue": [1000.0, None, 100.0],
            "demand_amount": [None, None, 80.0],
            "demand_term": [None, None, 36],
            "demand_collateral": [None, None, ["房产抵押"]],
        }
    )
    out = F.infer_needs(df)
    assert out["need_amount"].to_list() == [200.0, 10.0, 80.0]
    assert out["need_term"].to_list() == [12.0, 12.0, 36.0]
    assert out["need_collateral"].to_list() == [[], [], ["房产抵押"]]
    assert out["need_inferred"].to_list() == [True, True, False]


# ---------------------------------------------------------------------------------------------------------
# Ranking and reasons (one enterprise)
# ---------------------------------------------------------------------------------------------------------


def test_ranking_order_and_reasons():
    df = F.rank_for_enterprise(NEED, three_products(), [True, True, True])
    assert df["product_id"].to_list() == [101, 102, 103]  # 94.5 > 82.25 > 51
    r = df.to_dicts()
    # 101: weighted contributions amount .25, rate .16, term .15, collateral .15, policy .1 → top two
    assert r[0]["reason"] == "额度匹配、利率较低"
    assert r[0]["reason_en"] == "amount fits, low rate"
    # 102: rate .2, amount .1875 → "利率较低、额度匹配"
    assert r[1]["reason"] == "利率较低、额度匹配"
    # 103: collateral .15 (accepted) and term/amount weak → caveats name the gaps
    assert "需求额度低于产品下限 1000 万元" in r[2]["caveat"]
    assert "需求期限长于产品最长 6 个月" in r[2]["caveat"]


def test_ineligible_products_carry_failed_clauses():
    why = {
        102: [
            ClauseResult(
                "revenue >= 500", False, "营业收入 ≥ 500万元：不满足，实际 320万元", "revenue ≥ 500: no"
            ),
            ClauseResult("employees >= 5", True, "从业人员 ≥ 5人：满足", "employees ≥ 5: yes"),
            ClauseResult("credit_score >= 70", None, "信用评分 ≥ 70分：缺少数据", "credit score: missing"),
        ]
    }
    df = F.rank_for_enterprise(NEED, three_products(), [True, False, True], explanations=why)
    # eligible first (101, 103 by score), then the ineligible 102
    assert df["product_id"].to_list() == [101, 103, 102]
    assert df["eligible"].to_list() == [True, True, False]
    r = df.to_dicts()[2]
    assert r["reason"] == "营业收入 ≥ 500万元：不满足，实际 320万元；信用评分 ≥ 70分：缺少数据"
    assert r["failed_clauses"] == ["营业收入 ≥ 500万元：不满足，实际 320万元", "信用评分 ≥ 70分：缺少数据"]
    assert "revenue ≥ 500: no" in r["reason_en"]
    # without explanations: a generic reason
    df = F.rank_for_enterprise(NEED, three_products(), [True, False, True])
    assert df.filter(pl.col("product_id") == 102)["reason"][0] == "不符合准入条件"


def test_explanations_from_the_rule_language():
    rule = compile_rule("revenue >= 500 AND employees >= 5", ENTERPRISE_FIELDS, kind="boolean")
    row = {"revenue": 320.0, "employees": 40}
    assert not rule.passes(row)
    df = F.rank_for_enterprise(
        NEED, three_products(), [True, False, True], explanations={102: rule.explain(row)}
    )
    r = df.filter(pl.col("product_id") == 102).to_dicts()[0]
    assert len(r["failed_clauses"]) == 1 and "320" in r["failed_clauses"][0]


def test_eligibility_length_checked():
    with pytest.raises(ValueError):
        F.rank_for_enterprise(NEED, three_products(), [True, True])


# ---------------------------------------------------------------------------------------------------------
# Batch top-k = brute force
# ---------------------------------------------------------------------------------------------------------

TYPES = ["房产抵押", "设备抵押", "应收账款质押", "知识产权质押", "担保公司保证"]
GRADES = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", None]


def random_products(rng, m: int, duplicates: int = 0) -> pl.DataFrame:
    lo = np.exp(rng.uniform(np.log(5), np.log(2000), m)).round()
    tlo = rng.choice([1, 3, 6, 12], m)
    rmin = rng.uniform(2.5, 8, m).round(1)
    df = pl.DataFrame(
        {
            "product_id": [f"P{i:04d}" for i in range(m)],
            "amount_min": lo,
            "amount_max": lo * rng.choice([2, 5, 10, 20], m),
            "term_min": tlo,
            "term_max": tlo * rng.choice([1, 2, 3, 6], m),
            "rate_min": rmin,
            "rate_max": rmin + 1,
            "collateral": [list(rng.choice(TYPES, rng.integers(0, 3), replace=False)) for _ in range(m)],
            "policy_support": [
                list(rng.choice(list(F.POLICY_SUPPORTS), rng.integers(0, 3), replace=False)) for _ in range(m)
            ],
            "expected_days": rng.integers(3, 30, m),
        },
        schema_overrides={"collateral": pl.List(pl.String), "policy_support": pl.List(pl.String)},
    )
    if duplicates:  # exact copies of earlier products (other ids): ties to be broken by index
        src = rng.integers(0, m, duplicates)
        dup = df[src.tolist()].with_columns(pl.Series("product_id", [f"D{i:04d}" for i in range(duplicates)]))
        df = pl.concat([df, dup])
    return df


def random_needs(rng, n: int) -> dict:
    return {
        "amount": np.exp(rng.uniform(np.log(5), np.log(5000), n)).round(1),
        "term": rng.choice([3, 6, 12, 24, 36, 60], n).astype(float),
        "collateral_offered": [list(rng.choice(TYPES, rng.integers(0, 3), replace=False)) for _ in range(n)],
        "credit_grade": [GRADES[i] for i in rng.integers(0, len(GRADES), n)],
    }


@pytest.mark.parametrize("block", [None, 8, 10**9])  # chosen by rate / the bounded walk / all pairs
@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("k", [1, 5, 10, 40])
def test_top_k_equals_brute_force(block, layout, k):
    rng = np.random.default_rng(7 + k)
    P = random_products(rng, 300, duplicates=40)
    N = random_needs(rng, 700)
    rates = rng.beta(0.7, 2.0, P.height)
    E = rng.random((700, P.height)) < rates
    E[:50] &= rng.random((50, P.height)) < 0.02  # some rows with very few eligible products
    E[50:60] = False  # and some with none
    E = np.asfortranarray(E) if layout == "F" else np.ascontiguousarray(E)
    R = F.Ranker(P, threads=2)
    R.step, R.sparse_step = 64, 100  # many sub-chunks
    idx, sc = R.top_k(N, E, k, block=block)
    ref_i, ref_s = F.top_k_bruteforce(N, P, E, k)
    assert idx.dtype == np.int32 and sc.dtype == np.float32 and idx.shape == (700, k)
    np.testing.assert_array_equal(idx, ref_i)
    np.testing.assert_array_equal(sc, ref_s)
    # scores match the online engine for a sample row
    i = 123
    on = F.rank_for_enterprise({key: v[i] for key, v in N.items()}, P, E[i], explanations=None).filter(
        pl.col("eligible")
    )
    assert on["position"].to_list()[:k] == [j for j in idx[i] if j >= 0]
    assert on["score"].to_numpy()[:k].astype(np.float32) == approx(sc[i][idx[i] >= 0])


def test_top_k_padding_when_fewer_eligible():
    rng = np.random.default_rng(1)
    P = random_products(rng, 20)
    N = random_needs(rng, 4)
    E = np.zeros((4, 20), dtype=bool)
    E[0, [3, 7]] = True
    E[2, :] = True
    idx, sc = F.top_k(N, P, E, k=5)
    assert (idx[0, :2] >= 0).all() and set(idx[0, :2]) == {3, 7}
    assert (idx[0, 2:] == -1).all() and np.isnan(sc[0, 2:]).all()
    assert (idx[1] == -1).all() and np.isnan(sc[1]).all()
    assert (idx[2] >= 0).all() and (np.diff(sc[2]) <= 0).all()
    # k larger than the number of products
    idx, sc = F.top_k(N, P, E, k=30)
    assert idx.shape == (4, 30) and (idx[2, :20] >= 0).all() and (idx[2, 20:] == -1).all()


def test_ties_broken_by_product_index():
    # five identical products: equal scores, so the order is by position
    row = {
        "product_id": 0,
        "amount_min": 10.0,
        "amount_max": 100.0,
        "term_min": 6,
        "term_max": 24,
        "rate_min": 4.0,
        "rate_max": 5.0,
        "collateral": [],
        "policy_support": [],
        "expected_days": 5,
    }
    P = pl.DataFrame([row | {"product_id": i} for i in range(5)])
    N = {"amount": np.array([50.0, 500.0]), "term": np.array([12.0, 12.0])}
    E = np.array([[0, 1, 1, 1, 1], [1, 1, 0, 1, 1]], dtype=bool)
    for block in (None, 2, 10**9):
        idx, sc = F.Ranker(P).top_k(N, E, 3, block=block)
        assert idx.tolist() == [[1, 2, 3], [0, 1, 3]]
        assert sc[0, 0] == sc[0, 1] == sc[0, 2]
    assert F.rank_for_enterprise({"amount": 50, "term": 12}, P, [1, 1, 1, 1, 1])["product_id"].to_list() == [
        0,
        1,
        2,
        3,
        4,
    ]


def test_ranker_reused_across_chunks_equals_one_call():
    rng = np.random.default_rng(3)
    P = random_products(rng, 150)
    N = random_needs(rng, 900)
    E = rng.random((900, 150)) < 0.4
    R = F.Ranker(P)
    parts = [R.top_k({k: v[o : o + 300] for k, v in N.items()}, E[o : o + 300], 10) for o in (0, 300, 600)]
    whole = F.top_k(N, P, E, 10)
    np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), whole[0])
    np.testing.assert_array_equal(np.concatenate([p[1] for p in parts]), whole[1])


def test_need_array_forms_agree():
    rng = np.random.default_rng(5)
    P = random_products(rng, 60)
    N = random_needs(rng, 200)
    E = rng.random((200, 60)) < 0.3
    a = F.top_k(N, P, E, 5)
    types = ["知识产权质押", "房产抵押", "设备抵押", "应收账款质押", "担保公司保证"]
    mask = np.array([sum(1 << types.index(t) for t in c) for c in N["collateral_offered"]])
    approval = [F.approval_likelihood(g)[0] for g in N["credit_grade"]]
    frame = pl.DataFrame({"c": N["collateral_offered"], "g": N["credit_grade"]})
    for alt in (
        N | {"collateral_offered": frame["c"], "credit_grade": frame["g"]},
        {"amount": N["amount"], "term": N["term"], "collateral_mask": mask, "collateral_types": types}
        | {"approval": approval},
    ):
        b = F.top_k(alt, P, E, 5)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_bad_inputs():
    P = three_products()
    with pytest.raises(ValueError):
        F.top_k({"amount": [1.0], "term": [12.0]}, P, np.ones((2, 3), bool))
    with pytest.raises(ValueError):
        F.top_k({"amount": [np.nan], "term": [12.0]}, P, np.ones((1, 3), bool))
    with pytest.raises(ValueError):
        F.top_k({"amount": [1.0], "term": [12.0], "credit_grade": ["Z"]}, P, np.ones((1, 3), bool))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    m=st.integers(1, 30),
    k=st.integers(1, 12),
    rate=st.floats(0.0, 1.0),
    block=st.sampled_from([None, 1, 3, 10**9]),
)
def test_top_k_property(seed, n, m, k, rate, block):
    rng = np.random.default_rng(seed)
    P = random_products(rng, m, duplicates=int(rng.integers(0, 4)))
    N = random_needs(rng, n)
    E = rng.random((n, P.height)) < rate
    idx, sc = F.Ranker(P, threads=1).top_k(N, E, k, block=block)
    ref_i, ref_s = F.top_k_bruteforce(N, P, E, k)
    np.testing.assert_array_equal(idx, ref_i)
    np.testing.assert_array_equal(sc, ref_s)


# ---------------------------------------------------------------------------------------------------------
# Push list
# ---------------------------------------------------------------------------------------------------------


def test_push_list():
    idx = np.array([[2, 0, -1], [-1, -1, -1], [1, 2, 0]], dtype=np.int32)
    sc = np.array([[90, 80, np.nan], [np.nan] * 3, [70, 60, 50]], dtype=np.float32)
    df = F.push_list(idx, sc, ["A", "B", "C"], offset=1000, enterprise_ids=["e0", "e1", "e2"])
    assert df.columns == ["enterprise_id", "enterprise_idx", "rank", "product_id", "score"]
    assert df.rows() == [
        ("e0", 1000, 1, "C", 90.0),
        ("e0", 1000, 2, "A", 80.0),
        ("e2", 1002, 1, "B", 70.0),
        ("e2", 1002, 2, "C", 60.0),
        ("e2", 1002, 3, "A", 50.0),
    ]
    df = F.push_list(idx, sc, ["A", "B", "C"], min_score=65)
    assert df.select("enterprise_idx", "rank", "product_id").rows() == [(0, 1, "C"), (0, 2, "A"), (2, 1, "B")]


@pytest.mark.parametrize("overlap", [True, False])
def test_batch_top_k_over_chunks(overlap):
    rng = np.random.default_rng(11)
    P = random_products(rng, 80)
    N = random_needs(rng, 500)
    E = rng.random((500, 80)) < 0.2
    chunks = ((o, np.asfortranarray(E[o : o + 120])) for o in range(0, 500, 120))
    idx, sc = F.batch_top_k(chunks, N, F.Ranker(P), 500, 7, overlap=overlap)
    ref_i, ref_s = F.top_k_bruteforce(N, P, E, 7)
    np.testing.assert_array_equal(idx, ref_i)
    np.testing.assert_array_equal(sc, ref_s)


def test_near_ties_ordered_by_exact_score():
    # scores that differ by ~1e-8 (below the 16-bit sort key of the all-pairs path): exact order wins
    base = {
        "amount_min": 10.0,
        "amount_max": 100.0,
        "term_min": 6,
        "term_max": 24,
        "rate_max": 9.0,
        "collateral": [],
        "policy_support": [],
        "expected_days": 5,
    }
    rates = [4.0000001, 4.0, 3.0, 6.0, 4.00000005]
    P = pl.DataFrame([base | {"product_id": i, "rate_min": r} for i, r in enumerate(rates)])
    N = {"amount": np.array([50.0] * 3), "term": np.array([12.0] * 3)}
    E = np.ones((3, 5), dtype=bool)
    for block in (None, 2, 10**9):
        idx, _ = F.Ranker(P).top_k(N, E, 4, block=block)
        assert idx.tolist() == [[2, 1, 4, 0]] * 3
    ref, _ = F.top_k_bruteforce(N, P, E, 4)
    assert ref.tolist() == [[2, 1, 4, 0]] * 3


def test_limit_keeps_the_best_eligible_and_the_explained_misses():
    """Online use: only the best `limit` eligible products and the explained ineligible ones come back,
    in the same order and with the same scores as the full ranking."""
    import polars as pl

    from jinfu.financing.engine import rank_for_enterprise

    products = pl.DataFrame(
        {
            "product_id": [1, 2, 3, 4, 5],
            "amount_min": [10.0, 10.0, 10.0, 10.0, 10.0],
            "amount_max": [100.0, 50.0, 20.0, 100.0, 100.0],
            "term_min": [6, 6, 6, 6, 6],
            "term_max": [36, 36, 36, 36, 36],
            "rate_min": [4.0, 3.0, 5.0, 3.5, 3.2],
            "rate_max": [6.0, 6.0, 6.0, 6.0, 6.0],
            "collateral": [[], [], [], [], []],
            "policy_support": [[], [], [], [], []],
        }
    )
    need = {"amount": 80.0, "term": 12, "collateral_offered": []}
    eligible = [True, True, True, False, False]
    full = rank_for_enterprise(need, products, eligible, explanations={4: []})
    short = rank_for_enterprise(need, products, eligible, explanations={4: []}, limit=2)
    assert short["product_id"].to_list() == [*full.filter(pl.col("eligible"))["product_id"].to_list()[:2], 4]
    assert short["score"].to_list()[:2] == full["score"].to_list()[:2]

"""The pure engine: each dimension's working, colours at the thresholds, bounded propagation, clusters."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from jinfu.risk import engine as e
from jinfu.risk import reference

TODAY = dt.date(2026, 6, 30)
P = reference.params()


def _firms(n):
    return pl.DataFrame({"org_id": list(range(1, n + 1)), "name": [f"企业{i}" for i in range(1, n + 1)]})


def _sig(rows):
    return e.frame([(o, k, t, None, d or TODAY) for o, k, t, d in rows], e.SIGNALS)


def test_promised_return_is_read_from_text_and_monthly_rates_are_annualised():
    s = pl.Series(["年化收益15%", "月息1.5%", "回报率 12.5％", "没有数字", None])
    out = e.frame({"t": s}, {"t": pl.Utf8}).select(e.promised_return_expr(pl.col("t"))).to_series().to_list()
    assert out == [15.0, 18.0, 12.5, None, None]


def test_yield_deviation_zero_at_lpr_full_at_judicial_ceiling():
    sig = _sig(
        [
            (1, "public_text", "年化3%", None),
            (2, "public_text", "年化7.5%", None),
            (3, "public_text", "年化15%", None),
        ]
    )
    r = e.dimension_scores(e.measures(_firms(3), sig, pl.DataFrame(), P, TODAY), P).sort("org_id")
    assert r["pts_yield_deviation"].to_list() == [0.0, pytest.approx(12.5), 25.0]


def test_old_signals_do_not_count():
    old = TODAY - dt.timedelta(days=400)
    sig = _sig([(1, "complaint", "x", old), (1, "complaint", "y", None)])
    m = e.measures(_firms(1), sig, pl.DataFrame(), P, TODAY)
    assert m["complaints_365"].to_list() == [1]


def test_art9_word_in_name_counts_twice_and_words_are_distinct():
    firms = pl.DataFrame({"org_id": [1, 2], "name": ["甲财富管理有限公司", "乙"], "scope": ["", "软件开发"]})
    sig = _sig([(2, "public_text", "财富管理 财富管理", None)])
    m = e.measures(firms, sig, pl.DataFrame(), P, TODAY).sort("org_id")
    assert m["n_words"].to_list() == [1, 1]
    assert m["art9_own"].to_list() == [1, 0]


def test_colours_at_thresholds():
    df = pl.DataFrame({"i": [70.0, 69.9, 40.0, 39.9]})
    assert df.select(e.colour_expr(pl.col("i"), P)).to_series().to_list() == [
        "red",
        "yellow",
        "yellow",
        "green",
    ]


def test_edges_from_shared_attributes_skip_oversized_groups():
    attrs = pl.DataFrame(
        {
            "org_id": [1, 2, 3, 3, 4] + list(range(10, 70)),
            "kind": ["legal_rep", "legal_rep", "phone", "email", "phone"] + ["address"] * 60,
            "value": ["张三", "张三 ", "023-1234", "a@b.cn", "0231234"] + ["代理地址"] * 60,
        }
    )
    edges = e.edges_from_attributes(attrs, max_group_size=50)
    assert edges.select("a", "b").rows() == [(1, 2), (3, 4)]


def test_propagation_is_bounded_by_depth_and_decays():
    edges = pl.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 4, 5]})
    net = e.propagate(edges, pl.Series([1]), P).sort("org_id")
    assert net.select("org_id", "hop", "via", "network").rows() == [(2, 1, 1, 0.5), (3, 2, 1, 0.25)]


def test_components_by_label_propagation_match_a_reference():
    edges = pl.DataFrame({"a": [5, 4, 3, 10, 20], "b": [4, 3, 2, 11, 21]})
    comp = dict(e.components(edges).iter_rows())
    assert comp == {2: 2, 3: 2, 4: 2, 5: 2, 10: 10, 11: 10, 20: 20, 21: 20}


@pytest.mark.parametrize("spread", [1, 10**12])  # dense ids use a lookup table, sparse ones a binary search
def test_network_walks_give_the_same_answer_for_dense_and_sparse_ids(spread):
    edges = pl.DataFrame({"a": [5, 4, 3, 10, 20, 1], "b": [4, 3, 2, 11, 21, 2]}) * spread
    comp = dict(e.components(edges).iter_rows())
    assert comp == {
        k * spread: v * spread
        for k, v in {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 10: 10, 11: 10, 20: 20, 21: 20}.items()
    }
    net = e.propagate(edges, pl.Series([3 * spread, 99 * spread]), P).sort("org_id")
    assert net.select("org_id", "hop", "via").rows() == [
        (1 * spread, 2, 3 * spread), (2 * spread, 1, 3 * spread), (4 * spread, 1, 3 * spread), (5 * spread, 2, 3 * spread)
    ]  # fmt: skip


def test_run_raises_neighbour_of_red_firm_and_reports_cluster():
    firms = pl.DataFrame(
        {"org_id": [1, 2, 3], "name": ["甲理财", "乙", "丙"], "scope": ["理财 交易中心", "", ""]}
    )
    texts = [(1, "public_text", "保本保息 年化18% 原始股 区块链 元宇宙 养老", None)] * 30
    complaints = [(1, "complaint", "投诉", None)] * 10
    sig = _sig(texts + complaints)
    viol = pl.DataFrame({"org_id": [1], "penalties_3y": [3]})
    edges = pl.DataFrame({"a": [1], "b": [2]})
    r = e.run(firms, sig, viol, edges, P, TODAY).sort("org_id")
    assert r["colour"].to_list()[0] == "red"
    assert r.filter(pl.col("org_id") == 2)["pts_network"].item() == pytest.approx(5.0)
    assert r["cluster"].to_list() == [1, 1, None]
    assert e.colour_counts(r) == {"red": 1, "yellow": 0, "green": 2}
    lines = e.working(r.row(0, named=True), P)
    assert [x["label"] for x in lines][:2] == ["收益率偏离度", "投诉举报度"]
    assert "18%" in lines[0]["working"] and "12%" in lines[0]["working"]
    assert sum(x["points"] for x in lines) == pytest.approx(r["index"][0], abs=0.1)


def _brute_force_words(firms: pl.DataFrame, sig: pl.DataFrame) -> dict[int, tuple[list[str], int, int]]:
    """The obvious reading: ``word in text`` for every dictionary word, text and firm."""
    words = sorted(P.keywords)
    art9 = {w for w, c in P.keywords.items() if c == "art9"}
    texts: dict[int, list[str]] = {}
    for o, k, t in sig.select("org_id", "kind", "text").iter_rows():
        if k in e.TEXT_KINDS and t:
            texts.setdefault(o, []).append(t)
    out = {}
    for o, name, scope in firms.select("org_id", "name", "scope").iter_rows():
        own = {w for w in words if w in " ".join(x for x in (name, scope) if x is not None)}
        found = own | {w for t in texts.get(o, ()) for w in words if w in t}
        out[o] = (sorted(found), len(found), len(own & art9))
    return out


def test_dictionary_words_by_aho_corasick_equal_a_substring_search_on_tricky_texts():
    """The engine finds dictionary words in one Aho-Corasick pass (overlapping); on a few thousand texts
    built from words that contain, overlap or prefix one another (股权众筹 ⊃ 众筹, 养老公寓 ⊃ 养老, 交易所 /
    交易中心, 保本保息 / 保本付息, halves of words across a join), it gives exactly what ``word in text``
    gives."""
    import random

    rng = random.Random(5)
    words = sorted(P.keywords)
    pieces = words + ["股权众", "权众筹", "养老公", "交易", "保本", "付息", "财富管", "理财富", "区块", "链", "月",
                      "息", "高额", "回报", "金", "融", "年化15%", "，", " ", "公司", "软件开发"]  # fmt: skip
    n = 3000
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(n)]
    kinds = [rng.choice(["public_text", "registration_change", "complaint"]) for _ in range(n)]
    sig = e.frame([(1 + i % 700, kinds[i], texts[i], None, TODAY) for i in range(n)], e.SIGNALS)
    firms = pl.DataFrame(
        {
            "org_id": list(range(1, 801)),
            "name": ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 3))) for _ in range(800)],
            "scope": [rng.choice(["", "投资理财咨询", "软件开发", "股权众筹服务", None]) for _ in range(800)],
        }
    )
    m = e.measures(firms, sig, pl.DataFrame(), P, TODAY)
    got = {o: (w, nw, a9) for o, w, nw, a9 in m.select("org_id", "words", "n_words", "art9_own").iter_rows()}
    want = _brute_force_words(firms, sig)
    assert got == want
    assert sum(1 for v in want.values() if v[1] >= 3) > 50  # the texts really are dense in dictionary words
    assert any("众筹" in v[0] and "股权众筹" in v[0] for v in want.values())


def test_run_is_the_three_stages_and_keeps_the_firms_order():
    """The batch runs the stages apart (firms in partitions, the graph on the driver): their composition is
    ``run``, row for row, in the order of the firms given."""
    firms = pl.DataFrame({"org_id": [9, 3, 7, 1, 5], "name": ["甲理财"] * 5, "scope": ["交易中心"] * 5})
    texts = [
        (o, "public_text", "保本保息 年化18% 原始股 区块链 元宇宙", None) for o in (9, 3) for _ in range(30)
    ]
    sig = _sig(texts + [(9, "complaint", "投诉", None)] * 10)
    edges = pl.DataFrame({"a": [1, 3, 5], "b": [9, 7, 11]})
    out = e.run(firms, sig, pl.DataFrame(), edges, P, TODAY)
    assert out["org_id"].to_list() == [9, 3, 7, 1, 5]
    scored = e.score_firms(firms, sig, pl.DataFrame(), P, TODAY)
    graph = e.network(edges, e.red_sources(scored, P), P)
    assert sorted(graph["org_id"]) == [1, 3, 5, 7, 9, 11]
    halves = pl.concat([e.finish(scored.slice(0, 2), graph, P), e.finish(scored.slice(2), graph, P)])
    assert halves.equals(out)

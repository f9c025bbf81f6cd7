"""The risk module's reference data: every plan quote is verbatim in its seed, the regulatory figures carry
document + article, the dictionary holds Art. 9's words, and the weights are a complete, versioned set."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import jinfu
from jinfu.risk import reference


def _seeds_dir() -> Path:
    here = Path(jinfu.__file__).resolve().parents[2].parent / "shared" / "seeds"
    if here.is_dir():
        return here
    env = os.environ.get("JINFU_SEEDS_DIR")
    if env and Path(env).is_dir():
        return Path(env)
    pytest.fail("seed documents not found beside the repository (../shared/seeds) nor in JINFU_SEEDS_DIR")


def _collapse(s: str) -> str:
    return re.sub(r"\s+", "", s)


QUOTES = reference.load("reference")["plan_quotes"]


@pytest.mark.parametrize("q", QUOTES, ids=[q["quote"][:12] for q in QUOTES])
def test_plan_quote_is_verbatim_in_its_seed(q):
    text = _collapse((_seeds_dir() / q["file"]).read_text(encoding="utf-8"))
    assert _collapse(q["quote"]) in text
    assert q["encodes"]


def test_quotes_cover_the_three_plans_that_ask_for_the_module():
    assert {q["file"][:3] for q in QUOTES} == {"001", "002", "003"}


def test_art9_words_are_those_the_article_quotes_and_are_in_the_dictionary():
    art9 = reference.load("reference")["art9"]
    assert art9["article"] == "第九条" and "737" in art9["document"]
    quoted = re.findall(r"“([^”]+)”", art9["quote"])
    assert quoted == art9["words"] == ["金融", "交易所", "交易中心", "理财", "财富管理", "股权众筹"]
    kw = reference.keywords()
    assert all(kw[w] == "art9" for w in quoted)
    for w in ("保本保息", "高额回报", "原始股", "养老", "虚拟货币", "区块链", "元宇宙"):
        assert kw[w] == "features"


def test_judicial_ceiling_is_four_times_lpr_with_its_article():
    ref = reference.load("reference")
    c = ref["judicial_ceiling"]
    assert c["article"] == "第二十五条" and "四倍" in c["quote"] and "民间借贷" in c["document"]
    assert ref["lpr_1y"]["value"] == 3.0 and str(ref["lpr_1y"]["published_on"]) == "2025-05-20"
    assert "3.0%" in ref["lpr_1y"]["quote"]
    p = reference.params()
    assert p.ceiling == pytest.approx(12.0)


def test_weights_thresholds_and_versions():
    p = reference.params()
    assert sum(p.weights.values()) == 100
    assert set(p.weights) == {"yield_deviation", "complaints", "spread", "keywords", "violations", "network"}
    assert 0 < p.yellow < p.red <= 100
    assert set(p.versions) == {"reference", "index", "keywords"} and all(p.versions.values())
    assert reference.load("index")["basis"].strip()
    assert "冒烟指数" in reference.load("reference")["method_reference"]["name"]
    assert reference.load("reference")["method_reference"]["our_name"] == "涉众风险指数"


def test_jieba_keeps_dictionary_words_whole():
    tokens = reference.tokenizer().lcut("本公司承诺保本保息并提供股权众筹服务")
    assert "保本保息" in tokens and "股权众筹" in tokens

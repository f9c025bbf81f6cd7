"""The risk module's versioned reference data (data/*.yaml): market rate, judicial ceiling, the words of
《防范和处置非法集资条例》 Art. 9, the 特征词 dictionary, weights and thresholds. Pure: no Django import.

:func:`params` turns them into the plain :class:`jinfu.risk.engine.Params` the engine takes, so the engine
never reads a file and a computation can record which versions it used.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from .engine import Params

DATA = Path(__file__).resolve().parent / "data"


@functools.cache
def load(name: str) -> dict:
    with open(DATA / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def keywords() -> dict[str, str]:
    """word → category code (features / art9). A word listed in both is an Art. 9 word."""
    out: dict[str, str] = {}
    for code, cat in load("keywords")["categories"].items():
        for w in cat["words"]:
            if out.get(w) != "art9":
                out[w] = code
    return out


def jieba_userdict() -> str:
    """The dictionary in jieba's user-dictionary format (word freq tag), so that segmentation keeps every
    dictionary word whole (「保本保息」 is one token, not 保本 + 保息)."""
    return "".join(f"{w} 100000 {cat}\n" for w, cat in sorted(keywords().items()))


@functools.cache
def tokenizer():
    """A jieba tokenizer loaded with the versioned dictionary (its own instance: the global one is shared)."""
    import io

    import jieba

    tk = jieba.Tokenizer()
    tk.load_userdict(io.StringIO(jieba_userdict()))
    for word in keywords():
        tk.suggest_freq(word, tune=True)  # outrank a split into two common words (股权 + 众筹)
    return tk


def params() -> Params:
    ref, idx, kw = load("reference"), load("index"), load("keywords")
    return Params(
        lpr=float(ref["lpr_1y"]["value"]),
        ceiling_multiple=float(ref["judicial_ceiling"]["multiple"]),
        weights=dict(idx["weights"]),
        red=float(idx["thresholds"]["red"]),
        yellow=float(idx["thresholds"]["yellow"]),
        scales=dict(idx["scales"]),
        keywords=keywords(),
        max_depth=int(idx["network"]["max_depth"]),
        decay=float(idx["network"]["decay"]),
        max_group_size=int(idx["network"]["max_group_size"]),
        versions={
            "reference": str(ref["version"]),
            "index": str(idx["version"]),
            "keywords": str(kw["version"]),
        },
    )


def sources() -> dict:
    """Document + article of every regulatory figure, for the pages and docs."""
    ref = load("reference")
    return {
        "lpr": ref["lpr_1y"],
        "ceiling": ref["judicial_ceiling"],
        "art9": ref["art9"],
        "method": ref["method_reference"],
        "basis": load("index")["basis"],
        "keywords_basis": load("keywords")["basis"],
    }

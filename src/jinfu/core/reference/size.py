"""Enterprise size classification (企业规模划型) — pure Python, no Django.

Standards live in ``core/data/size_standards.yaml`` (versioned):

* ``miit-2011`` — 《中小企业划型标准规定》工信部联企业〔2011〕300号 (default). It defines only medium/small/micro;
  its ceilings are worded with 或 (「从业人员1000人以下或营业收入40000万元以下的为中小微型企业」), so an enterprise is
  *outside* 中小微 only when it reaches every ceiling. 'large' is therefore taken from ``nbs-2017``, whose 大型 lower
  limits are the same figures.
* ``nbs-2017`` — 国家统计局《统计上大中小微型企业划分办法（2017）》国统字〔2017〕213号.

Rule (both): 大型、中型和小型企业须同时满足所列指标的下限，否则下划一档；微型企业只须满足所列指标中的一项即可.
So the class is the highest level whose thresholds are ALL met (>=); failing the small thresholds means micro.
With some figures missing the result is still given when it cannot depend on them (e.g. 5 employees in 工业 is micro
whatever the revenue), otherwise ``size_class`` is None. Money in 万元.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "size_standards.yaml"

LEVELS = ("large", "medium", "small", "micro")
LEVEL_ZH = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
METRIC_ZH = {
    "employees": ("从业人员", "人"),
    "revenue": ("营业收入", "万元"),
    "total_assets": ("资产总额", "万元"),
}

# GB/T 4754-2017 sections → their divisions (大类), to place purely numeric codes.
SECTION_DIVISIONS = {
    "A": range(1, 6), "B": range(6, 13), "C": range(13, 44), "D": range(44, 47), "E": range(47, 51),
    "F": range(51, 53), "G": range(53, 61), "H": range(61, 63), "I": range(63, 66), "J": range(66, 70),
    "K": range(70, 71), "L": range(71, 73), "M": range(73, 76), "N": range(76, 80), "O": range(80, 83),
    "P": range(83, 84), "Q": range(84, 86), "R": range(86, 91), "S": range(91, 97), "T": range(97, 98),
}  # fmt: skip


class UnknownStandard(KeyError):
    pass


@dataclass(frozen=True)
class SizeResult:
    size_class: str | None
    size_class_zh: str | None
    sector_code: str | None
    sector_name: str | None
    standard: str
    standard_title: str
    industry_code: str
    explanation_zh: str
    missing: tuple[str, ...] = field(default_factory=tuple)


@cache
def _data() -> dict:
    with DATA_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def default_standard() -> str:
    return _data()["default"]


DEFAULT: str = default_standard()


def standards() -> dict[str, dict]:
    return _data()["standards"]


def _standard(key: str | None) -> tuple[str, dict]:
    key = key or default_standard()
    try:
        return key, standards()[key]
    except KeyError:
        raise UnknownStandard(key) from None


def section_of(code: str) -> str | None:
    """Section letter of a GB/T 4754-2017 code ('A', '01', '011', '0111' → 'A')."""
    code = (code or "").strip().upper()
    if len(code) == 1 and code in SECTION_DIVISIONS:
        return code
    if len(code) >= 2 and code[:2].isdigit():
        div = int(code[:2])
        for letter, rng in SECTION_DIVISIONS.items():
            if div in rng:
                return letter
    return None


def _patterns(std: dict) -> list[tuple[str, dict]]:
    """(numeric prefix, sector) pairs; section letters expanded to their two-digit divisions."""
    out = []
    for sector in std["sectors"]:
        for pat in sector["industries"]:
            pat = str(pat)
            if pat == "*":
                continue
            if pat.isalpha():
                out.extend((f"{d:02d}", sector) for d in SECTION_DIVISIONS[pat])
            else:
                out.append((pat, sector))
    return out


def _normalize(code: str) -> str:
    code = (code or "").strip().upper()
    # Accept the common "C3911" spelling (section letter + numeric code) when the letter is consistent.
    if len(code) > 1 and code[0].isalpha() and code[1:].isdigit() and section_of(code[1:]) == code[0]:
        code = code[1:]
    return code


def _sector_of_numeric(code: str, pats: list[tuple[str, dict]], fallback: dict) -> dict:
    matches = [(p, s) for p, s in pats if code.startswith(p)]
    return max(matches, key=lambda m: len(m[0]))[1] if matches else fallback


def find_sector(industry_code: str, standard: str | None = None) -> tuple[dict | None, str]:
    """The standard's sector for an industry code, or (None, reason) when the code is too coarse or unknown.

    A code is too coarse when the industries under it fall into different sectors (e.g. 70 房地产业 contains 7010
    房地产开发经营 and 7020 物业管理; F contains 批发业 and 零售业).
    """
    key, _ = _standard(standard)
    return _find_sector_cached(_normalize(industry_code), key)


@functools.lru_cache(maxsize=8192)
def _find_sector_cached(code: str, standard: str) -> tuple[dict | None, str]:
    """Memoized body of find_sector: an import classifies the same few hundred codes many thousand times."""
    _, std = _standard(standard)
    fallback = next(s for s in std["sectors"] if "*" in [str(p) for p in s["industries"]])
    pats = _patterns(std)
    if code.isalpha() and len(code) == 1 and code in SECTION_DIVISIONS:
        heads = [f"{d:02d}" for d in SECTION_DIVISIONS[code]]
    elif code.isdigit() and len(code) in (2, 3, 4) and section_of(code) is not None:
        heads = [code]
    else:
        return None, f"“{code}”不是有效的国民经济行业分类（GB/T 4754-2017）代码"
    found: dict[int, dict] = {}
    for head in heads:
        sector = _sector_of_numeric(head, pats, fallback)
        found[id(sector)] = sector
        for p, s in pats:
            if len(p) > len(head) and p.startswith(head):
                found[id(s)] = s
    if len(found) > 1:
        return None, f"行业代码“{code}”下的细分行业适用不同的划型标准，请提供更细的行业代码（大类/中类/小类）"
    return next(iter(found.values())), ""


def _level_for(value: float, thresholds: dict[str, dict], metric: str, levels: list[str]) -> str:
    for level in levels:
        if value >= thresholds[level][metric]:
            return level
    return "micro"


def classify_size(
    industry_code: str,
    employees: int | None,
    revenue_wan: float | None,
    total_assets_wan: float | None,
    standard: str = DEFAULT,
) -> SizeResult:
    """Size class of an enterprise under ``standard`` (default: the YAML's ``default``)."""
    key, std = _standard(standard)
    code = _normalize(industry_code)
    sector, why = find_sector(code, key)
    base = {
        "standard": key,
        "standard_title": f"{std['title']}（{std['document_number']}）",
        "industry_code": code,
    }
    if sector is None:
        return SizeResult(None, None, None, None, explanation_zh=why, **base)
    base.update(sector_code=sector["code"], sector_name=sector["name"])
    if sector.get("not_applicable"):
        return SizeResult(None, None, explanation_zh=sector["not_applicable"], **base)

    thresholds = {lvl: sector[lvl] for lvl in ("medium", "small")}
    levels = ["medium", "small"]
    large_note = ""
    if "large" in sector:
        thresholds["large"] = sector["large"]
    else:
        large_std = standards()[std["large_from"]]
        large_sector = next(s for s in large_std["sectors"] if s["code"] == sector["code"])
        thresholds["large"] = large_sector["large"]
        large_note = f"（大型标准取自{large_std['title']}{large_std['document_number']}）"
    levels = ["large", *levels]

    given = {"employees": employees, "revenue": revenue_wan, "total_assets": total_assets_wan}
    for name, value in given.items():
        if value is not None and (not isinstance(value, int | float) or math.isnan(value) or value < 0):
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    metrics = list(sector["metrics"])
    missing = tuple(m for m in metrics if given[m] is None)

    per_metric = {m: _level_for(given[m], thresholds, m, levels) for m in metrics if given[m] is not None}
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    known_min = max(per_metric.values(), key=order.__getitem__) if per_metric else None
    if not missing:
        size = known_min
    elif known_min == "micro":
        size = "micro"  # 微型企业只须满足所列指标中的一项即可
    else:
        size = None

    lines = []
    for lvl in levels:
        conds = "且".join(f"{METRIC_ZH[m][0]}≥{_fmt(thresholds[lvl][m])}{METRIC_ZH[m][1]}" for m in metrics)
        lines.append(f"{LEVEL_ZH[lvl]}：{conds}")
    lines.append("微型：未达到小型标准的任一项")
    shown = "，".join(
        f"{METRIC_ZH[m][0]}{'未提供' if given[m] is None else _fmt(given[m]) + METRIC_ZH[m][1]}"
        for m in metrics
    )
    verdict = (
        f"划型结果：{LEVEL_ZH[size]}企业"
        if size
        else f"数据不足，无法划型（缺少{'、'.join(METRIC_ZH[m][0] for m in missing)}）"
    )
    explanation = (
        f"{std['title']}（{std['document_number']}），{sector['name']}适用指标：{'、'.join(METRIC_ZH[m][0] for m in metrics)}。"
        f"{'；'.join(lines)}{large_note}。企业数据：{shown}。{verdict}。"
    )
    return SizeResult(
        size, LEVEL_ZH.get(size) if size else None, explanation_zh=explanation, missing=missing, **base
    )


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)

"""The five plan files against their seed documents, and the loader that puts them in the database.

Expected figures are read off the seeds (/work/shared/seeds/*.txt and its README) by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import jinfu
from jinfu.brain.sources import collapse, iter_quotes, missing_quotes, plan_files, read_plan


def _seeds_dir() -> Path:
    here = Path(jinfu.__file__).resolve().parents[2].parent / "shared" / "seeds"
    if here.is_dir():
        return here
    env = os.environ.get("JINFU_SEEDS_DIR")
    if env and Path(env).is_dir():
        return Path(env)
    pytest.fail("seed documents not found beside the repository (../shared/seeds) nor in JINFU_SEEDS_DIR")


PLAN_FILES = plan_files()


def _doc(code: str) -> dict:
    for path in PLAN_FILES:
        doc, _ = read_plan(path)
        if doc["plan"]["code"] == code:
            return doc
    raise AssertionError(f"no plan file with code {code}")


def _ind(doc: dict, code: str) -> dict:
    return next(i for i in doc["indicators"] if i["code"] == code)


def _seed_text(code: str) -> str:
    doc = _doc(code)
    return collapse((_seeds_dir() / doc["plan"]["source_file"]).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# Quotes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", PLAN_FILES, ids=[p.name for p in PLAN_FILES])
def test_every_quote_is_verbatim_in_its_seed(path):
    doc, _ = read_plan(path)
    seeds = _seeds_dir()
    assert (seeds / doc["plan"]["source_file"]).is_file(), doc["plan"]["source_file"]
    quotes = list(iter_quotes(doc))
    # at least the title and one figure per indicator
    assert len(quotes) >= 1 + len(doc.get("indicators") or [])
    assert missing_quotes(doc, seeds) == []


@pytest.mark.parametrize("path", PLAN_FILES, ids=[p.name for p in PLAN_FILES])
def test_every_indicator_figure_is_quoted(path):
    """A base or target value without a quote could not be checked against the seed."""
    doc, _ = read_plan(path)
    for ind in doc.get("indicators") or []:
        for part in ("base", "target"):
            block = ind.get(part) or {}
            if block.get("value") is not None:
                assert (block.get("quote") or "").strip(), f"{ind['code']} {part} has no quote"


def test_missing_quotes_detects_a_quote_not_in_the_seed():
    """The checker itself must be able to fail (a doctored figure is reported with its place)."""
    doc = _doc("000")
    ind = _ind(doc, "000-I01")
    ind["target"]["quote"] = "金融业增加值 77.2亿元 100亿元 170亿元 290亿元"
    ind["milestones"][0]["quote"] = ""
    assert sorted(missing_quotes(doc, _seeds_dir())) == ["000-I01 milestone 2021", "000-I01 target"]


def test_quotes_compare_after_collapsing_whitespace(tmp_path):
    (tmp_path / "x.txt").write_text("金融业增加值\t77.2亿元\n\n100亿元", encoding="utf-8")
    doc = {"plan": {"code": "X", "source_file": "x.txt", "title_quote": "金融业增加值 77.2亿元  100亿元"}}
    assert missing_quotes(doc, tmp_path) == []
    doc["plan"]["title_quote"] = "金融业增加值77.2亿元"
    assert missing_quotes(doc, tmp_path) == ["X title"]


# ---------------------------------------------------------------------------
# Plan files: codes and hand-checked figures
# ---------------------------------------------------------------------------


def test_plan_files_carry_codes_000_to_004_matching_their_seed():
    codes = [read_plan(p)[0]["plan"]["code"] for p in PLAN_FILES]
    assert codes == ["000", "001", "002", "003", "004"]
    for path in PLAN_FILES:
        doc, _ = read_plan(path)
        assert path.name.startswith(doc["plan"]["code"] + "_")
        assert doc["plan"]["source_file"].startswith(doc["plan"]["code"] + "_")
        prefix = doc["plan"]["code"] + "-"
        assert all(i["code"].startswith(prefix + "I") for i in doc.get("indicators") or [])
        assert all(t["code"].startswith(prefix + "T") for t in doc.get("tasks") or [])
        ind_codes = [i["code"] for i in doc.get("indicators") or []]
        assert len(ind_codes) == len(set(ind_codes)), "duplicate indicator code"


def test_000_i01_value_added_figures_from_table_3():
    doc = _doc("000")
    assert doc["plan"]["base_year"] == 2020
    assert (doc["plan"]["period_start"], doc["plan"]["period_end"]) == (2021, 2025)
    ind = _ind(doc, "000-I01")
    assert ind["name"] == "金融业增加值"
    assert ind["unit"] == "亿元"
    assert ind["kind"] == "end_value"
    assert (ind["base"]["year"], ind["base"]["value"]) == (2020, 77.2)
    assert {m["year"]: m["value"] for m in ind["milestones"]} == {2021: 100, 2023: 170}
    assert (ind["target"]["year"], ind["target"]["value"]) == (2025, 287)
    # the row as printed in the seed's 表3
    assert "金融业增加值 77.2亿元 100亿元 170亿元 287亿元" in _seed_text("000")


def test_001_green_loans_keep_the_printed_percent_unit_and_flag_831_6():
    ind = _ind(_doc("001"), "001-I04")
    assert ind["name"] == "绿色贷款余额"
    assert ind["unit"] == "%"  # as printed; the defect says it is really 亿元
    assert ind["base"]["value"] == 832
    assert ind["target"]["value"] == 1500
    assert any("831.6" in (d.get("note", "") + d.get("quote", "")) for d in ind["defects"])
    assert "831.6亿元" in _seed_text("001")


def test_002_district_and_jiangbeizui_are_separate_indicators():
    doc = _doc("002")
    by_name: dict[str, set[str]] = {}
    for ind in doc["indicators"]:
        by_name.setdefault(ind["name"], set()).add(ind["scope_name"])
    both = [name for name, scopes in by_name.items() if {"江北区", "江北嘴"} <= scopes]
    # the seed's table: 金融机构数量, 区域以上金融机构总部数量, 金融业增加值, 占GDP比重, 金融资产规模, 存贷款余额
    assert len(both) >= 6
    va = {i["scope_name"]: i for i in doc["indicators"] if i["name"] == "金融业增加值"}
    assert va["江北区"]["base"]["value"] == 288.9
    assert va["江北嘴"]["base"]["value"] == 228
    assert va["江北区"]["code"] != va["江北嘴"]["code"]


def test_003_has_no_table_but_at_least_20_targets_for_2027():
    doc = _doc("003")
    assert (doc["plan"]["period_start"], doc["plan"]["period_end"]) == (2024, 2027)
    inds = doc["indicators"]
    assert not any((i.get("source_section") or "").startswith("表") for i in inds)
    assert sum(1 for i in inds if (i.get("target") or {}).get("year") == 2027) >= 20
    i01 = _ind(doc, "003-I01")
    assert i01["name"] == "金融业增加值" and i01["target"]["value"] == 570 and i01["unit"] == "亿元"


def test_004_annual_rows_are_annual_growth_and_period_end_rows_are_not():
    doc = _doc("004")
    # the seed's 表1 marks three rows 年均指标 and four rows 期末指标
    text = (_seeds_dir() / doc["plan"]["source_file"]).read_text(encoding="utf-8")
    assert text.count("年均指标") == 3 and text.count("期末指标") == 4
    kinds = {i["code"]: i["kind"] for i in doc["indicators"]}
    assert [c for c, k in kinds.items() if k == "annual_growth"] == ["004-I01", "004-I02", "004-I03"]
    assert all(kinds[c] in ("end_value", "count") for c in ("004-I04", "004-I05", "004-I06", "004-I07"))
    assert _ind(doc, "004-I01")["target"]["value"] == 8  # 金融业增加值年均增速 8以上
    assert _ind(doc, "004-I01")["unit"] == "%"


# ---------------------------------------------------------------------------
# Known seed defects (shared/seeds/README.md) stay visible
# ---------------------------------------------------------------------------


def _defect_text(ind: dict) -> str:
    return " ".join(f"{d.get('note', '')} {d.get('quote', '')}" for d in ind.get("defects") or [])


def test_defect_000_value_added_287_versus_nearly_290():
    ind = _ind(_doc("000"), "000-I01")
    text = _defect_text(ind)
    assert "287" in text and "近290" in text
    assert ind["target"]["value"] == 287  # the table figure is kept, the text's figure is flagged


def test_defect_000_listed_firms_31_versus_50():
    doc = _doc("000")
    ind = next(i for i in doc["indicators"] if i["name"].startswith("上市"))
    text = _defect_text(ind)
    assert "31" in text and "50家" in text
    assert ind["target"]["value"] == 31


def test_defect_002_jiangbeizui_78_9_percent():
    doc = _doc("002")
    flagged = [i for i in doc["indicators"] if "78.9" in _defect_text(i)]
    assert flagged, "the 78.9% defect is not recorded"
    assert all(i["scope_name"] == "江北嘴" for i in flagged)
    # hand arithmetic: 228 / 288.9 = 0.7892… → 78.9 %, a share of value added, not of GDP
    assert round(228 / 288.9 * 100, 1) == 78.9


# ---------------------------------------------------------------------------
# Loader
# ---------------------------------------------------------------------------


def _counts():
    from jinfu.brain.models import Indicator, Milestone, Plan, Task, TaskMilestone

    return {
        "plans": Plan.objects.count(),
        "indicators": Indicator.objects.count(),
        "milestones": Milestone.objects.count(),
        "tasks": Task.objects.count(),
        "task_milestones": TaskMilestone.objects.count(),
    }


def _expected_counts():
    inds = tasks = 0
    for path in PLAN_FILES:
        doc, _ = read_plan(path)
        inds += len(doc.get("indicators") or [])
        tasks += len(doc.get("tasks") or [])
    return inds, tasks


@pytest.mark.django_db
def test_loader_counts_per_plan():
    from jinfu.brain.loader import load_plans
    from jinfu.brain.models import Plan

    stats = load_plans()
    inds, tasks = _expected_counts()
    assert stats["plans"] == 5 and stats["indicators"] == inds and stats["tasks"] == tasks
    p000 = Plan.objects.get(code="000")
    assert p000.tasks.count() == 27  # “行动计划（共27项重点工作任务）”
    assert p000.indicators.count() == len(_doc("000")["indicators"])
    assert sorted(p000.divisions.values_list("pk", flat=True)) == ["500108"]
    assert Plan.objects.get(code="001").divisions.filter(pk="500103").exists()
    assert Plan.objects.get(code="002").indicators.count() == len(_doc("002")["indicators"])
    assert Plan.objects.get(code="003").indicators.filter(target_year=2027).count() >= 20
    i01 = p000.indicators.get(code="000-I01")
    assert (i01.base_value, i01.target_value, i01.target_year) == (77.2, 287, 2025)
    assert sorted(i01.milestones.values_list("year", "value")) == [(2021, 100.0), (2023, 170.0)]
    assert len(i01.defects) == 2


@pytest.mark.django_db
def test_loader_is_idempotent():
    from jinfu.brain.loader import load_plans
    from jinfu.brain.models import Indicator, Plan, Task

    load_plans()
    first = _counts()
    stats = load_plans()
    assert stats["unchanged_plans"] == 5 and stats["plans"] == 0
    assert _counts() == first
    # Force a full reload (as after an edited file): still no duplicates, supervision state kept.
    task = Task.objects.get(code="000-T01")
    task.progress = 40
    task.save(update_fields=["progress"])
    Plan.objects.update(data_version="")
    stats = load_plans()
    assert stats["plans"] == 5
    assert _counts() == first
    assert Task.objects.get(code="000-T01").progress == 40
    assert Indicator.objects.values("code").distinct().count() == first["indicators"]

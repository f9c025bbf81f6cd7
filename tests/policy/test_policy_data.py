"""The policy data file: every quote is verbatim in its seed, every rule validates, benefit formulas are
numeric, synthetic entries are flagged, and the loader is idempotent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jinfu.policy import engine
from jinfu.policy.loader import load_policies, read
from jinfu.policy.models import Policy, PolicyItem

SEEDS = Path("/work/shared/seeds")


def _collapse(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _entries():
    for p in read()["policies"]:
        yield p
        yield from p.get("items") or []


@pytest.mark.skipif(not SEEDS.exists(), reason="seed documents not available")
def test_every_quote_is_verbatim_in_its_seed():
    checked = 0
    for e in _entries():
        if e.get("is_synthetic"):
            assert not e.get("source_file"), e["code"]
            continue
        assert e.get("source_file") and e.get("source_quote"), f"{e['code']} lacks its source"
        text = _collapse((SEEDS / e["source_file"]).read_text(encoding="utf-8"))
        assert _collapse(e["source_quote"]) in text, f"{e['code']}: quote not found in {e['source_file']}"
        checked += 1
    assert checked >= 10


def test_rules_validate_and_benefits_are_numeric():
    for p in read()["policies"]:
        for it in p.get("items") or []:
            engine.eligibility(it.get("eligibility_rule", ""))
            b = engine.benefit(it.get("benefit_formula", ""))
            assert b is None or b.kind == "number"
            if p.get("is_synthetic"):
                assert it.get("is_synthetic"), it["code"]


def test_seed_award_is_encoded_as_quoted():
    item = next(
        it for p in read()["policies"] for it in p.get("items") or [] if it["code"] == "yz-fintech-settlement"
    )
    assert (
        "5000万元以上" in item["source_quote"]
        and "2%" in item["source_quote"]
        and "1000万元" in item["source_quote"]
    )
    assert item["benefit_formula"] == "LEAST(paid_in_capital * 0.02, 1000)"
    assert "registered_capital >= 5000" in item["eligibility_rule"]
    assert item["cap"] == 1000


def test_loader_is_idempotent(reference_data):
    first = load_policies()
    n_policies, n_items = Policy.objects.count(), PolicyItem.objects.count()
    assert load_policies() == first
    assert (Policy.objects.count(), PolicyItem.objects.count()) == (n_policies, n_items)
    assert Policy.objects.get(code="yz-fintech-2020").division_id == "500103"
    assert PolicyItem.objects.get(code="laoshan-outside-award").mode == "reference"
    assert PolicyItem.objects.filter(is_synthetic=True).count() == 4

"""Green reference data: the plans' quotes are in the seeds, the catalogues hold what the sources say
(first-level categories and counts), factors match their quoted notices, the loader is idempotent."""

import re
from pathlib import Path

import pytest
import yaml

from jinfu.green import engine
from jinfu.green.loader import load_catalogues
from jinfu.green.models import Catalogue, CatalogueItem

SEEDS = Path("/work/shared/seeds")
DATA = Path(engine.__file__).resolve().parent / "data"


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_plan_quotes_are_in_the_seeds():
    quotes = yaml.safe_load((DATA / "plan_quotes.yaml").read_text(encoding="utf-8"))
    assert len(quotes) >= 5
    for q in quotes:
        assert _plain(q["quote"]) in _plain((SEEDS / q["seed"]).read_text(encoding="utf-8")), q


def test_catalogue_structure_matches_the_sources():
    cats = engine.catalogues()
    counts = {
        code: len([i for i in c["items"] if i["level"] == 1])
        for code, c in cats.items()
        if not code.startswith("_")
    }
    assert counts == {"gic2019": 6, "gltic2024": 7, "gfspc2025": 9}
    for code, c in cats.items():
        if code.startswith("_"):
            continue
        assert c["published_counts"]["level1"] == counts[code]
        names = [i["name"] for i in c["items"] if i["level"] == 1]
        for src in c["sources"]:
            if "个一级分类" in src["quote"] or "大类" in src["quote"]:
                for name in names:  # every first-level name is in the quoted passage
                    assert name.replace("产业", "") in src["quote"], (code, name)
    assert cats["gfspc2025"]["document"] == "银发〔2025〕132号"
    assert str(cats["gfspc2025"]["effective_on"]) == "2025-10-01"
    assert cats["gfspc2025"]["published_counts"] == {"level1": 9, "level2": 38, "level3": 271}
    assert cats["gltic2024"]["document"] == "发改环资〔2024〕165号"
    assert cats["gic2019"]["document"] == "发改环资〔2019〕293号"


def test_mapping_2024_to_2025_is_by_name():
    cats = engine.catalogues()
    old = {i["code"]: i["name"] for i in cats["gltic2024"]["items"]}
    for item in cats["gfspc2025"]["items"]:
        if "maps_from" in item:
            assert old[item["maps_from"]["gltic2024"]] == item["name"]


def test_every_factor_value_appears_in_its_quote():
    table = engine.factor_table()
    seen = {(f["year"], f["grid"]): f["value"] for f in table["factors"]}
    assert seen[(2021, "national")] == 0.5568
    assert seen[(2022, "national")] == 0.5366
    assert seen[(2023, "national")] == 0.5306
    assert seen[(2023, "西南")] == 0.2472
    for f in table["factors"]:
        assert f"{f['value']:.4f}".rstrip("0") in f["quote"] or f"{f['value']:.4f}" in f["quote"], f


def test_rules_name_only_encoded_items():
    for cat, rules in engine.rule_table()["rules"].items():
        codes = {i["code"] for i in engine.catalogues()[cat]["items"]}
        assert {r["item"] for r in rules} <= codes


@pytest.mark.django_db
def test_loader_is_idempotent():
    load_catalogues()
    load_catalogues()
    assert Catalogue.objects.count() == 3
    assert CatalogueItem.objects.filter(catalogue__code="gfspc2025").count() == 9
    assert (
        CatalogueItem.objects.filter(catalogue__code="gfspc2025", code="4").get().name == "能源绿色低碳转型"
    )

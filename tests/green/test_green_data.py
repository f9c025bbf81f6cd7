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
    assert CatalogueItem.objects.filter(catalogue__code="gic2019", level=1).count() == 6
    assert (
        CatalogueItem.objects.filter(catalogue__code="gfspc2025", code="4").get().name == "能源绿色低碳转型"
    )


# --- 2019 catalogue below first level (read from stored excerpts, data/sources/) ---------------------


def _excerpt(name: str) -> str:
    return (DATA / "sources" / name).read_text(encoding="utf-8")


def test_every_deeper_item_quote_is_in_its_stored_excerpt_and_named_in_the_attachment():
    items = [i for i in engine.catalogues()["gic2019"]["items"] if i["level"] > 1]
    assert len([i for i in items if i["level"] == 2]) == 30
    assert len([i for i in items if i["level"] == 3]) == 211
    attachment = _plain(_excerpt("gic2019_explanation.txt"))
    origins = yaml.safe_load(_excerpt("ORIGIN.yaml"))
    for it in items:
        src = it["source"]
        assert src["excerpt"] in origins, it
        text = _excerpt(src["excerpt"])
        assert src["quote"] in text, it
        assert src["quote"].startswith(it["code"]) and it["name"] in src["quote"], it
        assert _plain(it["code"] + it["name"]) in attachment, it  # cross-check in the PDF's text
        if it["level"] == 3:
            assert it["criteria"] and it["criteria"] in text, it
        assert it["parent"] == it["code"].rsplit(".", 1)[0]
        assert it["verification"] == "secondary"


def test_a_known_2019_item_and_its_criteria():
    items = {i["code"]: i for i in engine.catalogues()["gic2019"]["items"]}
    assert items["1.1"]["name"] == "高效节能装备制造"
    assert items["1.1.1"]["name"] == "节能锅炉制造"
    assert "GB24500" in items["1.1.1"]["criteria"]
    assert items["3.2.2"]["name"] == "太阳能利用设施建设和运营"
    assert [p["name"] for p in engine.item_path("gic2019", "3.2.2")] == [
        "清洁能源产业",
        "清洁能源设施建设和运营",
        "太阳能利用设施建设和运营",
    ]


def test_mappings_between_versions_are_by_identical_name():
    cats = engine.catalogues()
    for code, c in cats.items():
        if code.startswith("_"):
            continue
        for item in c["items"]:
            for old_cat, old_code in item.get("maps_from", {}).items():
                old = {i["code"]: i["name"] for i in cats[old_cat]["items"]}
                assert old[old_code] == item["name"], (code, item)
    assert cats["gltic2024"]["items"][5]["maps_from"] == {"gic2019": "5"}


def test_2019_rule_keywords_are_terms_of_the_item_text():
    items = {i["code"]: i for i in engine.catalogues()["gic2019"]["items"]}
    rules = engine.rule_table()["rules"]["gic2019"]
    deep = [r for r in rules if items[r["item"]]["level"] == 3]
    assert len(deep) >= 20
    for r in deep:
        it = items[r["item"]]
        for k in r["keywords"]:
            assert k in it["name"] + it["criteria"], (r["item"], k)
    # a first-level fallback only where a 2024 item has the identical name, with that item's keywords
    later = {
        i["maps_from"]["gic2019"]: i["code"]
        for i in engine.catalogues()["gltic2024"]["items"]
        if "maps_from" in i
    }
    by_2024 = {r["item"]: r for r in engine.rule_table()["rules"]["gltic2024"]}
    for r in rules:
        if items[r["item"]]["level"] == 1:
            assert r["keywords"] == by_2024[later[r["item"]]]["keywords"], r


@pytest.mark.django_db
def test_loader_stores_deeper_levels_in_catalogue_order():
    load_catalogues()
    load_catalogues()
    items = list(CatalogueItem.objects.filter(catalogue__code="gic2019"))
    assert len(items) == 6 + 30 + 211
    codes = [i.code for i in items]
    assert codes[:4] == ["1", "1.1", "1.1.1", "1.1.2"]
    assert codes.index("1.1.10") == codes.index("1.1.9") + 1
    boiler = next(i for i in items if i.code == "1.1.1")
    assert boiler.parent_code == "1.1" and boiler.source["quote"] == "1.1.1节能锅炉制造"
    assert "GB24500" in boiler.criteria

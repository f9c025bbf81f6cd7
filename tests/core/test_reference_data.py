"""Reference data loading (divisions, zones, industries, size standards) and the public /api/v1/codes/ endpoints."""

import random

import pytest

from jinfu.core.models import Division, Industry, ReferenceDataset, Zone
from jinfu.core.reference import loader
from jinfu.core.reference.loader import division_codes, industry_codes, load_reference_data
from jinfu.core.reference.uscc import generate_uscc

# DOMAIN.md's district list plus the 12 counties (GB/T 2260, after 开县/梁平/武隆 became districts).
DISTRICTS = {
    "500101": "万州区", "500102": "涪陵区", "500103": "渝中区", "500104": "大渡口区", "500105": "江北区",
    "500106": "沙坪坝区", "500107": "九龙坡区", "500108": "南岸区", "500109": "北碚区", "500110": "綦江区",
    "500111": "大足区", "500112": "渝北区", "500113": "巴南区", "500114": "黔江区", "500115": "长寿区",
    "500116": "江津区", "500117": "合川区", "500118": "永川区", "500119": "南川区", "500120": "璧山区",
    "500151": "铜梁区", "500152": "潼南区", "500153": "荣昌区", "500154": "开州区", "500155": "梁平区",
    "500156": "武隆区",
}  # fmt: skip
COUNTIES = {
    "500229": "城口县", "500230": "丰都县", "500231": "垫江县", "500233": "忠县", "500235": "云阳县",
    "500236": "奉节县", "500237": "巫山县", "500238": "巫溪县", "500240": "石柱土家族自治县",
    "500241": "秀山土家族苗族自治县", "500242": "酉阳土家族苗族自治县", "500243": "彭水苗族土家族自治县",
}  # fmt: skip


def _counts():
    return (
        ReferenceDataset.objects.count(),
        Division.objects.count(),
        Zone.objects.count(),
        Industry.objects.count(),
        Zone.divisions.through.objects.count(),
    )


@pytest.mark.django_db
def test_loader_is_idempotent(reference_data):
    before = _counts()
    first = load_reference_data()
    second = load_reference_data()
    assert _counts() == before
    for stats in (first, second):
        for key in ("gbt2260", "zones", "gbt4754-2017"):
            assert stats[key]["created"] == 0 and stats[key]["updated"] == 0, stats[key]
            assert stats[key]["new_version"] is False
    assert set(ReferenceDataset.objects.values_list("key", flat=True)) == {
        "gbt2260",
        "zones",
        "gbt4754-2017",
        "size-standards",
    }


@pytest.mark.django_db
def test_changed_file_creates_new_version_and_updates_rows(reference_data, tmp_path, monkeypatch):
    original = loader.DATASETS["gbt2260"]["file"]
    changed = tmp_path / "divisions.csv"
    changed.write_text(
        original.read_text(encoding="utf-8").replace("500103,渝中区", "500103,渝中区（测试）"), "utf-8"
    )
    monkeypatch.setitem(loader.DATASETS["gbt2260"], "file", changed)
    old_versions = set(ReferenceDataset.objects.filter(key="gbt2260").values_list("version", flat=True))

    stats = load_reference_data()["gbt2260"]

    assert stats["new_version"] is True and stats["updated"] >= 1
    assert Division.objects.get(pk="500103").name == "渝中区（测试）"
    new = ReferenceDataset.objects.get(key="gbt2260", version=stats["version"])
    assert new.version not in old_versions
    assert Division.objects.get(pk="500103").dataset == new
    assert Division.objects.count() == 41  # nothing duplicated


@pytest.mark.django_db
def test_all_38_districts_and_counties(reference_data):
    codes = division_codes()
    assert codes["500000"] == "重庆市"
    for code, name in {**DISTRICTS, **COUNTIES}.items():
        assert codes.get(code) == name, code
    counties = Division.objects.filter(level=Division.Level.COUNTY)
    assert counties.count() == 38
    assert set(counties.filter(parent_id="500100").values_list("code", flat=True)) == set(DISTRICTS)
    assert set(counties.filter(parent_id="500200").values_list("code", flat=True)) == set(COUNTIES)
    assert Division.objects.get(pk="500100").parent_id == "500000"


@pytest.mark.django_db
def test_industry_level_counts(reference_data):
    levels = {
        lvl: Industry.objects.filter(level=lvl).count() for lvl in ("section", "division", "group", "class")
    }
    assert levels["section"] == 20
    assert levels["division"] == 97
    assert levels["group"] == 473
    # The standard (as amended 2019) is stated to have 1382 小类; the tables found hold 1381 (see data/README.md).
    assert levels["class"] == 1381


@pytest.mark.django_db
def test_industry_tree(reference_data):
    codes = industry_codes()
    assert codes["A"] == ("农、林、牧、渔业", "section")
    assert codes["0111"] == ("稻谷种植", "class")
    assert codes["65"] == ("软件和信息技术服务业", "division")
    assert codes["7010"] == ("房地产开发经营", "class")
    assert codes["3741"] == ("飞机制造", "class")
    cls = Industry.objects.select_related("parent__parent__parent").get(pk="6513")
    assert (cls.parent_id, cls.parent.parent_id, cls.parent.parent.parent_id) == ("651", "65", "I")
    assert cls.section == "I"
    assert not Industry.objects.filter(level="class", parent__isnull=True).exists()
    assert not Industry.objects.filter(level="division").exclude(parent__level="section").exists()


@pytest.mark.django_db
def test_zones_have_parent_divisions(reference_data):
    zones = {z.code: z for z in Zone.objects.prefetch_related("divisions")}
    assert len(zones) >= 8
    for zone in zones.values():
        assert zone.divisions.exists(), zone.code
        assert zone.source
    names = {z.name: {d.name for d in z.divisions.all()} for z in zones.values()}
    assert names["江北嘴"] == {"江北区"}
    assert names["解放碑—朝天门"] == {"渝中区"}
    assert names["两路口—化龙桥"] == {"渝中区"}
    assert names["长嘉汇"] == {"南岸区"}
    assert names["重庆高新区"] == {"沙坪坝区", "九龙坡区"}
    assert names["西部（重庆）科学城"] == {"北碚区", "沙坪坝区", "九龙坡区", "江津区", "璧山区"}
    assert names["两江新区"] == {"江北区", "渝北区", "北碚区"}


# --- API -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_uscc_valid_with_decoded_division(client, reference_data):
    code = generate_uscc("500103", random.Random(7))
    r = client.get(f"/api/v1/codes/uscc/{code}")  # anonymous: public reference data
    assert r.status_code == 200
    data = r.json()
    assert data["valid"] is True and data["reason_code"] is None
    assert data["authority_name"].startswith("工商") and data["org_type_name"] == "企业"
    assert data["division"] == {
        "code": "500103",
        "name": "渝中区",
        "level": "county",
        "full_name": "重庆市渝中区",
    }


@pytest.mark.django_db
def test_api_uscc_known_code_division_outside_chongqing(client, reference_data):
    data = client.get("/api/v1/codes/uscc/91100000100003962T").json()
    assert data["valid"] is True
    assert data["division_code"] == "100000" and data["division"] is None
    data = client.get("/api/v1/codes/uscc/91500000202869177Y").json()
    assert data["division"]["full_name"] == "重庆市"


@pytest.mark.django_db
def test_api_uscc_invalid_reason(client, reference_data):
    r = client.get("/api/v1/codes/uscc/91500000202869177X")
    assert r.status_code == 200
    data = r.json()
    assert data["valid"] is False
    assert data["reason_code"] == "check_digit"
    assert data["expected_check_digit"] == "Y"
    assert "应为“Y”" in data["reason_zh"]


@pytest.mark.django_db
def test_api_divisions_and_parent_filter(client, reference_data):
    all_ = client.get("/api/v1/codes/divisions").json()
    assert len(all_) == 41
    counties = client.get("/api/v1/codes/divisions", {"parent": "500200"}).json()
    assert {d["code"] for d in counties} == set(COUNTIES)
    assert all(d["parent"] == "500200" for d in counties)


@pytest.mark.django_db
def test_api_zones(client, reference_data):
    zones = {z["name"]: z for z in client.get("/api/v1/codes/zones").json()}
    assert zones["江北嘴"]["divisions"] == ["500105"]
    assert zones["江北嘴"]["kind"] == "financial"
    assert zones["重庆高新区"]["kind"] == "high_tech"


@pytest.mark.django_db
def test_api_industries_search_and_paging(client, reference_data):
    page = client.get("/api/v1/codes/industries", {"q": "软件", "limit": 2}).json()
    assert page["count"] >= 5 and len(page["items"]) == 2
    page2 = client.get("/api/v1/codes/industries", {"q": "软件", "limit": 2, "offset": 2}).json()
    assert {i["code"] for i in page2["items"]}.isdisjoint({i["code"] for i in page["items"]})
    children = client.get("/api/v1/codes/industries", {"parent": "651", "level": "class"}).json()
    assert [i["code"] for i in children["items"]] == ["6511", "6512", "6513", "6519"]
    sections = client.get("/api/v1/codes/industries", {"level": "section", "limit": 200}).json()
    assert sections["count"] == 20
    assert client.get("/api/v1/codes/industries", {"limit": 201}).status_code == 422


@pytest.mark.django_db
def test_api_size(client, reference_data):
    data = client.get("/api/v1/codes/size", {"industry": "6513", "employees": 100, "revenue": 1000}).json()
    assert data["size_class"] == "medium"
    assert data["sector_name"] == "软件和信息技术服务业"
    assert data["standard"] == "miit-2011"
    data = client.get("/api/v1/codes/size", {"industry": "3911", "employees": 500}).json()
    assert data["size_class"] is None and data["missing"] == ["revenue"]
    r = client.get("/api/v1/codes/size", {"industry": "3911", "employees": 5, "standard": "nope"})
    assert r.status_code == 422


@pytest.mark.django_db
def test_api_workdays_add(client, reference_data):
    r = client.get("/api/v1/codes/workdays/add", {"start": "2025-01-24", "days": 3})
    assert r.status_code == 200
    assert r.json() == {"start": "2025-01-24", "days": 3, "date": "2025-02-05"}
    r = client.get("/api/v1/codes/workdays/add", {"start": "2026-12-28", "days": 10})
    assert r.status_code == 422
    assert "2027" in r.json()["detail"]


def test_api_codes_are_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/codes/uscc/{code}", "/api/v1/codes/size", "/api/v1/codes/workdays/add"):
        assert path in paths

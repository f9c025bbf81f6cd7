"""Green services: submit → identify → confirm/reject (audited) → tier/publish → claim → loan; bad input
names the field (or row and column) and writes nothing; 绿色企业 only from a confirmed identification."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from jinfu.core import featureregistry
from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.models import Organization
from jinfu.green import selectors, services
from jinfu.green.loader import load_catalogues
from jinfu.green.models import GreenEvent, GreenLoan, GreenProject, Identification

pytestmark = pytest.mark.django_db


def solar(**over):
    data = {
        "name": "屋顶分布式光伏项目",
        "description": "利用厂房屋顶建设分布式光伏发电设施，装机 2 MW",
        "division": "500108",
        "location": "南岸区茶园",
        "industry_code": "4416",
        "catalogue": "gfspc2025",
        "item": "4",
        "total_investment": "1200",
        "financing_need": "800",
        "construction_start": str(timezone.localdate() + dt.timedelta(days=30)),
        "construction_months": "6",
        "output_kind": "renewable_mwh",
        "annual_output": "2200",
        "output_unit": "MWh",
        "grid": "西南",
        "factor_year": "2023",
    }
    data.update(over)
    return data


@pytest.fixture
def world(make_user, reference_data):
    load_catalogues()
    ent = make_user("enterprise")
    Organization.objects.filter(pk=ent.organization_id).update(division_id="500108")
    gov = make_user(
        "government",
        org=Organization.objects.create(kind="government", name="南岸区金融办", division_id="500108"),
    )
    gov_other = make_user(
        "government",
        org=Organization.objects.create(kind="government", name="渝中区金融办", division_id="500103"),
    )
    return {
        "ent": ent,
        "ent2": make_user("enterprise"),
        "bank": make_user("institution"),
        "bank2": make_user("institution"),
        "admin": make_user("admin"),
        "gov": gov,
        "gov_other": gov_other,
    }


def test_full_journey(world):
    project = services.submit_project(world["ent"], solar())
    ident = selectors.latest_identification(project)
    assert ident.best_item == "4" and ident.catalogue.code == "gfspc2025"
    assert ident.matches[0]["evidence"]
    with pytest.raises(Forbidden):
        services.decide(world["ent"], ident.pk, confirm=True)
    services.decide(world["admin"], ident.pk, confirm=True, reason="核对屋顶权属与备案")
    project.refresh_from_db()
    assert project.status == "confirmed" and project.tier == "reserve"
    assert not selectors.hall_for(world["bank"]).exists()  # not yet published
    services.set_tier(world["gov"], project.pk, "recommended", publish=True)
    assert list(selectors.hall_for(world["bank"])) == [project]
    loan = services.claim(world["bank"], project.pk)
    with pytest.raises(ValidationFailed):
        services.claim(world["bank"], project.pk)
    with pytest.raises(ValidationFailed) as e:
        services.record_loan(world["bank"], loan.pk, amount="900")  # above the financing need
    assert e.value.field == "amount"
    with pytest.raises(ValidationFailed):
        services.record_loan(world["bank2"], loan.pk, amount="500")  # not its claim
    services.record_loan(world["bank"], loan.pk, amount="800")
    loan.refresh_from_db()
    fig = selectors.loan_carbon(loan)
    assert fig.value == Decimal("2200") * Decimal("0.2472") * 800 / 1200
    assert "碳减排支持工具" in fig.working
    kinds = list(GreenEvent.objects.filter(project=project).values_list("kind", flat=True))
    assert kinds == ["submitted", "identified", "confirmed", "tiered", "claimed", "loan_recorded"]
    portfolio = selectors.portfolio_carbon(world["bank"])
    assert portfolio["total"] == fig.value
    assert selectors.portfolio_carbon(world["bank2"])["total"] == 0


def test_reject_needs_a_reason_and_is_recorded(world):
    project = services.submit_project(world["ent"], solar())
    ident = selectors.latest_identification(project)
    with pytest.raises(ValidationFailed) as e:
        services.decide(world["admin"], ident.pk, confirm=False, reason=" ")
    assert e.value.field == "reason"
    services.decide(world["admin"], ident.pk, confirm=False, reason="屋顶产权证明缺失")
    ident.refresh_from_db()
    assert ident.decision == "rejected" and ident.assessor == world["admin"]
    with pytest.raises(ValidationFailed):
        services.decide(world["admin"], ident.pk, confirm=True)  # decided once
    assert GreenEvent.objects.get(project=project, kind="rejected").detail["reason"] == "屋顶产权证明缺失"


def test_visibility(world):
    project = services.submit_project(world["ent"], solar())
    assert list(selectors.projects_for(world["ent"])) == [project]
    assert not selectors.projects_for(world["ent2"]).exists()
    assert not selectors.projects_for(world["bank"]).exists()
    assert list(selectors.projects_for(world["gov"])) == [project]
    assert not selectors.projects_for(world["gov_other"]).exists()
    ident = selectors.latest_identification(project)
    services.decide(world["admin"], ident.pk, confirm=True)
    with pytest.raises(NotFound):  # another district's office: the project is invisible, not forbidden
        services.set_tier(world["gov_other"], project.pk, "pool", publish=True)
    with pytest.raises(NotFound):
        services.set_tier(world["bank"], project.pk, "pool", publish=True)


@pytest.mark.parametrize(
    "over, field, words",
    [
        ({"total_investment": "500", "financing_need": "800"}, "financing_need", "高于总投资"),
        ({"annual_output": "-10"}, "annual_output", "不能为负数"),
        ({"item": "42"}, "item", "没有编号为“42”的条目"),
        ({"catalogue": "gbt2015"}, "item", "gbt2015"),
        ({"factor_year": "2019"}, "factor_year", "2019 年没有"),
        ({"output_unit": "kWh", "annual_output": "2200000"}, "output_unit", "kWh"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, over, field, words):
    with pytest.raises(ValidationFailed) as e:
        services.submit_project(world["ent"], solar(**over))
    assert e.value.field == field
    assert words in e.value.message_zh
    assert e.value.message_en
    assert not GreenProject.objects.exists() and not Identification.objects.exists()


def _csv(rows):
    header = "项目名称,项目描述,行政区划代码,建设地点,行业代码,目录版本,目录条目编号,总投资（万元）,融资需求（万元）,开工日期,建设期（月）,产出类型,预期年产出,单位,电网区域,排放因子年份"
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


GOOD = "光伏一期,屋顶分布式光伏,500108,茶园,4416,gfspc2025,4,1200,800,2026-08-01,6,可再生能源年发电量,2200,MWh,西南,2023"


def test_import_all_or_nothing(world):
    bad = "光伏二期,屋顶分布式光伏,500108,茶园,4416,gfspc2025,4,1200,800,2026-08-01,6,可再生能源年发电量,2200000,kWh,西南,2023"
    res = services.import_projects(world["ent"], _csv([GOOD, bad]), "p.csv")
    assert res["created"] == 0 and not GreenProject.objects.exists()
    [p] = res["problems"]
    assert p["row"] == 3 and p["field"] == "output_unit" and p["column"] == "单位"
    assert "第 3 行「单位」" in p["message_zh"] and "row 3" in p["message_en"]
    res = services.import_projects(world["ent"], _csv([GOOD]), "p.csv")
    assert res["created"] == 1
    assert GreenProject.objects.get().identifications.get().best_item == "4"


def test_green_certified_only_after_confirmation(world):
    org = world["ent"].organization_id
    project = services.submit_project(world["ent"], solar())
    [gs] = [fs for fs in featureregistry.feature_sets() if fs.name == "green"]
    today = timezone.localdate()
    assert (
        gs.load([org], today).collect().to_dicts() == []
    )  # a submitted (self-declared) project is not enough
    services.decide(world["admin"], selectors.latest_identification(project).pk, confirm=True)
    assert gs.load([org], today).collect().to_dicts() == [
        {"org_id": org, "green_certified": True, "green_category": "能源绿色低碳转型"}
    ]


def test_demo_pool_is_synthetic(world):
    from jinfu.green.demo import build_green_demo

    made = build_green_demo(enterprise_org=world["ent"].organization, bank=world["bank"].organization)
    assert made == 5
    assert GreenProject.objects.filter(is_synthetic=False).count() == 0
    assert GreenProject.objects.filter(published=True).count() >= 2
    assert GreenLoan.objects.filter(is_synthetic=True).count() == 1
    assert build_green_demo(enterprise_org=world["ent"].organization) == 0  # idempotent


def test_products_match_projects_with_reasons(world):
    project = services.submit_project(world["ent"], solar())
    with pytest.raises(ValidationFailed) as e:
        services.save_product(
            world["bank"], {"name": "光伏贷", "rule": "catalogue_item = '4' AND loan_rate < 3"}
        )
    assert e.value.field == "rule"
    with pytest.raises(Forbidden):
        services.save_product(world["ent"], {"name": "光伏贷", "rule": "catalogue_item = '4'"})
    solar_loan = services.save_product(
        world["bank"], {"name": "光伏贷", "rule": "catalogue_item = '4' AND financing_need <= 1000"}
    )
    services.save_product(world["bank"], {"name": "污水贷", "rule": "catalogue_item = '2'"})
    big = services.save_product(world["bank2"], {"name": "减排挂钩贷", "rule": "annual_reduction >= 500"})
    got = selectors.matched_products(world["ent"], project)
    assert [m["product"] for m in got] == [solar_loan, big]  # 2200 MWh × 0.2472 = 543.84 t ≥ 500
    assert "融资需求 ≤ 1000万元：满足，实际 800万元" in got[0]["reasons"]


def test_import_goes_through_the_kernel_registry(world):
    from jinfu.core.imports import registry
    from jinfu.core.models import SecurityEvent

    imp = registry.get("green.projects")
    res = registry.dry_run(imp, _csv([GOOD]), "p.csv", actor=world["ent"])
    assert res.ok and not GreenProject.objects.exists()  # a dry run writes nothing
    assert registry.commit(imp, res, actor=world["ent"]) == {"created": 1}
    assert GreenProject.objects.get().enterprise_id == world["ent"].organization_id
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).exists()
    with pytest.raises(Forbidden):
        registry.dry_run(imp, _csv([GOOD]), "p.csv", actor=world["bank"])


def _with_uscc(rows, uscc):
    body = _csv(rows).decode().replace("排放因子年份\n", "排放因子年份,企业统一社会信用代码\n")
    return body.replace("2023\n", f"2023,{uscc}\n").encode()


def test_operator_import_names_the_enterprise_and_enterprises_only_their_own(world):
    import random

    from jinfu.core.reference.uscc import generate_uscc

    ent, other = Organization.objects.get(pk=world["ent"].organization_id), world["ent2"].organization
    rng = random.Random(7)
    for org in (ent, other):
        org.uscc = generate_uscc("500108", rng)
        org.save(update_fields=["uscc"])
    res = services.import_projects(world["admin"], _csv([GOOD]), "p.csv")
    [p] = res["problems"]
    assert p["rule"] == "green.enterprise_required" and p["column"] == "企业统一社会信用代码"
    res = services.import_projects(world["ent"], _with_uscc([GOOD], other.uscc), "p.csv")
    [p] = res["problems"]
    assert p["rule"] == "green.enterprise_other" and p["row"] == 2 and "本企业" in p["message_zh"]
    assert not GreenProject.objects.exists()
    res = services.import_projects(world["admin"], _with_uscc([GOOD], ent.uscc), "p.csv")
    assert res["created"] == 1 and GreenProject.objects.get().enterprise == ent


def test_identification_against_2019_keeps_the_third_level_item_and_its_path(world, client):
    project = services.submit_project(world["ent"], solar())
    ident = services.identify(world["admin"], project, "gic2019")
    assert ident.best_item == "3.2.2"
    best = ident.matches[0]
    assert best["level"] == 3
    assert best["path"] == "清洁能源产业 › 清洁能源设施建设和运营 › 太阳能利用设施建设和运营"
    client.force_login(world["admin"])
    html = client.get(f"/green/projects/{project.pk}/").content.decode()
    assert "太阳能利用设施建设和运营" in html and "清洁能源设施建设和运营" in html


def test_catalogue_page_and_api_show_the_2019_levels_with_their_definitions(world, client):
    client.force_login(world["ent"])
    html = client.get("/green/catalogues/").content.decode()
    assert "1.1.1 节能锅炉制造" in html and "GB24500" in html and "1.1.1节能锅炉制造" in html
    assert html.index("1.1.9 ") < html.index("1.1.10 ")  # the catalogue's order, not the text order
    from jinfu.core.apikeys import issue_key

    key = issue_key(organization=world["ent"].organization, name="k", scopes=["green:read"])[1]
    cats = client.get("/api/v1/green/catalogues", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    items = {i["code"]: i for c in cats if c["code"] == "gic2019" for i in c["items"]}
    assert items["1.1.1"]["parent_code"] == "1.1" and items["1.1.1"]["source"]["quote"] == "1.1.1节能锅炉制造"
    assert "GB24500" in items["1.1.1"]["criteria"]

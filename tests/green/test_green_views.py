"""Green pages: the government overview counts its own jurisdiction only and labels synthetic data; the
enterprise form shows a problem next to its field in Chinese only; the catalogue page shows sources."""

import pytest
from django.test import Client

from jinfu.core.models import Organization
from jinfu.green import selectors, services
from jinfu.green.demo import build_green_demo

from .test_green_services import solar, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_overview_is_jurisdiction_bound_and_labelled(world):  # noqa: F811
    build_green_demo(enterprise_org=world["ent"].organization, bank=world["bank"].organization)
    nanan = selectors.pool_summary(world["gov"])
    yuzhong = selectors.pool_summary(world["gov_other"])
    assert nanan["count"] + yuzhong["count"] <= 5
    assert all(name == "南岸区" for name, _ in nanan["by_district"])
    html = _client(world["gov"]).get("/green/overview/").content.decode()
    assert "示例数据" in html and "南岸区" in html and "渝中区：" not in html
    assert nanan["financed"] == 800  # the demo loan is on the first published project (南岸区 solar)


def test_form_error_next_to_field_in_chinese(world):  # noqa: F811
    html = _client(world["ent"]).post("/green/projects/", solar(annual_output="-3")).content.decode()
    assert 'data-error-for="annual_output"' in html
    assert "不能为负数" in html and "must not be negative" not in html
    assert 'value="屋顶分布式光伏项目"' in html


def test_project_page_shows_evidence_working_and_products(world):  # noqa: F811
    project = services.submit_project(world["ent"], solar())
    services.save_product(world["bank"], {"name": "光伏贷", "rule": "catalogue_item = '4'"})
    html = _client(world["ent"]).get(f"/green/projects/{project.pk}/").content.decode()
    assert "行业代码 4416" in html
    assert "2,200 MWh × 2023年西南区域电网平均排放因子 0.2472 tCO2/MWh = 543.84 tCO2/年" in html
    assert "光伏贷" in html and "满足" in html
    assert "submitted" not in html and "提交项目" in html  # the timeline reads Chinese, not codes


def test_catalogue_page_lists_versions_and_sources(world):  # noqa: F811
    html = _client(world["ent"]).get("/green/catalogues/").content.decode()
    for text in (
        "银发〔2025〕132号",
        "发改环资〔2024〕165号",
        "发改环资〔2019〕293号",
        "绿色消费",
        "据转载或解读核实",
    ):
        assert text in html


def test_enterprise_in_other_district_not_counted(world, make_user):  # noqa: F811
    other = make_user("enterprise")
    Organization.objects.filter(pk=other.organization_id).update(division_id="500103")
    services.submit_project(other, solar(division="500103"))
    assert selectors.pool_summary(world["gov"])["count"] == 0
    assert selectors.pool_summary(world["gov_other"])["count"] == 1


def test_import_page_lists_row_problems_and_writes_nothing(world):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jinfu.green.models import GreenProject

    from .test_green_services import GOOD, _csv

    bad = GOOD.replace(",2200,MWh,", ",-5,MWh,")
    c = _client(world["ent"])
    html = c.post(
        "/green/projects/import/", {"file": SimpleUploadedFile("p.csv", _csv([GOOD, bad]))}
    ).content.decode()
    assert "第 3 行「预期年产出」" in html and "不能为负数" in html
    assert not GreenProject.objects.exists()
    resp = c.post("/green/projects/import/", {"file": SimpleUploadedFile("p.csv", _csv([GOOD]))})
    assert resp.status_code == 302 and GreenProject.objects.count() == 1

"""Documents on a green project (kernel attachments: the enterprise uploads while under review; the assessor
and a claiming institution read; a hall institution and a government office do not) and the Excel exports
of the government pool and the institution hall, holding exactly the filtered rows the page lists."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from jinfu.core import attachments
from jinfu.core.errors import Forbidden, NotFound
from jinfu.core.models import SecurityEvent
from jinfu.green import selectors, services

from .test_green_services import solar, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OWNER = "green.greenproject"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _upload(user, pk, name="可研报告.pdf", kind="feasibility"):
    url = reverse("attachment-upload", args=[OWNER, pk])
    return _client(user).post(url, {"kind": kind, "file": SimpleUploadedFile(name, PDF)})


def test_enterprise_uploads_under_review_and_only_the_parties_read(world):  # noqa: F811
    project = services.submit_project(world["ent"], solar())
    _upload(world["ent"], project.pk)
    [att] = attachments.list_for(world["ent"], OWNER, project.pk)
    assert att.kind == "feasibility"
    assert attachments.list_for(world["admin"], OWNER, project.pk) == [att]  # the assessor reads
    html = _client(world["ent"]).get(reverse("green:project", args=[project.pk])).content.decode()
    assert "可研报告.pdf" in html and "可行性研究报告" in html
    services.decide(world["admin"], selectors.latest_identification(project).pk, confirm=True)
    services.set_tier(world["gov"], project.pk, "pool", publish=True)
    # published to the hall: an institution sees the project, not its documents, until it claims it
    assert selectors.hall_for(world["bank"]).filter(pk=project.pk).exists()
    for reader in (world["bank"], world["gov"], world["ent2"]):
        with pytest.raises(NotFound):
            attachments.list_for(reader, OWNER, project.pk)
    html = _client(world["bank"]).get(reverse("green:project", args=[project.pk])).content.decode()
    assert "可研报告.pdf" not in html
    services.claim(world["bank"], project.pk)
    assert attachments.list_for(world["bank"], OWNER, project.pk) == [att]
    assert _client(world["bank"]).get(reverse("attachment", args=[att.pk])).status_code == 200
    assert _client(world["bank2"]).get(reverse("attachment", args=[att.pk])).status_code == 404


def test_no_upload_once_decided_nor_by_anyone_else(world):  # noqa: F811
    project = services.submit_project(world["ent"], solar())
    owner = attachments.owner_of(OWNER)
    with pytest.raises((Forbidden, NotFound)):
        attachments.upload(world["ent2"], OWNER, project.pk, "feasibility", SimpleUploadedFile("a.pdf", PDF))
    with pytest.raises(Forbidden):
        attachments.upload(world["admin"], OWNER, project.pk, "feasibility", SimpleUploadedFile("a.pdf", PDF))
    services.decide(world["admin"], selectors.latest_identification(project).pk, confirm=True)
    project.refresh_from_db()
    assert attachments.uploadable_kinds(world["ent"], owner, project) == []
    with pytest.raises(Forbidden):
        attachments.upload(world["ent"], OWNER, project.pk, "feasibility", SimpleUploadedFile("a.pdf", PDF))
    assert not attachments.list_for(world["ent"], OWNER, project.pk)


def _sheet(response):
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def _pool(world):  # noqa: F811
    a = services.submit_project(world["ent"], solar(name="茶园光伏"))
    b = services.submit_project(world["ent"], solar(name="屋顶二期", financing_need="300"))
    c = services.submit_project(world["ent"], solar(name="渝中光伏", division="500103"))
    for project in (a, b, c):
        services.decide(world["admin"], selectors.latest_identification(project).pk, confirm=True)
    services.set_tier(world["admin"], a.pk, "recommended", publish=True)
    services.set_tier(world["admin"], c.pk, "pool", publish=True)
    return a, b, c


def test_pool_export_holds_the_filtered_jurisdiction_rows(world):  # noqa: F811
    _pool(world)
    gov = _client(world["gov"])
    rows = _sheet(gov.get("/green/overview/?export=xlsx"))
    assert rows[0][:2] == ["项目名称", "企业"]
    assert sorted(r[0] for r in rows[1:]) == ["屋顶二期", "茶园光伏"]  # 南岸区 only
    rows = _sheet(gov.get("/green/overview/?tier=recommended&export=xlsx"))
    assert [r[0] for r in rows[1:]] == ["茶园光伏"]
    html = gov.get("/green/overview/?tier=recommended").content.decode()
    assert "茶园光伏" in html and "屋顶二期" not in html and 'data-export="xlsx"' in html
    assert len(_sheet(_client(world["admin"]).get("/green/overview/?export=xlsx"))) == 4
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT).first()
    assert event.detail["table"] == "green.pool" and event.detail["filters"] in ({}, {"tier": "recommended"})


def test_hall_export_holds_only_published_rows_and_its_filters(world):  # noqa: F811
    _pool(world)
    bank = _client(world["bank"])
    rows = _sheet(bank.get("/green/hall/?export=xlsx"))
    assert sorted(r[0] for r in rows[1:]) == ["渝中光伏", "茶园光伏"]  # the unpublished one never leaves
    rows = _sheet(bank.get("/green/hall/?division=500103&export=xlsx"))
    assert [r[0] for r in rows[1:]] == ["渝中光伏"]
    assert "企业" not in rows[0]
    assert _client(world["ent"]).get("/green/hall/?export=xlsx").status_code == 403

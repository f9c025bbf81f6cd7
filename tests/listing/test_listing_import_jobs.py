"""Listing statements (上市培育 annual statements) through the kernel's import jobs: the /imports/ pages
(dry run with row/field/rule problems, then commit) and /api/v1/imports/listing.statements, for whoever the
listing module lets enter statements (the enterprise for itself, the operator for any) — another
enterprise's row is a problem of its row and nothing is written."""

from __future__ import annotations

import io

import pytest

from jinfu.core.models import ImportJob, SecurityEvent
from jinfu.listing.models import FinancialStatement

from . import test_listing_imports
from .test_listing_imports import LAST, csv, row

pytestmark = pytest.mark.django_db
enterprises = test_listing_imports.enterprises  # two enterprises with a USCC each, and a user of each
KIND = "listing.statements"


def _upload(client, data: bytes, mode="dry_run"):
    f = io.BytesIO(data)
    f.name = "fs.csv"
    return client.post("/imports/", {"kind": KIND, "file": f, "mode": mode})


def test_an_enterprise_is_offered_the_statements_import_and_its_template(client, enterprises):
    client.force_login(enterprises[0])
    page = client.get("/imports/")
    body = page.content.decode()
    assert page.status_code == 200
    assert f'<option value="{KIND}">年度财务报表</option>' in body
    assert f"/imports/template/{KIND}.csv" in body and "/imports/template/enterprises" not in body
    template = client.get(f"/imports/template/{KIND}.csv").content.decode("utf-8-sig")
    assert template.startswith("统一社会信用代码,会计年度,营业收入（万元）")


def test_web_dry_run_then_commit_writes_the_enterprise_own_statements(client, enterprises):
    ent, _other = enterprises
    client.force_login(ent)
    r = _upload(client, csv(row(ent), row(ent, LAST - 1)))
    job = ImportJob.objects.latest("pk")
    assert r.status_code == 302 and r["Location"] == f"/imports/{job.pk}/"
    assert (job.kind, job.status, job.created_by_id) == (KIND, "validated", ent.pk)
    assert job.message.startswith("校验通过：2 行") and not FinancialStatement.objects.exists()
    body = client.get(f"/imports/{job.pk}/").content.decode()
    assert "年度财务报表" in body and "提交导入" in body and "差异预览" not in body
    r = client.post(f"/imports/{job.pk}/commit", follow=True)
    job.refresh_from_db()
    assert job.status == "committed" and job.summary["committed"] == {"created": 2, "replaced": 0}
    assert "已提交：新增 2，替换 0" in r.content.decode()
    written = FinancialStatement.objects.filter(enterprise=ent.organization)
    assert sorted((s.year, s.source, s.created_by_id) for s in written) == [
        (LAST - 1, "self_reported", ent.pk),
        (LAST, "self_reported", ent.pk),
    ]
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).latest("pk")
    assert (event.detail["import_kind"], event.detail["job"]) == (KIND, job.pk)


def test_web_dry_run_shows_row_field_and_rule_of_each_problem(client, enterprises):
    ent, _other = enterprises
    client.force_login(ent)
    _upload(client, csv(row(ent), row(ent, LAST - 2, assets=100, net=200)))
    job = ImportJob.objects.latest("pk")
    assert job.status == "invalid"
    assert [(e["row"], e["field"], e["rule"]) for e in job.errors] == [(3, "net_assets", "statement.invalid")]
    body = client.get(f"/imports/{job.pk}/").content.decode()
    assert "净资产不能大于资产总额" in body and "statement.invalid" in body and "提交导入" not in body
    assert not FinancialStatement.objects.exists()


def test_another_enterprise_row_is_refused_and_nothing_is_written(client, enterprises):
    ent, other = enterprises
    client.force_login(ent)
    _upload(client, csv(row(ent), row(other)), mode="commit")
    job = ImportJob.objects.latest("pk")
    assert job.status == "invalid"
    assert [(e["row"], e["field"], e["rule"], e["value"]) for e in job.errors] == [
        (3, "uscc", "permission.own", other.organization.uscc)
    ]
    assert not FinancialStatement.objects.exists()
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).exists()


@pytest.mark.parametrize("role", ["institution", "regulator"])
def test_roles_that_enter_no_statements_are_refused(client, enterprises, make_user, role):
    client.force_login(make_user(role))
    assert client.get("/imports/").status_code == 403
    f = io.BytesIO(csv(row(enterprises[0])))
    f.name = "fs.csv"
    r = client.post(f"/api/v1/imports/{KIND}", {"file": f, "dry_run": "false"})
    assert r.status_code == 403 and "无权导入" in r.json()["message_zh"]
    assert not ImportJob.objects.exists() and not FinancialStatement.objects.exists()


def test_a_government_user_is_not_offered_statements(client, enterprises, make_user):
    client.force_login(make_user("government"))
    body = client.get("/imports/").content.decode()
    assert 'value="enterprises"' in body and KIND not in body


def test_api_dry_run_then_commit_and_another_enterprise_refused(client, enterprises):
    ent, other = enterprises
    client.force_login(ent)
    f = io.BytesIO(csv(row(ent), row(other)))
    f.name = "fs.csv"
    r = client.post(f"/api/v1/imports/{KIND}", {"file": f})
    assert r.status_code == 201 and r.json()["status"] == "invalid"
    problem = r.json()["errors"][0]
    assert (problem["row"], problem["field"], problem["rule"]) == (3, "uscc", "permission.own")
    assert "own enterprise" in problem["message_en"] and "本企业" in problem["message_zh"]
    f = io.BytesIO(csv(row(ent)))
    f.name = "fs.csv"
    r = client.post(f"/api/v1/imports/{KIND}", {"file": f})
    assert (
        r.status_code == 201 and r.json()["status"] == "validated" and not FinancialStatement.objects.exists()
    )
    r = client.post(f"/api/v1/imports/{r.json()['id']}/commit")
    assert r.status_code == 200 and r.json()["committed"] == {"created": 1, "replaced": 0}
    assert list(FinancialStatement.objects.values_list("enterprise_id", "year")) == [
        (ent.organization_id, LAST)
    ]


def test_the_operator_imports_any_enterprise_as_imported(client, enterprises, make_user):
    ent, other = enterprises
    client.force_login(make_user("admin"))
    _upload(client, csv(row(ent), row(other, audited="是")), mode="commit")
    job = ImportJob.objects.latest("pk")
    assert job.status == "committed"
    got = {s.enterprise_id: (s.source, s.audited) for s in FinancialStatement.objects.all()}
    assert got == {ent.organization_id: ("import", False), other.organization_id: ("import", True)}


def test_the_statements_page_links_to_the_import(client, enterprises):
    client.force_login(enterprises[0])
    body = client.get("/listing/financials/").content.decode()
    assert 'data-link="statements-import"' in body and 'href="/imports/"' in body


def test_an_enterprise_api_key_imports_its_own_statements_only_and_retries_only_its_jobs(client, enterprises):
    from jinfu.core.apikeys import issue_key

    ent, other = enterprises
    _, key = issue_key(organization=ent.organization, name="erp", scopes=["imports:write"])
    _, read_only = issue_key(organization=ent.organization, name="ro", scopes=["listing:read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def post(data: bytes, **headers):
        f = io.BytesIO(data)
        f.name = "fs.csv"
        return client.post(f"/api/v1/imports/{KIND}", {"file": f, "dry_run": "false"}, **headers)

    assert post(csv(row(ent)), HTTP_AUTHORIZATION=f"Bearer {read_only}").status_code == 403
    refused = post(csv(row(other)), **auth).json()
    assert refused["status"] == "invalid" and refused["errors"][0]["rule"] == "permission.own"
    assert not FinancialStatement.objects.exists()
    done = post(csv(row(ent)), **auth).json()
    assert done["status"] == "committed" and done["committed"] == {"created": 1, "replaced": 0}
    saved = FinancialStatement.objects.get()
    assert (saved.enterprise_id, saved.source) == (ent.organization_id, "self_reported")
    ImportJob.objects.filter(pk=done["id"]).update(status="failed")
    client.force_login(ent)  # the web user of the same enterprise did not start the key's job
    assert client.post(f"/api/v1/imports/{done['id']}/retry").status_code == 404

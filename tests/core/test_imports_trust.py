"""Imports trust only what the importer may do and see (issue 9, cases 2, 3 and 7).

- A dry run never shows a record the importer may not see; ID numbers are masked in diffs, problems
  and stored job summaries.
- An import creates or changes only what the same user could through the enterprise form (the same
  rule function); a refused row names row, column, value and rule; nothing is written.
- An .xlsx is read to its real extent (a stale <dimension> loses no rows) and refused by explicit,
  named limits (rows, cells, uncompressed size, compression ratio).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import zipfile
from decimal import Decimal

import pytest

from jinfu.core import services as core_services
from jinfu.core.errors import Forbidden, ValidationFailed
from jinfu.core.imports import engine, services
from jinfu.core.imports.organizations import ENTERPRISES
from jinfu.core.models import AccessRecord, ImportJob, Organization
from jinfu.core.principal import as_principal
from tests.core import test_imports as base
from tests.core.test_imports import (
    HEADER,
    counts,
    make_uscc,
    rows,
    rules_of,
    run_import,
    write_csv,
    write_xlsx,
)

ref = base.ref  # the reference-data fixture of the import tests

pytestmark = pytest.mark.django_db

OWN = "500112"  # 渝北区: the importing office's district
JIANGBEI = "500105"  # 江北区
WANZHOU = "500101"
SECRET_ID = "11010519491231002X"
SECRET_VALUES = {
    "legal_rep_id_number": SECRET_ID,
    "contact_phone": "023-88886666",
    "revenue": Decimal("7777.77"),
    "total_assets": Decimal("6666.66"),
    "employees": 54321,
    "address": "重庆市江北区秘密路9号",
}


def id_number(seed: int) -> str:
    """A valid 18-digit ID number (GB 11643 check digit)."""
    body = f"500112198{seed % 10}0{1 + seed % 9}1{seed % 10}{seed % 10}1{seed % 10}"[:17]
    check = engine._ID_CHECK[sum(int(body[i]) * engine._ID_WEIGHTS[i] for i in range(17)) % 11]
    return body + check


@pytest.fixture
def gov(make_user):
    user = make_user("government")
    user.organization.division_id = OWN
    user.organization.save()
    return user


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def register(division: str, seed: int, ref, **values) -> str:
    """An enterprise registered directly (the single write path), with the given values."""
    uscc = make_uscc(division, random.Random(seed))
    services.apply_enterprise_records(
        [
            {
                "uscc": uscc,
                "name": f"重庆在册{seed}有限公司",
                "legal_representative": "李四",
                "registered_capital": Decimal("1000"),
                "established_on": dt.date(2015, 1, 2),
                "division": division,
                "industry": ref["industry"],
                **values,
            }
        ]
    )
    return uscc


def row_for(uscc: str, division: str, ref, name: str = "重庆导入者改写有限公司") -> list[str]:
    row = rows(1, industry=ref["industry"], division=division)[0]
    row[0], row[1] = uscc, name
    return row


def stored_text(job: ImportJob) -> str:
    """Everything the job keeps and shows: summary (diff, counts), problems, message."""
    return json.dumps([job.summary, job.errors, job.message], ensure_ascii=False, default=str)


def problem_at(job: ImportJob, row: int) -> dict:
    found = [e for e in job.errors if e["row"] == row]
    assert len(found) == 1, job.errors
    return found[0]


# ---------------------------------------------------------------------------
# Case 2: dry runs show nothing the importer may not see
# ---------------------------------------------------------------------------


def test_dry_run_on_another_districts_uscc_reveals_none_of_its_values(tmp_path, ref, gov, client):
    uscc = register(JIANGBEI, 1, ref, **SECRET_VALUES)
    path = write_csv(tmp_path / "probe.csv", [row_for(uscc, OWN, ref)])
    job = run_import(path, gov, commit=False)

    assert job.status == ImportJob.Status.INVALID
    p = problem_at(job, 2)
    assert (p["rule"], p["field"], p["column"], p["value"]) == (
        "permission.jurisdiction",
        "uscc",
        "统一社会信用代码",
        uscc,
    )
    assert "该主体不在您的辖区内" in p["message_zh"] and "第 2 行" in p["message_zh"]
    assert "outside your jurisdiction" in p["message_en"] and "row 2" in p["message_en"]
    assert job.summary["diff"] == [] and job.summary["counts"] == {"create": 0, "update": 0, "unchanged": 0}
    client.force_login(gov)
    shown = [
        stored_text(job),
        client.get(f"/api/v1/imports/{job.pk}").content.decode(),
        client.get(f"/imports/{job.pk}/").content.decode(),
    ]
    for text in shown:
        for secret in (SECRET_ID, "88886666", "7777.77", "6666.66", "54321", "秘密路", "重庆在册1有限公司"):
            assert secret not in text, secret


def test_other_district_row_gets_the_same_answer_whether_or_not_the_uscc_exists(tmp_path, ref, gov):
    existing = register(JIANGBEI, 2, ref, **SECRET_VALUES)
    unknown = make_uscc(JIANGBEI, random.Random(3))
    answers = []
    for n, uscc in enumerate((existing, unknown)):
        job = run_import(write_csv(tmp_path / f"{n}.csv", [row_for(uscc, JIANGBEI, ref)]), gov, commit=False)
        p = problem_at(job, 2)
        answers.append({k: (v.replace(uscc, "X") if isinstance(v, str) else v) for k, v in p.items()})
        assert job.summary["counts"] == {"create": 0, "update": 0, "unchanged": 0}
    assert answers[0] == answers[1]
    assert answers[0]["rule"] == "permission.division"


def test_admin_diff_masks_id_numbers_and_records_the_read_of_private_values(tmp_path, ref, admin):
    uscc = register(JIANGBEI, 4, ref, **SECRET_VALUES)
    header = [*HEADER, "法定代表人身份证号"]
    new_id = id_number(7)
    assert engine.id_number_ok(new_id)
    row = [*row_for(uscc, JIANGBEI, ref), new_id]
    job = run_import(write_csv(tmp_path / "u.csv", [row], header=header), admin, commit=False)
    assert job.status == ImportJob.Status.VALIDATED, job.errors
    (d,) = job.summary["diff"]
    assert d["changes"]["legal_rep_id_number"] == [
        engine.mask_id_number(SECRET_ID),
        engine.mask_id_number(new_id),
    ]
    assert d["changes"]["revenue"] == ["7777.77", "3000.00"]  # the admin may read it ...
    text = stored_text(job)
    assert SECRET_ID not in text and new_id not in text
    ent = Organization.objects.get(uscc=uscc)
    # ... and the enterprise sees that its financials and basic data were read, as for any admin read
    assert set(AccessRecord.objects.filter(enterprise=ent).values_list("scope", flat=True)) == {
        "basic",
        "financials",
    }


def test_invalid_id_number_is_masked_in_the_stored_problem(tmp_path, ref, admin):
    header = [*HEADER, "法定代表人身份证号"]
    bad = "110105194912310021"  # wrong check digit
    job = run_import(
        write_csv(tmp_path / "b.csv", [[*rows(1, industry=ref["industry"])[0], bad]], header=header), admin
    )
    assert job.status == ImportJob.Status.INVALID
    assert problem_at(job, 2)["rule"] == "id_number.invalid"
    assert bad not in stored_text(job) and problem_at(job, 2)["value"] == engine.mask_id_number(bad)


def test_non_reader_sees_no_current_private_value_in_a_diff(ref, gov):
    """Belt and braces: were a non-admin ever allowed an update, its diff hides current private values."""
    uscc = register(OWN, 5, ref, **SECRET_VALUES)
    existing = services.existing_values("enterprises", [uscc])
    diff = [
        {
            "row": 2,
            "uscc": uscc,
            "name": "x",
            "action": "update",
            "changes": {"revenue": ["7777.77", "1.00"], "legal_rep_id_number": [SECRET_ID, ""]},
        }
    ]
    out = services.redact_diff(as_principal(gov), diff, existing)
    assert out[0]["changes"]["revenue"] == [services.HIDDEN, "1.00"]
    assert SECRET_ID not in json.dumps(out)
    assert not AccessRecord.objects.exists()


# ---------------------------------------------------------------------------
# Case 3: an import writes only what the same user could write through the form
# ---------------------------------------------------------------------------


def test_commit_outside_jurisdiction_is_refused_row_by_row_and_writes_nothing(tmp_path, ref, gov):
    jiangbei = register(JIANGBEI, 6, ref, **SECRET_VALUES)
    new_wanzhou = make_uscc(WANZHOU, random.Random(8))
    fine = make_uscc(OWN, random.Random(9))
    data = [
        row_for(new_wanzhou, WANZHOU, ref, "重庆万州新登记有限公司"),
        row_for(jiangbei, OWN, ref),
        row_for(fine, OWN, ref, "重庆渝北本区有限公司"),
    ]
    before = counts()
    job = run_import(write_csv(tmp_path / "c.csv", data), gov, commit=True)

    assert job.status == ImportJob.Status.INVALID
    assert counts() == before
    assert not Organization.objects.filter(uscc__in=[new_wanzhou, fine]).exists()
    assert Organization.objects.get(uscc=jiangbei).name == "重庆在册6有限公司"
    first, second = problem_at(job, 2), problem_at(job, 3)
    assert (first["rule"], first["column"], first["value"]) == (
        "permission.division",
        "行政区划代码",
        WANZHOU,
    )
    assert first["message_zh"] == "第 2 行「行政区划代码」：只能登记本辖区的企业"
    assert first["message_en"] == (
        "row 2, column '行政区划代码': You can only register enterprises in your own division"
    )
    assert (second["rule"], second["column"]) == ("permission.jurisdiction", "统一社会信用代码")
    assert [e["row"] for e in job.errors] == [2, 3]  # the row in the district is fine


def test_the_form_refuses_the_same_row_with_the_same_rule(ref, gov):
    uscc = make_uscc(WANZHOU, random.Random(10))
    values = {c.field: "" for c in ENTERPRISES.columns}
    values.update(uscc=uscc, division=WANZHOU)
    with pytest.raises(ValidationFailed) as exc:
        core_services.save_enterprise(gov, values)
    assert (exc.value.code, exc.value.field) == ("permission.division", "division")
    assert exc.value.message_zh == "只能登记本辖区的企业"
    jiangbei = register(JIANGBEI, 11, ref)
    org = Organization.objects.get(uscc=jiangbei)
    with pytest.raises(Forbidden) as exc:
        core_services.save_enterprise(gov, {**values, "division": OWN}, organization=org)
    assert exc.value.code == "permission.jurisdiction"


def test_import_rows_are_checked_by_the_forms_rule_function(tmp_path, ref, gov, monkeypatch):
    seen = []
    real = core_services.enterprise_write_refusal

    def spy(actor, **kw):
        seen.append(kw)
        return real(actor, **kw)

    monkeypatch.setattr(core_services, "enterprise_write_refusal", spy)
    job = run_import(write_csv(tmp_path / "ok.csv", rows(2, industry=ref["industry"], division=OWN)), gov)
    assert job.status == ImportJob.Status.COMMITTED, job.errors
    assert [k["division"] for k in seen] == [OWN, OWN]


def test_government_may_not_overwrite_even_an_enterprise_of_its_own_district(tmp_path, ref, gov):
    uscc = register(OWN, 12, ref)
    job = run_import(write_csv(tmp_path / "own.csv", [row_for(uscc, OWN, ref)]), gov)
    assert job.status == ImportJob.Status.INVALID
    assert problem_at(job, 2)["rule"] == "permission.edit"
    assert Organization.objects.get(uscc=uscc).name == "重庆在册12有限公司"


def test_government_api_key_is_held_to_its_offices_jurisdiction(client, ref, gov, tmp_path):
    from jinfu.core.apikeys import issue_key

    _, key = issue_key(organization=gov.organization, name="etl", scopes=["imports:write"])
    uscc = make_uscc(JIANGBEI, random.Random(13))
    before = counts()
    with open(write_csv(tmp_path / "k.csv", [row_for(uscc, JIANGBEI, ref)]), "rb") as fh:
        r = client.post(
            "/api/v1/imports/enterprises",
            {"file": fh, "dry_run": "false"},
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "invalid" and body["errors"][0]["rule"] == "permission.division"
    assert counts() == before


def test_recommit_checks_the_committer_again(tmp_path, ref, gov):
    """A dry run validated earlier is re-checked at commit against the database of then."""
    uscc = make_uscc(OWN, random.Random(14))
    job = run_import(write_csv(tmp_path / "r.csv", [row_for(uscc, OWN, ref)]), gov, commit=False)
    assert job.status == ImportJob.Status.VALIDATED
    register(OWN, 14, ref)  # meanwhile registered by someone else: now an edit the office may not make
    before = counts()
    job = services.request_commit(job, gov)
    assert job.status == ImportJob.Status.INVALID and "permission.edit" in rules_of(job)
    assert counts() == before


# ---------------------------------------------------------------------------
# Case 7: xlsx extent and explicit limits
# ---------------------------------------------------------------------------


def rewrite_member(data: bytes, name: str, edit) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info.filename, edit(body) if info.filename == name else body)
    return out.getvalue()


def stale(data: bytes, ref_: str) -> bytes:
    def edit(xml: bytes) -> bytes:
        new, n = re.subn(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref_}"'.encode(), xml)
        assert n == 1
        return new

    return rewrite_member(data, "xl/worksheets/sheet1.xml", edit)


@pytest.mark.parametrize("dimension", ["A1:M2", "A1:E2"])
def test_stale_dimension_loses_no_rows(tmp_path, ref, admin, dimension):
    data = stale(_xlsx(tmp_path, rows(5, industry=ref["industry"])), dimension)
    assert engine.estimate_rows(data, "s.xlsx") == 5
    job = services.submit_job(services.create_job("enterprises", data, admin, commit=True, filename="s.xlsx"))
    assert job.status == ImportJob.Status.COMMITTED, job.errors
    assert job.summary["committed"] == {"created": 5, "updated": 0, "unchanged": 0}
    assert job.total_rows == 5


def _xlsx(tmp_path, data) -> bytes:
    with open(write_xlsx(tmp_path / "s.xlsx", data), "rb") as fh:
        return fh.read()


def test_row_and_cell_limits_are_explicit(tmp_path, ref, admin, settings):
    data = _xlsx(tmp_path, rows(5, industry=ref["industry"]))
    settings.JINFU_IMPORT_MAX_ROWS = 3
    job = run_import(str(tmp_path / "s.xlsx"), admin)
    assert job.status == ImportJob.Status.INVALID and rules_of(job) == {"file.too_many_rows"}
    assert "上限 3 行" in job.errors[0]["message_zh"] and "limit is 3 rows" in job.errors[0]["message_en"]
    settings.JINFU_IMPORT_MAX_ROWS = 100
    settings.JINFU_IMPORT_MAX_CELLS = 40  # header 13 + 2 rows of 13 = 39; the third row passes it
    before = counts()
    job = services.submit_job(services.create_job("enterprises", data, admin, commit=True, filename="s.xlsx"))
    assert rules_of(job) == {"file.too_many_cells"} and "上限 40 个单元格" in job.errors[0]["message_zh"]
    csv_path = write_csv(tmp_path / "s.csv", rows(5, industry=ref["industry"]))
    job = run_import(csv_path, admin)
    assert rules_of(job) == {"file.too_many_cells"}
    assert counts() == before


def bomb(tmp_path, ref, mb: int) -> bytes:
    """A valid workbook whose sheet is padded with highly compressible rows to about ``mb`` MB."""
    good = _xlsx(tmp_path, rows(1, industry=ref["industry"]))
    cell = "重" * 2000

    def edit(xml: bytes) -> bytes:
        row = f'<row><c t="inlineStr"><is><t>{cell}</t></is></c></row>'.encode()
        padding = row * (mb * 1024 * 1024 // len(row))
        return xml.replace(b"</sheetData>", padding + b"</sheetData>")

    return rewrite_member(good, "xl/worksheets/sheet1.xml", edit)


def test_expansion_beyond_the_uncompressed_limit_is_refused(tmp_path, ref, admin, settings):
    settings.JINFU_IMPORT_XLSX_MAX_UNCOMPRESSED = 1024 * 1024
    settings.JINFU_IMPORT_XLSX_MAX_RATIO = 10_000
    data = bomb(tmp_path, ref, 3)
    before = counts()
    job = services.submit_job(services.create_job("enterprises", data, admin, commit=True, filename="b.xlsx"))
    assert job.status == ImportJob.Status.INVALID and rules_of(job) == {"file.too_large_uncompressed"}
    assert "上限 1 MB" in job.errors[0]["message_zh"] and "the limit is 1 MB" in job.errors[0]["message_en"]
    assert counts() == before


def test_default_limits_refuse_a_small_file_that_expands_to_144_mb(tmp_path, ref, admin):
    data = bomb(tmp_path, ref, 144)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert len(data) < 1024 * 1024 and unpacked > 144 * 1000 * 1000
    before = counts()
    job = services.submit_job(services.create_job("enterprises", data, admin, commit=True, filename="b.xlsx"))
    assert job.status == ImportJob.Status.INVALID and rules_of(job) == {"file.compression_ratio"}
    assert counts() == before
    with pytest.raises(engine.FileRejected):
        engine.read_sheet(data, "b.xlsx")  # the engine's own defaults refuse it too


def test_plan_actuals_import_reports_a_passed_limit_as_a_file_problem(make_user, settings):
    """The plan actuals import reads through the same reader and its limits: a problem, not a crash."""
    from jinfu.brain.services import import_actuals

    settings.JINFU_IMPORT_MAX_ROWS = 2
    data = "指标代码,年份,数值,数据来源\n" + "X,2025,1,统计局\n" * 3
    result = import_actuals(make_user("government"), data.encode(), "a.csv")
    assert [p["rule"] for p in result["problems"]] == ["file.too_many_rows"] and result["written"] == 0


def test_migration_redacts_job_summaries_stored_before_the_fix(gov, admin):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("jinfu.core.migrations.0005_redact_stored_import_diffs")

    def stored(user):
        diff = [
            {
                "row": 2,
                "uscc": "X",
                "name": "n",
                "action": "update",
                "changes": {"revenue": ["7777.77", "1.00"], "legal_rep_id_number": [SECRET_ID, ""]},
            }
        ]
        bad = {
            "row": 3,
            "field": "legal_rep_id_number",
            "value": "110105194912310021",
            "rule": "id_number.invalid",
        }
        return ImportJob.objects.create(
            kind="enterprises", created_by=user, summary={"owner": {}, "diff": diff}, errors=[bad]
        )

    gov_job, admin_job = stored(gov), stored(admin)
    migration.redact(apps, None)
    gov_job.refresh_from_db()
    admin_job.refresh_from_db()
    assert gov_job.summary["diff"][0]["changes"]["revenue"] == [services.HIDDEN, "1.00"]
    assert admin_job.summary["diff"][0]["changes"]["revenue"] == ["7777.77", "1.00"]
    for job in (gov_job, admin_job):
        assert SECRET_ID not in stored_text(job) and "110105194912310021" not in stored_text(job)

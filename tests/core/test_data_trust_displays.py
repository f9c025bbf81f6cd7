"""Issue 9, cases 4, 5, 12 and 13: every display of granted data goes through the consent check and is
recorded (the demand hall); reports obey the visibility of the pages they summarise (brain monitoring
reports); invisible control characters are refused in names and identifiers; audit records, access
records and grants are read-only in the back office."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import unicodedata
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from jinfu.core import services as core_services
from jinfu.core.apikeys import issue_key
from jinfu.core.errors import ValidationFailed
from jinfu.core.models import AccessRecord, AppendOnlyError, Grant, Organization, SecurityEvent
from jinfu.core.text import clean_long_text, invisible_chars
from jinfu.financing import services as financing
from jinfu.policy import services as policy_services
from tests.factories import product_data

RLO, ZWSP, BOM = "\u202e", "\u200b", "\ufeff"

# ---------------------------------------------------------------------------
# Case 4: the demand hall goes through the consent check and records every display of granted data
# ---------------------------------------------------------------------------

REVENUE = Decimal("98765.43")  # distinctive, so its absence from a page means something
EMPLOYEES = 4321


@pytest.fixture
def hall(make_user, reference_data):
    ent = make_user("enterprise")
    profile = ent.organization.enterprise
    profile.revenue, profile.employees = REVENUE, EMPLOYEES
    profile.save()
    bank = make_user("institution")
    demand = financing.create_demand(
        ent, amount="300", term_months=12, purpose="扩大生产线", visible_fields=["industry"]
    )
    return {"ent": ent, "bank": bank, "demand": demand}


def _grant(ent, bank, scopes) -> Grant:
    return core_services.grant_access(
        ent,
        grantee=bank.organization,
        scopes=scopes,
        purpose="credit_assessment",
        expires_at=timezone.now() + dt.timedelta(days=30),
    )


def _hall_row(html: str, demand_pk: int) -> str:
    return re.search(rf'<tr data-demand="{demand_pk}">.*?</tr>', html, re.S).group(0)


def test_hall_basic_only_grant_shows_no_financials_and_records_the_display(client, hall):
    grant = _grant(hall["ent"], hall["bank"], ["basic"])
    client.force_login(hall["bank"])
    html = client.get("/financing/hall/").content.decode()
    row = _hall_row(html, hall["demand"].pk)
    assert hall["ent"].organization.name in row and str(EMPLOYEES) in row  # basic fields are shown
    assert "98765" not in html  # revenue is financials: not granted, not shown
    records = AccessRecord.objects.filter(enterprise=hall["ent"].organization)
    assert [(r.accessor_org_id, r.scope, r.allowed, r.grant_id, r.channel) for r in records] == [
        (hall["bank"].organization_id, "basic", True, grant.pk, "web")
    ]
    client.get("/financing/hall/")  # one record per display
    assert records.filter(scope="basic").count() == 2
    assert not records.filter(scope="financials").exists()


def test_hall_financials_grant_shows_revenue_through_the_check(client, hall):
    _grant(hall["ent"], hall["bank"], ["basic", "financials"])
    client.force_login(hall["bank"])
    row = _hall_row(client.get("/financing/hall/").content.decode(), hall["demand"].pk)
    assert "98765.43" in row
    scopes = sorted(AccessRecord.objects.values_list("scope", flat=True))
    assert scopes == ["basic", "financials"]


def test_hall_without_grant_shows_only_published_fields_and_records_nothing(client, hall):
    client.force_login(hall["bank"])
    html = client.get("/financing/hall/").content.decode()
    row = _hall_row(html, hall["demand"].pk)
    assert hall["ent"].organization.name not in row and str(EMPLOYEES) not in row and "98765" not in row
    assert hall["ent"].organization.enterprise.industry.name in row  # published by the enterprise
    assert not AccessRecord.objects.exists()  # browsing the hall is not an attempt to read anyone's data


def test_hall_revoked_grant_shows_nothing_more(client, hall):
    grant = _grant(hall["ent"], hall["bank"], ["basic", "financials"])
    core_services.revoke_grant(hall["ent"], grant.pk)
    client.force_login(hall["bank"])
    row = _hall_row(client.get("/financing/hall/").content.decode(), hall["demand"].pk)
    assert hall["ent"].organization.name not in row and "98765" not in row and str(EMPLOYEES) not in row
    assert not AccessRecord.objects.exists()


def test_hall_api_basic_only_grant_hides_revenue_and_records_api_reads(hall):
    _grant(hall["ent"], hall["bank"], ["basic"])
    _, key = issue_key(
        organization=hall["bank"].organization, name="k", scopes=["financing:read", "enterprise_data:read"]
    )
    rows = Client().get("/api/v1/financing/demands/hall", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    (facts,) = [r["facts"] for r in rows if r["id"] == hall["demand"].pk]
    assert facts["revenue"] is None and facts["employees"] == EMPLOYEES
    record = AccessRecord.objects.get()
    assert (record.scope, record.channel, record.allowed) == ("basic", "api", True)


def test_hall_api_key_without_enterprise_data_scope_sees_only_published_fields(hall):
    _grant(hall["ent"], hall["bank"], ["basic", "financials"])
    _, key = issue_key(organization=hall["bank"].organization, name="k", scopes=["financing:read"])
    rows = Client().get("/api/v1/financing/demands/hall", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    (facts,) = [r["facts"] for r in rows if r["id"] == hall["demand"].pk]
    assert facts["revenue"] is None and facts["employees"] is None and facts["name"] is None
    assert set(AccessRecord.objects.values_list("allowed", flat=True)) == {False}  # attempts are recorded


def test_back_office_enterprise_page_is_a_recorded_read(client, make_user, reference_data):
    ent, admin_user = make_user("enterprise"), make_user("admin")
    client.force_login(admin_user)
    assert client.get(f"/admin/core/organization/{ent.organization_id}/change/").status_code == 200
    records = AccessRecord.objects.filter(enterprise=ent.organization, accessor_user=admin_user)
    assert sorted(records.values_list("scope", flat=True)) == ["basic", "financials"]
    assert set(records.values_list("purpose", flat=True)) == {"other"}


# ---------------------------------------------------------------------------
# Case 5: monitoring reports show only the tasks the requester's task board shows
# ---------------------------------------------------------------------------


@pytest.fixture
def plans(db, settings, tmp_path):
    from jinfu.brain.loader import load_plans

    settings.MEDIA_ROOT = tmp_path / "media"
    load_plans()


def _gov(make_user, division: str, name: str):
    org = Organization.objects.create(kind=Organization.Kind.GOVERNMENT, name=name, division_id=division)
    return make_user("government", org=org)


def _report(client, user, plan: str, django_capture_on_commit_callbacks):
    from jinfu.brain.models import MonitoringReport
    from jinfu.brain.reports import generate

    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/brain/reports/", {"plan": plan, "year": "2024"}).status_code == 302
    job = MonitoringReport.objects.filter(created_by=user).latest("pk")
    if job.status == MonitoringReport.Status.QUEUED:  # the database task queue: run the worker's step here
        job = generate(job.pk)
    assert job.status == "done", job.message
    return job


def _xlsx_tasks(job) -> list[str]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(job.xlsx.read()))["督办任务"]
    return [
        str(r[0]) for r in ws.iter_rows(values_only=True) if r[0] and re.fullmatch(r"\d{3}-T\d+", str(r[0]))
    ]


def _docx_text(job) -> str:
    from docx import Document

    doc = Document(job.docx.path)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_yuzhong_report_on_plan_000_lists_no_tasks(
    client, make_user, plans, django_capture_on_commit_callbacks
):
    from jinfu.brain.models import Task

    tasks = list(Task.objects.filter(plan__code="000"))
    assert len(tasks) == 27
    yuzhong = _gov(make_user, "500103", "渝中区金融办")
    job = _report(client, yuzhong, "000", django_capture_on_commit_callbacks)
    assert _xlsx_tasks(job) == []
    text = _docx_text(job)
    assert "000-T01" not in text and "督办任务 27 项" not in text
    assert not any(t.title in text for t in tasks)
    assert "本报告不含督办任务" in text
    # the same report for a district whose board shows the tasks lists all of them
    nanan = _gov(make_user, "500108", "南岸区金融办")
    assert len(_xlsx_tasks(_report(client, nanan, "000", django_capture_on_commit_callbacks))) == 27


def test_a_district_cannot_list_or_download_a_report_generated_for_another(
    client, make_user, plans, django_capture_on_commit_callbacks
):
    nanan = _gov(make_user, "500108", "南岸区金融办")
    job = _report(client, nanan, "000", django_capture_on_commit_callbacks)
    client.force_login(_gov(make_user, "500103", "渝中区金融办"))
    assert f'data-report="{job.pk}"' not in client.get("/brain/reports/").content.decode()
    assert client.get(f"/brain/reports/{job.pk}/xlsx/").status_code == 404
    client.force_login(_gov(make_user, "500000", "重庆市地方金融管理局"))  # the city sees every board
    assert client.get(f"/brain/reports/{job.pk}/xlsx/").status_code == 200


def test_overview_and_api_hide_task_counts_of_invisible_boards(client, make_user, plans):
    yuzhong = _gov(make_user, "500103", "渝中区金融办")
    client.force_login(yuzhong)
    html = client.get("/brain/").content.decode()
    card = re.search(r'data-plan="000".*?</p>', html, re.S).group(0)
    assert "督办任务" not in card
    _, key = issue_key(organization=yuzhong.organization, name="k", scopes=["brain:read"])
    rows = {
        r["code"]: r for r in Client().get("/api/v1/brain/plans", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    }
    assert rows["000"]["tasks"] is None and rows["003"]["tasks"] > 0


# ---------------------------------------------------------------------------
# Case 12: invisible control characters in names and identifiers
# ---------------------------------------------------------------------------


def test_invisible_characters_are_found_and_line_breaks_kept_in_long_text():
    assert [ch for _, ch in invisible_chars(f"重庆{RLO}科技{ZWSP}{BOM}\x07")] == [RLO, ZWSP, BOM, "\x07"]
    assert invisible_chars("重庆\u3000科技 有限公司") == []  # ordinary (ideographic) spaces are text
    assert invisible_chars("a\tb", long_text=True) == [] and invisible_chars("a\tb") == [(2, "\t")]
    assert clean_long_text(f"第一行{ZWSP}\n第二行{RLO}\t完") == "第一行\n第二行\t完"


def test_text_module_is_pure_so_the_import_engine_may_use_it():
    import ast
    from pathlib import Path

    import jinfu.core.errors
    import jinfu.core.text

    for module in (jinfu.core.text, jinfu.core.errors):
        for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.startswith("django") for n in names), (module.__name__, names)


def _import(rows: list[list[str]]):
    from jinfu.core.imports import engine
    from jinfu.core.imports import services as imports
    from jinfu.core.imports.organizations import ENTERPRISES

    headers = [
        "uscc",
        "name",
        "legal_representative",
        "registered_capital",
        "established_on",
        "division",
        "industry",
    ]
    sheet = engine.Sheet(headers=headers, rows=rows, format="csv", encoding="utf-8")
    return engine.validate_sheet(ENTERPRISES, sheet, imports.reference_lookups())


def test_import_refuses_invisible_characters_in_names_and_codes(reference_data):
    from jinfu.core.reference.uscc import generate_uscc

    good = generate_uscc("500103", random.Random(1))
    other = generate_uscc("500103", random.Random(2))
    res = _import(
        [
            [good, f"重庆{RLO}科技有限公司", "张三", "100", "2019-01-01", "500103", "6513"],
            [other[:5] + ZWSP + other[5:], "重庆科技有限公司", "张三", "100", "2019-01-01", "500103", "6513"],
        ]
    )
    got = [(e["row"], e["field"], e["rule"]) for e in res.errors]
    assert got == [(2, "name", "text.invisible"), (3, "uscc", "text.invisible")]
    assert "U+202E" in res.errors[0]["message_zh"] and "U+202E" in res.errors[0]["message_en"]
    assert res.records == []


def test_enterprise_form_refuses_an_rlo_in_the_name(client, make_user, reference_data):
    from jinfu.core.reference.uscc import generate_uscc

    gov = make_user("government")
    gov.organization.division_id = "500103"
    gov.organization.save()
    uscc = generate_uscc("500103", random.Random(9))
    values = {
        "uscc": uscc,
        "name": f"重庆{RLO}表单科技有限公司",
        "legal_representative": "王五",
        "registered_capital": "1000",
        "established_on": "2019-03-15",
        "division": "500103",
        "industry": "6513",
    }
    client.force_login(gov)
    resp = client.post("/orgs/enterprises/new/", values)
    assert resp.status_code == 422
    assert 'data-error-for="name"' in resp.content.decode()
    assert not Organization.objects.filter(uscc=uscc).exists()


def test_product_name_refused_and_description_cleaned(make_user, reference_data):
    bank = make_user("institution")
    with pytest.raises(ValidationFailed) as exc:
        financing.save_product(bank, product_data(name=f"科创{RLO}信用贷"))
    assert (
        exc.value.field == "name" and exc.value.code == "text.invisible" and "U+202E" in exc.value.message_zh
    )
    with pytest.raises(ValidationFailed):
        financing.save_product(bank, product_data(code=f"P{ZWSP}1"))
    product = financing.save_product(bank, product_data(description=f"纯信用{ZWSP}贷款\n按月付息"))
    assert product.description == "纯信用贷款\n按月付息"


def test_product_api_answers_422_with_both_languages(make_user, reference_data):
    bank = make_user("institution")
    _, key = issue_key(organization=bank.organization, name="k", scopes=["financing:write"])
    body = {k: v for k, v in product_data(name=f"科创{BOM}信用贷").items() if k != "preferences"}
    resp = Client().post(
        "/api/v1/financing/products",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert resp.status_code == 422
    assert "U+FEFF" in resp.content.decode()


def test_demand_purpose_and_roadshow_title(make_user, reference_data):
    ent = make_user("enterprise")
    d = financing.create_demand(ent, amount="100", term_months=12, purpose=f"采购{ZWSP}原材料{RLO}")
    assert d.purpose == "采购原材料"
    with pytest.raises(ValidationFailed) as exc:
        financing.publish_roadshow(
            ent, title=f"项目{RLO}甲", summary="简介", stage="seed", amount_sought="100"
        )
    assert exc.value.field == "title"


def test_policy_titles_and_numbers_refused_texts_cleaned(make_user, reference_data):
    gov = make_user("government")
    gov.organization.division_id = "500103"
    gov.organization.save()
    base = {"title": "渝中区扶持办法", "issuer": "渝中区", "division_id": "500103"}
    for field, value in (("title", f"渝中区{RLO}扶持办法"), ("doc_number", f"渝中府发{ZWSP}〔2024〕1号")):
        with pytest.raises(ValidationFailed) as exc:
            policy_services.save_policy(gov, base | {field: value})
        assert exc.value.field == field
    pol = policy_services.save_policy(gov, base | {"full_text": f"第一条{BOM}\n第二条{ZWSP}"})
    assert pol.full_text == "第一条\n第二条"
    with pytest.raises(ValidationFailed) as exc:
        policy_services.save_item(gov, pol.pk, {"title": f"落户{RLO}奖励", "mode": "apply"})
    assert exc.value.field == "title"


def test_user_names_grant_notes_and_key_names_refuse_invisible_characters(make_user, reference_data):
    from jinfu.core.forms import ApiKeyForm, GrantForm

    with pytest.raises(ValidationFailed) as exc:
        core_services.create_user(
            username="li", password="Jinfu-Test-密码-2025!", role="admin", display_name=f"管理{RLO}员"
        )
    assert exc.value.field == "display_name"
    ent, bank = make_user("enterprise"), make_user("institution")
    with pytest.raises(ValidationFailed) as exc:
        core_services.grant_access(
            ent,
            grantee=bank.organization,
            scopes=["basic"],
            purpose="credit_assessment",
            purpose_note=f"授信{ZWSP}",
            expires_at=timezone.now() + dt.timedelta(days=3),
        )
    assert exc.value.field == "purpose_note"
    form = ApiKeyForm({"name": f"核心{RLO}系统", "scopes": ["financing:read"], "days": 30})
    assert not form.is_valid() and "name" in form.errors
    form = GrantForm(
        {
            "grantee": bank.organization_id,
            "scopes": ["basic"],
            "purpose": "credit_assessment",
            "purpose_note": f"授信{BOM}",
            "days": 30,
        }
    )
    assert not form.is_valid() and "purpose_note" in form.errors


def test_back_office_refuses_invisible_characters_in_organization_names(client, make_user, reference_data):
    client.force_login(make_user("admin"))
    management = {
        f"{prefix}-{k}": v
        for prefix in ("enterprise", "institution")
        for k, v in (
            ("TOTAL_FORMS", "0"),
            ("INITIAL_FORMS", "0"),
            ("MIN_NUM_FORMS", "0"),
            ("MAX_NUM_FORMS", "1"),
        )
    }
    data = {
        "kind": "government",
        "name": f"渝中区{RLO}金融办",
        "uscc": "",
        "address": "",
        "contact_phone": "",
    }
    resp = client.post("/admin/core/organization/add/", data | management)
    assert resp.status_code == 200 and "U+202E" in resp.content.decode()
    assert not Organization.objects.filter(name__startswith="渝中区").exists()
    resp = client.post("/admin/core/organization/add/", data | management | {"name": "渝中区金融办"})
    assert resp.status_code == 302 and Organization.objects.filter(name="渝中区金融办").exists()


# ---------------------------------------------------------------------------
# Case 13: audit records and grants are read-only in the back office, append-only in the ORM
# ---------------------------------------------------------------------------


@pytest.fixture
def audit_rows(make_user, reference_data):
    from auditlog.models import LogEntry

    from jinfu.core.audit import record_event
    from jinfu.core.selectors import enterprise_view

    ent, bank = make_user("enterprise"), make_user("institution")
    grant = _grant(ent, bank, ["basic"])
    enterprise_view(bank, ent.organization_id, ["basic"])
    event = record_event(SecurityEvent.Kind.LOGIN, user=bank)
    org = ent.organization
    org.address = "重庆市渝中区解放碑"
    org.save()  # a change-history entry (django-auditlog)
    return {
        "core/grant": grant,
        "core/accessrecord": AccessRecord.objects.get(),
        "core/securityevent": event,
        "auditlog/logentry": LogEntry.objects.latest("pk"),
    }


@pytest.mark.parametrize(
    "model", ["core/grant", "core/accessrecord", "core/securityevent", "auditlog/logentry"]
)
def test_superuser_can_view_but_not_add_change_or_delete(client, make_user, audit_rows, model):
    obj = audit_rows[model]
    client.force_login(make_user("admin"))
    base = f"/admin/{model}/"
    count = type(obj).objects.count()
    assert client.get(base).status_code == 200  # the changelist works
    assert client.get(f"{base}{obj.pk}/change/").status_code == 200  # a read-only view of one record
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}add/", {}).status_code == 403
    assert client.post(f"{base}{obj.pk}/change/", {}).status_code == 403
    assert client.get(f"{base}{obj.pk}/delete/").status_code == 403
    assert client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    resp = client.post(base, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert resp.status_code in (200, 302)
    assert type(obj).objects.count() == count  # nothing deleted through the bulk action either


def test_access_records_and_security_events_are_append_only_in_the_orm(audit_rows):
    for key in ("core/accessrecord", "core/securityevent"):
        obj = audit_rows[key]
        obj.at = timezone.now() - dt.timedelta(days=400)  # back-dating is exactly what must not happen
        with pytest.raises(AppendOnlyError):
            obj.save()
        with pytest.raises(AppendOnlyError):
            obj.delete()
        with pytest.raises(AppendOnlyError):
            type(obj).objects.filter(pk=obj.pk).update(at=timezone.now())
        with pytest.raises(AppendOnlyError):
            type(obj).objects.filter(pk=obj.pk).delete()
        assert type(obj).objects.filter(pk=obj.pk).exists()


def test_printable_fast_path_never_hides_an_invisible_character():
    """invisible_chars skips strings for which str.isprintable() holds: no code point that is printable may
    fall in an invisible category (checked over all of Unicode, so a new Python's tables cannot break it)."""
    from jinfu.core.text import INVISIBLE_CATEGORIES

    leaks = [
        hex(cp)
        for cp in range(0x110000)
        if chr(cp).isprintable() and unicodedata.category(chr(cp)) in INVISIBLE_CATEGORIES
    ]
    assert leaks == []
    assert invisible_chars(f"重庆科技{chr(0xE000)}") == [(5, chr(0xE000))]  # private use: not printable

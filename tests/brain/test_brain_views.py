"""Brain pages: who may open what, the actual-value form, and the Word/Excel monitoring report."""

from __future__ import annotations

import io
import re

import pytest

from jinfu.brain.models import Actual, Indicator, MonitoringReport
from jinfu.core.models import Organization

PAGES = [
    "/brain/",
    "/brain/plans/000/",
    "/brain/indicators/000-I01/",
    "/brain/compare/",
    "/brain/index/",
    "/brain/tasks/",
    "/brain/tasks/000-T01/",
    "/brain/reports/",
    "/brain/actuals/import/",
]


@pytest.fixture
def plans(db):
    from jinfu.brain.loader import load_plans

    load_plans()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def gov_org(division: str, name: str) -> Organization:
    return Organization.objects.create(kind=Organization.Kind.GOVERNMENT, name=name, division_id=division)


def user_for(role: str, make_user):
    if role == "anonymous":
        return None
    if role == "gov_nanan":
        return make_user("government", org=gov_org("500108", "南岸区金融办"))
    if role == "gov_yuzhong":
        return make_user("government", org=gov_org("500103", "渝中区金融办"))
    if role == "gov_city":
        return make_user("government", org=gov_org("500000", "重庆市地方金融管理局"))
    return make_user(role)


def _all(status: int) -> dict[str, int]:
    return dict.fromkeys(PAGES, status)


EXPECTED = {
    "enterprise": _all(403),
    "institution": _all(403),
    "gov_nanan": _all(200),
    "gov_yuzhong": {**_all(200), "/brain/tasks/000-T01/": 404},
    # the import of actuals is offered only to an office that edits a plan (brain.permissions)
    "gov_city": {**_all(200), "/brain/actuals/import/": 403},
    "regulator": {**_all(200), "/brain/actuals/import/": 403},
    "admin": _all(200),
}


def test_anonymous_is_sent_to_login(client, plans):
    for url in PAGES:
        resp = client.get(url)
        assert resp.status_code == 302, url
        assert resp["Location"].startswith("/accounts/login/"), url
        assert "next=" in resp["Location"]


@pytest.mark.parametrize("role", list(EXPECTED))
def test_permission_matrix(client, make_user, plans, role):
    client.force_login(user_for(role, make_user))
    got = {url: client.get(url).status_code for url in PAGES}
    assert got == EXPECTED[role]


def test_overview_shows_all_five_plans(client, make_user, plans):
    client.force_login(user_for("gov_nanan", make_user))
    html = client.get("/brain/").content.decode()
    assert sorted(set(re.findall(r'data-plan="(\d{3})"', html))) == ["000", "001", "002", "003", "004"]
    assert "/brain/indicators/000-I01/" in html


def test_yuzhong_task_board_lists_only_its_plans(client, make_user, plans):
    client.force_login(user_for("gov_yuzhong", make_user))
    html = client.get("/brain/tasks/").content.decode()
    assert "003-T01" in html
    assert "000-T01" not in html


def test_unknown_plan_and_indicator_are_404(client, make_user, plans):
    client.force_login(user_for("gov_city", make_user))
    assert client.get("/brain/plans/999/").status_code == 404
    assert client.get("/brain/indicators/000-I99/").status_code == 404


# ---------------------------------------------------------------------------
# The actual-value form on the indicator page
# ---------------------------------------------------------------------------

FORM = {"year": "2023", "period_kind": "year", "period": "0", "source": "区统计局年报", "note": ""}


def test_form_is_offered_only_to_editors(client, make_user, plans):
    client.force_login(user_for("gov_nanan", make_user))
    assert 'name="value"' in client.get("/brain/indicators/000-I01/").content.decode()
    client.force_login(user_for("gov_yuzhong", make_user))
    assert 'name="value"' not in client.get("/brain/indicators/000-I01/").content.decode()


def test_post_valid_actual(client, make_user, plans):
    user = user_for("gov_nanan", make_user)
    client.force_login(user)
    resp = client.post("/brain/indicators/000-I01/", {**FORM, "value": "0.03", "unit": "万亿元"})
    assert resp.status_code == 302
    assert resp["Location"] == "/brain/indicators/000-I01/"
    a = Actual.objects.get(indicator__code="000-I01", year=2023)
    assert a.value == pytest.approx(300.0) and a.entered_by == user and a.is_current
    page = client.get(resp["Location"]).content.decode()
    assert "区统计局年报" in page and "0.03 万亿元" in page


def test_post_invalid_actual_is_422_with_message(client, make_user, plans):
    client.force_login(user_for("gov_nanan", make_user))
    resp = client.post("/brain/indicators/000-I01/", {**FORM, "value": "12", "unit": "家"})
    assert resp.status_code == 422
    html = resp.content.decode()
    assert "单位「家」与指标单位「亿元」不一致" in html
    assert not Actual.objects.exists()
    resp = client.post("/brain/indicators/000-I01/", {**FORM, "value": "很多", "unit": ""})
    assert resp.status_code == 422
    assert "数值不是有效的数字" in resp.content.decode()
    assert not Actual.objects.exists()


def test_post_actual_for_another_district_is_403(client, make_user, plans):
    for role in ("gov_yuzhong", "gov_city", "regulator"):
        client.force_login(user_for(role, make_user))
        resp = client.post("/brain/indicators/000-I01/", {**FORM, "value": "100", "unit": ""})
        assert resp.status_code == 403, role
    assert not Actual.objects.exists()


def test_import_page_rejects_bad_file_with_422(client, make_user, plans):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(user_for("gov_nanan", make_user))
    csv = "指标编码,年份,数值,单位,数据来源\n000-I01,2023,165,亿元,统计局\n000-I03,2023,x,家,统计局\n"
    upload = SimpleUploadedFile("a.csv", csv.encode(), content_type="text/csv")
    resp = client.post("/brain/actuals/import/", {"file": upload})
    assert resp.status_code == 422
    assert "第 3 行" in resp.content.decode()
    assert not Actual.objects.exists()
    upload = SimpleUploadedFile("a.csv", csv.splitlines(True)[0].encode() + csv.splitlines(True)[1].encode())
    resp = client.post("/brain/actuals/import/", {"file": upload})
    assert resp.status_code == 200
    assert Actual.objects.get(indicator__code="000-I01", year=2023).value == 165.0


# ---------------------------------------------------------------------------
# Monitoring report (Word + Excel)
# ---------------------------------------------------------------------------


@pytest.fixture
def report_job(client, make_user, plans, django_capture_on_commit_callbacks):
    user = user_for("gov_nanan", make_user)
    ind = Indicator.objects.get(code="000-I01")
    Actual.objects.create(
        indicator=ind,
        year=2023,
        value=160.0,
        unit="亿元",
        entered_value=160.0,
        entered_unit="亿元",
        source="示例",
        channel="demo",
        is_synthetic=True,
    )
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        resp = client.post("/brain/reports/", {"plan": "000", "year": "2024"})
    assert resp.status_code == 302
    assert len(callbacks) >= 1
    job = MonitoringReport.objects.get()
    return user, job


def test_report_job_completes(report_job):
    _, job = report_job
    job.refresh_from_db()
    assert job.status == MonitoringReport.Status.DONE, job.message
    assert (job.plan.code, job.year) == ("000", 2024)
    assert job.docx and job.xlsx and job.finished_at is not None


def test_report_docx_content(report_job):
    from docx import Document

    _, job = report_job
    job.refresh_from_db()
    doc = Document(job.docx.path)
    title = doc.paragraphs[0].text
    assert "长嘉汇金融中心金融业发展规划（2021-2025年）" in title and "2024" in title
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "示例数据" in text and "合成数据" in text and "不是真实统计" in text
    table = doc.tables[0]
    n = Indicator.objects.filter(plan__code="000").count()
    assert n == 22
    assert len(table.rows) == 1 + n
    names = [row.cells[0].text for row in table.rows[1:]]
    assert names[0] == "金融业增加值（示例数据）"  # the synthetic actual is labelled in its row
    assert sum("示例数据" in name for name in names) == 1
    assert "近290亿元" in text  # the seed defect is listed


def test_report_docx_without_synthetic_data_has_no_note(
    client, make_user, plans, django_capture_on_commit_callbacks
):
    from docx import Document

    client.force_login(user_for("gov_nanan", make_user))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/brain/reports/", {"plan": "002", "year": "2023"})
    job = MonitoringReport.objects.get()
    assert job.status == "done", job.message
    doc = Document(job.docx.path)
    assert "合成数据" not in "\n".join(p.text for p in doc.paragraphs)
    assert len(doc.tables[0].rows) == 1 + 14  # 002 lists 7 indicators for 江北区 and 江北嘴 + 证券化水平


def test_report_xlsx_has_a_row_per_indicator(report_job):
    from openpyxl import load_workbook

    _, job = report_job
    job.refresh_from_db()
    wb = load_workbook(io.BytesIO(job.xlsx.read()))
    ws = wb["指标监测"]
    codes = [
        row[0] for row in ws.iter_rows(values_only=True) if row[0] and re.fullmatch(r"000-I\d\d", str(row[0]))
    ]
    assert codes == list(
        Indicator.objects.filter(plan__code="000").order_by("order").values_list("code", flat=True)
    )
    assert len(codes) == 22
    i01 = next(row for row in ws.iter_rows(values_only=True) if row[0] == "000-I01")
    assert i01[5] == 77.2 and i01[7] == 287 and i01[10] == 160.0  # base, target, latest actual
    assert i01[16] == "是"  # synthetic


def test_report_rejects_year_outside_plan(client, make_user, plans, django_capture_on_commit_callbacks):
    client.force_login(user_for("gov_nanan", make_user))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/brain/reports/", {"plan": "000", "year": "2030"})
    assert not MonitoringReport.objects.exists()


def test_report_download_permissions(client, make_user, report_job):
    user, job = report_job
    client.force_login(user)
    for fmt, magic in (("docx", b"PK"), ("xlsx", b"PK")):
        resp = client.get(f"/brain/reports/{job.pk}/{fmt}/")
        assert resp.status_code == 200
        assert b"".join(resp.streaming_content)[:2] == magic
        assert f".{fmt}" in resp["Content-Disposition"]
    assert client.get(f"/brain/reports/{job.pk}/pdf/").status_code == 404
    assert client.get(f"/brain/reports/{job.pk + 1000}/docx/").status_code == 404
    client.force_login(make_user("enterprise"))
    assert client.get(f"/brain/reports/{job.pk}/docx/").status_code in (403, 404)
    assert client.get(f"/brain/reports/{job.pk}/xlsx/").status_code in (403, 404)
    client.logout()
    assert client.get(f"/brain/reports/{job.pk}/docx/").status_code == 302


def test_task_board_checks_statuses_once_a_day(client, make_user, plans):
    """The board recomputes task statuses on its first view of the day only (the daily check's work);
    the later views read. A task that became overdue since yesterday shows overdue on today's first view."""
    import datetime as dt

    from django.utils import timezone

    from jinfu.brain.models import Task

    task = Task.objects.get(code="003-T01")
    task.status, task.progress, task.due_date = "on_track", 10, timezone.localdate() - dt.timedelta(days=1)
    task.save()
    client.force_login(user_for("gov_yuzhong", make_user))
    client.get("/brain/tasks/")
    task.refresh_from_db()
    assert task.status == "overdue"

    task.status = "on_track"  # as if set by a write that bypassed the services: the next view reads only
    task.save(update_fields=["status"])
    client.get("/brain/tasks/")
    task.refresh_from_db()
    assert task.status == "on_track"


def test_overview_grid_is_rendered_once_per_data_change(client, make_user, plans, monkeypatch):
    """The traffic-light grid is cached as rendered HTML per data version and kind of viewer: a second view
    neither computes nor renders it; any write to the brain's data shows on the next view."""
    from jinfu.brain import selectors
    from jinfu.brain.models import Plan

    client.force_login(user_for("gov_city", make_user))
    first = client.get("/brain/").content.decode()
    assert 'data-plan="000"' in first

    def refuse(*args, **kwargs):
        raise AssertionError("a cached grid must not be computed again")

    monkeypatch.setattr(selectors, "_plans_overview", refuse)
    grid = re.compile(r'data-plan="\w+"|class="cell [^"]+" href="[^"]+"')
    assert grid.findall(client.get("/brain/").content.decode()) == grid.findall(first)
    monkeypatch.undo()

    Plan.objects.filter(code="000").update(title="改过的规划标题")
    assert "改过的规划标题" in client.get("/brain/").content.decode()
    computed = []
    real = selectors._plans_overview
    monkeypatch.setattr(selectors, "_plans_overview", lambda *a: computed.append(a) or real(*a))
    client.force_login(user_for("gov_yuzhong", make_user))  # another jurisdiction: its own grid
    assert "改过的规划标题" in client.get("/brain/").content.decode()
    assert len(computed) == 1


def test_actuals_import_menu_follows_a_change_of_the_plans_districts(client, make_user, plans):
    """The menu's check is cached per jurisdiction and change of the plans: a plan newly covering the
    office's district offers it the import on the next page."""
    from jinfu.brain.models import Plan

    client.force_login(user_for("gov_yuzhong", make_user))
    for plan in Plan.objects.all():
        plan.divisions.remove("500103")
        plan.zones.clear()
    assert "/brain/actuals/import/" not in client.get("/brain/").content.decode()
    Plan.objects.get(code="000").divisions.add("500103")
    assert "/brain/actuals/import/" in client.get("/brain/").content.decode()


def test_task_board_is_rendered_once_per_change(client, make_user, plans, monkeypatch):
    """The board's groups are cached as rendered HTML per data version, viewer and plan filter: a second
    view neither reads nor renders them; a task's change shows on the next view."""
    from jinfu.brain import selectors
    from jinfu.brain.models import Task

    client.force_login(user_for("gov_yuzhong", make_user))
    first = client.get("/brain/tasks/").content.decode()
    assert 'data-task="003-T01"' in first

    def refuse(*args, **kwargs):
        raise AssertionError("a cached board must not be read again")

    monkeypatch.setattr(selectors, "task_board", refuse)
    rows = re.compile(r'data-task="[^"]+" data-status="[^"]+"')
    assert rows.findall(client.get("/brain/tasks/").content.decode()) == rows.findall(first)
    monkeypatch.undo()
    Task.objects.filter(code="003-T01").update(status="overdue")
    assert 'data-task="003-T01" data-status="overdue"' in client.get("/brain/tasks/").content.decode()
    other = client.get("/brain/tasks/?plan=003").content.decode()  # another filter: its own board
    assert 'data-task="003-T01"' in other


def test_a_year_outside_the_plans_is_the_default_year_and_an_unknown_plan_filter_is_404(
    client, make_user, plans
):
    client.force_login(user_for("gov_city", make_user))
    default = client.get("/brain/").content.decode()
    odd = client.get("/brain/?year=99999").content.decode()
    assert re.search(r"监测年份：(\d+)", odd).group(1) == re.search(r"监测年份：(\d+)", default).group(1)
    assert client.get("/brain/tasks/?plan=nope").status_code == 404
    assert client.get("/brain/tasks/?plan=003").status_code == 200

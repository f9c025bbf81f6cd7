"""Excel exports (jinfu.core.exports): each table page answers ?export=xlsx with exactly the rows it shows
(same selector, same filters), typed cells, a Chinese file name, formula-safe text, a record per export,
and nothing for a reader the table is not exported to."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jinfu.core import exports
from jinfu.core.models import Organization, SecurityEvent
from jinfu.policy import services as policy_services
from tests.factories import apply_to, make_product, set_profile
from tests.policy.test_policy_views import setup  # noqa: F401  (fixture)


def _sheet(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == exports.XLSX_TYPE
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    return rows[0], rows[1:], ws


def _export(client, url, **params):
    return client.get(url, {**params, "export": "xlsx"})


# ---------------------------------------------------------------------------
# the kernel
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=cmd()", "'=cmd()"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("正常", "正常")],
)
def test_text_that_would_run_as_a_formula_is_quoted(value, expected):
    assert exports.safe_text(value) == expected


def test_cells_are_typed_and_formula_text_stays_text():
    from decimal import Decimal

    table = exports.Table(
        "t.t",
        "测试表",
        (
            exports.Column("名称", lambda r: r[0]),
            exports.Column("金额（万元）", lambda r: r[1], "money"),
            exports.Column("日期", lambda r: r[2], "date"),
            exports.Column("人数", lambda r: r[3], "int"),
        ),
    )
    content, n = exports.workbook_bytes(table, [("=cmd()", Decimal("12.50"), dt.date(2026, 6, 1), -3)])
    ws = load_workbook(io.BytesIO(content)).active
    header, row = list(ws.iter_rows())[:2]
    assert [c.value for c in header] == ["名称", "金额（万元）", "日期", "人数"] and n == 1
    assert row[0].value == "'=cmd()" and row[0].data_type == "s"
    assert row[1].value == 12.5 and row[1].number_format == "#,##0.00"
    assert row[2].value == dt.datetime(2026, 6, 1) and row[2].is_date
    assert row[3].value == -3 and row[3].data_type == "n"  # a negative number is a number, not quoted


def test_content_disposition_carries_the_chinese_name():
    header = exports.content_disposition("揭榜大厅-20260630.xlsx", "financing-hall-20260630.xlsx")
    assert 'filename="financing-hall-20260630.xlsx"' in header
    assert unquote(header.split("filename*=UTF-8''")[1]) == "揭榜大厅-20260630.xlsx"


# ---------------------------------------------------------------------------
# pages: exactly the filtered rows the page shows
# ---------------------------------------------------------------------------


@pytest.fixture
def org_world(make_user, reference_data):
    gov = make_user("government")
    ents = [make_user("enterprise").organization for _ in range(3)]
    ents[0].name = "=cmd()重庆渝测科技有限公司"
    ents[0].save()
    return {"gov": gov, "ents": ents}


def _directory_names(user, **filters):
    from jinfu.core import selectors

    return sorted(o.name for o in selectors.visible_organizations(user, **filters))


@pytest.mark.parametrize(
    "filters", [{}, {"kind": "enterprise"}, {"kind": "institution"}, {"q": "渝测"}], ids=lambda f: str(f)
)
def test_directory_export_has_the_filtered_rows(org_world, client, filters):
    gov = org_world["gov"]
    client.force_login(gov)
    header, rows, _ws = _sheet(_export(client, reverse("org-list"), **filters))
    assert header[:3] == ("名称", "类型", "统一社会信用代码")
    names = sorted(r[0].removeprefix("'") for r in rows)
    assert names == _directory_names(gov, **filters) and rows is not None
    if filters.get("q"):
        assert [r[0] for r in rows] == ["'=cmd()重庆渝测科技有限公司"]  # neutralised, not a formula


def test_export_is_recorded_with_its_filters_and_row_count(org_world, client):
    client.force_login(org_world["gov"])
    _sheet(_export(client, reverse("org-list"), kind="enterprise", page="3"))
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXPORT)
    assert event.user == org_world["gov"] and event.detail["table"] == "core.organizations"
    assert event.detail["filters"] == {"kind": "enterprise"}  # the page number is not a filter
    assert event.detail["rows"] == Organization.objects.filter(kind="enterprise").count()


def test_the_page_links_to_its_export_with_the_current_filters(org_world, client):
    client.force_login(org_world["gov"])
    body = client.get(reverse("org-list"), {"kind": "enterprise", "q": "渝", "page": "1"}).content.decode()
    assert 'href="?kind=enterprise&amp;q=%E6%B8%9D&amp;export=xlsx" data-export="xlsx"' in body


@pytest.fixture
def bank_world(make_user, reference_data):
    inst = make_user("institution")
    other_inst = make_user("institution")
    ents = [make_user("enterprise") for _ in range(3)]
    product = make_product(inst)
    other_product = make_product(other_inst, name="他行经营贷")
    apps = [apply_to(e, product, amount=str(100 + i)) for i, e in enumerate(ents[:2])]
    foreign = apply_to(ents[2], other_product, amount="499")
    return {"inst": inst, "other_inst": other_inst, "apps": apps, "foreign": foreign}


def test_application_queue_export_holds_only_this_institutions_applications(bank_world, client):
    client.force_login(bank_world["inst"])
    header, rows, ws = _sheet(_export(client, reverse("financing:applications")))
    assert header[0] == "申请编号" and header[3] == "申请金额（万元）"
    assert sorted(r[0] for r in rows) == sorted(a.pk for a in bank_world["apps"])
    assert bank_world["foreign"].pk not in [r[0] for r in rows]
    assert sorted(r[3] for r in rows) == [100, 101]  # numbers, not text
    assert ws.cell(row=2, column=4).number_format == "#,##0.00"
    assert isinstance(ws.cell(row=2, column=8).value, dt.datetime)  # 申请时间 is a date-time cell
    client.force_login(bank_world["other_inst"])
    _h, rows, _ws = _sheet(_export(client, reverse("financing:applications")))
    assert [r[0] for r in rows] == [bank_world["foreign"].pk]


def test_demand_hall_export_shows_only_what_the_hall_shows(make_user, reference_data, client):
    from jinfu.financing import services as fin

    ent = make_user("enterprise")
    fin.create_demand(
        ent, amount="80", term_months=12, purpose='=HYPERLINK("x")', visible_fields=["industry"]
    )
    inst = make_user("institution")
    client.force_login(inst)
    header, rows, _ws = _sheet(_export(client, reverse("financing:hall")))
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["企业"] == "（未公开）" and row["营业收入（万元）"] is None  # not published, no grant
    assert row["资金用途"] == '\'=HYPERLINK("x")' and row["融资金额（万元）"] == 80


def test_policy_claims_export_follows_the_status_filter_and_jurisdiction(setup, client, make_user):  # noqa: F811
    second = make_user("enterprise")
    set_profile(second.organization, registered_capital=50000, paid_in_capital=30000)
    first = policy_services.submit_claim(setup["ent"], setup["item"].pk, materials=["营业执照"])
    other = policy_services.submit_claim(second, setup["item"].pk, materials=["营业执照"])
    policy_services.reject(setup["gov"], other.pk, note="材料不全")
    client.force_login(setup["gov"])
    _h, rows, _ws = _sheet(_export(client, reverse("policy:claims")))
    assert sorted(r[0] for r in rows) == sorted([first.pk, other.pk])
    _h, rows, _ws = _sheet(_export(client, reverse("policy:claims"), status="submitted"))
    assert [r[0] for r in rows] == [first.pk]
    _h, rows, _ws = _sheet(_export(client, reverse("policy:review")))
    assert [r[0] for r in rows] == [first.pk]
    # another district's office sees none of this district's claims
    elsewhere = make_user("government")
    elsewhere.organization.division_id = "500108"
    elsewhere.organization.save()
    client.force_login(elsewhere)
    _h, rows, _ws = _sheet(_export(client, reverse("policy:claims")))
    assert rows == []


def test_audit_export_is_for_operators_and_follows_the_kind(make_user, client):
    from jinfu.core.audit import record_event

    record_event("login", username="a")
    record_event("login_failed", username="=cmd()")
    admin = make_user("admin")
    client.force_login(admin)
    _h, rows, _ws = _sheet(_export(client, reverse("audit"), kind="login_failed"))
    assert [r[2] for r in rows] == ["'=cmd()"]


# ---------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "brain:tasks",
        "policy:review",
        "credit:distribution",
        "listing:reserve",
        "audit",
        "org-list",
        "imports:list",
    ],
)
def test_an_enterprise_gets_403_for_government_tables(make_user, reference_data, client, url_name):
    client.force_login(make_user("enterprise"))
    r = _export(client, reverse(url_name))
    assert r.status_code == 403
    assert r.get("Content-Type") != exports.XLSX_TYPE


def test_a_refused_export_is_recorded(make_user, reference_data, client):
    ent = make_user("enterprise")
    client.force_login(ent)
    assert _export(client, reverse("org-list")).status_code == 403
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EXPORT)
    assert event.detail["allowed"] is False and event.user == ent


@pytest.mark.parametrize(
    ("url_name", "args", "table"),
    [
        ("brain:tasks", [], "brain.tasks"),
        ("brain:plan", ["000"], "brain.indicators"),
        ("credit:distribution", [], "credit.distribution"),
        ("listing:reserve", [], "listing.reserve"),
        ("imports:list", [], "core.import_jobs"),
        ("policy:review", [], "policy.review"),
        ("policy:ledger", [], "policy.ledger"),
        ("financing:hall", [], "financing.hall"),
        ("audit", [], "core.audit.security"),
    ],
)
def test_every_wired_table_exports_for_the_operator(make_user, reference_data, client, url_name, args, table):
    from jinfu.brain.loader import load_plans

    load_plans()
    from jinfu.core.models import ImportJob

    admin = make_user("admin")
    ImportJob.objects.create(
        kind="enterprises", original_name="=企业.xlsx", file="imports/x.xlsx", created_by=admin
    )
    client.force_login(admin)
    page = client.get(reverse(url_name, args=args)).content.decode()
    assert 'data-export="xlsx"' in page  # the page offers its export
    r = _export(client, reverse(url_name, args=args))
    assert r.status_code == 200 and r["Content-Type"] == exports.XLSX_TYPE
    load_workbook(io.BytesIO(r.content))  # opens
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT).latest("at")
    assert event.detail["table"] == table and "filename*=UTF-8''" in r["Content-Disposition"]

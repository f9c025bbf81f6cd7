"""Listing statements import (listing/imports.py): the statement form's checks row by row — only the
enterprise itself or the operator, the form's field rules, the form's source (provenance) — and one
transaction: a file with any problem writes nothing."""

import random

import pytest
from django.utils import timezone

from jinfu.core.errors import Forbidden
from jinfu.core.models import Organization, SecurityEvent
from jinfu.core.reference.uscc import generate_uscc
from jinfu.listing import services
from jinfu.listing.featuresets import statement_facts
from jinfu.listing.models import FinancialStatement

pytestmark = pytest.mark.django_db
LAST = timezone.localdate().year - 1
HEADER = "统一社会信用代码,会计年度,营业收入（万元）,净利润（万元）,资产总额（万元）,净资产（万元）,经审计\n"


@pytest.fixture
def enterprises(make_user, reference_data):
    """Two enterprises with a USCC each, and a user of each."""
    rng = random.Random(7)
    users = [make_user("enterprise"), make_user("enterprise")]
    for u in users:
        Organization.objects.filter(pk=u.organization_id).update(
            uscc=generate_uscc("500103", rng), division_id="500103"
        )
        u.organization.refresh_from_db()
    return users


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def row(user, year=LAST, revenue=60000, profit=12000, assets=90000, net=50000, audited="否") -> str:
    return f"{user.organization.uscc},{year},{revenue},{profit},{assets},{net},{audited}"


def test_an_enterprise_imports_its_own_statements_as_self_reported(enterprises):
    ent, _other = enterprises
    out = services.import_statements(ent, csv(row(ent), row(ent, LAST - 1, audited="是")), "fs.csv")
    assert (out["rows"], out["created"], out["replaced"], out["problems"]) == (2, 2, 0, [])
    written = FinancialStatement.objects.filter(enterprise=ent.organization).order_by("-year")
    assert [(s.year, s.revenue, s.source, s.audited, s.created_by_id) for s in written] == [
        (LAST, 60000, "self_reported", False, ent.pk),
        (LAST - 1, 60000, "self_reported", False, ent.pk),
    ]
    # as a form entry: 自报 never offers the shared revenue fact
    assert statement_facts([ent.organization_id], timezone.localdate()).collect().height == 0
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.IMPORT).latest("pk")
    assert event.detail["import_kind"] == "listing.statements" and event.detail["file"] == "fs.csv"


def test_the_operator_imports_any_enterprise_as_imported_and_it_ranks_as_the_form_entry(
    enterprises, make_user
):
    ent, other = enterprises
    admin = make_user("admin")
    out = services.import_statements(admin, csv(row(ent), row(other, revenue=700, audited="是")), "fs.csv")
    assert (out["created"], out["problems"]) == (2, [])
    got = {s.enterprise_id: (s.source, s.audited) for s in FinancialStatement.objects.all()}
    assert got == {ent.organization_id: ("import", False), other.organization_id: ("import", True)}
    facts = _fact_sources()
    assert facts[(ent.organization_id, "revenue")] == "statements_import"
    assert facts[(other.organization_id, "revenue")] == "audited"
    # the same statements entered through the form by the operator rank identically
    FinancialStatement.objects.all().delete()
    data = {"year": LAST, "revenue": 60000, "net_profit": 12000, "total_assets": 90000, "source": "import"}
    services.save_statement(admin, data, enterprise_pk=ent.organization_id)
    services.save_statement(admin, {**data, "audited": True}, enterprise_pk=other.organization_id)
    assert _fact_sources() == facts


def test_an_enterprise_row_for_another_enterprise_is_refused_and_nothing_is_written(enterprises):
    ent, other = enterprises
    out = services.import_statements(ent, csv(row(ent), row(other)), "fs.csv")
    assert [(p["row"], p["field"], p["rule"], p["value"]) for p in out["problems"]] == [
        (3, "uscc", "permission.own", other.organization.uscc)
    ]
    assert "只能导入本企业的财务报表" in out["problems"][0]["message_zh"]
    assert "own enterprise" in out["problems"][0]["message_en"]
    assert not FinancialStatement.objects.exists()


def test_an_unknown_enterprise_is_a_problem_of_its_row(enterprises, make_user):
    unknown = generate_uscc("500103", random.Random(99))
    out = services.import_statements(make_user("admin"), csv(f"{unknown},{LAST},1,1,2,1,否"), "fs.csv")
    assert [(p["row"], p["rule"]) for p in out["problems"]] == [(2, "enterprise.unknown")]


@pytest.mark.parametrize("role", ["institution", "government", "regulator"])
def test_only_enterprises_and_the_operator_import_statements(enterprises, make_user, role):
    with pytest.raises(Forbidden):
        services.import_statements(make_user(role), csv(row(enterprises[0])), "fs.csv")
    assert not FinancialStatement.objects.exists()


def test_the_form_rules_apply_to_every_row_and_one_bad_row_writes_nothing(enterprises):
    ent, _other = enterprises
    rows = (row(ent), row(ent, LAST + 1), row(ent, LAST - 2, assets=100, net=200))
    out = services.import_statements(ent, csv(*rows), "fs.csv")
    problems = [(p["row"], p["field"], p["rule"]) for p in out["problems"]]
    assert problems == [(3, "year", "statement.invalid"), (4, "net_assets", "statement.invalid")]
    assert "尚未结束" in out["problems"][0]["message_zh"]
    assert "净资产不能大于资产总额" in out["problems"][1]["message_zh"]
    assert not FinancialStatement.objects.exists()


def test_a_year_already_entered_is_replaced_as_in_the_form(enterprises):
    ent, _other = enterprises
    services.save_statement(ent, {"year": LAST, "revenue": 1, "net_profit": 1})
    out = services.import_statements(ent, csv(row(ent, revenue=5000)), "fs.csv")
    assert (out["created"], out["replaced"]) == (0, 1)
    assert FinancialStatement.objects.get(enterprise=ent.organization, year=LAST).revenue == 5000


def test_a_dry_run_writes_nothing(enterprises):
    ent, _other = enterprises
    out = services.import_statements(ent, csv(row(ent)), "fs.csv", dry_run=True)
    assert (out["rows"], out["problems"]) == (1, []) and not FinancialStatement.objects.exists()


def _fact_sources() -> dict:
    """(enterprise, fact) → the source the statements offer it from."""
    frame = statement_facts(None, timezone.localdate()).collect()
    return {(r[0], r[1]): r[3] for r in frame.iter_rows()}


def test_an_enterprise_cannot_probe_which_usccs_are_on_the_platform(enterprises):
    """An enterprise does not see other enterprises (Organization.visible_to): a row naming another USCC
    is refused the same way whether that enterprise is registered or not, so the import is no oracle."""
    ent, other = enterprises
    unregistered = generate_uscc("500103", random.Random(99))
    assert not Organization.objects.filter(uscc=unregistered).exists()
    out = services.import_statements(
        ent, csv(row(other), row(ent).replace(ent.organization.uscc, unregistered)), "fs.csv"
    )
    answers = [(p["row"], p["rule"], p["message_zh"], p["message_en"]) for p in out["problems"]]
    assert [a[:2] for a in answers] == [(2, "permission.own"), (3, "permission.own")]
    assert answers[0][2].replace("第 2 行", "第 3 行") == answers[1][2]  # the same words but the row

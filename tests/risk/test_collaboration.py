"""Three-party collaboration on a case (tasks for the offices the routing named, replies, notes) and evidence
files on a case (core attachments: type from content, parties = the case's regulators by jurisdiction)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jinfu.core import attachments
from jinfu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from jinfu.core.models import Organization
from jinfu.risk import cases, collaboration, services
from jinfu.risk.models import CaseNote, CaseTask

from .test_services import _ent, _ring, regulator  # noqa: F401

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def case(regulator):  # noqa: F811
    cases.replace_routing(
        regulator,
        [
            {"kind": "街镇", "match": "解放碑街道", "target": "解放碑街道网格", "forward_to": ""},
            {"kind": "行业", "match": "A", "target": "区农业农村委", "forward_to": ""},
        ],
    )
    firms = _ring(regulator)
    services.recompute()
    return cases.open_case(regulator, firms[0].pk)


@pytest.fixture
def other_regulator(make_user, reference_data):
    org = Organization.objects.create(
        kind=Organization.Kind.GOVERNMENT, name="江北区处非办", division_id="500105"
    )
    return make_user("regulator", org=org)


def test_a_task_goes_to_the_office_the_routing_named_and_is_completed_with_a_reply(regulator, case):  # noqa: F811
    assert case.street_office == "解放碑街道网格"
    task = collaboration.add_task(
        regulator, case.pk, party="street", title="上门核实经营场所", workdays_due=3
    )
    assert task.office == "解放碑街道网格" and task.status == "open" and task.due > case.created_at.date()
    with pytest.raises(ValidationFailed) as exc:
        collaboration.complete_task(regulator, case.pk, task.pk, reply="")
    assert exc.value.field == "reply"
    done = collaboration.complete_task(regulator, case.pk, task.pk, reply="场所已人去楼空，房东称已退租")
    assert done.status == "done" and done.done_by == regulator
    with pytest.raises(Conflict):
        collaboration.complete_task(regulator, case.pk, task.pk, reply="再次办结一次")
    note = collaboration.add_note(regulator, case.pk, text="与网格员电话确认", task_pk=task.pk)
    assert note.task == task and note.author_org == regulator.organization


def test_a_party_the_routing_did_not_name_is_refused(regulator, case):  # noqa: F811
    case.industry_office = ""
    case.save(update_fields=["industry_office"])
    with pytest.raises(ValidationFailed) as exc:
        collaboration.add_task(regulator, case.pk, party="industry", title="行业核查")
    assert exc.value.field == "party" and "分派规则" in exc.value.message_zh
    with pytest.raises(ValidationFailed) as exc:
        collaboration.add_task(regulator, case.pk, party="street", title="x" * 201)
    assert exc.value.field == "title"
    with pytest.raises(ValidationFailed) as exc:
        collaboration.add_task(regulator, case.pk, party="street", title="核查", workdays_due="abc")
    assert exc.value.field == "workdays"
    assert CaseTask.objects.count() == 0


def test_another_district_and_other_roles_cannot_collaborate(regulator, case, other_regulator, make_user):  # noqa: F811
    with pytest.raises(NotFound):
        collaboration.add_task(other_regulator, case.pk, party="street", title="上门核实")
    with pytest.raises(NotFound):
        collaboration.add_note(other_regulator, case.pk, text="看看")
    with pytest.raises(Forbidden):
        collaboration.add_note(make_user("enterprise"), case.pk, text="看看")
    assert CaseNote.objects.count() == 0


def test_a_closed_case_takes_no_more_tasks(regulator, case):  # noqa: F811
    cases.transition(regulator, case.pk, "verify")
    cases.transition(regulator, case.pk, "exclude", outcome="excluded", reason="核查后未发现集资行为")
    with pytest.raises(Conflict):
        collaboration.add_task(regulator, case.pk, party="street", title="上门核实")


def test_case_page_assigns_a_task_and_shows_the_error_on_bad_input(client, regulator, case):  # noqa: F811
    client.force_login(regulator)
    r = client.post(reverse("risk:case_task_add", args=[case.pk]), {"party": "street", "title": "x"})
    assert r.status_code == 422 and "任务内容" in r.content.decode()
    r = client.post(
        reverse("risk:case_task_add", args=[case.pk]),
        {"party": "street", "title": "上门核实", "workdays": "5"},
    )
    assert r.status_code == 302
    page = client.get(reverse("risk:case", args=[case.pk])).content.decode()
    assert "解放碑街道网格" in page and "上门核实" in page and 'id="attachments"' in page


def test_api_assigns_and_lists_tasks(client, regulator, case):  # noqa: F811
    client.force_login(regulator)
    url = f"/api/v1/risk/cases/{case.pk}/tasks"
    r = client.post(
        url, {"party": "industry", "title": "行业主管部门核查资质"}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["tasks"][0]["office"] == "区农业农村委"
    r = client.post(url, {"party": "nobody", "title": "x"}, content_type="application/json")
    assert r.status_code == 422 and "party" in r.content.decode()


def test_evidence_files_on_a_case_for_its_regulators_only(regulator, case, other_regulator, make_user):  # noqa: F811
    att = attachments.upload(
        regulator, "risk.case", case.pk, "evidence", SimpleUploadedFile("宣传单.pdf", PDF)
    )
    assert att.kind == "evidence" and att.organization == regulator.organization
    assert [a.pk for a in attachments.list_for(regulator, "risk.case", case.pk)] == [att.pk]
    for outsider in (other_regulator, make_user("enterprise"), make_user("institution")):
        with pytest.raises((NotFound, Forbidden)):
            attachments.open_attachment(outsider, att.pk)
    with pytest.raises(ValidationFailed) as exc:  # HTML named .pdf
        attachments.upload(
            regulator, "risk.case", case.pk, "evidence", SimpleUploadedFile("x.pdf", b"<html>hi</html>")
        )
    assert exc.value.code == "file_content"
    with pytest.raises((NotFound, Forbidden)):
        attachments.upload(
            other_regulator, "risk.case", case.pk, "evidence", SimpleUploadedFile("a.pdf", PDF)
        )

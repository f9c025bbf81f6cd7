"""行业主管部门 and 街镇 users on risk cases (issue 12 items 4, 8): a case routed to their office is on their own
board; they work the tasks given to their party (reply, notes, files) and see it on the timeline, but take no
transition, give no task, touch no other party's task and see no other office's case, no tip-off and no risk
score. docs/risk.md, "Who may do what on a case"."""

from __future__ import annotations

import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jinfu.core import attachments
from jinfu.core.errors import Conflict, Forbidden, NotFound
from jinfu.core.models import EnterpriseProfile, Industry, Organization
from jinfu.core.reference.uscc import generate_uscc
from jinfu.risk import cases, collaboration
from jinfu.risk.models import CaseEvent

from .test_services import regulator  # noqa: F401

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_n = iter(range(3000, 4000))
SECTOR, GRID = "渝中区商务委员会", "渝中区解放碑街道网格"


def _firm(industry="51", street="解放碑街道"):
    k = next(_n)
    org = Organization.objects.create(
        kind="enterprise",
        name=f"办案测试企业{k}",
        uscc=generate_uscc("500103", random.Random(k)),
        division_id="500103",
        address=f"重庆市渝中区{street}示例路{k}号",
    )
    EnterpriseProfile.objects.create(
        organization=org,
        legal_representative="甲",
        registered_capital=10,
        established_on="2020-01-01",
        industry=Industry.objects.filter(code__startswith=industry, level="class").order_by("code").first(),
    )
    return org


@pytest.fixture
def offices(regulator, make_user):  # noqa: F811
    cases.replace_routing(
        regulator,
        [
            {"kind": "行业", "match": "F", "target": SECTOR, "forward_to": ""},
            {"kind": "街镇", "match": "解放碑街道", "target": GRID, "forward_to": ""},
            {"kind": "街镇", "match": "七星岗街道", "target": "渝中区七星岗街道网格", "forward_to": ""},
        ],
    )
    sector_org = Organization.objects.create(
        kind="sector", name=SECTOR, division_id="500103", industries=["F"]
    )
    grid_org = Organization.objects.create(kind="street", name=GRID, division_id="500103")
    other_grid = Organization.objects.create(kind="street", name="渝中区七星岗街道网格", division_id="500103")
    return {
        "sector": make_user("sector", org=sector_org),
        "street": make_user("street", org=grid_org),
        "other_street": make_user("street", org=other_grid),
    }


def _case(regulator, firm):  # noqa: F811
    from jinfu.risk import services

    services.recompute()
    return cases.open_case(regulator, firm.pk, source="manual")


def test_a_routed_case_is_on_each_named_office_board_and_nowhere_else(regulator, offices):  # noqa: F811
    case = _case(regulator, _firm())
    assert case.industry_org.name == SECTOR and case.street_org.name == GRID
    for who in ("sector", "street"):
        assert [c.pk for c in cases.board(offices[who])["open"]] == [case.pk]
        assert cases.get_case(offices[who], case.pk) == case
    assert cases.board(offices["other_street"])["open"] == []
    with pytest.raises(NotFound):
        cases.get_case(offices["other_street"], case.pk)
    elsewhere = _case(regulator, _firm(industry="13", street="七星岗街道"))  # 制造业: no sector office
    assert elsewhere.industry_org is None
    assert [c.pk for c in cases.board(offices["sector"])["open"]] == [case.pk]


def test_an_office_works_its_own_task_but_cannot_move_the_case(
    regulator,  # noqa: F811
    offices,
    django_capture_on_commit_callbacks,
):
    from jinfu.core.models import Notification

    case = _case(regulator, _firm())
    with django_capture_on_commit_callbacks(execute=True):
        grid_task = collaboration.add_task(regulator, case.pk, party="street", title="上门核实经营场所")
    [notice] = Notification.objects.filter(kind="risk_case_task")
    assert notice.recipient == offices["street"] and notice.url == f"/risk/cases/{case.pk}/"
    assert "上门核实经营场所" in notice.title
    sector_task = collaboration.add_task(regulator, case.pk, party="industry", title="核查经营许可")
    street = offices["street"]
    with pytest.raises(Forbidden):
        collaboration.add_task(street, case.pk, party="street", title="自己给自己派任务")
    with pytest.raises(Forbidden):
        collaboration.complete_task(street, case.pk, sector_task.pk, reply="替商务委办结")
    with pytest.raises(Forbidden):
        collaboration.add_note(street, case.pk, text="就商务委的任务备注", task_pk=sector_task.pk)
    for action in ("verify", "exclude", "decide", "close"):
        with pytest.raises(Forbidden):
            cases.transition(street, case.pk, action, outcome="excluded", reason="网格认为可以排除")
    collaboration.add_note(street, case.pk, text="已约房东明日上午到场", task_pk=grid_task.pk)
    done = collaboration.complete_task(street, case.pk, grid_task.pk, reply="场所已人去楼空，房东称已退租")
    assert done.done_by == street and done.status == "done"
    notes = [e.note for e in CaseEvent.objects.filter(case=case, action="collab").order_by("pk")]
    assert notes == [
        f"{GRID}备注：已约房东明日上午到场",
        f"{GRID}办结任务「上门核实经营场所」：场所已人去楼空，房东称已退租",
    ]
    case.refresh_from_db()
    assert case.status == "discovered"  # the office's work moved nothing
    cases.transition(regulator, case.pk, "verify")
    cases.transition(regulator, case.pk, "exclude", outcome="excluded", reason="核查后未发现集资行为")
    with pytest.raises(Conflict):
        collaboration.complete_task(offices["sector"], case.pk, sector_task.pk, reply="结案后再办结")


def test_an_office_uploads_evidence_but_not_handling_documents(regulator, offices):  # noqa: F811
    case = _case(regulator, _firm())
    street = offices["street"]
    att = attachments.upload(street, "risk.case", case.pk, "verification", SimpleUploadedFile("v.pdf", PDF))
    assert att.organization.name == GRID
    with pytest.raises(Forbidden):
        attachments.upload(street, "risk.case", case.pk, "handling", SimpleUploadedFile("h.pdf", PDF))
    assert [a.pk for a in attachments.list_for(regulator, "risk.case", case.pk)] == [att.pk]
    with pytest.raises(NotFound):
        attachments.list_for(offices["other_street"], "risk.case", case.pk)


def test_pages_show_an_office_its_case_without_score_tipoffs_or_transitions(regulator, offices, client):  # noqa: F811
    firm = _firm()
    case = _case(regulator, firm)
    task = collaboration.add_task(regulator, case.pk, party="street", title="上门核实经营场所")
    cases.submit_tipoff(subject=firm.name, text="举报人称其亲属被拉去听保本高息讲座", ip="10.0.0.9")
    tip_case = cases.submit_tipoff(
        subject="某无名投资咨询部", text="楼下门店天天宣传月息两分的理财项目", ip="10.0.0.9"
    )
    tip_case = tip_case.case
    tip_case.street_org = offices["street"].organization
    tip_case.save(update_fields=["street_org"])
    client.force_login(offices["street"])
    assert "月息两分" not in client.get(reverse("risk:case", args=[tip_case.pk])).content.decode()
    home = client.get(reverse("home")).content.decode()
    assert "街镇网格工作台" in home and reverse("risk:cases") in home
    board = client.get(reverse("risk:cases")).content.decode()
    assert case.number in board and reverse("risk:routing") not in board
    page = client.get(reverse("risk:case", args=[case.pk])).content.decode()
    assert 'data-form="task-done"' in page and 'data-form="task-add"' not in page
    assert "data-action=" not in page and reverse("risk:firm", args=[firm.pk]) not in page
    assert reverse("risk:warnings") not in page
    assert "保本高息讲座" not in page  # a merged tip-off's words stay with the regulators
    r = client.post(reverse("risk:case_step", args=[case.pk]), {"action": "verify"})
    assert r.status_code == 403
    r = client.post(
        reverse("risk:case_task_done", args=[case.pk, task.pk]), {"reply": "已到场核实，正常经营"}
    )
    assert r.status_code == 302
    for name, args in (("risk:overview", []), ("risk:warnings", []), ("risk:firm", [firm.pk])):
        assert client.get(reverse(name, args=args)).status_code == 403
    client.force_login(offices["other_street"])
    assert client.get(reverse("risk:case", args=[case.pk])).status_code == 404
    assert client.get(f"/api/v1/risk/cases/{case.pk}").status_code == 404


def test_the_api_gives_an_office_its_cases_and_refuses_it_the_index(regulator, offices, client):  # noqa: F811
    case = _case(regulator, _firm())
    client.force_login(offices["sector"])
    r = client.get("/api/v1/risk/cases")
    assert r.status_code == 200
    assert [c["id"] for c in r.json()] == [case.pk]
    detail = client.get(f"/api/v1/risk/cases/{case.pk}").json()
    assert detail["actions"] == []  # no transition is offered to an office
    assert client.get("/api/v1/risk/warnings").status_code == 403
    assert client.get("/api/v1/risk/local-finance").status_code == 403


def test_the_demo_routes_the_shell_pawn_shop_to_the_street_grid(regulator, make_user):  # noqa: F811
    from jinfu.risk import demo
    from jinfu.risk.models import RoutingRule

    grid = Organization.objects.create(kind="street", name=demo.STREET_OFFICE, division_id="500103")
    street = make_user("street", org=grid)
    demo._demo_routing()
    assert RoutingRule.objects.filter(kind="industry", target=demo.SECTOR_OFFICE).count() == 3
    demo._demo_local_finance(random.Random(1))
    assert demo._demo_office_case() == 1 and demo._demo_office_case() == 0  # idempotent
    [case] = cases.board(street)["open"]
    assert case.is_synthetic and case.street_org == grid and "典当" in case.subject
    [task] = collaboration.board(street, case.pk)["tasks"]
    assert task.is_synthetic and task.workable and task.office == demo.STREET_OFFICE
    RoutingRule.objects.filter(kind="street").update(target="别的网格")
    demo._demo_routing()  # an entered table is never overwritten
    assert RoutingRule.objects.filter(target="别的网格").exists()

"""Case work on the workflow kernel, the routing table (loops refused by row), and public tip-offs (limits,
attachments that are not what they say, rate limit, duplicates merged, status by number only)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from jinfu.core.errors import Conflict, Forbidden, NotFound, TooManyRequests, ValidationFailed
from jinfu.core.models import Organization
from jinfu.risk import cases, services
from jinfu.risk.models import Case, CaseEvent, RoutingRule, Signal, TipOff

from .test_services import _ent, _ring, regulator  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate():
    cache.clear()


def test_routing_table_loop_is_refused_naming_row_and_field(regulator):  # noqa: F811
    rows = [
        {"kind": "街镇", "match": "解放碑街道", "target": "", "forward_to": "七星岗街道"},
        {"kind": "街镇", "match": "七星岗街道", "target": "", "forward_to": "解放碑街道"},
        {"kind": "行业", "match": "L", "target": "区商务委", "forward_to": ""},
        {"kind": "其他", "match": "x", "target": "y", "forward_to": ""},
    ]
    with pytest.raises(cases.RoutingRejected) as exc:
        cases.replace_routing(regulator, rows)
    msgs = [p["message_zh"] for p in exc.value.problems]
    assert msgs[0].startswith("第 2 行「转交至」：转交形成循环：解放碑街道 → 七星岗街道 → 解放碑街道")
    assert any(m.startswith("第 5 行「类型」") for m in msgs)
    assert RoutingRule.objects.count() == 0


def test_case_routed_worked_to_closed_with_timeline_and_outcome(regulator):  # noqa: F811
    cases.replace_routing(
        regulator,
        [
            {"kind": "街镇", "match": "解放碑街道", "target": "", "forward_to": "渝中区网格中心"},
            {"kind": "街镇", "match": "渝中区网格中心", "target": "解放碑街道网格", "forward_to": ""},
            {"kind": "行业", "match": "0111", "target": "区农业农村委", "forward_to": ""},
        ],
    )
    firms = _ring(regulator)
    services.recompute()
    case = cases.open_case(regulator, firms[0].pk)
    assert (
        case.status == "discovered" and case.street_office == "解放碑街道网格" and case.stage_due is not None
    )
    assert case.industry_office in ("区农业农村委", "")
    assert cases.open_case(regulator, firms[0].pk).pk == case.pk  # one open case per firm
    cases.transition(regulator, case.pk, "verify", expected_version=case.lock_version)
    with pytest.raises(Conflict):
        cases.transition(regulator, case.pk, "close", expected_version=0)
    with pytest.raises(ValidationFailed) as exc:
        cases.transition(regulator, case.pk, "decide", outcome="police", reason="")
    assert exc.value.field == "reason"
    cases.transition(
        regulator, case.pk, "decide", outcome="police", reason="涉嫌非法吸收公众存款，移送公安机关"
    )
    c = cases.transition(regulator, case.pk, "close")
    assert c.status == "closed" and c.outcome == "police"
    assert list(CaseEvent.objects.filter(case=c).values_list("to_status", flat=True)) == [
        "discovered",
        "verifying",
        "handling",
        "closed",
    ]


def test_other_district_regulator_and_enterprise_cannot_work_a_case(regulator, make_user):  # noqa: F811
    firms = _ring(regulator)
    services.recompute()
    case = cases.open_case(regulator, firms[0].pk)
    other = make_user(
        "regulator",
        org=Organization.objects.create(kind="government", name="江北处非办", division_id="500105"),
    )
    with pytest.raises(NotFound):
        cases.transition(other, case.pk, "verify")
    with pytest.raises(Forbidden):
        cases.board(make_user("enterprise", org=firms[0]))


def test_tipoff_limits_and_attachments_that_are_not_what_they_say(db):
    with pytest.raises(ValidationFailed) as exc:
        cases.submit_tipoff(subject="某公司", text="短")
    assert exc.value.field == "text"
    with pytest.raises(ValidationFailed):
        cases.submit_tipoff(subject="某公司", text="很" * 2001)
    with pytest.raises(ValidationFailed) as exc:
        cases.submit_tipoff(subject="某公司", text="啊" * 40)
    assert "垃圾" in exc.value.message_zh
    with pytest.raises(ValidationFailed) as exc:
        cases.submit_tipoff(
            subject="某公司", text="以养老项目名义吸收资金", attachment=("证据.pdf", b"MZ\x90\x00exe")
        )
    assert exc.value.field == "attachment" and "扩展名" in exc.value.message_zh
    with pytest.raises(ValidationFailed):
        cases.submit_tipoff(subject="某公司", text="以养老项目名义吸收资金", attachment=("a.exe", b"MZ"))
    assert TipOff.objects.count() == 0 and Case.objects.count() == 0


def test_tipoffs_on_one_firm_merge_into_one_case_and_status_shows_only_a_word(regulator):  # noqa: F811
    a = _ent(name="重庆示例养老服务有限公司")
    t1 = cases.submit_tipoff(
        subject=a.name,
        text="以养老公寓名义承诺年化15%",
        attachment=("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10),
        ip="1.2.3.4",
    )
    t2 = cases.submit_tipoff(subject=a.uscc, text="推销原始股，保本保息", ip="1.2.3.5")
    assert t1.case_id == t2.case_id and Case.objects.count() == 1
    assert Signal.objects.filter(enterprise=a, kind="tipoff").count() == 2
    assert cases.tipoff_status(t1.number) == "已受理"
    with pytest.raises(NotFound):
        cases.tipoff_status("JB00000000XXXXXX")


def test_tipoff_rate_limit(db):
    for i in range(cases.RATE[0]):
        cases.submit_tipoff(subject=f"某公司{i}", text="以理财名义吸收资金，承诺高额回报", ip="9.9.9.9")
    with pytest.raises(TooManyRequests):
        cases.submit_tipoff(subject="某公司", text="以理财名义吸收资金，承诺高额回报", ip="9.9.9.9")


def test_public_tipoff_form_without_login_and_case_pages(regulator, client):  # noqa: F811
    r = client.post(reverse("risk:tipoff"), {"subject": "某投资公司", "text": "在小区发传单，承诺月息2%"})
    assert r.status_code == 200
    number = TipOff.objects.get().number
    assert number in r.content.decode()
    r = client.get(reverse("risk:tipoff_status") + f"?number={number}")
    assert "已受理" in r.content.decode() and "某投资公司" not in r.content.decode()
    api = client.post(
        "/api/v1/risk/tipoffs", {"subject": "x公司", "text": "以区块链名义吸收资金，承诺高额回报"}
    )
    assert api.status_code == 200 and api.json()["number"].startswith("JB")
    client.force_login(regulator)
    case = Case.objects.filter(tipoffs__number=number).get()
    assert client.get(reverse("risk:cases")).status_code == 200  # a citywide-less case: not in 渝中's board
    r = client.post(reverse("risk:case_step", args=[case.pk]), {"action": "verify", "version": "0"})
    assert r.status_code == 404  # no division: only citywide regulators and the operator work it

"""Local financial organization supervision: the report importer (all or nothing, bad figures named by row and
field), ratios against the versioned rules (10× / 15× guarantee leverage), 空壳 / 失联 detection, the rating,
and who sees what."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from jinfu.core.errors import Forbidden, NotFound
from jinfu.core.models import Organization
from jinfu.core.reference.uscc import generate_uscc
from jinfu.risk import supervision
from jinfu.risk.models import LocalFinanceOrg, OrgReport

from .test_services import regulator  # noqa: F401

pytestmark = pytest.mark.django_db
_n = iter(range(500, 10_000))

HEAD = [
    "统一社会信用代码",
    "报告期末",
    "净资产（万元）",
    "资产总额（万元）",
    "实缴资本（万元）",
    "担保责任余额（万元）",
    "本期纳税（万元）",
    "社保缴纳人数",
]


def _org(kind="guarantee", division="500103", **kw) -> LocalFinanceOrg:
    k = next(_n)
    org = Organization.objects.create(
        kind=Organization.Kind.INSTITUTION,
        name=f"重庆示例{k}{LocalFinanceOrg.Kind(kind).label}",
        uscc=generate_uscc(division, random.Random(k)),
        division_id=division,
    )
    kw.setdefault(
        "officers",
        [
            {"name": "甲", "role": "董事长"},
            {"name": "乙", "role": "总经理"},
            {"name": "丙", "role": "财务负责人"},
        ],
    )
    return supervision.register(org, kind=kind, registered_capital=20000, paid_in_capital=20000, **kw)


def _csv(rows) -> bytes:
    return "\n".join(",".join(str(c) for c in r) for r in rows).encode("utf-8")


def _period() -> str:
    today = timezone.localdate()
    q_end = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - dt.timedelta(days=1)
    return q_end.isoformat()


def _report(org, net=10000, guarantee=50000, tax=100, staff=20):
    return [org.organization.uscc, _period(), net, net * 2, 20000, guarantee, tax, staff]


def test_guarantee_leverage_over_10x_is_a_breach_and_a_warning(regulator):  # noqa: F811
    over, ok, small = _org(), _org(), _org(serves_small_micro=True)
    res = supervision.import_reports(
        regulator,
        _csv([HEAD, _report(over, guarantee=120000), _report(ok), _report(small, guarantee=120000)]),
        "r.csv",
    )
    assert res["ok"] and res["written"] == 3
    rows = {r["org"].pk: r for r in supervision.board(regulator)["rows"]}
    assert rows[over.pk]["breaches"] == ["担保责任余额 / 净资产"]
    assert "违反监管指标：担保责任余额 / 净资产" in rows[over.pk]["warnings"]
    assert rows[ok.pk]["breaches"] == [] and rows[ok.pk]["warnings"] == []
    assert rows[small.pk]["breaches"] == []  # 12× is within the 15× for firms serving 小微/三农 (Art. 15)
    d = supervision.detail(regulator, over.pk)
    check = next(c for c in d["checks"] if c["rule"].id == "guarantee.leverage")
    assert check["value"] == 12.0 and check["bound"] == 10.0 and check["breach"]
    assert "第十五条" in check["rule"].source and check["rule"].verified == "primary"


def test_a_report_with_negative_capital_names_row_and_field_and_writes_nothing(regulator):  # noqa: F811
    a = _org()
    bad = _report(a)
    bad[4] = -500
    res = supervision.import_reports(regulator, _csv([HEAD, _report(_org()), bad]), "r.csv")
    assert not res["ok"] and res["written"] == 0
    assert [(e["row"], e["field"], e["rule"]) for e in res["errors"]] == [
        (3, "paid_in_capital", "range.negative")
    ]
    assert res["errors"][0]["message_zh"].startswith("第 3 行「实缴资本（万元）」")
    assert OrgReport.objects.count() == 0
    bigger = _report(a)
    bigger[2], bigger[3] = 30000, 20000
    res = supervision.import_reports(regulator, _csv([HEAD, bigger]), "r.csv")
    assert [(e["field"], e["rule"]) for e in res["errors"]] == [("net_assets", "risk.net_above_total")]


def test_missing_and_shell_organizations_are_detected(regulator):  # noqa: F811
    lost = _org(kind="microloan", address_reachable=False)  # no report, address unreachable → 失联
    shell = _org(kind="microloan")
    head = [
        "统一社会信用代码",
        "报告期末",
        "净资产（万元）",
        "资产总额（万元）",
        "实缴资本（万元）",
        "贷款余额（万元）",
        "本期纳税（万元）",
        "社保缴纳人数",
    ]
    supervision.import_reports(
        regulator, _csv([head, [shell.organization.uscc, _period(), 5000, 5000, 5000, 0, 0, 0]]), "r.csv"
    )
    rows = {r["org"].pk: r for r in supervision.board(regulator)["rows"]}
    assert rows[lost.pk]["status"] == "missing" and "经营地址无法联系" in rows[lost.pk]["flags"]
    assert rows[shell.pk]["status"] == "shell" and {"无纳税记录", "无社保缴纳人员"} <= set(
        rows[shell.pk]["flags"]
    )
    assert "疑似失联机构" in rows[lost.pk]["warnings"]
    assert [r["org"].pk for r in supervision.board(regulator, status="missing")["rows"]] == [lost.pk]
    assert rows[lost.pk]["grade"] == "D"


def test_an_institution_reports_for_itself_only(make_user, regulator):  # noqa: F811
    mine, other = _org(), _org()
    user = make_user("institution", org=mine.organization)
    res = supervision.import_reports(user, _csv([HEAD, _report(mine), _report(other)]), "r.csv")
    assert [(e["row"], e["rule"]) for e in res["errors"]] == [(3, "risk.unknown_org")]
    assert supervision.import_reports(user, _csv([HEAD, _report(mine)]), "r.csv")["written"] == 1
    with pytest.raises(Forbidden):
        supervision.board(user)


def test_other_districts_and_enterprises_see_nothing(regulator, make_user):  # noqa: F811
    far = _org(division="500105")
    assert far.pk not in [r["org"].pk for r in supervision.board(regulator)["rows"]]
    with pytest.raises(NotFound):
        supervision.detail(regulator, far.pk)
    with pytest.raises(Forbidden):
        supervision.board(make_user("enterprise"))
    with pytest.raises(Forbidden):
        supervision.import_reports(make_user("enterprise"), b"x", "r.csv")


def test_every_rule_carries_a_document_article_and_verification():
    p = supervision.params()
    assert {r.kind for r in p.rules} == {"guarantee", "microloan", "leasing", "pawn", "factoring"}
    for r in p.rules:
        assert r.source.startswith("《") and r.quote and r.verified in ("primary", "secondary")
    by_id = {r.id: r for r in p.rules}
    assert (by_id["guarantee.leverage"].max, by_id["guarantee.leverage"].max_small_micro) == (10, 15)
    assert (by_id["leasing.lease_assets"].min, by_id["leasing.risk_assets"].max) == (0.6, 8)
    assert (by_id["microloan.nonstandard_funding"].max, by_id["microloan.standard_funding"].max) == (1, 4)


def test_board_page_and_api(client, regulator, make_user):  # noqa: F811
    over = _org()
    supervision.import_reports(regulator, _csv([HEAD, _report(over, guarantee=120000)]), "r.csv")
    client.force_login(regulator)
    page = client.get(reverse("risk:local_finance")).content.decode()
    assert over.organization.name in page and "担保责任余额 / 净资产" in page
    detail = client.get(reverse("risk:local_finance_org", args=[over.pk])).content.decode()
    assert "第十五条" in detail and "12" in detail
    r = client.get("/api/v1/risk/local-finance")
    assert r.status_code == 200 and r.json()["rows"][0]["breaches"] == ["担保责任余额 / 净资产"]
    client.force_login(make_user("enterprise"))
    assert client.get(reverse("risk:local_finance")).status_code == 403
    assert client.get("/api/v1/risk/local-finance").status_code == 403


def test_demo_local_finance_shows_a_leveraged_guarantor_and_a_missing_lender(regulator, client):  # noqa: F811
    import random as _random

    from jinfu.risk.demo import _demo_local_finance

    assert _demo_local_finance(_random.Random(1)) == 5
    assert _demo_local_finance(_random.Random(1)) == 5  # idempotent
    rows = {r["org"].kind: r for r in supervision.board(regulator)["rows"]}
    assert rows["guarantee"]["breaches"] == ["担保责任余额 / 净资产"]
    assert rows["microloan"]["status"] == "missing" and rows["pawn"]["status"] == "shell"
    assert rows["leasing"]["warnings"] == [] and rows["factoring"]["warnings"] == []
    assert all(r["org"].is_synthetic and r["org"].organization.is_synthetic for r in rows.values())
    client.force_login(regulator)
    assert "示例数据" in client.get(reverse("risk:local_finance")).content.decode()

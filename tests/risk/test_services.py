"""Risk signals in, index out: imports all-or-nothing with row/field messages, the recompute batch, the
colour override, the feature registry, and who may see what."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.models import EnterpriseProfile, Industry, Organization, SecurityEvent
from jinfu.core.reference.uscc import generate_uscc
from jinfu.risk import selectors, services
from jinfu.risk.models import ColourOverride, Party, RiskScore, Signal

pytestmark = pytest.mark.django_db

_n = iter(range(1, 10_000))


def _ent(division="500103", address=None, name=None):
    import random

    k = next(_n)
    address = f"重庆市渝中区解放碑街道示例路{k}号" if address is None else address
    org = Organization.objects.create(
        kind=Organization.Kind.ENTERPRISE,
        name=name or f"风险测试企业{k}",
        uscc=generate_uscc(division, random.Random(k)),
        division_id=division,
        address=address,
    )
    EnterpriseProfile.objects.create(
        organization=org,
        legal_representative=f"法人{k}",
        registered_capital=100,
        established_on="2020-01-01",
        industry=Industry.objects.filter(level=Industry.Level.CLASS).order_by("code").first(),
    )
    return org


@pytest.fixture
def regulator(reference_data, make_user):
    org = Organization.objects.create(
        kind=Organization.Kind.GOVERNMENT, name="渝中区处非办", division_id="500103"
    )
    return make_user("regulator", org=org)


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode("utf-8")


def test_public_text_import_writes_signals_with_provenance(regulator):
    a = _ent()
    data = _csv(
        [
            ["统一社会信用代码", "渠道", "内容", "承诺年化收益率（%）", "日期"],
            [a.uscc, "广告", "保本保息 年化15%", "", "2026-06-01"],
        ]
    )
    res = services.import_signals(regulator, "public_text", data, "ads.csv", source="网信办舆情")
    assert res["ok"] and res["written"] == 1
    s = Signal.objects.get(enterprise=a)
    assert s.kind == "public_text" and s.batch.source == "网信办舆情" and s.batch.submitted_by == regulator
    assert SecurityEvent.objects.filter(kind="import", detail__action="risk_import").exists()


def test_a_bad_row_names_row_and_column_and_nothing_is_written(regulator):
    a = _ent()
    data = _csv(
        [
            ["统一社会信用代码", "渠道", "内容", "承诺年化收益率（%）", "日期"],
            [a.uscc, "广告", "正常的一行", "", "2026-06-01"],
            ["91500103MA5U000000", "广告", "x", "", "2026-06-01"],
            [a.uscc, "电视", "y", "-3", "2026-06-01"],
        ]
    )
    res = services.import_signals(regulator, "public_text", data, "ads.csv")
    assert not res["ok"] and res["written"] == 0
    msgs = [e["message_zh"] for e in res["errors"]]
    assert any(m.startswith("第 3 行「统一社会信用代码」") for m in msgs)
    assert any(m.startswith("第 4 行「渠道」") for m in msgs)
    assert any(m.startswith("第 4 行「承诺年化收益率（%）」") for m in msgs)
    assert all(e["message_en"] for e in res["errors"])
    assert Signal.objects.count() == 0


def test_enterprise_outside_the_jurisdiction_is_refused_by_row(regulator):
    other = _ent(division="500105", address="重庆市江北区观音桥街道1号")
    data = _csv([["统一社会信用代码", "类型", "内容", "日期"], [other.uscc, "投诉", "x", "2026-06-01"]])
    res = services.import_signals(regulator, "complaint", data, "c.csv")
    assert (
        res["errors"][0]["field"] == "enterprise_uscc"
        and res["errors"][0]["rule"] == "risk.unknown_enterprise"
    )


def test_oversized_text_is_refused(regulator):
    a = _ent()
    data = _csv([["统一社会信用代码", "类型", "内容", "日期"], [a.uscc, "举报", "骗" * 2001, "2026-06-01"]])
    res = services.import_signals(regulator, "complaint", data, "c.csv")
    assert res["errors"][0]["rule"] == "length.max" and res["errors"][0]["row"] == 2


def test_bank_alert_with_unknown_account_names_the_account_field(reference_data, make_user):
    bank = make_user("institution")
    a = _ent()
    Party.objects.create(enterprise=a, kind="account", value="5001000000000009")
    head = ["账号", "预警类型", "笔数", "金额（万元）", "日期", "说明"]
    ok_row = ["5001-0000-0000-0009", "大量个人小额转入", "320", "96", "2026-06-01", ""]
    bad = services.import_signals(
        bank,
        "bank_alert",
        _csv([head, ok_row, ["9999", "资金快进快出", "3", "1", "2026-06-01", ""]]),
        "b.csv",
    )
    assert [(e["row"], e["column"], e["rule"]) for e in bad["errors"]] == [
        (3, "账号", "risk.unknown_account")
    ]
    assert Signal.objects.count() == 0
    good = services.import_signals(bank, "bank_alert", _csv([head, ok_row]), "b.csv")
    assert good["written"] == 1 and Signal.objects.get().kind == "bank_alert"


def test_who_may_import_what(regulator, make_user):
    with pytest.raises(Forbidden):
        services.import_signals(regulator, "bank_alert", b"x", "b.csv")
    with pytest.raises(Forbidden):
        services.import_signals(make_user("enterprise"), "complaint", b"x", "c.csv")
    with pytest.raises(Forbidden):
        services.import_signals(make_user("institution"), "public_text", b"x", "c.csv")


def _ring(regulator):
    firms = [_ent() for _ in range(3)]
    for f in firms[:2]:
        Party.objects.create(enterprise=f, kind="legal_rep", value="同一人")
    rows = [["统一社会信用代码", "渠道", "内容", "承诺年化收益率（%）", "日期"]]
    rows += [
        [firms[0].uscc, "广告", "保本保息 原始股 养老 区块链 元宇宙 高额回报 年化18%", "", "2026-06-01"]
    ] * 50
    rows += [[firms[1].uscc, "广告", "年化9%", "", "2026-06-01"]]
    assert services.import_signals(regulator, "public_text", _csv(rows), "a.csv")["ok"]
    comp = [["统一社会信用代码", "类型", "内容", "日期"]] + [
        [firms[0].uscc, "举报", "集资", "2026-06-01"]
    ] * 10
    assert services.import_signals(regulator, "complaint", _csv(comp), "c.csv")["ok"]
    return firms


def test_recompute_scores_colours_network_and_feature_table(regulator):
    firms = _ring(regulator)
    counts = services.recompute()
    assert counts["red"] == 1
    red = RiskScore.objects.get(pk=firms[0].pk)
    assert red.colour == "red" and red.cluster_size == 2 and red.street == "解放碑街道"
    neighbour = RiskScore.objects.get(pk=firms[1].pk)
    assert neighbour.hop == 1 and neighbour.via_id == firms[0].pk
    assert neighbour.measures["pts_network"] == 5.0
    from jinfu.core import featureregistry
    from jinfu.core.features import feature_row

    row = feature_row(firms[0].pk)
    assert row["risk_colour"] == "red" and row["risk_index"] == float(red.index)
    risk_set = next(fs for fs in featureregistry.feature_sets() if fs.name == "risk")
    assert risk_set.scope == "regulator_only"


def test_override_needs_a_reason_and_is_audited(regulator):
    firms = _ring(regulator)
    services.recompute()
    with pytest.raises(ValidationFailed) as exc:
        services.override_colour(regulator, firms[2].pk, "yellow", " ")
    assert exc.value.field == "reason"
    services.override_colour(regulator, firms[2].pk, "yellow", "街镇走访发现线下推介会")
    s = RiskScore.objects.get(pk=firms[2].pk)
    assert s.colour == "yellow" and s.computed_colour == "green"
    assert SecurityEvent.objects.filter(
        detail__action="risk_override", detail__enterprise=firms[2].pk
    ).exists()
    from auditlog.models import LogEntry

    assert LogEntry.objects.get_for_model(ColourOverride).count() == 1
    services.recompute()  # the analyst's colour survives the next batch
    assert RiskScore.objects.get(pk=firms[2].pk).colour == "yellow"


def test_enterprises_never_see_a_risk_score_not_even_their_own(regulator, make_user, client):
    firms = _ring(regulator)
    services.recompute()
    owner = make_user("enterprise", org=firms[0])
    with pytest.raises(Forbidden):
        selectors.firm(owner, firms[0].pk)
    client.force_login(owner)
    assert client.get(reverse("risk:firm", args=[firms[0].pk])).status_code == 403
    assert client.get(f"/api/v1/risk/firms/{firms[0].pk}").status_code == 403
    bank = make_user("institution")
    client.force_login(bank)
    assert client.get("/api/v1/risk/warnings").status_code == 403


def test_district_regulator_sees_only_its_district(regulator):
    here, there = _ent(), _ent(division="500105", address="")
    services.recompute()
    assert selectors.score_for(regulator, here.pk)
    with pytest.raises(NotFound):
        selectors.score_for(regulator, there.pk)
    assert selectors.overview(regulator)["counts"]["green"] == 1


def test_pages_render_for_the_regulator(regulator, client):
    firms = _ring(regulator)
    services.recompute()
    client.force_login(regulator)
    r = client.get(reverse("risk:overview"))
    assert r.status_code == 200 and "解放碑街道" in r.content.decode()
    r = client.get(reverse("risk:warnings") + "?colour=red")
    assert firms[0].name in r.content.decode() and firms[2].name not in r.content.decode()
    r = client.get(reverse("risk:firm", args=[firms[0].pk]))
    body = r.content.decode()
    assert r.status_code == 200 and "<mark>保本保息</mark>" in body and "第二十五条" in body
    r = client.post(reverse("risk:override", args=[firms[0].pk]), {"colour": "green", "reason": ""})
    assert r.status_code == 422 and 'data-error-for="reason"' in r.content.decode()
    api = client.get(f"/api/v1/risk/firms/{firms[0].pk}").json()
    assert (
        api["colour"] == "red"
        and len(api["working"]) == 6
        and api["graph"]["links"][0]["label"] == "同一法定代表人"
    )


def test_demo_shows_every_colour_flagged_as_synthetic(regulator, client):
    from jinfu.risk.demo import build_risk_demo
    from jinfu.risk.models import SignalBatch

    for _ in range(21):
        Organization.objects.filter(pk=_ent().pk).update(is_synthetic=True)
    counts = build_risk_demo(seed=1)
    assert counts["red"] >= 1 and counts["yellow"] >= 1 and counts["green"] >= 1
    assert not SignalBatch.objects.filter(is_synthetic=False).exists()
    from jinfu.risk.models import Case

    assert set(Case.objects.filter(is_synthetic=True).values_list("status", flat=True)) == {
        "discovered",
        "verifying",
        "handling",
        "closed",
    }
    assert build_risk_demo(seed=1) == counts  # idempotent
    assert (
        Case.objects.count() == 5
    )  # one per state on flagged firms + the 空壳 pawn shop for the street grid
    client.force_login(regulator)
    assert "示例数据" in client.get(reverse("risk:overview")).content.decode()


def test_signal_files_go_through_the_importer_registry(regulator):
    """Each signal file is a registered importer; its row checks are Issues, its commit the registry's."""
    from jinfu.core.imports import registry

    assert {k for k in registry.importers() if k.startswith("risk.")} == {
        "risk.registration",
        "risk.public_text",
        "risk.complaint",
        "risk.hotline",
        "risk.bank_alert",
        "risk.org_reports",
    }
    mine, other = _ent(), _ent(division="500105", address="重庆市江北区观音桥街道1号")
    head = ["统一社会信用代码", "类型", "内容", "日期"]
    imp = registry.get("risk.complaint")
    res = registry.dry_run(
        imp, _csv([head, [other.uscc, "投诉", "x", "2026-06-01"]]), "c.csv", actor=regulator
    )
    assert [(e["row"], e["field"], e["rule"]) for e in res.errors] == [
        (2, "enterprise_uscc", "risk.unknown_enterprise")
    ]
    assert "不在您的辖区" in res.errors[0]["message_zh"] and res.errors[0]["message_en"]
    res = services.import_signals(
        regulator, "complaint", _csv([head, [mine.uscc, "投诉", "x", "2026-06-01"]]), "c.csv"
    )
    assert res["written"] == 1
    ev = SecurityEvent.objects.get(kind="import")
    assert (
        ev.detail["import_kind"] == "risk.complaint" and ev.detail["batch"] == Signal.objects.get().batch_id
    )


def test_overview_is_computed_once_per_change_of_the_scores(regulator, monkeypatch):
    """The overview's aggregates and the cluster list are read from the cache until a score changes."""
    firms = _ring(regulator)
    services.recompute()
    first = selectors.overview(regulator)
    first_clusters = selectors.clusters(regulator, limit=10)

    def refuse(*args, **kwargs):
        raise AssertionError("computed again without a change")

    monkeypatch.setattr(selectors, "_overview", refuse)
    monkeypatch.setattr(selectors, "_clusters", refuse)
    assert selectors.overview(regulator) == first
    assert [c["cluster"] for c in selectors.clusters(regulator, limit=10)] == [
        c["cluster"] for c in first_clusters
    ]
    monkeypatch.undo()
    RiskScore.objects.filter(enterprise=firms[0]).update(colour="green")
    assert selectors.overview(regulator)["counts"]["red"] == first["counts"]["red"] - 1

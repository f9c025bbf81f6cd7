"""数据大屏 (core/screen.py): panels come from the modules' contracts; sums over enterprises obey the
disclosure threshold; a district office sees its district; a panel without data is not shown; a later module
(e.g. risk) adds its colours through the same registry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from jinfu.core import screen
from jinfu.core.models import Organization
from jinfu.core.screen import Level, Panel
from jinfu.financing.models import Application
from tests.factories import make_product

NANAN, YUZHONG = "500108", "500103"


def _enterprise(division: str, n: int) -> Organization:
    return Organization.objects.create(
        kind="enterprise", name=f"大屏测试企业{division}-{n}", division_id=division
    )


def _loans(product, bank_org, division: str, amounts: list[str]) -> None:
    version = product.versions.order_by("-version").first()
    for i, amount in enumerate(amounts):
        Application.objects.create(
            enterprise=_enterprise(division, i),
            product=product,
            product_version=version,
            institution=bank_org,
            amount=Decimal(amount),
            term_months=12,
            purpose="采购原材料",
            status="disbursed",
            approved_amount=Decimal(amount),
            is_first_loan=i % 2 == 0,
        )


@pytest.fixture
def loans(make_user, reference_data):
    bank = make_user("institution")
    product = make_product(bank)
    _loans(product, bank.organization, NANAN, ["100.1"] * 12)  # 12 enterprises: shown
    _loans(product, bank.organization, YUZHONG, ["50"] * 3)  # 3 enterprises: below k = 10, withheld
    return product


def _gov(make_user, division: str | None):
    org = Organization.objects.create(kind="government", name=f"金融办{division}", division_id=division)
    return make_user("government", org=org)


def _panel(panels, key) -> Panel:
    return next(p for p in panels if p.key == key)


def test_city_sees_districts_ranked_and_small_districts_withheld(loans, make_user):
    panels = screen.panels_for(make_user("admin"))
    fin = _panel(panels, "financing")
    assert [(b.label, b.value) for b in fin.bars] == [("南岸区", pytest.approx(1201.2))]
    assert fin.notes == ("1 个区县不足 10 家企业或由单家企业主导，未单列",)
    figures = {f.label: f.value for f in fin.figures}
    assert figures["放款金额（累计）"] == "1,351.2"  # exact decimal sum, no float artefact
    assert figures["获贷企业"] == "15" and figures["放款笔数"] == "15"


def test_district_office_sees_its_district_only(loans, make_user):
    nanan = screen.panels_for(_gov(make_user, NANAN))
    fin = _panel(nanan, "financing")
    assert [b.label for b in fin.bars] == ["南岸区"]
    assert {f.label: f.value for f in fin.figures}["获贷企业"] == "12"
    # 渝中区 has 3 borrowers: every sum and count is withheld, and no bar is drawn
    yuzhong = _panel(screen.panels_for(_gov(make_user, YUZHONG)), "financing")
    assert {f.value for f in yuzhong.figures} == {"—"} and yuzhong.bars == ()


def test_dominated_group_is_withheld(make_user, reference_data):
    bank = make_user("institution")
    product = make_product(bank)
    _loans(product, bank.organization, NANAN, ["5000"] + ["10"] * 10)  # one enterprise holds 98%
    fin = _panel(screen.panels_for(make_user("admin")), "financing")
    assert fin.bars == () and {f.label: f.value for f in fin.figures}["放款金额（累计）"] == "—"


def test_panels_without_data_are_left_out(make_user, reference_data, client):
    admin = make_user("admin")
    assert [p.key for p in screen.panels_for(admin)] == []
    client.force_login(admin)
    body = client.get(reverse("screen")).content.decode()
    assert "data-screen-empty" in body and 'data-panel="' not in body


def test_a_later_module_adds_its_colours_through_the_registry(monkeypatch, make_user, client, reference_data):
    """A risk module declares a panel in its contract; core shows its levels without naming it."""

    def risk_panel(principal):
        return Panel(
            key="risk",
            title="风险监测",
            levels=(Level("红色预警", 2, "bad"), Level("黄色预警", 5, "warn"), Level("正常", 40, "good")),
        )

    monkeypatch.setattr(screen, "screen_panels", lambda: ["tests.core.test_screen:RISK"])
    monkeypatch.setattr(screen, "resolve", lambda path: risk_panel)
    admin = make_user("admin")
    client.force_login(admin)
    body = client.get(reverse("screen-panels")).content.decode()
    assert 'data-panel="risk"' in body
    assert '<li class="tone-bad"><span class="n">2</span> 红色预警</li>' in body


def test_screen_page_polls_its_panels_every_minute(loans, make_user, client):
    client.force_login(_gov(make_user, None))  # the city office
    body = client.get(reverse("screen")).content.decode()
    assert f'hx-get="{reverse("screen-panels")}" hx-trigger="every 60s"' in body
    assert "<script>" not in body  # CSP: no inline script
    assert "全市" in body and 'data-panel="financing"' in body

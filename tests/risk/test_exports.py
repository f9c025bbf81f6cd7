"""Excel exports of the warning list (with the page's filters) and the case board: the same rows as the page,
never another district's firms, recorded, and refused to enterprises and institutions."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jinfu.core.models import SecurityEvent
from jinfu.risk import cases, services

from .test_services import _ent, _ring, regulator  # noqa: F401

pytestmark = pytest.mark.django_db


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


@pytest.fixture
def world(regulator):  # noqa: F811
    firms = _ring(regulator)
    far = _ent(division="500105", address="重庆市江北区观音桥街道1号", name="江北区的企业")
    services.recompute()
    return firms, far


def test_warning_export_holds_the_filtered_rows_of_the_jurisdiction_only(client, regulator, world):  # noqa: F811
    firms, far = world
    client.force_login(regulator)
    rows = _sheet(client.get(reverse("risk:warnings") + "?colour=red&export=xlsx"))
    assert rows[0][:6] == ("企业", "统一社会信用代码", "区县", "街镇", "涉众风险指数", "预警颜色")
    assert [r[1] for r in rows[1:]] == [firms[0].uscc]
    assert rows[1][5] == "红色" and isinstance(rows[1][4], int | float) and rows[1][4] >= 70
    everything = _sheet(client.get(reverse("risk:warnings") + "?export=xlsx"))
    usccs = {r[1] for r in everything[1:]}
    assert {f.uscc for f in firms} <= usccs and far.uscc not in usccs
    ev = SecurityEvent.objects.filter(kind="export").order_by("pk").first()
    assert ev.detail["table"] == "risk.warnings" and ev.detail["rows"] == 1
    assert ev.detail["filters"] == {"colour": "red"}


def test_case_board_export_lists_the_jurisdictions_cases(client, regulator, world):  # noqa: F811
    firms, _far = world
    case = cases.open_case(regulator, firms[0].pk)
    client.force_login(regulator)
    rows = _sheet(client.get(reverse("risk:cases") + "?export=xlsx"))
    assert rows[0][0] == "案件编号" and [r[0] for r in rows[1:]] == [case.number]
    assert rows[1][3] == "发现"


@pytest.mark.parametrize("role", ["enterprise", "institution"])
def test_enterprises_and_institutions_get_403(client, make_user, world, role):
    client.force_login(make_user(role))
    for name in ("risk:warnings", "risk:cases"):
        r = client.get(reverse(name) + "?export=xlsx")
        assert r.status_code == 403 and not r["Content-Type"].startswith("application/vnd")

"""Green API: a bad project is a 422 naming the field in both languages and writes nothing; a good one comes
back identified with its carbon and the factor used; institutions cannot decide."""

import json

import pytest
from django.test import Client

from jinfu.green.models import GreenProject

from .test_green_services import solar, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _post(c, url, body):
    return c.post(url, json.dumps(body), content_type="application/json")


def test_submit_bad_unit_is_a_bilingual_422(world):  # noqa: F811
    body = solar(output_unit="kWh", annual_output="2200000")
    resp = _post(_client(world["ent"]), "/api/v1/green/projects", body)
    assert resp.status_code == 422
    err = resp.json()
    text = json.dumps(err, ensure_ascii=False)
    assert "output_unit" in text and "kWh" in text and "MWh" in text
    assert not GreenProject.objects.exists()


def test_submit_and_read_back_with_carbon(world):  # noqa: F811
    resp = _post(_client(world["ent"]), "/api/v1/green/projects", solar())
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["identification"][0]["item"] == "4" and data["identification"][0]["evidence"]
    assert data["carbon"]["factor_year"] == 2023 and data["carbon"]["factor_grid"] == "西南"
    assert float(data["carbon"]["value"]) == pytest.approx(543.84)
    bank = _client(world["bank"])
    assert _post(bank, f"/api/v1/green/projects/{data['id']}/decide", {"confirm": True}).status_code == 404
    admin = _client(world["admin"])
    assert _post(admin, f"/api/v1/green/projects/{data['id']}/decide", {"confirm": True}).status_code == 200
    assert (
        _post(
            admin, f"/api/v1/green/projects/{data['id']}/tier", {"tier": "pool", "publish": True}
        ).status_code
        == 200
    )
    claim = _post(bank, f"/api/v1/green/projects/{data['id']}/claim", {})
    assert claim.status_code == 201
    loan = _post(bank, f"/api/v1/green/loans/{claim.json()['id']}", {"amount": "600"})
    assert loan.status_code == 200
    assert float(loan.json()["carbon"]["value"]) == pytest.approx(543.84 * 600 / 1200)
    assert "碳减排支持工具" in loan.json()["carbon"]["working"]

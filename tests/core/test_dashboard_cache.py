"""Heavy dashboards (credit distribution, the brain's plan overview) are computed once per data change and
jurisdiction (jinfu.core.dataversion): a repeated request does not recompute, a write changes the next
answer, and an office never receives another jurisdiction's cached payload."""

from __future__ import annotations

import pytest

from jinfu.brain import selectors as brain_selectors
from jinfu.brain.models import Plan, Task
from jinfu.core.models import Organization
from jinfu.credit import selectors as credit_selectors
from jinfu.credit.models import FeatureSnapshot


def _gov(make_user, division: str, name: str):
    org = Organization.objects.create(kind=Organization.Kind.GOVERNMENT, name=name, division_id=division)
    return make_user("government", org=org)


def _enterprise(make_user, division: str, dishonest: bool):
    ent = make_user("enterprise")
    Organization.objects.filter(pk=ent.organization.pk).update(division_id=division)
    FeatureSnapshot.objects.create(enterprise=ent.organization, values={"dishonest_debtor": dishonest})
    return ent.organization


@pytest.fixture
def computed(monkeypatch):
    """Counts how often each dashboard is really computed."""
    calls = {"credit": 0, "brain": 0}
    for mod, name, key in (
        (credit_selectors, "_distributions", "credit"),
        (brain_selectors, "_plans_overview", "brain"),
    ):
        real = getattr(mod, name)

        def counting(*a, _real=real, _key=key, **kw):
            calls[_key] += 1
            return _real(*a, **kw)

        monkeypatch.setattr(mod, name, counting)
    return calls


def _dishonest(client, user) -> dict:
    client.force_login(user)
    r = client.get("/api/v1/credit/distribution")
    assert r.status_code == 200, r.content
    return {k: v["dishonest"] for k, v in r.json()["by_division"].items()}


def test_distribution_is_computed_once_per_data_change(client, make_user, reference_data, computed):
    gov = _gov(make_user, "500103", "渝中区金融办")
    org = _enterprise(make_user, "500103", dishonest=False)
    assert _dishonest(client, gov) == {"渝中区": 0}
    assert _dishonest(client, gov) == {"渝中区": 0}
    assert client.get("/credit/distribution/").status_code == 200
    assert computed["credit"] == 1
    FeatureSnapshot.objects.filter(enterprise=org).update(values={"dishonest_debtor": True})  # a bulk write
    assert _dishonest(client, gov) == {"渝中区": 1}
    _enterprise(make_user, "500103", dishonest=True)  # a new row
    assert _dishonest(client, gov) == {"渝中区": 2}
    assert computed["credit"] == 3


def test_a_district_never_sees_another_districts_cached_distribution(client, make_user, reference_data):
    yuzhong = _gov(make_user, "500103", "渝中区金融办")
    nanan = _gov(make_user, "500108", "南岸区金融办")
    city = _gov(make_user, "500000", "重庆市地方金融管理局")
    _enterprise(make_user, "500103", dishonest=True)
    _enterprise(make_user, "500108", dishonest=False)
    assert _dishonest(client, yuzhong) == {"渝中区": 1}
    assert _dishonest(client, nanan) == {"南岸区": 0}
    assert _dishonest(client, city) == {"渝中区": 1, "南岸区": 0}
    assert _dishonest(client, yuzhong) == {"渝中区": 1}


@pytest.fixture
def plans(db):
    from jinfu.brain.loader import load_plans

    load_plans()


def _plans(client, user) -> dict:
    client.force_login(user)
    r = client.get("/api/v1/brain/plans")
    assert r.status_code == 200, r.content
    return {p["code"]: p for p in r.json()}


def test_plans_overview_is_computed_once_per_data_change(client, make_user, plans, computed):
    city = _gov(make_user, "500000", "重庆市地方金融管理局")
    first = _plans(client, city)
    assert client.get("/brain/").status_code == 200
    assert _plans(client, city) == first
    assert computed["brain"] == 1
    plan = Plan.objects.order_by("code").first()
    plan.title = "新的规划名称"
    plan.save()
    assert _plans(client, city)[plan.code]["title"] == "新的规划名称"
    n = first[plan.code]["tasks"]
    Task.objects.create(plan=plan, code=f"{plan.code}-T99", title="新增任务")
    assert _plans(client, city)[plan.code]["tasks"] == n + 1
    assert computed["brain"] == 3


def test_a_district_never_sees_another_districts_cached_overview(client, make_user, plans):
    city = _gov(make_user, "500000", "重庆市地方金融管理局")
    yuzhong = _gov(make_user, "500103", "渝中区金融办")
    seen_by_city = _plans(client, city)
    seen_by_yuzhong = _plans(client, yuzhong)
    hidden = [code for code, p in seen_by_yuzhong.items() if p["tasks"] is None]
    assert hidden, "the seed plans include one whose task board 渝中区 does not see"
    assert all(seen_by_city[code]["tasks"] is not None for code in hidden)
    assert _plans(client, city) == seen_by_city
    assert _plans(client, yuzhong) == seen_by_yuzhong

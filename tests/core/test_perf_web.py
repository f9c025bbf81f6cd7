"""Web performance regressions (issue 14, load): the work a request does is bounded — an online-match cache
hit loads no catalog and runs no Polars, the demand hall checks consent in a fixed number of queries
whatever the number of demands — with every answer unchanged."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jinfu.core import features
from jinfu.core import services as core_services
from jinfu.core.apikeys import issue_key
from jinfu.core.models import AccessRecord
from jinfu.core.principal import as_principal
from jinfu.financing import engine, rulebook, selectors
from jinfu.financing.models import Product
from tests.factories import apply_to, make_product
from tests.financing.test_financing_demands import new_demand


def _key(org) -> dict:
    _, plaintext = issue_key(organization=org, name="核心系统", scopes=["financing:read"])
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


@pytest.fixture
def world(make_user, reference_data):
    bank = make_user("institution")
    ent = make_user("enterprise")  # 50 employees (tests/conftest.py)
    make_product(bank, name="人人可贷", eligibility_rule="employees >= 10")
    make_product(bank, name="大企业贷", eligibility_rule="employees >= 500")
    return {"bank": bank, "ent": ent, "auth": _key(ent.organization)}


def _refuse(*args, **kwargs):
    raise AssertionError("a cache hit must not load the catalog nor run the match")


def test_match_cache_hit_loads_no_catalog_runs_no_polars_and_reads_three_rows(world, monkeypatch):
    first = Client().get("/api/v1/financing/match", **world["auth"])
    assert first["X-Jinfu-Cache"] == "miss"
    monkeypatch.setattr(rulebook, "match_catalog", _refuse)
    monkeypatch.setattr(engine, "rank_for_enterprise", _refuse)
    monkeypatch.setattr(selectors, "_match", _refuse)
    with CaptureQueriesContext(connection) as queries:
        again = Client().get("/api/v1/financing/match", **world["auth"])
    assert again.status_code == 200 and again["X-Jinfu-Cache"] == "hit"
    assert again.json() == first.json()
    # the API key, the enterprise's open demand, the data versions (the product names are in the cached
    # result, which the catalog's version keys: the products are not read again)
    assert len(queries) == 3, [q["sql"][:120] for q in queries.captured_queries]


def test_match_page_hit_shows_the_same_products(world, monkeypatch):
    client = Client()
    client.force_login(world["ent"])
    first = client.get("/financing/match/")
    monkeypatch.setattr(rulebook, "match_catalog", _refuse)
    again = client.get("/financing/match/")
    assert again.status_code == 200
    for name in ("人人可贷", "大企业贷"):
        assert name in first.content.decode() and name in again.content.decode()


def _granted_demands(make_user, bank, n: int) -> list:
    """n enterprises, each granting ``bank`` basic and financials, each with one hidden-name demand."""
    out = []
    for _ in range(n):
        ent = make_user("enterprise")
        core_services.grant_access(
            ent,
            grantee=bank.organization,
            scopes=["basic", "financials"],
            purpose="credit_assessment",
            expires_at=timezone.now() + dt.timedelta(days=30),
        )
        out.append((ent, new_demand(ent, visible_fields=["industry"])))
    return out


def _hall_queries(bank) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.demand_hall(bank)
    return len(queries), rows


def test_demand_hall_checks_consent_in_a_fixed_number_of_queries(make_user, reference_data):
    bank = make_user("institution")
    _granted_demands(make_user, bank, 1)
    few, _ = _hall_queries(bank)
    many_demands = _granted_demands(make_user, bank, 6)
    before = AccessRecord.objects.count()
    many, rows = _hall_queries(bank)
    assert many == few  # not one grant query and one access record insert per demand and scope
    # every display of granted data is still checked and recorded: 7 demands × (basic, financials)
    assert AccessRecord.objects.count() - before == 14
    for ent, demand in many_demands:
        (row,) = [r for r in rows if r["demand"].pk == demand.pk]
        assert row["granted"] is True and row["facts"]["name"] == ent.organization.name
        assert row["facts"]["revenue"] == Decimal("3000")
        record = AccessRecord.objects.filter(enterprise=ent.organization, scope="basic").latest("at")
        assert record.allowed and record.accessor_org == bank.organization and record.purpose


def test_demand_hall_records_a_denied_read_for_a_key_without_the_data_scope(make_user, reference_data):
    bank = make_user("institution")
    ((ent, demand),) = _granted_demands(make_user, bank, 1)
    key, _ = issue_key(organization=bank.organization, name="核心系统", scopes=["financing:read"])
    (row,) = [r for r in selectors.demand_hall(as_principal(key)) if r["demand"].pk == demand.pk]
    assert row["granted"] is False and row["facts"]["name"] is None
    denied = AccessRecord.objects.filter(enterprise=ent.organization, allowed=False)
    assert sorted(denied.values_list("scope", flat=True)) == ["basic", "financials"]


def test_market_page_reads_the_enterprises_cached_feature_row(world, monkeypatch):
    client = Client()
    client.force_login(world["ent"])
    first = client.get("/financing/")
    assert first.status_code == 200
    monkeypatch.setattr(features, "feature_row", _refuse)  # computed once per change of the features
    monkeypatch.setattr(selectors, "feature_row", _refuse, raising=False)
    again = client.get("/financing/")
    assert again.status_code == 200
    for badge in ('data-eligible="yes"', 'data-eligible="no"'):
        assert again.content.decode().count(badge) == first.content.decode().count(badge) == 1


def test_credit_profile_page_reads_the_cached_feature_row(world, monkeypatch):
    client = Client()
    client.force_login(world["ent"])
    first = client.get("/credit/profile/")
    assert first.status_code == 200
    monkeypatch.setattr(features, "feature_rows", _refuse)  # figures and score from the cached row
    again = client.get("/credit/profile/")
    assert again.status_code == 200
    strip = re.compile(r'csrfmiddlewaretoken" value="[^"]*"|X-CSRFToken": "[^"]*"|nonce="[^"]*"')
    assert strip.sub("", again.content.decode()) == strip.sub("", first.content.decode())


def test_plan_permission_checks_on_prefetched_plans_cost_no_query(make_user, reference_data):
    from jinfu.brain.loader import load_plans
    from jinfu.brain.models import Plan
    from jinfu.brain.permissions import can_edit_plan
    from jinfu.core.models import Organization

    load_plans()
    office = Organization.objects.create(
        kind=Organization.Kind.GOVERNMENT, name="南岸区金融办", division_id="500108"
    )
    p = as_principal(make_user("government", org=office))
    assert p.jurisdiction.is_local
    plans = list(Plan.objects.prefetch_related("divisions", "zones").order_by("code"))
    with CaptureQueriesContext(connection) as queries:
        edits = [can_edit_plan(p, plan) for plan in plans]
    assert len(queries) == 0
    assert edits == [can_edit_plan(p, Plan.objects.get(pk=plan.pk)) for plan in plans]  # same answers


def test_platform_kpis_are_computed_once_per_data_change(world, make_user):
    admin = make_user("admin")
    first = selectors.kpis(admin)
    with CaptureQueriesContext(connection) as queries:
        again = selectors.kpis(admin)
    assert again == first
    assert not [q for q in queries.captured_queries if 'FROM "financing_application"' in q["sql"]]
    product = Product.objects.get(name="人人可贷")
    apply_to(world["ent"], product)  # a write to the applications: the next view counts it
    assert selectors.kpis(admin)["applications"] == first["applications"] + 1


def test_demand_hall_pages_and_records_only_the_demands_it_shows(make_user, reference_data):
    """The hall page shows 20 demands a page, the API a limit/offset slice with the total in X-Total-Count;
    consent is checked and recorded for the demands shown, not for the whole hall."""
    bank = make_user("institution")
    made = _granted_demands(make_user, bank, 23)
    newest_first = [d.pk for _ent, d in reversed(made)]  # same urgency: newest first
    client = Client()
    client.force_login(bank)
    before = AccessRecord.objects.count()
    first = client.get("/financing/hall/").content.decode()
    assert AccessRecord.objects.count() - before == 20 * 2  # 20 shown × (basic, financials)
    assert [int(x) for x in re.findall(r'data-demand="(\d+)"', first)] == newest_first[:20]
    assert "第 1 / 2 页，共 23 条" in first
    second = client.get("/financing/hall/?page=2").content.decode()
    assert [int(x) for x in re.findall(r'data-demand="(\d+)"', second)] == newest_first[20:]

    _key, plaintext = issue_key(organization=bank.organization, name="核心系统", scopes=["financing:read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    r = client.get("/api/v1/financing/demands/hall?limit=5&offset=20", **auth)
    assert r.status_code == 200 and r["X-Total-Count"] == "23"
    assert [row["id"] for row in r.json()] == newest_first[20:]
    for bad in ("limit=0", "limit=201", "offset=-1"):
        assert client.get(f"/api/v1/financing/demands/hall?{bad}", **auth).status_code == 422


def test_match_api_hit_names_a_renamed_product_by_its_new_name(world):
    """The API's cached result carries product names: renaming a product changes the catalog's version, so
    the next match is computed again and shows the new name."""
    first = Client().get("/api/v1/financing/match", **world["auth"]).json()
    product = Product.objects.get(name=first["results"][0]["product_name"])
    product.name = "改名后的产品"
    product.save()
    again = Client().get("/api/v1/financing/match", **world["auth"])
    assert again["X-Jinfu-Cache"] == "miss"
    assert "改名后的产品" in [r["product_name"] for r in again.json()["results"]]


def test_kpis_refuse_a_year_outside_the_platforms_range(make_user, reference_data):
    """A year like 50000 was a 500 (Python's dates end at 9999): now a 422 naming the field, and a 400 on
    the page."""
    gov = make_user("government")
    client = Client()
    client.force_login(gov)
    r = client.get("/api/v1/financing/kpis?year=50000")
    assert r.status_code == 422 and "year" in r.content.decode()
    assert client.get("/api/v1/financing/kpis?year=2025").status_code == 200
    assert client.get("/financing/kpis/?year=50000").status_code == 400


def test_market_grid_is_rendered_once_per_change_of_catalog_or_features(world, monkeypatch):
    """The market's grid is cached as HTML per enterprise, filters and data version: a second view reads no
    product; a new product, or a change of the enterprise's own figures (its eligibility), shows at once."""
    from jinfu.core.models import EnterpriseProfile

    client = Client()
    client.force_login(world["ent"])
    assert client.get("/financing/").content.decode().count('data-eligible="yes"') == 1
    monkeypatch.setattr(selectors, "catalog", _refuse)
    monkeypatch.setattr(selectors, "market_eligibility", _refuse)
    assert client.get("/financing/").content.decode().count('data-eligible="yes"') == 1
    monkeypatch.undo()

    EnterpriseProfile.objects.filter(organization=world["ent"].organization).update(employees=600)
    EnterpriseProfile.objects.get(organization=world["ent"].organization).save()  # the signalled write
    assert client.get("/financing/").content.decode().count('data-eligible="yes"') == 2
    make_product(world["bank"], name="新上架的产品", eligibility_rule="employees >= 10")
    body = client.get("/financing/").content.decode()
    assert "新上架的产品" in body and body.count('data-eligible="yes"') == 3
    bank = Client()  # an institution: its own grid, without eligibility badges
    bank.force_login(world["bank"])
    assert 'data-eligible="yes"' not in bank.get("/financing/").content.decode()


def test_market_searches_and_made_up_filters_are_not_cached(world):
    """A search text, an amount, an unknown category or a far page is rendered, not stored: distinct values
    cannot fill the cache."""
    from django.core.cache import cache

    client = Client()
    client.force_login(world["ent"])
    for query in ("q=贷款1", "q=贷款2", "amount=100", "term=12", "category=nope", "page=9999"):
        assert client.get(f"/financing/?{query}").status_code == 200
    assert not [k for k in cache._cache if "fragment:market_grid" in k]
    client.get("/financing/?category=loan")
    assert len([k for k in cache._cache if "fragment:market_grid" in k]) == 1

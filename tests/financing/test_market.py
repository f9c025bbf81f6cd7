"""产品超市 (/financing/): sort orders from an allow-list, 12 cards a page with the filters kept in the page
links, the eligibility badge for the logged-in enterprise (its own feature row) and the institution's
contact on the card and the product page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jinfu.core.models import InstitutionProfile
from tests.factories import make_product


@pytest.fixture
def bank(make_user, reference_data):
    return make_user("institution")


@pytest.fixture
def ent(make_user, reference_data):
    return make_user("enterprise")


def _cards(client, query: str = "") -> list[int]:
    r = client.get("/financing/" + query)
    assert r.status_code == 200
    return [int(pk) for pk in re.findall(r'data-product="(\d+)"', r.content.decode())]


@pytest.fixture
def three(bank):
    """Published in this order: a cheap short small loan, a dear long mid one, a mid-rate big short one."""
    a = make_product(bank, name="甲", rate_min="3.0", rate_max="4.0", amount_max="100", term_max=12)
    b = make_product(bank, name="乙", rate_min="6.0", rate_max="8.0", amount_max="300", term_max=60)
    c = make_product(bank, name="丙", rate_min="4.5", rate_max="5.0", amount_max="900", term_max=24)
    return a, b, c


@pytest.mark.parametrize(
    ("sort", "order"),
    [("rate", "acb"), ("amount", "cba"), ("term", "bca"), ("latest", "cba"), ("", "cba")],
)
def test_sort_orders_the_cards(client, ent, three, sort, order):
    a, b, c = three
    by = {"a": a.pk, "b": b.pk, "c": c.pk}
    client.force_login(ent)
    assert _cards(client, f"?sort={sort}") == [by[x] for x in order]


@pytest.mark.parametrize("bad", ["-rate", "rate_min", "published_at; DROP", "name", "%00", "x" * 500])
def test_an_unknown_sort_is_the_default_not_an_error(client, ent, three, bad):
    client.force_login(ent)
    r = client.get("/financing/", {"sort": bad})
    assert r.status_code == 200
    assert _cards(client, "?sort=latest") == [
        int(pk) for pk in re.findall(r'data-product="(\d+)"', r.content.decode())
    ]
    assert '<option value="latest" selected>' in r.content.decode()


def test_page_two_keeps_the_filters_and_the_sort(client, ent, bank):
    made = [
        make_product(bank, name=f"贷{i:02d}", rate_min=f"{3 + i / 10:.1f}", rate_max="9") for i in range(14)
    ]
    make_product(bank, name="租赁产品", category="leasing", subtype="leasing")
    client.force_login(ent)
    r = client.get("/financing/", {"category": "loan", "sort": "rate"})
    body = r.content.decode()
    first = [int(pk) for pk in re.findall(r'data-product="(\d+)"', body)]
    assert first == [p.pk for p in made[:12]]
    link = re.search(r'href="\?([^"]*page=2)"', body).group(1).replace("&amp;", "&")
    assert "category=loan" in link and "sort=rate" in link
    second = _cards(client, "?" + link)
    assert second == [p.pk for p in made[12:]]  # the leasing product is still filtered out
    assert "第 2 / 2 页，共 14 条" in client.get("/financing/?" + link).content.decode()


def test_badge_for_an_eligible_and_an_ineligible_product(client, ent, bank):
    ok = make_product(bank, name="人人可贷", eligibility_rule="employees >= 10")
    no = make_product(bank, name="大企业专享贷", eligibility_rule="revenue >= 100000")
    client.force_login(ent)
    body = client.get("/financing/").content.decode()
    cards = dict(re.findall(r'data-product="(\d+)">\s*<h2>.*?data-eligible="(yes|no)"', body))
    assert cards == {str(ok.pk): "yes", str(no.pk): "no"}
    assert "符合准入条件" in body and "暂不符合" in body


def test_the_enterprise_feature_row_is_read_once_per_page(client, ent, bank, monkeypatch):
    from jinfu.financing import selectors

    for i in range(5):
        make_product(bank, name=f"贷{i}", eligibility_rule="employees >= 10")
    calls = []
    real = selectors.cached_feature_row
    monkeypatch.setattr(
        selectors,
        "cached_feature_row",
        lambda org_id, *a, **kw: calls.append(org_id) or real(org_id, *a, **kw),
    )
    client.force_login(ent)
    body = client.get("/financing/").content.decode()
    assert body.count('data-eligible="yes"') == 5
    assert calls == [ent.organization_id]


@pytest.mark.parametrize("role", ["institution", "government", "regulator", "admin"])
def test_no_badge_for_other_roles(client, make_user, bank, role):
    make_product(bank, name="人人可贷", eligibility_rule="employees >= 10")
    user = bank if role == "institution" else make_user(role)
    client.force_login(user)
    body = client.get("/financing/").content.decode()
    assert "人人可贷" in body
    assert "data-eligible" not in body and "符合准入条件" not in body and "暂不符合" not in body


def test_contact_shown_on_the_card_and_the_product_page(client, ent, bank):
    org = bank.organization
    org.contact_phone, org.address = "023-6388 1234", "渝中区解放碑支行"
    org.save()
    InstitutionProfile.objects.filter(organization=org).update(level=InstitutionProfile.Level.SUB_BRANCH)
    product = make_product(bank)
    client.force_login(ent)
    for url in ("/financing/", f"/financing/products/{product.pk}/"):
        body = client.get(url).content.decode()
        assert "023-6388 1234" in body and "渝中区解放碑支行" in body and "支行/营业部" in body


def test_no_contact_shows_nothing(client, ent, bank, make_user):
    bare = make_user("institution", profile=False)
    product = make_product(bank)
    other = make_product(bare, name="无档案机构产品")
    client.force_login(ent)
    for url in ("/financing/", f"/financing/products/{product.pk}/", f"/financing/products/{other.pk}/"):
        r = client.get(url)
        body = r.content.decode()
        assert r.status_code == 200
        assert "data-contact" not in body and "None" not in body and "联系方式" not in body


def test_market_query_count_does_not_grow_with_cards(client, ent, bank):
    client.force_login(ent)
    make_product(bank, name="一")
    client.get("/financing/")  # both pages measured with the enterprise's feature row cached
    with CaptureQueriesContext(connection) as one:
        client.get("/financing/")
    for i in range(8):
        make_product(bank, name=f"多{i}")
    client.get("/financing/")
    with CaptureQueriesContext(connection) as many:
        client.get("/financing/")
    assert len(many) == len(one)


@pytest.mark.parametrize("page", ["abc", "0", "999", "-1", "1e9"])
def test_an_odd_page_number_is_a_page_not_an_error(client, ent, three, page):
    client.force_login(ent)
    r = client.get("/financing/", {"page": page})
    assert r.status_code == 200
    assert len(re.findall(r'data-product="(\d+)"', r.content.decode())) == 3

"""The online match is cached per enterprise, its features and the catalog (jinfu.core.dataversion): a
repeated request is served from the cache, and any product change or change of the enterprise's features
is seen on the very next request; one enterprise's cached result is never served to another."""

from __future__ import annotations

import pytest
from django.test import Client

from jinfu.core import dataversion
from jinfu.core.apikeys import issue_key
from jinfu.core.models import DataVersion, EnterpriseProfile, Tag
from jinfu.credit.models import FeatureSnapshot
from jinfu.financing import services
from jinfu.financing.models import Product
from tests.factories import make_product, product_data


def _key(org) -> dict:
    _, plaintext = issue_key(organization=org, name="核心系统", scopes=["financing:read"])
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def _match(auth) -> tuple[dict, str]:
    r = Client().get("/api/v1/financing/match", **auth)
    assert r.status_code == 200, r.content
    return {row["product_name"]: row["eligible"] for row in r.json()["results"]}, r["X-Jinfu-Cache"]


@pytest.fixture
def world(make_user, reference_data):
    bank = make_user("institution")
    ent = make_user("enterprise")  # 50 employees (tests/conftest.py)
    product = make_product(bank, name="人人可贷", eligibility_rule="employees >= 10")
    return {"bank": bank, "ent": ent, "product": product, "auth": _key(ent.organization)}


def test_repeated_match_is_a_cache_hit_with_the_same_answer(world):
    first, state = _match(world["auth"])
    assert state == "miss" and first == {"人人可贷": True}
    again, state = _match(world["auth"])
    assert state == "hit" and again == first


def test_product_change_is_seen_on_the_next_request(world):
    bank, product = world["bank"], world["product"]
    _match(world["auth"])
    services.save_product(
        bank, product_data(name="人人可贷", eligibility_rule="employees >= 500"), product=product
    )
    after, state = _match(world["auth"])
    assert state == "miss" and after == {"人人可贷": False}
    services.set_product_status(bank, product.pk, Product.Status.OFFLINE)
    assert _match(world["auth"])[0] == {}
    make_product(bank, name="新上架", eligibility_rule="employees >= 1")
    assert _match(world["auth"])[0] == {"新上架": True}


def test_a_product_written_in_bulk_is_seen(world):
    _match(world["auth"])
    Product.objects.filter(pk=world["product"].pk).update(eligibility_rule="employees >= 500")
    assert _match(world["auth"]) == ({"人人可贷": False}, "miss")


def test_feature_change_of_the_enterprise_is_seen_on_the_next_request(world):
    org = world["ent"].organization
    assert _match(world["auth"])[0] == {"人人可贷": True}
    profile = EnterpriseProfile.objects.get(pk=org.pk)
    profile.employees = 3
    profile.save()
    assert _match(world["auth"]) == ({"人人可贷": False}, "miss")


@pytest.mark.parametrize("how", ["queryset_update", "bulk_update"])
def test_bulk_feature_writes_are_seen_too(world, how):
    org = world["ent"].organization
    assert _match(world["auth"])[0] == {"人人可贷": True}
    if how == "queryset_update":
        EnterpriseProfile.objects.filter(pk=org.pk).update(employees=3)
    else:
        profile = EnterpriseProfile.objects.get(pk=org.pk)
        profile.employees = 3
        EnterpriseProfile.objects.bulk_update([profile], ["employees"])
    assert _match(world["auth"]) == ({"人人可贷": False}, "miss")


def test_credit_source_and_tag_changes_are_seen(world):
    bank, org = world["bank"], world["ent"].organization
    make_product(bank, name="诚信贷", eligibility_rule="dishonest_debtor = FALSE")
    make_product(bank, name="高新贷", eligibility_rule="tag_high_tech = TRUE")
    FeatureSnapshot.objects.create(enterprise=org, values={"dishonest_debtor": False})
    before = _match(world["auth"])[0]
    assert before["诚信贷"] is True and before["高新贷"] is False
    FeatureSnapshot.objects.update_or_create(enterprise=org, defaults={"values": {"dishonest_debtor": True}})
    tag, _ = Tag.objects.get_or_create(code="high_tech", defaults={"name": "高新技术企业"})
    EnterpriseProfile.objects.get(pk=org.pk).tags.add(tag)
    after = _match(world["auth"])[0]
    assert after["诚信贷"] is False and after["高新贷"] is True


def test_another_enterprises_cached_result_is_never_served(world, make_user):
    small = make_user("enterprise")
    EnterpriseProfile.objects.filter(pk=small.organization.pk).update(employees=2)
    assert _match(world["auth"])[0] == {"人人可贷": True}
    assert _match(world["auth"])[1] == "hit"
    small_auth = _key(small.organization)
    assert _match(small_auth) == ({"人人可贷": False}, "miss")
    assert _match(small_auth) == ({"人人可贷": False}, "hit")
    assert _match(world["auth"])[0] == {"人人可贷": True}


def test_one_enterprises_feature_change_keeps_the_others_cache(world, make_user):
    other = make_user("enterprise")
    other_auth = _key(other.organization)
    _match(world["auth"])
    _match(other_auth)
    profile = EnterpriseProfile.objects.get(pk=other.organization.pk)
    profile.employees = 3
    profile.save()
    assert _match(world["auth"])[1] == "hit"
    assert _match(other_auth) == ({"人人可贷": False}, "miss")


@pytest.mark.django_db(transaction=True)
def test_committed_writes_store_new_tokens_for_other_processes(reference_data, make_user):
    """Other processes (gunicorn workers) read the tokens from the database: a commit changes them."""
    ent = make_user("enterprise")
    org_key = f"features:{ent.organization.pk}"
    table = dataversion.table_keys("financing.Product")[0]

    def stored(key):
        return DataVersion.objects.filter(key=key).values_list("token", flat=True).first()

    before = stored(org_key), stored("features"), stored(table)
    profile = EnterpriseProfile.objects.get(pk=ent.organization.pk)
    profile.employees = 7
    profile.save()  # one enterprise's key, not everyone's
    assert stored(org_key) != before[0] and stored("features") == before[1]
    EnterpriseProfile.objects.filter(pk=ent.organization.pk).update(employees=8)  # no signal: everyone's
    assert stored("features") != before[1]
    make_product(make_user("institution"), name="新品")
    assert stored(table) != before[2]

"""Green policies through the policy module: a policy rule may name the green fields because the policy
catalog is the kernel feature registry's (plus the declared values), and ``green_certified = true``
qualifies exactly the enterprises with a confirmed identification — never one that only submitted (declared)
a project, nor one whose identification was rejected."""

import pytest
from django.test import Client

from jinfu.core.featureregistry import fields as registry_fields
from jinfu.core.features import enterprise_features
from jinfu.green import selectors, services
from jinfu.policy import engine as policy_engine
from jinfu.policy import services as policy_services
from jinfu.policy.models import PushHit

from .test_green_services import solar, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_policy_catalog_is_the_registry_plus_declared_values():
    names = {f.name for f in policy_engine.POLICY_FIELDS}
    assert {f.name for f in registry_fields()} <= names
    assert {"green_certified", "green_category", "declared_loan_interest"} <= names
    assert policy_engine.eligibility("green_certified = true AND green_category = '清洁能源产业'") is not None


def test_green_certified_rule_qualifies_only_confirmed_identifications(world):  # noqa: F811
    confirmed = services.submit_project(world["ent"], solar())
    services.decide(world["admin"], selectors.latest_identification(confirmed).pk, confirm=True)
    services.submit_project(world["ent2"], solar(name="自报光伏"))  # submitted: the enterprise's own claim
    policy = policy_services.save_policy(
        world["admin"], {"code": "t-green", "title": "绿色贷款贴息（测试）", "issuer": "测试"}
    )
    policy_services.publish_policy(world["admin"], policy.pk)
    item = policy_services.save_item(
        world["admin"],
        policy.pk,
        {
            "title": "绿色贷款贴息",
            "mode": "apply",
            "eligibility_rule": "green_certified = true",
            "benefit_formula": "10",
            "status": "open",
        },
    )
    features = enterprise_features()
    hits = policy_engine.batch(features, item.eligibility_rule, item.benefit_formula, None)
    assert hits["org_id"].to_list() == [world["ent"].organization_id]
    policy_services.run_push(world["admin"], item.pk)
    assert list(PushHit.objects.filter(item=item).values_list("enterprise_id", flat=True)) == [
        world["ent"].organization_id
    ]


def test_a_rejected_identification_never_qualifies(world):  # noqa: F811
    project = services.submit_project(world["ent"], solar())
    services.decide(
        world["admin"], selectors.latest_identification(project).pk, confirm=False, reason="非屋顶项目"
    )
    hits = policy_engine.batch(enterprise_features(), "green_certified = true", "10", None)
    assert hits.height == 0


def test_demo_green_policy_is_synthetic_and_pays_only_confirmed_enterprises(world):  # noqa: F811
    from jinfu.green.demo import GREEN_POLICY_CODE, build_green_demo, build_green_policy
    from jinfu.policy.models import Policy

    build_green_demo(enterprise_org=world["ent"].organization, bank=world["bank"].organization)
    assert build_green_policy() and not build_green_policy()  # idempotent
    policy = Policy.objects.get(code=GREEN_POLICY_CODE)
    [item] = policy.items.all()
    assert policy.is_synthetic and item.is_synthetic and policy.status == "published"
    assert "示例数据" in policy.note and item.eligibility_rule == "green_certified = true"
    confirmed = set(
        selectors.projects_for(world["admin"])
        .filter(identifications__decision="confirmed")
        .values_list("enterprise_id", flat=True)
    )
    hits = policy_engine.batch(enterprise_features(), item.eligibility_rule, "", None)
    assert confirmed and set(hits["org_id"].to_list()) == confirmed
    html = _client(world["ent"]).get(f"/policy/{policy.pk}/").content.decode()
    assert "示例数据" in html

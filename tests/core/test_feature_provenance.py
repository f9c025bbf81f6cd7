"""The enterprise feature table as one contract (issue 10) and money following verified facts (issue 9,
case 6): the credit score, grade and first-loan flag reach the rules; one figure per fact with its
source on every page; tags an enterprise gives itself and self-declared figures never pay."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from jinfu.core import featureregistry
from jinfu.core.errors import Forbidden, ValidationFailed
from jinfu.core.features import enterprise_features, feature_row
from jinfu.core.models import DeclaredFact, EnterpriseProfile, SecurityEvent, Tag, TagCertification
from jinfu.credit.models_scoring import ScorecardModel
from jinfu.financing import selectors as fin_selectors
from jinfu.financing.models import Application
from jinfu.listing.models import FinancialStatement
from jinfu.policy import services as policy_services
from jinfu.policy.models import PushHit
from jinfu.rules import ENTERPRISE_FIELDS
from tests.factories import apply_to, make_product

pytestmark = pytest.mark.django_db

# One feature (registered capital, 万元) decides the score: <1000 → 550, 1000–4999 → 600, ≥5000 → 700.
POINTS = [
    {
        "feature": "registered_capital",
        "kind": "num",
        "bin": 0,
        "lower": None,
        "points": 550.0,
        "label": "<1000",
    },
    {
        "feature": "registered_capital",
        "kind": "num",
        "bin": 1,
        "lower": 1000.0,
        "points": 600.0,
        "label": "1000+",
    },
    {
        "feature": "registered_capital",
        "kind": "num",
        "bin": 2,
        "lower": 5000.0,
        "points": 700.0,
        "label": "5000+",
    },
    {
        "feature": "registered_capital",
        "kind": "num",
        "bin": -1,
        "lower": None,
        "points": 0.0,
        "label": "缺失",
    },
]


def _activate_card():
    return ScorecardModel.objects.create(
        version="t1", status=ScorecardModel.Status.ACTIVE, points_table=POINTS, activated_at=timezone.now()
    )


def _set_capital(user, capital):
    EnterpriseProfile.objects.filter(pk=user.organization_id).update(registered_capital=capital)


@pytest.fixture
def three(make_user):
    users = [make_user("enterprise") for _ in range(3)]
    for u, cap in zip(users, (500, 1000, 6000), strict=True):
        _set_capital(u, cap)
    return users


def _check(client, user, rule):
    """The rule-check API as the city office (counts over the whole city; the disclosure policy's minimum
    group is lowered to 1 here: this file tests the values rules read, tests/core/test_disclosure.py the policy)."""
    client.force_login(user)
    resp = client.post(
        "/api/v1/financing/rules/check", json.dumps({"rule": rule}), content_type="application/json"
    )
    assert resp.status_code == 200, resp.content
    return resp.json()


def _eligible(user, product) -> bool:
    results = fin_selectors.matches_for(user)["results"]
    return next(r for r in results if r["product_id"] == product.pk)["eligible"]


# ---------------------------------------------------------------------------
# credit_score, credit_grade, is_first_loan reach the rules
# ---------------------------------------------------------------------------


@pytest.fixture
def city(make_user, settings):
    settings.JINFU_DISCLOSURE_MIN_GROUP = 1
    return make_user("admin")


def test_credit_score_rule_qualifies_exactly_the_enterprises_scoring_at_least_600(
    client, make_user, three, city
):
    _activate_card()
    bank = make_user("institution")
    assert [feature_row(u.organization_id)["credit_score"] for u in three] == [550.0, 600.0, 700.0]
    assert [feature_row(u.organization_id)["credit_grade"] for u in three] == ["CCC", "BB", "AA"]
    out = _check(client, city, "credit_score >= 600")
    assert out["valid"] and out["qualifying"] == 2 and out["total"] == 3
    assert _check(client, city, "credit_grade IN ('AA', 'AAA')")["qualifying"] == 1
    product = make_product(bank, eligibility_rule="credit_score >= 600")
    graded = make_product(bank, name="优质客户贷", eligibility_rule="credit_grade = 'BB'")
    assert [_eligible(u, product) for u in three] == [False, True, True]
    assert [_eligible(u, graded) for u in three] == [False, True, False]
    # the match page's approval term reads the grade: no "grade missing" note any more
    client.force_login(three[1])
    html = client.get("/financing/match/").content.decode()
    assert "信用等级缺失" not in html


def test_credit_score_is_null_without_an_active_scorecard(three):
    assert feature_row(three[0].organization_id)["credit_score"] is None


def test_the_profile_page_shows_the_grade_the_rules_read(client, three):
    _activate_card()
    client.force_login(three[2])
    html = client.get(f"/credit/profile/{three[2].organization_id}/").content.decode()
    grade = re.search(r'data-kpi="credit-grade"><div class="v">(\w+)<', html).group(1)
    assert grade == feature_row(three[2].organization_id)["credit_grade"] == "AA"


def test_is_first_loan_counts_disbursed_applications_live(client, make_user, city):
    from jinfu.financing import services as fin

    bank = make_user("institution")
    a, b = make_user("enterprise"), make_user("enterprise")
    product = make_product(bank, eligibility_rule="is_first_loan = TRUE")
    assert feature_row(a.organization_id)["is_first_loan"] is True  # no snapshot needed
    app = apply_to(a, product)
    Application.objects.filter(pk=app.pk).update(
        status=Application.Status.DISBURSED, approved_amount=Decimal("80")
    )
    row = feature_row(a.organization_id)
    assert row["is_first_loan"] is False and row["platform_loans_count"] == 1
    assert row["platform_loans_outstanding"] == 80.0
    assert _eligible(b, product) is True
    assert _eligible(a, product) is False
    assert _check(client, city, "is_first_loan = TRUE")["qualifying"] == 1
    assert fin  # the services module is the one the workflow uses


def test_registry_and_catalog_agree():
    registered = {f.name for f in featureregistry.fields()}
    assert registered == set(ENTERPRISE_FIELDS.names)
    cols = set(featureregistry.schema())
    assert registered <= cols
    assert {"revenue_source", "revenue_as_of", "employees_source", "total_assets_as_of"} <= cols
    # the grant scope of each set is on its fields
    assert ENTERPRISE_FIELDS["credit_score"].scope == "credit_score"
    assert ENTERPRISE_FIELDS["is_first_loan"].scope == "credit_score"
    assert ENTERPRISE_FIELDS["revenue"].scope == "basic"


@pytest.fixture
def green_set():
    """A feature set a new module would register (its own field, loader and scope), removed afterwards."""
    import polars as pl

    from jinfu.core.featureregistry import FeatureSet, Field

    field = Field(
        "carbon_intensity", "number", "碳排放强度", "吨/万元", "绿色金融模块", label_en="carbon intensity"
    )

    def load(org_ids, today):
        return pl.LazyFrame({"org_id": org_ids or [], "carbon_intensity": [0.8] * len(org_ids or [])})

    fs = FeatureSet("green_test", {"carbon_intensity": pl.Float64}, (field,), load=load, scope="green")
    saved = dict(featureregistry._SETS)
    featureregistry.register(fs)
    yield fs
    featureregistry._SETS.clear()
    featureregistry._SETS.update(saved)
    featureregistry._VERSION[0] += 1


def test_the_rule_catalog_is_built_from_the_registered_sets(make_user, green_set):
    """A module adds a rule field by registering a feature set: no declaration in jinfu.rules."""
    from jinfu.rules import compile_rule
    from jinfu.rules.catalog import named_catalog

    f = ENTERPRISE_FIELDS["carbon_intensity"]
    assert (f.label_zh, f.unit, f.scope) == ("碳排放强度", "吨/万元", "green")
    assert "carbon_intensity" in named_catalog("policy")  # catalogs extending the enterprise one follow it
    rule = compile_rule("carbon_intensity < 1", ENTERPRISE_FIELDS, kind="boolean")
    org = make_user("enterprise").organization_id
    row = feature_row(org)
    assert row["carbon_intensity"] == 0.8 and rule.passes(row)


def test_a_set_must_document_every_column_with_the_right_type():
    import polars as pl

    from jinfu.core.featureregistry import FeatureSet, Field

    undocumented = FeatureSet(
        "bad", {"x_col": pl.Float64, "y_col": pl.Int64}, (Field("x_col", "number", "甲"),)
    )
    with pytest.raises(ValueError, match="y_col"):
        featureregistry.register(undocumented)
    mistyped = FeatureSet("bad", {"x_col": pl.Float64}, (Field("x_col", "string", "甲"),))
    with pytest.raises(ValueError, match="x_col"):
        featureregistry.register(mistyped)
    assert "x_col" not in ENTERPRISE_FIELDS


# ---------------------------------------------------------------------------
# One value per fact, with its source, on every page
# ---------------------------------------------------------------------------


def _statement(org, year, revenue, source="audited", **kw):
    return FinancialStatement.objects.create(
        enterprise=org,
        year=year,
        revenue=Decimal(revenue),
        net_profit=Decimal("10"),
        total_assets=Decimal("900"),
        source=source,
        audited=source == "audited",
        **kw,
    )


def test_precedence_audited_statement_over_registration_and_never_self_reported(make_user):
    u = make_user("enterprise")
    org = u.organization
    last = timezone.localdate().year - 1
    row = feature_row(org.pk)
    assert (row["revenue"], row["revenue_source"]) == (3000.0, "registration")
    _statement(org, last, "480.12", source="self_reported")
    assert feature_row(org.pk)["revenue"] == 3000.0  # an enterprise's own entry is 自报
    _statement(org, last - 1, "450.00", source="import")
    row = feature_row(org.pk)
    assert (row["revenue"], row["revenue_source"]) == (450.0, "statements_import")
    FinancialStatement.objects.filter(enterprise=org, year=last).update(source="audited", audited=True)
    row = feature_row(org.pk)
    assert (row["revenue"], row["revenue_source"], row["revenue_as_of"]) == (
        480.12,
        "audited",
        dt.date(last, 12, 31),
    )
    assert row["total_assets"] == 900.0 and row["employees_source"] == "registration"


def test_the_same_revenue_with_its_source_on_every_page(client, make_user):
    from jinfu.credit import services as credit

    u = make_user("enterprise")
    org = u.organization
    _statement(org, timezone.localdate().year - 1, "480.12")
    credit.refresh_features([org.pk])
    client.force_login(u)
    pages = {
        "home": "/",
        "detail": f"/orgs/{org.pk}/",
        "match": "/financing/match/",
        "credit": f"/credit/profile/{org.pk}/",
        "listing": f"/listing/readiness/{org.pk}/",
    }
    for name, url in pages.items():
        resp = client.get(url)
        assert resp.status_code == 200, (name, resp.status_code)
        html = resp.content.decode()
        shown = re.findall(r'data-figure="revenue">([^<]+)<', html)
        assert shown and set(shown) == {"480.12"}, (name, shown)
        source = re.search(r'data-figure-source="revenue">([^<]+)<', html).group(1)
        assert "经审计财务报表" in source, (name, source)
        staff = re.findall(r'data-figure="employees">([^<]+)<', html)
        assert staff and set(staff) == {f"{feature_row(org.pk)['employees']:,}"}, (name, staff)
        source = re.search(r'data-figure-source="employees">([^<]+)<', html).group(1)
        assert "企业登记" in source, (name, source)


# ---------------------------------------------------------------------------
# Case 6: tags an enterprise gives itself and self-declared figures never pay
# ---------------------------------------------------------------------------


def _form(org, **over):
    ent = org.enterprise
    values = {
        "uscc": org.uscc or "",
        "name": org.name,
        "legal_representative": ent.legal_representative,
        "legal_rep_id_number": "",
        "registered_capital": str(ent.registered_capital),
        "paid_in_capital": "",
        "established_on": str(ent.established_on),
        "division": org.division_id or "500103",
        "zone": "",
        "industry": ent.industry_id,
        "employees": str(ent.employees),
        "revenue": str(ent.revenue),
        "total_assets": str(ent.total_assets),
        "address": "",
        "contact_phone": "",
    }
    values.update(over)
    return values


@pytest.fixture
def gov(make_user):
    user = make_user("government")
    user.organization.division_id = "500103"
    user.organization.save()
    return user


@pytest.fixture
def award(gov):
    """专精特新一次性奖励 (20 万, 免申即享) and an item that needs revenue ≥ 5000 万元."""
    pol = policy_services.save_policy(
        gov, {"code": "t-spec", "title": "专精特新奖励", "issuer": "渝中区", "division_id": "500103"}
    )
    pol = policy_services.publish_policy(gov, pol.pk)
    common = {"mode": "auto", "benefit_formula": "20", "cap": "20", "annual_budget": "1000", "status": "open"}
    spec = policy_services.save_item(
        gov, pol.pk, common | {"title": "专精特新一次性奖励", "eligibility_rule": "tag_specialized = TRUE"}
    )
    big = policy_services.save_item(
        gov, pol.pk, common | {"title": "营收奖励", "eligibility_rule": "revenue >= 5000"}
    )
    return spec, big


@pytest.fixture
def firm(make_user):
    u = make_user("enterprise")
    import random

    from jinfu.core.reference.uscc import generate_uscc

    u.organization.uscc = generate_uscc("500103", random.Random(u.pk))
    u.organization.division_id = "500103"
    u.organization.save()
    for code, name in (("specialized", "专精特新"), ("green", "绿色企业")):
        Tag.objects.get_or_create(code=code, defaults={"name": name})
    return u


def test_enterprise_cannot_give_itself_paying_tags(client, firm, gov, award):
    spec, _ = award
    org = firm.organization
    client.force_login(firm)
    resp = client.post(f"/orgs/{org.pk}/edit/", _form(org, tags="specialized,green"))
    assert resp.status_code == 422
    assert 'data-error-for="tags"' in resp.content.decode()
    assert not org.enterprise.tags.exists()
    assert feature_row(org.pk)["tag_specialized"] is False
    policy_services.run_push(gov, spec.pk)
    assert not PushHit.objects.filter(item=spec, enterprise=org).exists()
    # the form does not offer the field to the enterprise at all
    assert 'name="tags"' not in client.get(f"/orgs/{org.pk}/edit/").content.decode()


def test_government_certification_with_evidence_makes_it_eligible_and_is_audited(client, firm, gov, award):
    from auditlog.models import LogEntry

    from jinfu.core import services as core

    spec, _ = award
    org = firm.organization
    with pytest.raises(ValidationFailed):
        core.certify_tag(gov, org.pk, tag_code="specialized", evidence="", valid_from=timezone.localdate())
    with pytest.raises(Forbidden):
        core.certify_tag(
            firm, org.pk, tag_code="specialized", evidence="自己认定", valid_from=timezone.localdate()
        )
    cert = core.certify_tag(
        gov,
        org.pk,
        tag_code="specialized",
        evidence="重庆市经济和信息化委员会 2026 年专精特新中小企业名单（渝经信发〔2026〕12号）",
        evidence_ref="渝经信发〔2026〕12号",
        valid_from=timezone.localdate() - dt.timedelta(days=10),
        valid_until=timezone.localdate() + dt.timedelta(days=3 * 365),
    )
    assert feature_row(org.pk)["tag_specialized"] is True
    policy_services.run_push(gov, spec.pk)
    assert PushHit.objects.filter(item=spec, enterprise=org).exists()
    assert LogEntry.objects.filter(content_type__model="tagcertification", object_pk=str(cert.pk)).exists()
    assert SecurityEvent.objects.filter(
        detail__action="tag_certified", detail__certification=cert.pk
    ).exists()
    # a sync tag rule does not strip a certified tag
    from jinfu.credit import services as credit
    from jinfu.credit.models import TagRule

    TagRule.objects.create(tag=Tag.objects.get(code="specialized"), rule="FALSE", mode=TagRule.Mode.SYNC)
    credit.apply_tags([org.pk])
    assert org.enterprise.tags.filter(code="specialized").exists()
    core.revoke_certification(gov, cert.pk)
    assert TagCertification.objects.get(pk=cert.pk).revoked_at is not None
    assert not org.enterprise.tags.filter(code="specialized").exists()


def test_a_district_office_certifies_only_in_its_own_division(make_user, firm):
    from jinfu.core import services as core
    from jinfu.core.errors import NotFound

    other = make_user("government")
    other.organization.division_id = "500105"
    other.organization.save()
    with pytest.raises(NotFound):
        core.certify_tag(
            other,
            firm.organization_id,
            tag_code="green",
            evidence="渝北区名单",
            valid_from=timezone.localdate(),
        )


def test_self_declared_revenue_is_shown_as_such_and_never_satisfies_a_rule(client, firm, gov, award):
    _, big = award
    org = firm.organization
    client.force_login(firm)
    resp = client.post(f"/orgs/{org.pk}/edit/", _form(org, revenue="8000"))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert DeclaredFact.objects.get(enterprise=org, fact="revenue").value == Decimal("8000")
    row = feature_row(org.pk)
    assert (row["revenue"], row["revenue_source"]) == (3000.0, "registration")
    assert "revenue_declared" not in enterprise_features([org.pk]).columns  # no rule can read it
    policy_services.run_push(gov, big.pk)
    assert not PushHit.objects.filter(item=big, enterprise=org).exists()
    html = client.get(f"/orgs/{org.pk}/").content.decode()
    assert re.search(r'data-figure="revenue">3000.00<', html)
    assert re.search(r'data-declared="revenue">自报 8000.00<', html)
    form = client.get(f"/orgs/{org.pk}/edit/").content.decode()
    assert 'name="revenue" value="8000.00"' in form and 'data-note="self-declared"' in form
    # an enterprise cannot launder its own statement as audited either
    from jinfu.listing import services as listing

    listing.save_statement(
        firm,
        {"year": timezone.localdate().year - 1, "revenue": "9000", "net_profit": "100", "source": "audited"},
    )
    st = FinancialStatement.objects.get(enterprise=org)
    assert (st.source, st.audited) == ("self_reported", False)
    assert feature_row(org.pk)["revenue"] == 3000.0
    policy_services.run_push(gov, big.pk)
    assert not PushHit.objects.filter(item=big, enterprise=org).exists()


def test_certification_page_for_government_not_for_the_enterprise(client, firm, gov):
    org = firm.organization
    client.force_login(firm)
    assert client.get(f"/orgs/{org.pk}/certifications/").status_code == 403
    client.force_login(gov)
    assert 'data-link="tag-certifications"' in client.get(f"/orgs/{org.pk}/").content.decode()
    resp = client.post(
        f"/orgs/{org.pk}/certifications/",
        {"tag": "green", "evidence": "", "valid_from": timezone.localdate().isoformat()},
    )
    assert resp.status_code == 422 and not TagCertification.objects.exists()
    resp = client.post(
        f"/orgs/{org.pk}/certifications/",
        {
            "tag": "green",
            "evidence": "市生态环境局绿色企业名单（2026）",
            "valid_from": timezone.localdate().isoformat(),
        },
    )
    assert resp.status_code == 302
    cert = TagCertification.objects.get(enterprise=org)
    assert cert.certified_by == gov and cert.certifier_org == gov.organization
    assert feature_row(org.pk)["tag_green"] is True
    assert "市生态环境局绿色企业名单" in client.get(f"/orgs/{org.pk}/certifications/").content.decode()


def test_an_automatic_item_cannot_rest_on_declared_values(gov):
    pol = policy_services.save_policy(
        gov, {"code": "t-auto", "title": "贴息", "issuer": "渝中区", "division_id": "500103"}
    )
    data = {
        "title": "贷款贴息",
        "mode": "auto",
        "eligibility_rule": "revenue >= 100",
        "benefit_formula": "LEAST(declared_loan_interest * 0.5, 50)",
        "cap": "50",
        "annual_budget": "1000",
        "status": "open",
    }
    with pytest.raises(ValidationFailed) as e:
        policy_services.save_item(gov, pol.pk, data)
    assert e.value.code == "auto_declared" and e.value.field == "mode"
    assert policy_services.save_item(gov, pol.pk, data | {"mode": "apply"}).declared_fields

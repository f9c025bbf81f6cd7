"""Shared builders for tests of more than one module: a financing product and an application to it, an
enterprise's profile and a policy item. They go through the services (the same validation as the pages),
so an object built here is one a user could have made. Fixtures stay in the test files that own them."""

from __future__ import annotations

import datetime as dt

from jinfu.core.models import EnterpriseProfile, Industry, Organization
from jinfu.financing import services as financing_services
from jinfu.financing.models import Application, Product
from jinfu.policy import services as policy_services
from jinfu.policy.models import PolicyItem

# ---------------------------------------------------------------------------
# financing
# ---------------------------------------------------------------------------


def product_data(**kw) -> dict:
    data = {
        "name": "科创信用贷",
        "category": "loan",
        "subtype": "credit",
        "description": "面向科技型中小企业的纯信用贷款",
        "amount_min": "10",
        "amount_max": "500",
        "rate_min": "3.2",
        "rate_max": "6.5",
        "term_min": 6,
        "term_max": 36,
        "collateral": [],
        "repayment": "按月付息，到期还本",
        "expected_days": 10,
        "eligibility_rule": "",
        "policy_support": [],
    }
    data.update(kw)
    return data


def make_product(inst_user, *, publish=True, **kw) -> Product:
    product = financing_services.save_product(inst_user, product_data(**kw))
    if publish:
        product = financing_services.set_product_status(inst_user, product.pk, Product.Status.PUBLISHED)
    return product


def apply_to(ent_user, product, *, amount="100", term=12, purpose="采购原材料") -> Application:
    return financing_services.apply(
        ent_user, product_id=product.pk, amount=amount, term_months=term, purpose=purpose
    )


# ---------------------------------------------------------------------------
# policy: the 渝中区 fintech settlement award (seed 000) as an item
# ---------------------------------------------------------------------------

FINTECH_RULE = (
    "division_code = '500103' AND registered_capital >= 5000 AND established_years <= 1 "
    "AND (industry_section = 'J' OR industry_division IN ('63', '64', '65'))"
)
FINTECH_BENEFIT = "LEAST(paid_in_capital * 0.02, 1000)"
TODAY = dt.date(2026, 3, 2)  # a Monday


def set_profile(org: Organization, *, division="500103", industry_prefix="65", **kw):
    org.division_id = division
    org.save()
    prof = EnterpriseProfile.objects.get(organization=org)
    ind = Industry.objects.filter(level=Industry.Level.CLASS, code__startswith=industry_prefix).first()
    prof.industry = ind
    prof.established_on = kw.pop("established_on", TODAY - dt.timedelta(days=100))
    for k, v in kw.items():
        setattr(prof, k, v)
    prof.save()
    return org


def make_item(gov, policy, **kw) -> PolicyItem:
    data = {
        "title": "落户奖励",
        "mode": "apply",
        "eligibility_rule": FINTECH_RULE,
        "benefit_formula": FINTECH_BENEFIT,
        "cap": "1000",
        "annual_budget": "2000",
        "required_materials": [],
        "review_days": 10,
        "publicity_days": 5,
        "status": "open",
    }
    data.update(kw)
    return policy_services.save_item(gov, policy.pk, data)

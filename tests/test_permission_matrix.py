"""Permission matrix: every page (from the URL conf) and every API operation (from the OpenAPI document),
requested once by every role, own and other organization / jurisdiction, against a declared table.

Each module keeps its own entries in ``tests/<module>/matrix.py`` (its PAGES and API in the same format, and
``setup(users, objects)`` returning the objects its URLs need); this file finds them and holds the kernel's
and the older modules' entries. A route without an entry fails ``test_every_route_has_an_entry``: a new page or endpoint cannot ship
without someone deciding, here, who may see it. Pages are requested with GET (POST-only pages answer 405
to a signed-in user); API writes are sent an empty JSON body (a signed-in caller reaches validation, 422,
only after authentication; anonymous callers get 401). The objects in the URLs belong to the "own" side:

- enterprise: owns the organization, the application, the demand, the claim, the grant it gave;
  enterprise_other is another enterprise in the same district;
- institution: owns the product, the API key; the application was made to it;
- government: the district office of 南岸区 (500108), which owns plan 000 and the policy;
  government_other: the office of 渝中区 (500103);
- regulator, admin.

Outcomes: 200 (shown), 302 (redirect: to the login page for anonymous users), 401, 403, 404 (refused or
invisible), 405 (wrong method), 422 (validation reached). Admin pages (Django admin) are covered by their
namespace entry, checked on the admin index.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from types import ModuleType

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

ROLES = (
    "anonymous",
    "enterprise",
    "enterprise_other",
    "institution",
    "government",
    "government_other",
    "regulator",
    "admin",
)
MISSING = 987654  # an id no object has

# key: (URL arguments from the world, expected outcome per role in ROLES order)
# fmt: off
# outcomes in ROLES order: anonymous enterprise enterprise_other institution government government_other
# regulator admin
PAGES: dict[str, tuple[tuple[str, ...], str]] = {
    "home": ((), "302 200 200 200 200 200 200 200"),
    "healthz": ((), "200 200 200 200 200 200 200 200"),
    "metrics": ((), "403 403 403 403 403 403 403 200"),
    "login": ((), "200 302 302 302 302 302 302 302"),
    "help": ((), "200 200 200 200 200 200 200 200"),
    "screen": ((), "302 403 403 403 200 200 403 200"),
    "screen-panels": ((), "302 403 403 403 200 200 403 200"),
    "logout": ((), "405 405 405 405 405 405 405 405"),
    "set_language": ((), "302 302 302 302 302 302 302 302"),
    "org-list": ((), "302 200 200 200 200 200 200 200"),
    "org-detail": (('ent_org',), "302 200 302 200 200 302 200 200"),
    "enterprise-edit": (('ent_org',), "302 200 302 403 403 302 403 200"),
    "enterprise-new": ((), "302 403 403 403 200 200 403 200"),
    "consent": ((), "302 200 200 403 403 403 403 403"),
    "consent-revoke": (('grant',), "302 405 405 405 405 405 405 405"),
    "access-log": ((), "302 200 200 200 200 200 200 200"),
    "api-keys": ((), "302 403 403 200 403 403 403 200"),
    "api-key-revoke": (('api_key',), "302 405 405 405 405 405 405 405"),
    "audit": ((), "302 403 403 403 403 403 403 200"),
    "notifications": ((), "302 200 200 200 200 200 200 200"),
    "tour-dismiss": ((), "302 405 405 405 405 405 405 405"),
    "calendar": ((), "302 403 403 403 403 403 403 200"),
    "attachment": (('attachment',), "302 200 404 200 404 404 404 200"),
    "attachment-upload": (('owner_application', 'application'), "302 405 405 405 405 405 405 405"),
    "tag-certifications": (('ent_org',), "302 403 403 403 200 302 403 200"),
    "imports:list": ((), "302 200 200 403 200 200 403 200"),
    "imports:template": (('import_kind', 'fmt_xlsx'), "302 200 200 200 200 200 200 200"),
    "imports:job": (('missing',), "302 404 404 404 404 404 404 404"),
    "imports:progress": (('missing',), "302 404 404 404 404 404 404 404"),
    "imports:commit": (('missing',), "302 405 405 405 405 405 405 405"),
    "imports:retry": (('missing',), "302 405 405 405 405 405 405 405"),
    "brain:overview": ((), "302 403 403 403 200 200 200 200"),
    "brain:plan": (('plan',), "302 403 403 403 200 200 200 200"),
    "brain:indicator": (('indicator',), "302 403 403 403 200 200 200 200"),
    "brain:indicator-feed": (('indicator',), "302 403 403 403 405 405 405 405"),
    "brain:indicator-feed-refresh": (('indicator',), "302 403 403 403 405 405 405 405"),
    "brain:actuals-import": ((), "302 403 403 403 200 200 403 200"),
    "brain:compare": ((), "302 403 403 403 200 200 200 200"),
    "brain:index": ((), "302 403 403 403 200 200 200 200"),
    "brain:tasks": ((), "302 403 403 403 200 200 200 200"),
    "brain:tasks-refresh": ((), "302 403 403 403 405 405 405 405"),
    "brain:task": (('task',), "302 403 403 403 200 404 200 200"),
    "brain:task-assign": (('task',), "302 403 403 403 405 405 405 405"),
    "brain:reports": ((), "302 403 403 403 200 200 200 200"),
    "brain:report-download": (('missing', 'pdf'), "302 403 403 403 404 404 404 404"),
    "financing:market": ((), "302 200 200 200 200 200 200 200"),
    "financing:product": (('product',), "302 200 200 200 200 200 200 200"),
    "financing:apply": (('product',), "302 200 200 403 403 403 403 403"),
    "financing:match": ((), "302 200 200 403 403 403 403 403"),
    "financing:applications": ((), "302 200 200 200 403 403 403 200"),
    "financing:application": (('application',), "302 200 404 200 404 404 404 200"),
    "financing:demands": ((), "302 200 200 403 403 403 403 403"),
    "financing:hall": ((), "302 403 403 200 403 403 403 200"),
    "financing:claim": (('demand',), "302 405 405 405 405 405 405 405"),
    "financing:workbench": ((), "302 403 403 200 403 403 403 403"),
    "financing:product-new": ((), "302 403 403 200 403 403 403 403"),
    "financing:product-edit": (('product',), "302 404 404 200 404 404 404 404"),
    "financing:product-status": (('product',), "302 405 405 405 405 405 405 405"),
    "financing:rule-check": ((), "302 405 405 405 405 405 405 405"),
    "financing:kpis": ((), "302 403 403 403 200 200 200 200"),
    "financing:funds": ((), "302 200 200 200 200 200 200 200"),
    "financing:roadshows": ((), "302 200 200 200 200 200 200 200"),
    "financing:roadshow": (('missing',), "302 404 404 404 404 404 404 404"),
    "financing:event-register": (('missing',), "302 405 405 405 405 405 405 405"),
    "policy:library": ((), "302 200 200 200 200 200 200 200"),
    "policy:policy": (('policy',), "302 200 200 200 200 200 200 200"),
    "policy:mine": ((), "302 200 200 403 403 403 403 403"),
    "policy:claim": (('item',), "302 200 200 403 403 403 403 403"),
    "policy:claims": ((), "302 200 200 403 200 200 403 200"),
    "policy:claim-detail": (('claim',), "302 200 404 403 200 404 403 200"),
    "policy:review": ((), "302 403 403 403 200 200 403 200"),
    "policy:publicity": ((), "302 200 200 200 200 200 200 200"),
    "policy:ledger": ((), "302 403 403 403 200 200 403 200"),
    "policy:dashboard": ((), "302 403 403 403 200 200 403 200"),
    "policy:manage": ((), "302 403 403 403 200 200 403 200"),
    "policy:policy-new": ((), "302 403 403 403 200 200 403 200"),
    "policy:policy-edit": (('policy',), "302 403 403 403 200 200 403 200"),
    "policy:item-new": (('policy',), "302 403 403 403 200 200 403 200"),
    "policy:item-edit": (('policy', 'item'), "302 403 403 403 200 200 403 200"),
    "policy:push": (('item',), "302 405 405 405 405 405 405 405"),
    "policy:rule-check": ((), "302 405 405 405 405 405 405 405"),
    "listing:readiness": ((), "302 200 200 302 302 302 302 302"),
    "listing:readiness-of": (('ent_org',), "302 200 200 200 200 403 403 200"),
    "listing:financials": ((), "302 200 200 403 403 403 403 403"),
    "listing:milestones": ((), "302 200 200 404 404 404 404 404"),
    "listing:milestones-of": (('ent_org',), "302 200 200 403 200 403 403 200"),
    "listing:reserve": ((), "302 403 403 403 200 200 403 200"),
    "listing:nominate": ((), "302 405 405 405 405 405 405 405"),
    "listing:reevaluate": ((), "302 405 405 405 405 405 405 405"),
    "listing:entry": (('missing',), "302 404 404 403 404 404 403 404"),
    "listing:decide": (('missing',), "302 405 405 405 405 405 405 405"),
    "listing:funnel": ((), "302 403 403 403 200 200 403 200"),
    "listing:standards": ((), "302 200 200 200 200 200 200 200"),
    "credit:profile": ((), "302 200 200 404 404 404 404 404"),
    "credit:enterprise_profile": (('ent_org',), "302 200 403 200 403 403 403 200"),
    "credit:distribution": ((), "302 403 403 403 200 200 200 200"),
    "credit:template": (('source',), "302 200 200 200 200 200 200 200"),
    "credit:credit_scoring:models": ((), "302 403 403 403 403 403 403 200"),
    "credit:credit_scoring:retrain": ((), "302 405 405 405 405 405 405 405"),
    "credit:credit_scoring:report": (('missing',), "302 403 403 403 403 403 403 404"),
    "credit:credit_scoring:activate": (('missing',), "302 405 405 405 405 405 405 405"),
    "credit:credit_scoring:retire": (('missing',), "302 405 405 405 405 405 405 405"),
}
API: dict[str, tuple[tuple[str, ...], str]] = {
    "GET /api/v1/codes/uscc/{code}": (('uscc',), "200 200 200 200 200 200 200 200"),
    "GET /api/v1/codes/divisions": ((), "200 200 200 200 200 200 200 200"),
    "GET /api/v1/codes/zones": ((), "200 200 200 200 200 200 200 200"),
    "GET /api/v1/codes/industries": ((), "200 200 200 200 200 200 200 200"),
    "GET /api/v1/codes/size": ((), "422 422 422 422 422 422 422 422"),
    "GET /api/v1/codes/workdays/add": ((), "422 422 422 422 422 422 422 422"),
    "GET /api/v1/imports/{job_id}": (('missing',), "401 404 404 404 404 404 404 404"),
    "POST /api/v1/imports/{job_id}/commit": (('missing',), "401 404 404 404 404 404 404 404"),
    "POST /api/v1/imports/{job_id}/retry": (('missing',), "401 404 404 404 404 404 404 404"),
    "POST /api/v1/imports/{kind}": (('import_kind',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/attachments/{owner}/{object_id}": (('owner_application', 'application'), "401 200 404 200 404 404 404 200"),
    "POST /api/v1/attachments/{owner}/{object_id}": (('owner_application', 'application'), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/attachments/{attachment_id}": (('attachment',), "401 200 404 200 404 404 404 200"),
    "GET /api/v1/brain/plans": ((), "401 403 403 403 200 200 200 200"),
    "GET /api/v1/brain/plans/{code}": (('plan',), "401 403 403 403 200 200 200 200"),
    "GET /api/v1/brain/indicators/{code}": (('indicator',), "401 403 403 403 200 200 200 200"),
    "GET /api/v1/brain/indicators/{code}/actuals": (('indicator',), "401 403 403 403 200 200 200 200"),
    "POST /api/v1/brain/indicators/{code}/actuals": (('indicator',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/brain/compare": ((), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/brain/index": ((), "401 403 403 403 200 200 200 200"),
    "GET /api/v1/brain/tasks": ((), "401 403 403 403 200 200 200 200"),
    "GET /api/v1/brain/tasks/{code}": (('task',), "401 403 403 403 200 404 200 200"),
    "POST /api/v1/brain/tasks/{code}/reports": (('task',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/financing/products": ((), "401 200 200 200 200 200 200 200"),
    "POST /api/v1/financing/products": ((), "401 422 422 422 422 422 422 422"),
    "POST /api/v1/financing/rules/check": ((), "401 403 403 200 200 200 200 200"),
    "GET /api/v1/financing/match": ((), "401 200 200 403 403 403 403 403"),
    "POST /api/v1/financing/demands": ((), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/financing/demands/hall": ((), "401 403 403 200 403 403 403 200"),
    "POST /api/v1/financing/demands/{demand_id}/claim": (('demand',), "401 403 403 201 403 403 403 403"),
    "GET /api/v1/financing/applications": ((), "401 200 200 200 200 200 200 200"),
    "POST /api/v1/financing/applications": ((), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/financing/applications/{app_id}": (('application',), "401 200 404 200 404 404 404 200"),
    "POST /api/v1/financing/applications/{app_id}/transitions": (('application',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/financing/applications/{app_id}/events": (('application',), "401 200 404 200 404 404 404 200"),
    "GET /api/v1/financing/kpis": ((), "401 403 403 403 200 200 200 200"),
    "GET /api/v1/policy/policies": ((), "401 200 200 200 200 200 200 200"),
    "GET /api/v1/policy/policies/{pk}": (('policy',), "401 200 200 200 200 200 200 200"),
    "GET /api/v1/policy/mine": ((), "401 200 200 403 403 403 403 403"),
    "GET /api/v1/policy/claims": ((), "401 200 200 403 200 200 403 200"),
    "POST /api/v1/policy/claims": ((), "401 422 422 422 422 422 422 422"),
    "POST /api/v1/policy/claims/{pk}/decision": (('claim',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/policy/ledger": ((), "401 403 403 403 200 200 403 200"),
    "POST /api/v1/policy/items/{pk}/push": (('item',), "401 403 403 403 200 403 403 200"),
    "POST /api/v1/policy/rules/check": ((), "401 403 403 200 200 200 200 200"),
    "GET /api/v1/listing/standards": ((), "401 200 200 200 200 200 200 200"),
    "GET /api/v1/listing/readiness/{enterprise_id}": (('ent_org',), "401 200 403 200 200 403 403 200"),
    "GET /api/v1/listing/statements/{enterprise_id}": (('ent_org',), "401 200 403 200 403 403 403 200"),
    "POST /api/v1/listing/statements": ((), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/listing/reserve": ((), "401 200 200 403 200 200 403 200"),
    "POST /api/v1/listing/reserve": ((), "401 422 422 422 422 422 422 422"),
    "POST /api/v1/listing/reserve/{entry_id}/decide": (('missing',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/listing/milestones/{enterprise_id}": (('ent_org',), "401 200 403 403 200 403 403 200"),
    "POST /api/v1/listing/milestones/{enterprise_id}": (('ent_org',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/listing/funnel": ((), "401 403 403 403 200 200 403 200"),
    "GET /api/v1/credit/profile/{enterprise_id}": (('ent_org',), "401 200 403 200 403 403 403 200"),
    "GET /api/v1/credit/score/{enterprise_id}": (('ent_org',), "401 200 403 200 403 403 403 200"),
    "GET /api/v1/credit/distribution": ((), "401 403 403 403 200 200 200 200"),
    "GET /api/v1/credit/sources": ((), "401 200 200 200 200 200 200 200"),
    "GET /api/v1/me": ((), "401 200 200 200 200 200 200 200"),
    "GET /api/v1/orgs": ((), "401 200 200 200 200 200 200 200"),
    "GET /api/v1/enterprises/{org_id}": (('ent_org',), "401 200 404 200 200 404 200 200"),
    "GET /api/v1/grants": ((), "401 200 200 200 200 200 200 200"),
    "POST /api/v1/grants": ((), "401 422 422 422 422 422 422 422"),
    "POST /api/v1/grants/{grant_id}/revoke": (('grant',), "401 200 404 404 404 404 404 200"),
    "GET /api/v1/access-records": ((), "401 200 200 200 200 200 200 200"),
}
# fmt: on
NAMESPACES = {"admin": "302 302 302 302 302 302 302 200"}


def module_matrices() -> dict[str, ModuleType]:
    """tests/<module>/matrix.py of every module that keeps its entries in its own test folder."""
    here = Path(__file__).resolve().parent
    found = sorted(p.parent.name for p in here.glob("*/matrix.py"))
    return {name: importlib.import_module(f"{__package__}.{name}.matrix") for name in found}


def all_pages() -> dict[str, tuple[tuple[str, ...], str]]:
    return {**PAGES, **{k: v for m in module_matrices().values() for k, v in m.PAGES.items()}}


def all_api() -> dict[str, tuple[tuple[str, ...], str]]:
    return {**API, **{k: v for m in module_matrices().values() for k, v in m.API.items()}}


def test_module_matrices_hold_only_their_own_routes():
    """A module's file declares its own pages (its URL namespace) and API operations (its prefix), none of
    them also declared here or by another module."""
    from jinfu.core.modules import contracts

    prefixes = {label: c.api_prefix for label, c in contracts()}
    seen = set(PAGES) | set(API)
    assert {"risk", "green"} <= set(module_matrices())
    for name, m in module_matrices().items():
        assert m.PAGES and all(k.startswith(f"{name}:") for k in m.PAGES), name
        assert all(k.split(" ", 1)[1].startswith(f"/api/v1{prefixes[name]}") for k in m.API), name
        assert not (set(m.PAGES) | set(m.API)) & seen, name
        seen |= set(m.PAGES) | set(m.API)


# ---------------------------------------------------------------------------
# enumerating routes
# ---------------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x) or None
            if p.namespace in ("admin", "api-v1"):
                yield p.namespace, prefix + str(p.pattern), None
                continue
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield "page", prefix + str(p.pattern), (f"{namespace}:" if namespace else "") + (p.name or "")


def page_names() -> list[str]:
    return [name for kind, _, name in _walk(get_resolver().url_patterns) if kind == "page"]


def api_operations(client) -> list[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    return [(method.upper(), path) for path, ops in schema["paths"].items() for method in ops]


def test_every_route_has_an_entry(client):
    PAGES, API = all_pages(), all_api()  # the tables, with every module's entries
    pages, operations = page_names(), {f"{m} {p}" for m, p in api_operations(client)}
    namespaces = {kind for kind, _, _ in _walk(get_resolver().url_patterns) if kind != "page"}
    missing = [f"page {n}" for n in pages if n not in PAGES]
    missing += [f"namespace {ns}" for ns in sorted(namespaces - {"api-v1"}) if ns not in NAMESPACES]
    missing += [f"api {op}" for op in sorted(operations) if op not in API]
    assert not missing, "routes without a permission entry:\n" + "\n".join(missing)
    stale = [k for k in PAGES if k not in pages] + [k for k in API if k not in operations]
    assert not stale, "entries for routes that no longer exist:\n" + "\n".join(stale)


# ---------------------------------------------------------------------------
# the world: one object of each kind, owned by the "own" side
# ---------------------------------------------------------------------------


def _world(make_user) -> tuple[dict, dict]:
    from jinfu.brain.loader import load_plans
    from jinfu.core.apikeys import issue_key
    from jinfu.core.models import Organization
    from jinfu.core.services import grant_access
    from jinfu.financing import services as financing
    from jinfu.policy import services as policy
    from tests.factories import apply_to, make_item, make_product, set_profile

    load_plans()

    def gov(division, name):
        return make_user(
            "government", org=Organization.objects.create(kind="government", name=name, division_id=division)
        )

    users = {
        "enterprise": make_user("enterprise"),
        "enterprise_other": make_user("enterprise"),
        "institution": make_user("institution"),
        "government": gov("500108", "南岸区金融办"),
        "government_other": gov("500103", "渝中区金融办"),
        "regulator": make_user("regulator"),
        "admin": make_user("admin"),
    }
    ent, bank, officer = users["enterprise"], users["institution"], users["government"]
    for key in ("enterprise", "enterprise_other"):
        set_profile(
            users[key].organization, division="500108", registered_capital=50000, paid_in_capital=30000
        )
    product = make_product(bank)
    application = apply_to(ent, product)
    demand = financing.create_demand(ent, amount="50", term_months=12, purpose="采购原材料")
    the_policy = policy.publish_policy(
        officer,
        policy.save_policy(
            officer,
            {
                "code": "t-matrix",
                "title": "南岸区金融科技扶持办法",
                "issuer": "南岸区",
                "division_id": "500108",
                "full_text": "对新引进的金融科技企业给予落户奖励。",
            },
        ).pk,
    )
    item = make_item(officer, the_policy, eligibility_rule="registered_capital >= 100")
    claim = policy.submit_claim(ent, item.pk)
    grant = grant_access(
        ent,
        grantee=bank.organization,
        scopes=["basic"],
        purpose="loan_application",
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    key, _ = issue_key(organization=bank.organization, name="matrix", scopes=["orgs:read"], created_by=bank)
    attachment = _attachment(application, bank)
    objects = {
        "ent_org": ent.organization_id,
        "bank_org": bank.organization_id,
        "product": product.pk,
        "application": application.pk,
        "demand": demand.pk,
        "policy": the_policy.pk,
        "item": item.pk,
        "claim": claim.pk,
        "grant": grant.pk,
        "api_key": key.pk,
        "attachment": attachment.pk,
        "owner_application": "financing.application",
        "plan": "000",
        "indicator": "000-I01",
        "task": "000-T01",
        "missing": MISSING,
        "import_kind": "enterprises",
        "fmt_xlsx": "xlsx",
        "pdf": "docx",
        "source": "tax",
        "uscc": "91500000MA5U0000XX",
    }
    for module in module_matrices().values():
        extra = module.setup(users, objects)
        assert not set(extra) & set(objects), (module.__name__, set(extra) & set(objects))
        objects.update(extra)
    return users, objects


def _attachment(application, bank):
    """A due-diligence PDF on the application (accepted first), uploaded by its institution."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jinfu.core import attachments
    from jinfu.financing import services as financing

    financing.transition(bank, application.pk, "accept", expected_version=application.lock_version)
    return attachments.upload(
        bank,
        "financing.application",
        application.pk,
        "due_diligence",
        SimpleUploadedFile("dd.pdf", b"%PDF-1.4 x"),
    )


def _outcome(resp) -> str:
    return str(resp.status_code)


def _clients(users) -> dict[str, Client]:
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, user in users.items():
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(user)
    return clients


def _page_url(name: str, args: tuple[str, ...], objects: dict) -> str:
    from django.urls import reverse

    return reverse(name, args=[objects[a] for a in args])


def _api_url(path: str, args: tuple[str, ...], objects: dict) -> str:
    import re

    values = iter(objects[a] for a in args)
    return re.sub(r"\{[^}]+\}", lambda _m: str(next(values)), path)


@pytest.mark.django_db
def test_every_route_answers_every_role_as_declared(make_user, reference_data):
    users, objects = _world(make_user)
    clients = _clients(users)
    mismatches = []
    PAGES, API = all_pages(), all_api()  # the tables, with every module's entries
    for name, (args, expected) in PAGES.items():
        url = _page_url(name, args, objects)
        got = " ".join(_outcome(clients[r].get(url)) for r in ROLES)
        if got != expected:
            mismatches.append(f'    "{name}": ({args!r}, "{got}"),  # declared "{expected}"')
    for ns, expected in NAMESPACES.items():
        got = " ".join(_outcome(clients[r].get(f"/{ns}/")) for r in ROLES)
        if got != expected:
            mismatches.append(f'namespace {ns}: "{got}"  # declared "{expected}"')
    for op, (args, expected) in API.items():
        method, path = op.split(" ", 1)
        url = _api_url(path, args, objects)
        outcomes = []
        for r in ROLES:
            if method == "GET":
                resp = clients[r].get(url)
            else:
                resp = clients[r].generic(method, url, "{}", content_type="application/json")
            outcomes.append(_outcome(resp))
        got = " ".join(outcomes)
        if got != expected:
            mismatches.append(f'    "{op}": ({args!r}, "{got}"),  # declared "{expected}"')
    assert not mismatches, "outcomes differ from the table:\n" + "\n".join(mismatches)

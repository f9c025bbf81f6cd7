"""Permission matrix: every role × every page and API endpoint of the foundation.

Expected outcomes are written out by hand from the product rules (who may do what), not derived
from the code under test.
"""

import pytest

from jinfu.core.apikeys import issue_key
from jinfu.core.models import Organization

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "enterprise", "institution", "government", "regulator", "admin"]

# page → expected status per role (302 for anonymous = redirect to login)
PAGES = {
    "/": dict(anonymous=302, enterprise=200, institution=200, government=200, regulator=200, admin=200),
    "/orgs/": dict(anonymous=302, enterprise=200, institution=200, government=200, regulator=200, admin=200),
    "/orgs/consent/": dict(
        anonymous=302, enterprise=200, institution=403, government=403, regulator=403, admin=403
    ),
    "/orgs/access-log/": dict(
        anonymous=302, enterprise=200, institution=200, government=200, regulator=200, admin=200
    ),
    "/orgs/api-keys/": dict(
        anonymous=302, enterprise=403, institution=200, government=403, regulator=403, admin=200
    ),
    "/orgs/audit/": dict(
        anonymous=302, enterprise=403, institution=403, government=403, regulator=403, admin=200
    ),
    "/admin/": dict(anonymous=302, enterprise=302, institution=302, government=302, regulator=302, admin=200),
}

API = {
    "/api/v1/me": dict(
        anonymous=401, enterprise=200, institution=200, government=200, regulator=200, admin=200
    ),
    "/api/v1/orgs": dict(
        anonymous=401, enterprise=200, institution=200, government=200, regulator=200, admin=200
    ),
    "/api/v1/grants": dict(
        anonymous=401, enterprise=200, institution=200, government=200, regulator=200, admin=200
    ),
    "/api/v1/access-records": dict(
        anonymous=401, enterprise=200, institution=200, government=200, regulator=200, admin=200
    ),
    "/api/v1/openapi.json": dict(
        anonymous=200, enterprise=200, institution=200, government=200, regulator=200, admin=200
    ),
}


@pytest.fixture
def users(make_user):
    return {role: make_user(role) for role in ROLES if role != "anonymous"}


def _client(client, users, role):
    if role != "anonymous":
        client.force_login(users[role])
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", list(PAGES))
def test_pages(client, users, role, path):
    resp = _client(client, users, role).get(path)
    assert resp.status_code == PAGES[path][role], (path, role, resp.status_code)
    if resp.status_code == 302 and role == "anonymous":
        assert "login" in resp["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", list(API))
def test_api(client, users, role, path):
    resp = _client(client, users, role).get(path)
    assert resp.status_code == API[path][role], (path, role, resp.status_code)


@pytest.mark.parametrize("role", ["enterprise", "institution", "government", "regulator"])
def test_org_directory_scoping(client, users, role):
    """Enterprises never list other enterprises; institutions and departments see the directory."""
    other = Organization.objects.create(kind="enterprise", name="别家企业有限公司")
    client.force_login(users[role])
    ids = {o["id"] for o in client.get("/api/v1/orgs?limit=500").json()["items"]}
    if role == "enterprise":
        assert other.pk not in ids and users[role].organization.pk in ids
    else:
        assert other.pk in ids


def test_government_sees_only_its_division(client, make_user):
    from jinfu.core.models import Division

    if not Division.objects.filter(code="500103").exists():
        pytest.fail("reference data (divisions) not loaded")
    gov = make_user("government")
    gov.organization.division_id = "500103"
    gov.organization.save()
    inside = Organization.objects.create(kind="enterprise", name="渝中企业", division_id="500103")
    outside = Organization.objects.create(kind="enterprise", name="江北企业", division_id="500105")
    client.force_login(gov)
    ids = {o["id"] for o in client.get("/api/v1/orgs?kind=enterprise&limit=500").json()["items"]}
    assert inside.pk in ids and outside.pk not in ids


def test_enterprise_cannot_read_another_enterprise(client, make_user):
    a = make_user("enterprise")
    b = make_user("enterprise")
    client.force_login(a)
    assert client.get(f"/api/v1/enterprises/{b.organization.pk}").status_code == 404
    assert (
        client.get(f"/orgs/{b.organization.pk}/").status_code == 302
    )  # back to the directory with a message


def test_api_key_auth_scopes_and_revocation(client, make_user):
    bank = make_user("institution")
    key, plaintext = issue_key(organization=bank.organization, name="核心系统", scopes=["orgs:read"])
    assert key.key_hash != plaintext and plaintext not in key.key_hash
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    me = client.get("/api/v1/me", **auth).json()
    assert me["organization_id"] == bank.organization.pk and me["channel"] == "api"
    assert client.get("/api/v1/orgs", **auth).status_code == 200
    # enterprise data needs the enterprise_data:read scope on the key as well as a grant
    ent = make_user("enterprise")
    data = client.get(f"/api/v1/enterprises/{ent.organization.pk}", **auth).json()
    assert data["sections"]["basic"]["allowed"] is False
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer jf_nope_wrong").status_code == 401
    from jinfu.core.apikeys import revoke_key

    revoke_key(key)
    assert client.get("/api/v1/me", **auth).status_code == 401


def test_api_key_with_missing_scope_is_forbidden(client, make_user):
    bank = make_user("institution")
    _, plaintext = issue_key(
        organization=bank.organization, name="仅企业数据", scopes=["enterprise_data:read"]
    )
    assert client.get("/api/v1/orgs", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 403


def test_unsafe_api_call_with_session_needs_csrf(make_user):
    from django.test import Client

    ent = make_user("enterprise")
    c = Client(enforce_csrf_checks=True)
    c.force_login(ent)
    resp = c.post("/api/v1/grants/1/revoke")
    assert resp.status_code in (401, 403)


def test_api_key_post_needs_no_csrf_but_a_session_post_does(make_user):
    """Machine clients authenticate with the key alone; browsers still need the CSRF token."""
    import datetime as dt

    from django.test import Client
    from django.utils import timezone

    bank = make_user("institution")
    _, plaintext = issue_key(organization=bank.organization, name="k", scopes=["enterprise_data:read"])
    c = Client(enforce_csrf_checks=True)
    resp = c.post(
        "/api/v1/grants",
        {
            "grantee_id": bank.organization.pk,
            "scopes": ["basic"],
            "purpose": "loan_application",
            "expires_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {plaintext}",
    )
    # authenticated by key (no CSRF failure); refused by the service because only enterprises grant
    assert resp.status_code == 403 and "企业" in resp.json()["detail"]


def test_unknown_scope_parameter_is_a_clear_422_and_records_nothing(client, make_user):
    from jinfu.core.models import AccessRecord

    bank = make_user("institution")
    ent = make_user("enterprise")
    client.force_login(bank)
    resp = client.get(f"/api/v1/enterprises/{ent.organization.pk}?scopes=foo")
    assert resp.status_code == 422 and "foo" in resp.json()["detail"]
    assert AccessRecord.objects.count() == 0


def test_unauthenticated_api_message_is_bilingual(client):
    detail = client.get("/api/v1/me").json()["detail"]
    assert "未登录" in detail and "Not authenticated" in detail

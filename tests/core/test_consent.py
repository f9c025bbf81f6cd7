"""Data authorization (授权): no grant, expired, revoked, wrong scope; every read recorded; UI and API."""

import datetime as dt

import pytest
from django.utils import timezone

from jinfu.core import selectors, services
from jinfu.core.errors import ConsentRequired, Forbidden, ValidationFailed
from jinfu.core.models import AccessRecord, Grant, Purpose, Scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(make_user):
    ent_user = make_user("enterprise")
    bank_user = make_user("institution")
    other_bank = make_user("institution")
    return ent_user, bank_user, other_bank


def _grant(ent_user, bank_user, scopes=("basic",), days=30):
    return services.grant_access(
        ent_user,
        grantee=bank_user.organization,
        scopes=list(scopes),
        purpose=Purpose.LOAN_APPLICATION,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )


def test_no_grant_is_denied_and_the_attempt_recorded(parties):
    ent_user, bank_user, _ = parties
    with pytest.raises(ConsentRequired):
        selectors.check_enterprise_access(bank_user, ent_user.organization, Scope.FINANCIALS)
    rec = AccessRecord.objects.get()
    assert (rec.accessor_org, rec.allowed, rec.scope) == (bank_user.organization, False, "financials")


def test_live_grant_allows_only_its_scopes_and_records_the_read(parties):
    ent_user, bank_user, _ = parties
    grant = _grant(ent_user, bank_user, scopes=["basic"])
    assert selectors.check_enterprise_access(bank_user, ent_user.organization, Scope.BASIC) == grant
    with pytest.raises(ConsentRequired):  # wrong scope
        selectors.check_enterprise_access(bank_user, ent_user.organization, Scope.FINANCIALS)
    allowed = AccessRecord.objects.filter(allowed=True)
    assert allowed.count() == 1 and allowed.get().grant == grant
    # the enterprise sees both reads (the allowed one and the refused one)
    assert selectors.access_records_for(ent_user).count() == 2


def test_grant_to_one_institution_does_not_open_data_to_another(parties):
    ent_user, bank_user, other_bank = parties
    _grant(ent_user, bank_user, scopes=["basic", "financials"])
    with pytest.raises(ConsentRequired):
        selectors.check_enterprise_access(other_bank, ent_user.organization, Scope.BASIC)


def test_expired_grant_is_denied(parties):
    ent_user, bank_user, _ = parties
    grant = _grant(ent_user, bank_user)
    Grant.objects.filter(pk=grant.pk).update(
        granted_at=timezone.now() - dt.timedelta(days=40), expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(ConsentRequired):
        selectors.check_enterprise_access(bank_user, ent_user.organization, Scope.BASIC)


def test_revoked_grant_is_denied_from_the_next_read(parties):
    ent_user, bank_user, _ = parties
    grant = _grant(ent_user, bank_user)
    selectors.check_enterprise_access(bank_user, ent_user.organization, Scope.BASIC)
    services.revoke_grant(ent_user, grant.pk)
    with pytest.raises(ConsentRequired):
        selectors.check_enterprise_access(bank_user, ent_user.organization, Scope.BASIC)


def test_only_the_enterprise_can_grant_or_revoke(parties):
    ent_user, bank_user, other_bank = parties
    with pytest.raises(Forbidden):
        services.grant_access(
            bank_user,
            grantee=other_bank.organization,
            scopes=["basic"],
            purpose="loan_application",
            expires_at=timezone.now() + dt.timedelta(days=1),
        )
    grant = _grant(ent_user, bank_user)
    with pytest.raises(Exception):  # noqa: B017 — NotFound for a stranger
        services.revoke_grant(bank_user, grant.pk)
    assert Grant.objects.get(pk=grant.pk).revoked_at is None


@pytest.mark.parametrize(
    ("scopes", "purpose", "days", "field"),
    [
        ([], "loan_application", 30, "scopes"),
        (["everything"], "loan_application", 30, "scopes"),
        (["basic"], "marketing", 30, "purpose"),
        (["basic"], "loan_application", -1, "expires_at"),
        (["basic"], "loan_application", 4000, "expires_at"),
    ],
)
def test_bad_grant_input_is_rejected_with_the_field(parties, scopes, purpose, days, field):
    ent_user, bank_user, _ = parties
    with pytest.raises(ValidationFailed) as exc:
        services.grant_access(
            ent_user,
            grantee=bank_user.organization,
            scopes=scopes,
            purpose=purpose,
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
    assert exc.value.field == field
    assert Grant.objects.count() == 0


def test_grant_to_an_enterprise_is_rejected(parties, make_user):
    ent_user, _, _ = parties
    other_ent = make_user("enterprise")
    with pytest.raises(ValidationFailed):
        services.grant_access(
            ent_user,
            grantee=other_ent.organization,
            scopes=["basic"],
            purpose="loan_application",
            expires_at=timezone.now() + dt.timedelta(days=1),
        )


def test_profile_page_locks_sections_without_grant_and_opens_them_with_one(client, parties):
    ent_user, bank_user, _ = parties
    client.force_login(bank_user)
    url = f"/orgs/{ent_user.organization.pk}/"
    html = client.get(url).content.decode()
    assert 'data-locked="financials"' in html and "营业收入（万元）" not in html
    _grant(ent_user, bank_user, scopes=["financials"])
    html = client.get(url).content.decode()
    assert 'data-locked="financials"' not in html and 'data-locked="basic"' in html
    i = html.index("营业收入（万元）")  # revenue 3000 万元, shown only under the grant
    assert "3000.00" in html[i : i + 80].replace(",", "")


def test_consent_page_grant_and_revoke_through_the_ui(client, parties):
    ent_user, bank_user, _ = parties
    client.force_login(ent_user)
    resp = client.post(
        "/orgs/consent/",
        {
            "grantee": bank_user.organization.pk,
            "scopes": ["basic", "tax"],
            "purpose": "loan_application",
            "days": 30,
        },
    )
    assert resp.status_code == 302
    grant = Grant.objects.get()
    assert grant.scopes == ["basic", "tax"] and grant.is_live()
    client.post(f"/orgs/consent/{grant.pk}/revoke/")
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_api_grant_flow_and_enterprise_read(client, parties):
    ent_user, bank_user, _ = parties
    client.force_login(ent_user)
    expires = (timezone.now() + dt.timedelta(days=10)).isoformat()
    resp = client.post(
        "/api/v1/grants",
        {
            "grantee_id": bank_user.organization.pk,
            "scopes": ["basic"],
            "purpose": "credit_assessment",
            "expires_at": expires,
        },
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    client.force_login(bank_user)
    data = client.get(f"/api/v1/enterprises/{ent_user.organization.pk}").json()
    assert data["sections"]["basic"]["allowed"] is True
    assert data["sections"]["basic"]["data"]["employees"] == 50
    assert data["sections"]["financials"]["allowed"] is False
    assert "revenue" not in str(data["sections"]["financials"])


def test_enterprise_sees_its_own_data_without_records(client, parties):
    ent_user, _, _ = parties
    client.force_login(ent_user)
    data = client.get(f"/api/v1/enterprises/{ent_user.organization.pk}").json()
    assert data["sections"]["financials"]["data"]["revenue"] == "3000.00"
    assert AccessRecord.objects.count() == 0

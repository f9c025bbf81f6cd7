"""Audit: logins, failed logins, lockout, admin actions, record changes with before/after."""

import pytest

from jinfu.core.models import SecurityEvent

pytestmark = pytest.mark.django_db


def test_login_and_failed_login_are_recorded(client, make_user):
    user = make_user("enterprise")
    client.post("/accounts/login/", {"username": user.username, "password": "wrong-password"})
    assert SecurityEvent.objects.filter(kind="login_failed", username=user.username).count() == 1
    resp = client.post("/accounts/login/", {"username": user.username, "password": user.raw_password})
    assert resp.status_code == 302
    assert SecurityEvent.objects.filter(kind="login", user=user).count() == 1


def test_lockout_after_five_failures(client, make_user):
    user = make_user("institution")
    for _ in range(5):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong-password"})
    resp = client.post("/accounts/login/", {"username": user.username, "password": user.raw_password})
    assert resp.status_code == 429
    assert "锁定" in resp.content.decode()
    assert SecurityEvent.objects.filter(kind="lockout").exists()


def test_record_changes_keep_before_and_after_with_actor(client, make_user):
    from auditlog.models import LogEntry

    admin = make_user("admin")
    ent = make_user("enterprise")
    org = ent.organization
    client.force_login(admin)
    resp = client.post(
        f"/admin/core/organization/{org.pk}/change/",
        {
            "kind": "enterprise",
            "name": "改名后的科技有限公司",
            "uscc": "",
            "address": "",
            "contact_phone": "",
            "enterprise-TOTAL_FORMS": "0",
            "enterprise-INITIAL_FORMS": "0",
            "institution-TOTAL_FORMS": "0",
            "institution-INITIAL_FORMS": "0",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    entry = LogEntry.objects.filter(object_pk=str(org.pk), action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == admin
    assert entry.changes_dict["name"][1] == "改名后的科技有限公司"
    assert entry.changes_dict["name"][0] != "改名后的科技有限公司"
    assert SecurityEvent.objects.filter(kind="admin_action", user=admin).exists()
    page = client.get("/orgs/audit/?tab=changes").content.decode()
    assert "改名后的科技有限公司" in page


def test_change_log_masks_id_numbers(make_user):
    from auditlog.models import LogEntry

    ent = make_user("enterprise")
    profile = ent.organization.enterprise
    profile.legal_rep_id_number = "11010519491231002X"
    profile.save()
    entry = LogEntry.objects.filter(
        object_pk=str(profile.pk), changes__icontains="legal_rep_id_number"
    ).latest("timestamp")
    assert "11010519491231002X" not in str(entry.changes)


def test_createuser_enforces_password_rules():
    from jinfu.core.errors import ValidationFailed
    from jinfu.core.models import User
    from jinfu.core.services import create_user

    with pytest.raises(ValidationFailed) as exc:
        create_user(username="weak", password="short", role="admin")
    assert exc.value.field == "password" and not User.objects.filter(username="weak").exists()

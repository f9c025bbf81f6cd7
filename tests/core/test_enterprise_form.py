"""Registering and editing an enterprise from the web form: same rules as the import, nothing half-written."""

import random

import pytest

from jinfu.core.models import EnterpriseProfile, Organization
from jinfu.core.reference.uscc import generate_uscc

pytestmark = pytest.mark.django_db


def _values(uscc, **over):
    values = {
        "uscc": uscc,
        "name": "重庆表单测试科技有限公司",
        "legal_representative": "王五",
        "legal_rep_id_number": "",
        "registered_capital": "1000",
        "paid_in_capital": "500",
        "established_on": "2019-03-15",
        "division": "500103",
        "zone": "",
        "industry": "6513",
        "employees": "120",
        "revenue": "1500",
        "total_assets": "900",
        "address": "重庆市渝中区民族路1号",
        "contact_phone": "023-63000000",
        "tags": "",
    }
    values.update(over)
    return values


@pytest.fixture
def gov(make_user):
    user = make_user("government")
    user.organization.division_id = "500103"
    user.organization.save()
    return user


def test_government_registers_an_enterprise_with_computed_size(client, gov):
    uscc = generate_uscc("500103", random.Random(7))
    client.force_login(gov)
    resp = client.post("/orgs/enterprises/new/", _values(uscc))
    assert resp.status_code == 302, resp.content.decode()[:3000]
    org = Organization.objects.get(uscc=uscc)
    ent = org.enterprise
    # 软件和信息技术服务业 (65): medium needs ≥100 people and ≥1000万 revenue (2011 standard)
    assert ent.size_class == "medium" and ent.employees == 120


def test_invalid_uscc_and_future_date_are_shown_and_nothing_written(client, gov):
    client.force_login(gov)
    before = Organization.objects.count()
    resp = client.post(
        "/orgs/enterprises/new/", _values("91500000202869177X", established_on="2999-01-01", revenue="-5")
    )
    assert resp.status_code == 422
    html = resp.content.decode()
    assert 'data-error-for="uscc"' in html and 'data-error-for="established_on"' in html
    assert 'data-error-for="revenue"' in html
    assert Organization.objects.count() == before


def test_government_cannot_register_outside_its_division(client, gov):
    client.force_login(gov)
    uscc = generate_uscc("500105", random.Random(3))
    resp = client.post("/orgs/enterprises/new/", _values(uscc, division="500105"))
    assert resp.status_code == 422 and not Organization.objects.filter(uscc=uscc).exists()


def test_enterprise_edits_its_own_profile_and_the_change_is_audited(client, make_user):
    """Its own figures are kept as self-declared (自报) beside the registration values; address changes
    apply; both are audited."""
    from auditlog.models import LogEntry

    from jinfu.core.models import DeclaredFact

    admin = make_user("admin")
    uscc = generate_uscc("500103", random.Random(11))
    client.force_login(admin)
    assert client.post("/orgs/enterprises/new/", _values(uscc)).status_code == 302
    org = Organization.objects.get(uscc=uscc)
    owner = make_user("enterprise", org=org)
    client.force_login(owner)
    resp = client.post(
        f"/orgs/{org.pk}/edit/",
        _values("ignored", employees="8", revenue="40", address="重庆市渝中区新址2号"),
    )
    assert resp.status_code == 302
    ent = EnterpriseProfile.objects.get(pk=org.pk)
    assert ent.employees == 120 and ent.size_class == "medium"  # registration values and size unchanged
    declared = dict(DeclaredFact.objects.filter(enterprise=org).values_list("fact", "value"))
    assert declared == {"employees": 8, "revenue": 40}
    assert Organization.objects.get(pk=org.pk).uscc == uscc  # the USCC cannot be changed by editing
    assert Organization.objects.get(pk=org.pk).address == "重庆市渝中区新址2号"
    entry = LogEntry.objects.filter(changes__icontains="address", object_pk=str(org.pk)).latest("timestamp")
    assert "新址" in str(entry.changes_dict["address"][1])
    assert LogEntry.objects.filter(
        content_type__model="declaredfact", changes__icontains="40"
    ).exists()  # the declaration itself is audited


def test_enterprise_cannot_edit_another_enterprise(client, make_user):
    a = make_user("enterprise")
    b = make_user("enterprise")
    client.force_login(a)
    resp = client.post(f"/orgs/{b.organization.pk}/edit/", _values("x"))
    assert resp.status_code in (302, 403, 404)
    assert EnterpriseProfile.objects.get(pk=b.organization.pk).employees == 50


def test_enterprise_user_cannot_open_the_registration_form(client, make_user):
    client.force_login(make_user("enterprise"))
    assert client.get("/orgs/enterprises/new/").status_code == 403

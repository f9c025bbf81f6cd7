"""The industry jurisdiction (行业主管部门, issue 12 item 8): a sector office governs the enterprises of its
division whose GB/T 4754 industry is in its sections or divisions; street office users by their street's
district; neither reaches anything through a caller that names no industry field."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import ValidationError

from jinfu.core import jurisdiction as jur
from jinfu.core.models import EnterpriseProfile, Industry, Organization
from jinfu.core.principal import as_principal
from jinfu.core.reference.uscc import generate_uscc

pytestmark = pytest.mark.django_db
_n = iter(range(7000, 9000))


def firm(industry: str, division="500103") -> Organization:
    k = next(_n)
    org = Organization.objects.create(
        kind="enterprise",
        name=f"行业测试企业{k}",
        uscc=generate_uscc(division, random.Random(k)),
        division_id=division,
    )
    code = Industry.objects.filter(code__startswith=industry, level="class").order_by("code").first()
    EnterpriseProfile.objects.create(
        organization=org,
        legal_representative="甲",
        registered_capital=10,
        established_on="2020-01-01",
        industry=code,
    )
    return org


def sector_user(make_user, industries, division="500103"):
    org = Organization.objects.create(
        kind="sector", name="区商务委", division_id=division, industries=industries
    )
    return make_user("sector", org=org)


def test_section_ranges_match_the_loaded_standard(reference_data):
    for section, (lo, hi) in jur.SECTION_DIVISIONS.items():
        divisions = set(
            Industry.objects.filter(level="division", section=section).values_list("code", flat=True)
        )
        assert divisions == {f"{n:02d}" for n in range(lo, hi + 1)}, section


def test_a_sector_office_governs_its_industries_in_its_division_only(reference_data, make_user):
    retail, hotel, factory = firm("51"), firm("61"), firm("13")  # F 批发, H 住宿, C 制造
    far_retail = firm("52", division="500105")
    user = sector_user(make_user, ["F", "61"])
    j = as_principal(user).jurisdiction
    assert (j.level, j.division, j.industries) == (jur.INDUSTRY, "500103", ("61", "F"))
    governed = set(Organization.objects.visible_to(user, "govern"))
    assert governed == {retail, hotel}
    assert far_retail not in governed and factory not in governed
    assert j.covers("500103", None, "5123") and not j.covers("500103", None, "1310")
    assert not j.covers("500105", None, "5123") and not j.covers("500103", None, None)
    # a caller that names no industry field (every module written before this level) gives nothing
    assert not Organization.objects.filter(kind="enterprise").filter(j.q()).exists()
    assert not j.covers_citywide_or(None) and not j.covers_any(["500103"])
    read = set(Organization.objects.visible_to(user).filter(kind="enterprise"))
    assert read == {retail, hotel}


def test_a_city_level_sector_office_governs_its_industries_citywide(reference_data, make_user):
    a, b, c = firm("51"), firm("52", division="500105"), firm("13")
    user = sector_user(make_user, ["F"], division="500000")
    assert set(Organization.objects.visible_to(user, "govern")) == {a, b}
    assert c not in set(Organization.objects.visible_to(user, "govern"))


def test_roles_need_their_own_office_kind(reference_data, make_user):
    street = Organization.objects.create(kind="street", name="解放碑街道网格", division_id="500103")
    assert as_principal(make_user("street", org=street)).jurisdiction.level == jur.STREET
    no_industries = Organization.objects.create(kind="sector", name="空", division_id="500103", industries=[])
    assert as_principal(make_user("sector", org=no_industries)).jurisdiction.level == jur.NONE
    from jinfu.core.errors import ValidationFailed
    from jinfu.core.services import create_user

    with pytest.raises(ValidationFailed):  # a sector user cannot belong to a street office
        create_user(username="wrong_kind", password="Jf-x-12345678", role="sector", organization=street)


def test_industries_are_validated(reference_data):
    bad = Organization(kind="sector", name="x", industries=["Z", "5123"])
    with pytest.raises(ValidationError):
        bad.clean()
    with pytest.raises(ValidationError):
        Organization(kind="government", name="y", industries=["F"]).clean()
    Organization(kind="sector", name="z", industries=["F", "70"]).clean()

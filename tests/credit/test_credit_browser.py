"""Browser journeys: an enterprise reads its profile (sections, provenance, freshness, tags); an
institution without a grant sees locked sections; the government's distribution draws its charts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jinfu.credit import models as m
from jinfu.credit import services


def _login(page, base_url, user):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/accounts/login/" not in page.url, "login failed"


def _records(org):
    year = timezone.localdate().year - 1
    b = m.SourceBatch.objects.create(
        source="tax", source_system="重庆市税务局", adapter="file", status="applied"
    )
    m.TaxRecord.objects.create(
        enterprise=org,
        batch=b,
        source_system="重庆市税务局",
        fetched_at=timezone.now(),
        year=year,
        credit_grade="A",
        tax_paid=12,
    )
    b2 = m.SourceBatch.objects.create(
        source="ip", source_system="知识产权局", adapter="rest", status="applied"
    )
    m.IPRecord.objects.create(
        enterprise=org,
        batch=b2,
        source_system="知识产权局",
        fetched_at=timezone.now() - timezone.timedelta(days=400),
        kind="invention",
        number="ZL2020100001",
        date="2021-03-01",
    )
    services.seed_tag_rules()
    services.refresh_features()
    services.apply_tags()


@pytest.mark.browser
def test_enterprise_profile_and_locked_institution(live_app, page, screenshot, make_user):
    ent = make_user("enterprise")
    _records(ent.organization)
    _login(page, live_app, ent)
    page.goto(f"{live_app}/credit/profile/")
    tax = page.locator("[data-section=tax]")
    assert "重庆市税务局" in tax.inner_text()
    assert tax.locator("[data-freshness=fresh]").count() == 1
    assert page.locator("[data-section=ip] [data-freshness=stale]").count() == 1
    assert page.locator("[data-tag=first_loan]").count() == 1
    screenshot(page, "profile")

    bank = make_user("institution")
    page.context.clear_cookies()
    _login(page, live_app, bank)
    page.goto(f"{live_app}/credit/profile/{ent.organization.pk}/")
    assert page.locator("[data-section=tax] .locked").count() == 1
    assert "重庆市税务局" not in page.content()
    screenshot(page, "locked")


@pytest.mark.browser
def test_government_distribution_charts(live_app, page, screenshot, make_user):
    ent = make_user("enterprise")
    _records(ent.organization)
    gov = make_user("government")
    _login(page, live_app, gov)
    page.goto(f"{live_app}/credit/distribution/")
    page.wait_for_selector("[data-credit-chart][data-rendered='1']")
    assert page.locator("[data-credit-chart] canvas").count() >= 2
    screenshot(page, "distribution")

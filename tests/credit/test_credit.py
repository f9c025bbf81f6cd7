"""Credit: feature derivation on hand-made records, tags as rules, profile permissions, views, export."""

import datetime as dt

import polars as pl
import pytest
from django.utils import timezone

from jinfu.core.features import enterprise_features
from jinfu.core.models import Grant, Purpose
from jinfu.credit import models as m
from jinfu.credit import selectors, services
from jinfu.credit.features import derive
from jinfu.rules import ENTERPRISE_FIELDS, compile_rule

TODAY = dt.date(2026, 11, 22)


def test_derive_by_hand():
    d = dt.date
    frames = {
        "tax": pl.DataFrame(
            {
                "org_id": [1, 1, 1],
                "year": [2024, 2025, 2026],
                "credit_grade": ["B", "A", "D"],
                "tax_paid": [8.0, 12.5, 99.0],
            }
        ),
        "social_insurance": pl.DataFrame(
            {
                "org_id": [1, 1, 1],
                "month": [d(2025, 10, 1), d(2025, 11, 1), d(2026, 10, 1)],
                "insured": [30, 40, 50],
            }
        ),
        "utility": pl.DataFrame(
            {
                "org_id": [1, 1, 1],
                "month": [d(2025, 10, 1), d(2025, 11, 1), d(2026, 11, 1)],
                "kind": ["water", "electricity", "gas"],
                "cost": [1.0, 2.0, 4.0],
            }
        ),
        "procurement": pl.DataFrame(
            {"org_id": [1, 1], "date": [d(2026, 1, 1), d(2025, 11, 1)], "amount": [100.0, 50.0]}
        ),
        "court": pl.DataFrame(
            {
                "org_id": [1, 1, 1, 1],
                "kind": ["dishonest_debtor", "enforcement", "enforcement", "judgment"],
                "date": [d(2025, 1, 1), d(2025, 1, 1), d(2024, 1, 1), d(2023, 11, 21)],
                "closed": [False, False, True, True],
            }
        ),
        "penalty": pl.DataFrame({"org_id": [1, 1], "date": [d(2024, 5, 1), d(2022, 5, 1)]}),
        "abnormal": pl.DataFrame(
            {
                "org_id": [1, 2],
                "listed_on": [d(2025, 1, 1), d(2025, 1, 1)],
                "removed_on": [None, d(2025, 3, 1)],
            }
        ),
        "ip": pl.DataFrame(
            {"org_id": [1, 1, 1, 1], "kind": ["invention", "invention", "trademark", "software_copyright"]}
        ),
        "environment": pl.DataFrame({"org_id": [1, 1], "year": [2024, 2025], "rating": ["黄", "绿"]}),
        "financials": pl.DataFrame(
            {
                "org_id": [1],
                "year": [2025],
                "revenue": [2000.0],
                "net_profit": [100.0],
                "total_assets": [1000.0],
                "net_assets": [400.0],
                "rd_expense": [90.0],
                "operating_cash_flow": [80.0],
            }
        ),
    }
    a, b = derive([1, 2], frames, TODAY).to_dicts()
    assert a["tax_grade"] == "A" and a["tax_paid"] == 12.5  # 2025 = last complete year; 2026 ignored
    assert (
        a["insured_headcount"] == 50 and a["insured_growth_12m"] == 0.6667
    )  # 2026-10 vs 2025-10: 50 / 30 - 1
    assert (
        a["utility_cost_12m"] == 2.0
    )  # 2025-11 only: 2025-10 is 13 months back, 2026-11 is the current month
    assert a["procurement_amount_12m"] == 100.0  # 2025-11-01 is more than 365 days before 2026-11-22
    assert a["dishonest_debtor"] is True and a["enforcement_cases"] == 1 and a["judgments_3y"] == 0
    assert a["penalties_3y"] == 1
    assert a["abnormal_listed"] is True and b["abnormal_listed"] is False
    assert (a["invention_patents"], a["trademarks"], a["software_copyrights"], a["utility_patents"]) == (
        2,
        1,
        1,
        0,
    )
    assert a["rd_intensity"] == 4.5 and a["debt_ratio"] == 60.0 and a["net_profit"] == 100.0
    assert a["env_rating"] == "绿"
    # platform loans are the financing module's feature set (tests/core/test_feature_provenance.py)
    assert "platform_loans_count" not in a and "is_first_loan" not in a
    assert b["tax_grade"] is None and b["enforcement_cases"] == 0


def test_catalog_documents_every_credit_column():
    from jinfu.credit.features import CREDIT_SCHEMA

    for col in CREDIT_SCHEMA:
        f = ENTERPRISE_FIELDS[col]
        assert f.label_zh and f.source
    assert ENTERPRISE_FIELDS["revenue"].unit == "万元"  # existing fields unchanged
    compile_rule("tax_grade IN ('A', 'B') AND NOT dishonest_debtor AND rd_intensity >= 3", ENTERPRISE_FIELDS)


@pytest.fixture
def ent(make_user):
    u = make_user("enterprise")
    u.organization.uscc = "91500103MA5UCRED02"
    u.organization.save()
    return u


def _tax(org, year=2025, grade="A"):
    b = m.SourceBatch.objects.create(source="tax", source_system="税务", adapter="file", status="applied")
    return m.TaxRecord.objects.create(
        enterprise=org,
        batch=b,
        source_system="税务",
        fetched_at=timezone.now(),
        year=year,
        credit_grade=grade,
        tax_paid=10,
    )


def test_feature_table_merges_snapshot_and_exports(ent, tmp_path):
    org = ent.organization
    _tax(org, timezone.localdate().year - 1, "B")
    assert services.refresh_features([org.pk]) == 1
    row = enterprise_features([org.pk]).to_dicts()[0]
    assert row["tax_grade"] == "B" and row["is_first_loan"] is True and row["revenue"] == 3000
    path = tmp_path / "f.parquet"
    assert services.export_features(str(path)) >= 1
    assert "tax_grade" in pl.read_parquet(path).columns


def test_tags_as_rules(ent):
    org = ent.organization
    services.seed_tag_rules()
    assert m.TagRule.objects.count() == 6
    services.refresh_features([org.pk])
    services.apply_tags()
    codes = set(org.enterprise.tags.values_list("code", flat=True))
    assert "first_loan" in codes  # no disbursed loan on the platform
    section = org.enterprise.industry.section
    assert ("above_scale" in codes) == (section in "BCD")  # revenue 3000 万元 ≥ 2000 for industry
    # an operator's own tag
    from jinfu.core.models import Tag

    t = Tag.objects.create(code="good_taxpayer", name="纳税A级")
    m.TagRule.objects.create(tag=t, rule="tax_grade = 'A'")
    _tax(org, timezone.localdate().year - 1, "A")
    services.refresh_features([org.pk])
    services.apply_tags()
    assert org.enterprise.tags.filter(code="good_taxpayer").exists()


def _grant_tax(org, bank) -> Grant:
    """A live 30-day grant of the tax records to the bank's organization."""
    now = timezone.now()
    return Grant.objects.create(
        enterprise=org,
        grantee=bank.organization,
        scopes=["tax"],
        purpose=Purpose.CREDIT_ASSESSMENT,
        granted_at=now - dt.timedelta(days=1),
        expires_at=now + dt.timedelta(days=30),
    )


def test_profile_permissions(ent, make_user):
    org = ent.organization
    _tax(org)
    own = selectors.profile(ent, org.pk)
    assert not any(s["locked"] for s in own["sections"])
    bank = make_user("institution")
    ctx = selectors.profile(bank, org.pk)
    assert all(s["locked"] for s in ctx["sections"]) and ctx["features"] is None
    now = timezone.now()
    g = Grant.objects.create(
        enterprise=org,
        grantee=bank.organization,
        scopes=["tax"],
        purpose=Purpose.CREDIT_ASSESSMENT,
        granted_at=now - dt.timedelta(days=1),
        expires_at=now + dt.timedelta(days=30),
    )
    ctx = selectors.profile(bank, org.pk)
    by = {s["key"]: s for s in ctx["sections"]}
    assert not by["tax"]["locked"] and len(by["tax"]["records"]) == 1 and by["ip"]["locked"]
    assert ctx["features"] is None and ctx["tags"] == [] and ctx["features_locked"]
    services.refresh_features([org.pk])
    g2 = Grant.objects.create(
        enterprise=org,
        grantee=bank.organization,
        scopes=["credit_score"],
        purpose=Purpose.CREDIT_ASSESSMENT,
        granted_at=now - dt.timedelta(days=1),
        expires_at=now + dt.timedelta(days=30),
    )
    ctx = selectors.profile(bank, org.pk)
    assert ctx["features"]["tax_grade"] == "A" and not ctx["features_locked"]
    assert {s["key"]: s["locked"] for s in ctx["sections"]}["ip"]  # credit_score does not open the sources
    g2.delete()
    g.revoked_at = now
    g.save()
    assert selectors.profile(bank, org.pk)["sections"][0]["locked"]
    Grant.objects.create(
        enterprise=org,
        grantee=bank.organization,
        scopes=["tax"],
        purpose=Purpose.CREDIT_ASSESSMENT,
        granted_at=now - dt.timedelta(days=10),
        expires_at=now - dt.timedelta(days=1),
    )
    assert selectors.profile(bank, org.pk)["sections"][0]["locked"]


def test_views(client, ent, make_user):
    _tax(ent.organization)
    client.force_login(ent)
    r = client.get("/credit/profile/")
    assert r.status_code == 200 and 'data-freshness="fresh"' in r.content.decode()
    assert 'href="/credit/profile/"' in r.content.decode()  # in the enterprise menu
    bank = make_user("institution")
    client.force_login(bank)
    r = client.get(f"/credit/profile/{ent.organization.pk}/")
    assert r.status_code == 200 and "未授权" in r.content.decode()
    r = client.get(f"/orgs/{ent.organization.pk}/")
    assert r.status_code == 200 and f'href="/credit/profile/{ent.organization.pk}/"' in r.content.decode()
    gov = make_user("government")
    services.refresh_features()
    client.force_login(gov)
    r = client.get("/credit/distribution/")
    assert r.status_code == 200 and "division-data" in r.content.decode()
    client.force_login(ent)
    assert client.get("/credit/distribution/").status_code == 403
    r = client.get(f"/api/v1/credit/profile/{ent.organization.pk}")
    assert r.status_code == 200 and r.json()["sections"][0]["records"][0]["credit_grade"] == "A"


def test_admin_file_import(client, ent, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin_user = make_user("admin")
    client.force_login(admin_user)
    assert client.get("/admin/credit/sourcebatch/").status_code == 200
    body = "统一社会信用代码,年度,纳税信用等级,纳税额（万元）\n91500103MA5UCRED02,2024,E,1\n".encode()
    r = client.post(
        "/admin/credit/sourcebatch/import/",
        {"source": "tax", "source_system": "税务", "file": SimpleUploadedFile("t.csv", body)},
    )
    assert r.status_code == 422 and "code.unknown_choice" in r.content.decode()
    body = body.replace(b",E,", b",A,")
    r = client.post(
        "/admin/credit/sourcebatch/import/",
        {"source": "tax", "source_system": "税务", "file": SimpleUploadedFile("t.csv", body)},
    )
    assert r.status_code == 200 and 'data-batch-status="applied"' in r.content.decode()
    assert m.TaxRecord.objects.filter(enterprise=ent.organization).count() == 1


def test_api_key_needs_credit_scope_and_grant(client, ent, make_user):
    from jinfu.core.apikeys import issue_key

    org = ent.organization
    _tax(org)
    bank = make_user("institution")
    _, no_scope = issue_key(organization=bank.organization, name="k1", scopes=["enterprise_data:read"])
    url = f"/api/v1/credit/profile/{org.pk}"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {no_scope}").status_code == 403
    _, key = issue_key(
        organization=bank.organization, name="k2", scopes=["credit:read", "enterprise_data:read"]
    )
    body = client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert all(s["locked"] and s["records"] == [] for s in body["sections"]) and body["features"] is None
    _grant_tax(org, bank)
    body = client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}").json()
    tax = next(s for s in body["sections"] if s["source"] == "tax")
    assert not tax["locked"] and tax["records"][0]["source_system"] == "税务" and tax["freshness"] == "fresh"
    assert client.get("/api/v1/credit/distribution", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 403
    assert len(client.get("/api/v1/credit/sources", HTTP_AUTHORIZATION=f"Bearer {key}").json()) == 9


def test_profile_page_shows_record_values_and_the_score_block(client, make_user):
    """The enterprise's own profile lists each record's values (not only its provenance)."""
    import datetime as dt

    from jinfu.credit import models as cm

    user = make_user("enterprise")
    org = user.organization
    batch = cm.SourceBatch.objects.create(source="tax", adapter="file", status="applied")
    cm.TaxRecord.objects.create(
        enterprise=org,
        year=2025,
        credit_grade="B",
        tax_paid=123.45,
        source_system="税务",
        fetched_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
        batch=batch,
    )
    client.force_login(user)
    html = client.get("/credit/profile/").content.decode()
    assert "123.45" in html and ">B<" in html.replace(" ", "")


def test_profile_sections_are_read_once_per_change_and_consent_is_checked_every_view(
    ent, make_user, monkeypatch
):
    """The source records are cached per enterprise and allowed scopes; the consent check (and its access
    record) runs on every view; a new record shows on the next view."""
    from jinfu.core.models import AccessRecord

    org = ent.organization
    _tax(org, grade="B")
    bank = make_user("institution")
    _grant_tax(org, bank)
    first = selectors.profile(bank, org.pk)
    records = AccessRecord.objects.filter(enterprise=org, accessor_org=bank.organization, scope="tax")
    seen = records.count()
    assert seen >= 1

    def refuse(*args, **kwargs):
        raise AssertionError("read again without a change")

    monkeypatch.setattr(selectors, "_sections", refuse)
    again = selectors.profile(bank, org.pk)
    assert again["sections"] == first["sections"]
    assert records.count() == 2 * seen  # checked and recorded again
    monkeypatch.undo()
    _tax(org, year=2024, grade="A")
    tax = {s["key"]: s for s in selectors.profile(bank, org.pk)["sections"]}["tax"]
    assert len(tax["records"]) == 2

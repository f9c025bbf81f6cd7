"""Attachments (jinfu.core.attachments): institutions upload due-diligence, contract and disbursement files
on an application, enterprises upload documents on their policy claims; the type is checked from the
content, the size is limited, files live under JINFU_DATA_DIR, each download is authorized by the record's
own rule and every attempt is recorded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jinfu.core.models import Attachment, SecurityEvent
from jinfu.financing import services as fin
from jinfu.policy import services as policy_services
from tests.factories import apply_to, make_product, set_profile
from tests.policy.test_policy_views import setup  # noqa: F401  (fixture)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML_AS_PDF = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def loan(make_user, reference_data):
    bank = make_user("institution")
    ent = make_user("enterprise")
    app = apply_to(ent, make_product(bank))
    app = fin.transition(bank, app.pk, "accept", expected_version=app.lock_version)
    return {"bank": bank, "ent": ent, "app": app, "other_bank": make_user("institution")}


def _upload(client, owner, pk, name, content, kind):
    url = reverse("attachment-upload", args=[owner, pk])
    return client.post(url, {"kind": kind, "file": SimpleUploadedFile(name, content)})


def _events(action, allowed):
    return [
        e
        for e in SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ATTACHMENT)
        if e.detail["action"] == action and e.detail["allowed"] is allowed
    ]


def test_institution_uploads_and_the_applicant_views_it_inline(loan, client, _data_dir):
    client.force_login(loan["bank"])
    r = _upload(client, "financing.application", loan["app"].pk, "尽调报告.pdf", PDF, "due_diligence")
    assert r.status_code == 302 and r["Location"] == reverse("financing:application", args=[loan["app"].pk])
    att = Attachment.objects.get()
    assert (att.kind, att.mime_type, att.size) == ("due_diligence", "application/pdf", len(PDF))
    assert att.sha256 == hashlib.sha256(PDF).hexdigest()
    stored = Path(_data_dir) / "attachments" / att.stored_name
    assert stored.read_bytes() == PDF and "尽调报告" not in att.stored_name  # a random name on disk
    assert len(_events("upload", True)) == 1

    client.force_login(loan["ent"])
    page = client.get(reverse("financing:application", args=[loan["app"].pk])).content.decode()
    assert reverse("attachment", args=[att.pk]) in page and "尽职调查材料" in page
    assert 'data-form="attachment-upload"' not in page  # the applicant does not upload here
    r = client.get(reverse("attachment", args=[att.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert r["Content-Type"] == "application/pdf" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("inline;") and "filename*=UTF-8''" in r["Content-Disposition"]
    assert (
        "default-src 'none'" in r["Content-Security-Policy"]
        and "script-src" not in r["Content-Security-Policy"]
    )
    assert r["Cache-Control"] == "private, no-store"
    viewed = _events("view", True)
    assert len(viewed) == 1 and viewed[0].user == loan["ent"] and viewed[0].detail["attachment"] == att.pk


@pytest.mark.parametrize("who", ["other_bank", "other_enterprise", "government"])
def test_other_organizations_cannot_download_and_the_attempt_is_recorded(loan, client, make_user, who):
    client.force_login(loan["bank"])
    _upload(client, "financing.application", loan["app"].pk, "合同.pdf", PDF, "due_diligence")
    att = Attachment.objects.get()
    reader = loan["other_bank"] if who == "other_bank" else make_user(who.replace("other_", ""))
    client.force_login(reader)
    assert client.get(reverse("attachment", args=[att.pk])).status_code == 404
    denied = _events("view", False)
    assert len(denied) == 1 and denied[0].user == reader and denied[0].detail["attachment"] == att.pk


def test_a_pdf_that_is_really_html_is_refused(loan, client):
    client.force_login(loan["bank"])
    r = _upload(client, "financing.application", loan["app"].pk, "report.pdf", HTML_AS_PDF, "due_diligence")
    assert r.status_code == 302 and not Attachment.objects.exists()
    assert "文件内容与扩展名不符" in client.get(r["Location"]).content.decode()
    assert _events("upload", False)[0].detail["reason"] == "file_content"
    # a real PNG named .pdf, and a type outside the list, are refused too
    for name, content in (("scan.pdf", PNG), ("page.html", HTML_AS_PDF), ("x.svg", b"<svg/>")):
        _upload(client, "financing.application", loan["app"].pk, name, content, "due_diligence")
    assert not Attachment.objects.exists()


def test_the_size_limit(loan, client, settings):
    settings.JINFU_ATTACHMENT_MAX_BYTES = 1024
    client.force_login(loan["bank"])
    big = PDF + b"0" * 2000
    r = _upload(client, "financing.application", loan["app"].pk, "big.pdf", big, "due_diligence")
    assert not Attachment.objects.exists()
    assert "文件过大" in client.get(r["Location"]).content.decode()
    _upload(client, "financing.application", loan["app"].pk, "ok.pdf", PDF, "due_diligence")
    assert Attachment.objects.count() == 1


def test_uploads_follow_the_party_and_the_stage(loan, client):
    client.force_login(loan["ent"])  # the applicant may not add the institution's files
    r = _upload(client, "financing.application", loan["app"].pk, "a.pdf", PDF, "due_diligence")
    assert r.status_code == 403
    client.force_login(loan["bank"])  # a contract only once the loan is approved
    assert (
        _upload(client, "financing.application", loan["app"].pk, "c.pdf", PDF, "contract").status_code == 403
    )
    client.force_login(loan["other_bank"])  # another bank does not see the application at all
    assert (
        _upload(client, "financing.application", loan["app"].pk, "a.pdf", PDF, "due_diligence").status_code
        == 404
    )
    assert not Attachment.objects.exists() and len(_events("upload", False)) == 3


def test_claim_documents_through_the_api(setup, client, make_user):  # noqa: F811
    claim = policy_services.submit_claim(setup["ent"], setup["item"].pk, materials=["营业执照"])
    client.force_login(setup["ent"])
    url = f"/api/v1/attachments/policy.claim/{claim.pk}"
    r = client.post(url, {"kind": "proof", "file": SimpleUploadedFile("营业执照.png", PNG)})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind_label"] == "证明材料" and body["mime_type"] == "image/png"
    r = client.post(url, {"kind": "proof", "file": SimpleUploadedFile("x.pdf", HTML_AS_PDF)})
    assert r.status_code == 422 and r.json()["field"] == "file"

    client.force_login(setup["gov"])  # the reviewing office sees and opens it
    assert [a["id"] for a in client.get(url).json()] == [body["id"]]
    r = client.get(body["url"])
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    page = client.get(reverse("policy:claim-detail", args=[claim.pk])).content.decode()
    assert reverse("attachment", args=[body["id"]]) in page

    elsewhere = make_user("government")  # an office whose jurisdiction does not cover the policy
    elsewhere.organization.division_id = "500108"
    elsewhere.organization.save()
    client.force_login(elsewhere)
    assert client.get(body["url"]).status_code == 404
    assert client.get(url).status_code in (403, 404)
    other = make_user("enterprise")
    set_profile(other.organization)
    client.force_login(other)
    assert client.get(body["url"]).status_code == 404
    r = client.post(url, {"kind": "proof", "file": SimpleUploadedFile("y.png", PNG)})
    assert r.status_code in (403, 404) and Attachment.objects.count() == 1


def test_an_api_key_needs_the_owners_scope(loan, client):
    from jinfu.core.apikeys import issue_key

    client.force_login(loan["bank"])
    _upload(client, "financing.application", loan["app"].pk, "dd.pdf", PDF, "due_diligence")
    att = Attachment.objects.get()
    client.logout()
    _k, read_only = issue_key(organization=loan["bank"].organization, name="r", scopes=["orgs:read"])
    _k2, fin_read = issue_key(organization=loan["bank"].organization, name="f", scopes=["financing:read"])
    url = f"/api/v1/attachments/{att.pk}"
    assert client.get(url, headers={"Authorization": f"Bearer {read_only}"}).status_code == 404
    assert client.get(url, headers={"Authorization": f"Bearer {fin_read}"}).status_code == 200
    upload = f"/api/v1/attachments/financing.application/{loan['app'].pk}"
    r = client.post(
        upload,
        {"kind": "due_diligence", "file": SimpleUploadedFile("b.pdf", PDF)},
        headers={"Authorization": f"Bearer {fin_read}"},
    )
    assert r.status_code == 403 and Attachment.objects.count() == 1


def test_files_are_not_served_from_a_static_or_media_url(loan, client):
    client.force_login(loan["bank"])
    _upload(client, "financing.application", loan["app"].pk, "dd.pdf", PDF, "due_diligence")
    att = Attachment.objects.get()
    for prefix in ("/media/", "/static/", "/attachments/"):
        r = client.get(prefix + att.stored_name)
        assert r.status_code == 404

"""Browser journeys: an office exports a filtered table to Excel with the page's 「导出 Excel」 link and gets
exactly the filtered rows; a reviewer opens a claim's image in the browser under the file's own CSP."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from openpyxl import load_workbook

from tests.policy.test_policy_browser import _login


def _png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.mark.browser
def test_filtered_directory_exports_the_filtered_rows(live_app, page, screenshot, make_user):
    gov = make_user("government")
    for name in ("渝测甲科技有限公司", "渝测乙科技有限公司", "别的公司"):
        user = make_user("enterprise")
        user.organization.name = name
        user.organization.save()
    _login(page, live_app, gov)
    page.goto(f"{live_app}/orgs/?kind=enterprise&q=渝测")
    screenshot(page, "directory")
    with page.expect_download() as info:
        page.click("a[data-export=xlsx]")
    download = info.value
    assert download.suggested_filename.startswith("主体名录-") and download.suggested_filename.endswith(
        ".xlsx"
    )
    ws = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "名称"
    assert sorted(r[0] for r in rows[1:]) == ["渝测乙科技有限公司", "渝测甲科技有限公司"]


@pytest.mark.browser
def test_reviewer_views_a_claim_image_in_the_browser(live_app, page, screenshot, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jinfu.core import attachments
    from jinfu.policy import services
    from tests.factories import make_item, set_profile

    gov = make_user("government")
    gov.organization.division_id = "500103"
    gov.organization.save()
    policy = services.save_policy(
        gov,
        {
            "code": "b-att",
            "title": "附件测试政策",
            "issuer": "渝中区",
            "division_id": "500103",
            "full_text": "测试",
        },
    )
    services.publish_policy(gov, policy.pk)
    item = make_item(gov, policy)
    ent = make_user("enterprise")
    set_profile(ent.organization, registered_capital=50000, paid_in_capital=30000)
    claim = services.submit_claim(ent, item.pk, materials=["营业执照"])
    att = attachments.upload(
        ent, "policy.claim", claim.pk, "proof", SimpleUploadedFile("执照.png", _png_1x1())
    )
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, live_app, gov)
    page.goto(f"{live_app}/policy/claims/{claim.pk}/")
    link = page.locator(f'tr[data-attachment="{att.pk}"] a')
    assert link.inner_text() == "执照.png"
    response = page.goto(f"{live_app}/attachments/{att.pk}/")
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    assert page.evaluate("document.images.length === 1 && document.images[0].naturalWidth === 1")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    screenshot(page, "image")

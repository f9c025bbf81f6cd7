"""Green news and notices (绿色资讯 / 通知公告): a finance office writes a draft, publishes and withdraws it
(audited); published ones reach every signed-in user, drafts and withdrawn ones only their office and the
operator; the body is rendered escaped; attachments follow the notice; the office's list exports to Excel."""

import io

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from jinfu.core import attachments
from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.models import SecurityEvent
from jinfu.green import richtext, selectors, services
from jinfu.green.models import GreenNotice, GreenProduct

from .test_green_services import world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OWNER = "green.greennotice"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _draft(user, **over):
    data = {
        "title": "关于开展绿色项目入库申报的通知",
        "body": "各区县：\n\n- 申报时间\n- 申报材料",
        "kind": "notice",
    }
    return services.save_notice(user, {**data, **over})


def test_draft_publish_withdraw_journey_is_audited(world):  # noqa: F811
    notice = _draft(world["gov"], source="南岸区金融办")
    assert notice.status == "draft" and notice.publisher_id == world["gov"].organization_id
    # a draft is its office's: no other reader learns it exists
    for reader in (world["ent"], world["bank"], world["gov_other"]):
        with pytest.raises(NotFound):
            selectors.get_notice(reader, notice.pk)
    assert not selectors.published_notices().exists()
    services.publish_notice(world["gov"], notice.pk)
    for reader in (world["ent"], world["bank"], world["gov_other"], world["admin"]):
        assert selectors.get_notice(reader, notice.pk).status == "published"
    services.withdraw_notice(world["gov"], notice.pk, "申报时间调整")
    notice.refresh_from_db()
    assert notice.status == "withdrawn" and notice.withdraw_reason == "申报时间调整"
    with pytest.raises(NotFound):
        selectors.get_notice(world["ent"], notice.pk)
    assert selectors.get_notice(world["gov"], notice.pk).status == "withdrawn"
    actions = list(
        SecurityEvent.objects.filter(detail__notice=notice.pk)
        .order_by("at")
        .values_list("detail__action", flat=True)
    )
    assert actions == ["green_notice_draft", "green_notice_publish", "green_notice_withdraw"]
    assert LogEntry.objects.get_for_object(notice).count() == 3  # created, published, withdrawn


def test_only_finance_offices_and_the_operator_publish(world):  # noqa: F811
    for who in ("ent", "bank"):
        with pytest.raises(Forbidden):
            _draft(world[who])
    notice = _draft(world["gov"])
    with pytest.raises(NotFound):  # another district's office cannot touch it
        services.publish_notice(world["gov_other"], notice.pk)
    with pytest.raises(NotFound):
        services.save_notice(world["gov_other"], {"title": "改", "body": "改"}, notice.pk)
    operator = _draft(world["admin"])
    assert operator.publisher is None and operator.publisher_name == "平台运营方"
    services.publish_notice(world["admin"], notice.pk)  # the operator manages every notice
    assert GreenNotice.objects.get(pk=notice.pk).status == "published"


def test_bad_input_names_the_field_and_writes_nothing(world):  # noqa: F811
    cases = [
        ({"title": " "}, "title"),
        ({"body": ""}, "body"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "ad"}, "kind"),
        ({"title": "通知\u202e"}, "title"),
    ]
    for over, field in cases:
        with pytest.raises(ValidationFailed) as e:
            _draft(world["gov"], **over)
        assert e.value.field == field, over
    assert not GreenNotice.objects.exists()
    notice = _draft(world["gov"])
    services.publish_notice(world["gov"], notice.pk)
    with pytest.raises(ValidationFailed) as e:  # what readers saw is not rewritten
        services.save_notice(world["gov"], {"title": "改过的标题", "body": "改"}, notice.pk)
    assert e.value.field == "status"
    with pytest.raises(ValidationFailed) as e:
        services.withdraw_notice(world["gov"], notice.pk, " ")
    assert e.value.field == "reason"
    assert GreenNotice.objects.get(pk=notice.pk).title == "关于开展绿色项目入库申报的通知"


def test_body_is_escaped_with_a_few_marks():
    html = str(
        richtext.render("## 申报要求\n\n**截止** 6 月 30 日 <script>alert(1)</script>\n\n- 材料一\n- 材料二")
    )
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<h3>申报要求</h3>" in html
    assert "<strong>截止</strong>" in html
    assert "<ul><li>材料一</li><li>材料二</li></ul>" in html
    assert str(richtext.render('<a href="javascript:x">点</a>')) == (
        "<p>&lt;a href=&quot;javascript:x&quot;&gt;点&lt;/a&gt;</p>"
    )


def test_pages_show_published_notices_to_every_role_and_manage_for_the_office(world):  # noqa: F811
    draft = _draft(world["gov"], title="草稿不外示")
    shown = _draft(world["gov"], title="已发布的通知", body="正文 <b>不加粗</b>")
    services.publish_notice(world["gov"], shown.pk)
    GreenProduct.objects.create(
        institution=world["bank"].organization, name="光伏贷", rule="true", terms="3 年"
    )
    GreenProduct.objects.create(
        institution=world["bank"].organization, name="已下架", rule="true", active=False
    )
    for who, url in (("ent", "green:mine"), ("bank", "green:hall"), ("ent2", "green:home")):
        html = _client(world[who]).get(reverse(url)).content.decode()
        assert "已发布的通知" in html and "草稿不外示" not in html, who
    home = _client(world["ent"]).get(reverse("green:home")).content.decode()
    assert "光伏贷" in home and "已下架" not in home and world["bank"].organization.name in home
    assert "4321" not in home  # the product's matching rule stays with its institution
    detail = _client(world["bank"]).get(reverse("green:notice", args=[shown.pk])).content.decode()
    assert "&lt;b&gt;不加粗&lt;/b&gt;" in detail and "撤回原因" not in detail
    assert _client(world["bank"]).get(reverse("green:notice", args=[draft.pk])).status_code == 404
    # the office writes a draft through the page; a problem stays next to its field with what was typed
    office = _client(world["gov"])
    resp = office.post(reverse("green:notices"), {"title": "", "body": "保留的正文", "kind": "news"})
    html = resp.content.decode()
    assert resp.status_code == 200 and 'data-error-for="title"' in html and "保留的正文" in html
    resp = office.post(reverse("green:notices"), {"title": "新草稿", "body": "内容", "kind": "news"})
    created = GreenNotice.objects.get(title="新草稿")
    assert resp.status_code == 302 and created.status == "draft" and created.kind == "news"
    assert (
        _client(world["ent"]).post(reverse("green:notices"), {"title": "t", "body": "b"}).status_code == 403
    )
    office.post(reverse("green:notice-publish", args=[created.pk]))
    assert GreenNotice.objects.get(pk=created.pk).status == "published"
    assert (
        _client(world["ent"])
        .post(reverse("green:notice-withdraw", args=[created.pk]), {"reason": "x"})
        .status_code
        == 403
    )
    page = office.get(reverse("green:notice", args=[created.pk])).content.decode()
    assert "data-confirm=" in page and "新草稿" in page
    office.post(reverse("green:notice-withdraw", args=[created.pk]), {"reason": "内容有误"})
    assert GreenNotice.objects.get(pk=created.pk).status == "withdrawn"


def test_office_export_holds_its_own_notices_only(world):  # noqa: F811
    mine = _draft(world["gov"], title="本区通知")
    _draft(world["gov_other"], title="他区通知")
    services.publish_notice(world["gov"], mine.pk)
    resp = _client(world["gov"]).get(reverse("green:notices") + "?export=xlsx")
    assert resp.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "本区通知" in cells and "他区通知" not in cells and "已发布" in cells
    assert _client(world["ent"]).get(reverse("green:notices") + "?export=xlsx").status_code == 403


def test_attachments_are_uploaded_on_a_draft_and_read_once_published(world):  # noqa: F811
    notice = _draft(world["gov"])
    url = reverse("attachment-upload", args=[OWNER, notice.pk])
    _client(world["gov"]).post(url, {"kind": "attachment", "file": SimpleUploadedFile("申报表.pdf", PDF)})
    [att] = attachments.list_for(world["gov"], OWNER, notice.pk)
    with pytest.raises(NotFound):  # not before it is published
        attachments.list_for(world["ent"], OWNER, notice.pk)
    services.publish_notice(world["gov"], notice.pk)
    assert attachments.list_for(world["ent"], OWNER, notice.pk) == [att]
    assert _client(world["bank"]).get(reverse("attachment", args=[att.pk])).status_code == 200
    # a published notice's files stay as readers saw them: no upload after publishing
    _client(world["gov"]).post(url, {"kind": "attachment", "file": SimpleUploadedFile("新.pdf", PDF)})
    assert len(attachments.list_for(world["gov"], OWNER, notice.pk)) == 1
    html = _client(world["ent"]).get(reverse("green:notice", args=[notice.pk])).content.decode()
    assert "申报表.pdf" in html


def test_api_readers_and_the_office(world, client):  # noqa: F811
    from jinfu.core.apikeys import issue_key

    scopes = ["green:read", "green:write"]
    gov_key = issue_key(organization=world["gov"].organization, name="office", scopes=scopes)[1]
    ent_key = issue_key(organization=world["ent"].organization, name="ent", scopes=scopes)[1]

    def call(key, method, path, body=None):
        kw = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        if method == "get":
            return client.get(f"/api/v1/green{path}", **kw)
        return client.post(f"/api/v1/green{path}", body or {}, content_type="application/json", **kw)

    r = call(gov_key, "post", "/notices", {"title": "API 通知", "body": "正文", "kind": "news"})
    assert r.status_code == 201 and r.json()["status"] == "draft"
    pk = r.json()["id"]
    assert call(ent_key, "get", f"/notices/{pk}").status_code == 404
    assert call(gov_key, "get", "/notices?mine=true").json()[0]["id"] == pk
    assert call(ent_key, "get", "/notices").json() == []
    r = call(ent_key, "post", "/notices", {"title": "企业", "body": "正文"})
    assert r.status_code == 403 and "Only finance offices" in r.text
    r = call(gov_key, "post", "/notices", {"title": "", "body": "正文"})
    assert r.status_code == 422 and r.json()["field"] == "title" and "标题" in r.json()["message_zh"]
    assert call(gov_key, "post", f"/notices/{pk}/publish").json()["status"] == "published"
    got = call(ent_key, "get", f"/notices/{pk}").json()
    assert got["title"] == "API 通知" and got["publisher"] == world["gov"].organization.name
    r = call(gov_key, "post", f"/notices/{pk}/withdraw", {"reason": "重复发布"})
    assert r.json()["status"] == "withdrawn"
    assert call(ent_key, "get", f"/notices/{pk}").status_code == 404


def test_demo_notices_are_flagged_published_and_idempotent(world):  # noqa: F811
    from jinfu.green.demo import build_green_notices

    assert build_green_notices() == 3 and build_green_notices() == 0
    demo = list(selectors.published_notices())
    assert len(demo) == 3 and all(n.is_synthetic and n.publisher_name == "平台运营方" for n in demo)
    html = _client(world["ent"]).get(reverse("green:notices")).content.decode()
    assert html.count("示例数据") >= 3

"""Forms: destructive buttons ask first, every input is labelled, single-record forms speak of fields."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from jinfu.policy import services as policy_services

DESTRUCTIVE = re.compile(
    r"撤销|下架|撤回|拒绝|不予通过|不通过|删除|移出|停用|"
    r'value="(?:reject|withdraw|remove|revoke|retire|delete|offline)"'
)
BUTTON = re.compile(r"<button\b[^>]*>.*?</button>", re.S)


def _buttons_needing_confirm():
    for path in Path(settings.BASE_DIR).rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for button in BUTTON.findall(text):
            opening = button[: button.index(">", button.index("<button")) + 1]
            if DESTRUCTIVE.search(button) and "data-confirm" not in button:
                yield f"{path.relative_to(settings.BASE_DIR)}: {opening[:120]}"
        # a hidden status=offline input makes the form's only button a take-offline action
        for form in re.findall(r"<form\b.*?</form>", text, re.S):
            if 'value="offline"' in form and "data-confirm" not in form:
                yield f"{path.relative_to(settings.BASE_DIR)}: offline form without confirmation"


def test_every_destructive_button_asks_first():
    missing = list(_buttons_needing_confirm())
    assert not missing, missing


def test_templates_with_confirmations_compile():
    from django.template.loader import get_template

    for name in (
        "core/api_keys.html",
        "core/consent.html",
        "core/tag_certifications.html",
        "credit/scoring/models.html",
        "financing/application.html",
        "financing/workbench.html",
        "listing/financials.html",
        "listing/reserve.html",
        "policy/claim_detail.html",
    ):
        assert get_template(name).template.nodelist


# ---------------------------------------------------------------------------
# Every visible input is labelled (a <label for=id>, a wrapping <label>, or aria-label)
# ---------------------------------------------------------------------------

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _FieldCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.fields: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and (a.get("type") or "text").lower() in UNLABELLED_TYPES:
                return
            self.fields.append({"tag": tag, "wrapped": self.label_depth > 0, **a})

    def handle_endtag(self, tag):
        if tag == "label" and self.label_depth:
            self.label_depth -= 1


def unlabelled_fields(html: str) -> list[str]:
    parser = _FieldCollector()
    parser.feed(html)
    return [
        f"<{f['tag']} name={f.get('name')!r} id={f.get('id')!r} placeholder={f.get('placeholder')!r}>"
        for f in parser.fields
        if not (
            f["wrapped"]
            or (f.get("aria-label") or "").strip()
            or f.get("aria-labelledby")
            or (f.get("id") and f["id"] in parser.label_for)
        )
    ]


def test_the_checker_sees_placeholder_only_inputs():
    html = '<label for="a">A</label><input id="a"><input name="q" placeholder="搜索"><input type="hidden">'
    assert unlabelled_fields(html) == ["<input name='q' id=None placeholder='搜索'>"]


@pytest.fixture
def form_pages(make_user, reference_data):
    from jinfu.brain.loader import load_plans
    from jinfu.core.models import Organization
    from tests.factories import FINTECH_BENEFIT, FINTECH_RULE, apply_to, make_product

    load_plans()
    ent, bank = make_user("enterprise"), make_user("institution")
    gov = make_user("government")
    gov.organization.division_id = "500103"
    gov.organization.save()
    product = make_product(bank)
    pol = policy_services.save_policy(
        gov, {"code": "v-a11y", "title": "标签测试政策", "issuer": "渝中区", "division_id": "500103"}
    )
    item = policy_services.save_item(
        gov,
        pol.pk,
        {
            "title": "落户奖励",
            "mode": "apply",
            "eligibility_rule": FINTECH_RULE,
            "benefit_formula": FINTECH_BENEFIT,
            "status": "open",
        },
    )
    nanan = make_user(
        "government",
        org=Organization.objects.create(
            kind=Organization.Kind.GOVERNMENT, name="南岸区金融办", division_id="500108"
        ),
    )
    return [
        (ent, reverse("enterprise-edit", args=[ent.organization.pk])),
        (make_user("admin"), reverse("enterprise-new")),
        (ent, reverse("consent")),
        (bank, reverse("financing:product-new")),
        (bank, reverse("financing:product-edit", args=[product.pk])),
        (ent, reverse("financing:demands")),
        (ent, reverse("financing:apply", args=[product.pk])),
        (ent, reverse("financing:market")),
        (gov, reverse("policy:item-edit", args=[pol.pk, item.pk])),
        (nanan, "/brain/indicators/000-I01/"),
        (bank, reverse("financing:application", args=[apply_to(ent, product).pk])),
        (make_user("admin"), reverse("listing:reserve") + "?q=测试"),
    ]


@pytest.mark.django_db
def test_every_input_of_the_main_forms_is_labelled(client, form_pages):
    problems, seen = {}, set()
    for user, url in form_pages:
        client.force_login(user)
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = resp.content.decode()
        assert "<form" in html, url
        parser = _FieldCollector()
        parser.feed(html)
        seen |= {f.get("name") for f in parser.fields}
        if missing := unlabelled_fields(html):
            problems[url] = missing
    assert not problems, problems
    # the pages really showed the forms that used to be placeholder-only
    assert {"q", "category", "subtype", "amount", "term", "reason_code", "note", "tier", "reason"} <= seen, (
        seen
    )


# ---------------------------------------------------------------------------
# A single-record form speaks of fields, not of spreadsheet rows
# ---------------------------------------------------------------------------

ROW_WORDING = re.compile(r"第\s*\d+\s*行|\brow \d+")


def _error_items(html: str, field: str) -> list[str]:
    block = re.search(rf'<ul class="errorlist" data-error-for="{field}">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1), re.S) if block else []


@pytest.mark.django_db
def test_enterprise_form_shows_every_problem_next_to_its_field_without_row_wording(
    client, make_user, reference_data
):
    gov = make_user("government")
    gov.organization.division_id = "500103"
    gov.organization.save()
    values = {
        "uscc": "91500103ABCDEFGH1X",
        "name": "重庆表单校验科技有限公司",
        "legal_representative": "王五",
        "registered_capital": "1000",
        "established_on": "2019-03-15",
        "division": "500103",
        "industry": "6513",
        "contact_phone": "tel-abc",
    }
    client.force_login(gov)
    resp = client.post(reverse("enterprise-new"), values)
    assert resp.status_code == 422
    html = resp.content.decode()
    uscc_errors, phone_errors = _error_items(html, "uscc"), _error_items(html, "contact_phone")
    assert uscc_errors and phone_errors, html
    assert any("统一社会信用代码" in e for e in uscc_errors)
    assert any("联系电话格式不正确" in e for e in phone_errors)
    for message in uscc_errors + phone_errors:
        assert not ROW_WORDING.search(message), message
    assert not ROW_WORDING.search(html)
    # everything typed is kept, including the wrong values
    for field in ("uscc", "name", "contact_phone", "registered_capital"):
        assert f'name="{field}" value="{values[field]}"' in html, field

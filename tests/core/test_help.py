"""帮助中心 /help/: open to anonymous visitors and every role; the reader's role's FAQs first; the glossary
from core/data/glossary.yaml; the operator's contact; no raw field identifiers on the page."""

import re

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils.html import strip_tags

from jinfu.core.models import Role
from jinfu.core.views_help import faqs, glossary_terms

ROLES = [r.value for r in Role]


def _text(response) -> str:
    """The visible text of the page's main content (no markup, attributes, scripts or the language form)."""
    html = response.content.decode()
    main = html[html.index('<main class="container">') : html.index("</main>")]
    return strip_tags(main)


def _faq_roles(response) -> list[str]:
    return re.findall(r'data-faq-role="(\w+)"', response.content.decode())


def test_url_is_help():
    assert reverse("help") == "/help/"


@pytest.mark.django_db
def test_anonymous_visitor_gets_the_page_with_every_role_in_order(client):
    response = client.get("/help/")
    assert response.status_code == 200
    assert _faq_roles(response) == ROLES
    assert "您的角色" not in _text(response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_own_faqs_first(client, make_user, role):
    client.force_login(make_user(role))
    response = client.get("/help/")
    assert response.status_code == 200
    order = _faq_roles(response)
    assert order[0] == role
    assert sorted(order) == sorted(ROLES)
    text = _text(response)
    first_question = faqs()[role][0]["q"]
    assert first_question in text
    # the reader's group comes before every other group's questions
    others = [faqs()[r][0]["q"] for r in ROLES if r != role]
    assert all(text.index(first_question) < text.index(q) for q in others)


@pytest.mark.django_db
def test_superuser_counts_as_admin(client, make_user):
    client.force_login(make_user("government", is_superuser=True))
    assert _faq_roles(client.get("/help/"))[0] == "admin"


def test_every_role_has_four_to_six_questions():
    assert set(faqs()) == set(ROLES)
    for role, items in faqs().items():
        assert 4 <= len(items) <= 6, role
        assert all(item["q"].strip() and item["a"].strip() for item in items), role


@pytest.mark.django_db
def test_glossary_terms_from_the_data_file_are_listed(client):
    terms = glossary_terms()
    assert len(terms) >= 100  # docs/glossary.md has 106 rows
    text = _text(client.get("/help/"))
    assert "免申即享" in text
    assert "benefits granted without application" in text
    assert all(t["term"] in text for t in terms)


@pytest.mark.django_db
def test_glossary_filter_is_wired_without_inline_script(client):
    html = client.get("/help/").content.decode()
    assert 'data-filter-table="glossary-table"' in html
    assert 'id="glossary-table"' in html
    assert "<script>" not in html and "onclick" not in html and "oninput" not in html


@pytest.mark.django_db
def test_no_raw_field_identifiers_on_the_page(client, make_user):
    client.force_login(make_user("enterprise"))
    text = _text(client.get("/help/"))
    snake = re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", text)
    assert snake == []
    assert "`" not in text
    # code names the glossary's markdown carries in backticks (model names, lowercase codes, page paths)
    for identifier in ("uscc", "DeclaredFact", "Grant", "AccessRecord", "ImportJob", "/orgs/", "/brain/"):
        assert not re.search(rf"(?<![\w/]){re.escape(identifier)}(?![\w])", text), identifier


@pytest.mark.django_db
def test_contact_default_and_configured(client):
    assert "请联系本区金融工作部门或平台运营人员" in _text(client.get("/help/"))
    with override_settings(JINFU_SUPPORT_CONTACT="金服运营：023-6000 0000"):
        assert "金服运营：023-6000 0000" in _text(client.get("/help/"))


@pytest.mark.django_db
def test_footer_links_to_help_on_the_login_page(client):
    html = client.get("/accounts/login/").content.decode()
    footer = html[html.index('<footer class="footer">') :]
    assert 'href="/help/"' in footer


@pytest.mark.django_db
def test_headings_in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = _text(client.get("/help/"))
    assert "Help centre" in text and "Glossary" in text and "Contact" in text

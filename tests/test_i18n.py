"""English translation: the catalogue is complete and compiled, and the UI switches language.

Chinese is the source language (msgids are Chinese); English lives in src/jinfu/locale/en (``make messages``
regenerates the .po and compiles the .mo, both committed).
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"
HAN = re.compile(r"[\u4e00-\u9fff]")


def parse_po(path: Path) -> list[dict]:
    """Minimal .po reader: one dict per entry with msgid, msgid_plural, msgstr (list) and flags."""
    entries: list[dict] = []
    entry: dict | None = None
    field: tuple[str, int | None] | None = None

    def start():
        nonlocal entry
        entry = {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": {}, "flags": set()}
        entries.append(entry)

    def new_entry_needed() -> bool:
        return entry is None or (entry["msgid"] is not None and entry["msgstr"])

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#~"):  # obsolete entries are not used
            continue
        if line.startswith("#,"):
            if new_entry_needed():
                start()
            entry["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
            name, index = field
            if name == "msgstr":
                entry["msgstr"][index] += value
            else:
                entry[name] += value
            continue
        value = ast.literal_eval(rest)
        if keyword in ("msgctxt", "msgid") and new_entry_needed():
            start()
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if "[" in keyword else 0
            entry["msgstr"][index] = value
            field = ("msgstr", index)
        else:
            entry[keyword] = value
            field = (keyword, None)
    return [e for e in entries if e["msgid"]]  # drop the header


def test_every_msgid_is_translated():
    entries = parse_po(PO_FILE)
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"].values())]
    assert not untranslated, (
        f"{len(untranslated)} msgids without English (run make messages, fill msgstr): {untranslated[:20]}"
    )
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not fuzzy, f"fuzzy entries left in {PO_FILE.name}: {fuzzy[:20]}"
    still_chinese = [e["msgid"] for e in entries for s in e["msgstr"].values() if HAN.search(s)]
    # The footer keeps the Chinese product name 金服 on purpose.
    assert [m for m in still_chinese if "jinfu" not in m] == []


def test_placeholders_are_kept():
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\{.*?\}\}|\{\w*\}")
    for e in parse_po(PO_FILE):
        expected = sorted(placeholder.findall(e["msgid"]))
        for s in e["msgstr"].values():
            assert sorted(placeholder.findall(s)) == expected, e["msgid"]


def test_compiled_catalogue_matches_the_po():
    """The committed .mo is current: CI machines do not necessarily run compilemessages."""
    with MO_FILE.open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    for e in parse_po(PO_FILE):
        if e["msgid_plural"] is None:
            assert catalogue.gettext(e["msgid"]) == e["msgstr"][0], e["msgid"]
        else:
            assert catalogue.ngettext(e["msgid"], e["msgid_plural"], 1) == e["msgstr"][0], e["msgid"]
            assert catalogue.ngettext(e["msgid"], e["msgid_plural"], 2) == e["msgstr"][1], e["msgid"]


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_enterprise_home_in_english(client, make_user):
    user = make_user("enterprise")
    client.force_login(user)
    _english(client)
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Enterprise services" in html
    assert "企业服务首页" not in html
    assert "Regional digital-finance service platform" in html
    assert "Data authorization" in html  # navigation (context processor, gettext_lazy)


def test_enterprise_home_is_chinese_by_default(client, make_user):
    user = make_user("enterprise")
    client.force_login(user)
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "企业服务首页" in html
    assert "Enterprise services" not in html


def test_login_page_in_english(client):
    _english(client)
    html = client.get(reverse("login")).content.decode()
    assert "Log in to jinfu" in html
    assert "登录金服平台" not in html
    assert "Password" in html


def test_login_page_is_chinese_by_default(client):
    html = client.get(reverse("login")).content.decode()
    assert "登录金服平台" in html
    assert "Log in to jinfu" not in html


def test_language_switch_through_set_language(client, make_user):
    """The switch in the page header posts to Django's set_language view, which sets the cookie."""
    user = make_user("enterprise")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Enterprise services" in client.get("/").content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "企业服务首页" in client.get("/").content.decode()

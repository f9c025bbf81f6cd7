"""Forms: destructive buttons ask first, every input is labelled, single-record forms speak of fields."""

import re
from pathlib import Path

from django.conf import settings

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

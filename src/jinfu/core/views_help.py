"""帮助中心 /help/: the glossary, FAQs per role (the reader's own role first) and the operator's contact.

Open to everyone, signed in or not (the login page's footer links to it); it shows no data of any
organization, only the two shipped files core/data/glossary.yaml and core/data/faq.yaml.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.shortcuts import render

from .models import Role

DATA_DIR = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=1)
def glossary_terms() -> tuple[dict, ...]:
    """The glossary rows (section, term, english, explanation), in the order of docs/glossary.md."""
    data = yaml.safe_load((DATA_DIR / "glossary.yaml").read_text(encoding="utf-8"))
    return tuple(data["terms"])


@lru_cache(maxsize=1)
def faqs() -> dict[str, tuple[dict, ...]]:
    """Role value → its questions and answers ({"q": …, "a": …})."""
    data = yaml.safe_load((DATA_DIR / "faq.yaml").read_text(encoding="utf-8"))
    return {role: tuple(items) for role, items in data["roles"].items()}


def reader_role(user) -> str | None:
    if not user.is_authenticated:
        return None
    return Role.ADMIN.value if user.is_superuser else user.role


def faq_groups(first: str | None) -> list[dict]:
    """One group per role in Role's order, the reader's role moved to the front."""
    by_role = faqs()
    roles = [r for r in Role.values if r in by_role]
    if first in roles:
        roles.remove(first)
        roles.insert(0, first)
    return [{"role": r, "label": Role(r).label, "mine": r == first, "items": by_role[r]} for r in roles]


def glossary_sections() -> list[dict]:
    sections: list[dict] = []
    for term in glossary_terms():
        if not sections or sections[-1]["title"] != term["section"]:
            sections.append({"title": term["section"], "terms": []})
        sections[-1]["terms"].append(term)
    return sections


def help_page(request):
    return render(
        request,
        "core/help.html",
        {
            "faq_groups": faq_groups(reader_role(request.user)),
            "glossary_sections": glossary_sections(),
            "glossary_count": len(glossary_terms()),
            "support_contact": settings.JINFU_SUPPORT_CONTACT,
        },
    )

"""The notice body as safe HTML: every character of the text is escaped first, then a few marks of a
markdown-like subset become tags — a blank line separates paragraphs, ``## `` starts a heading, lines
starting ``- `` form a list, ``**…**`` is bold. Nothing the author types reaches the page as markup (no
links, images or raw HTML); pure, no Django model here."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline(line: str) -> str:
    return BOLD.sub(r"<strong>\1</strong>", escape(line))


def _block(lines: list[str]) -> str:
    if lines[0].startswith("## ") and len(lines) == 1:
        return f"<h3>{_inline(lines[0][3:].strip())}</h3>"
    if all(ln.startswith("- ") for ln in lines):
        return "<ul>" + "".join(f"<li>{_inline(ln[2:].strip())}</li>" for ln in lines) + "</ul>"
    return "<p>" + "<br>".join(_inline(ln) for ln in lines) + "</p>"


def render(text: str) -> SafeString:
    blocks, current = [], []
    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return mark_safe("".join(_block(b) for b in blocks))  # noqa: S308 — every text part escaped above

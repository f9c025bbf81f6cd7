"""Invisible characters in text that people type or import (pure: no Django import).

Unicode format characters (category Cf: U+202E RIGHT-TO-LEFT OVERRIDE, U+200B ZERO WIDTH SPACE,
U+FEFF BOM, U+2066–U+2069 isolates …) and control characters (Cc) do not show on screen but change
what a reader sees: an RLO makes ``公司\u202eabc`` display reversed, a zero-width space makes two
names that look identical compare different. The policy, applied wherever text enters (forms,
services, API, spreadsheet imports):

- names and identifiers (organization names, USCC, product and policy titles, document numbers,
  usernames …) are **refused** with a message naming the character and its position: silently
  changing a name someone typed would hide what happened, and a refused name is corrected once;
- long free texts (descriptions, purposes, policy text) keep tab, line feed and carriage return and
  **drop** every other invisible character: they are read, never compared, and a paste from Word or
  a PDF often carries a stray zero-width space or BOM.

Line and paragraph separators (U+2028, U+2029) are treated like control characters, and private-use
or unassigned code points (Co, Cn) and lone surrogates (Cs) are invisible too.
"""

from __future__ import annotations

import unicodedata

INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
LONG_TEXT_KEEPS = frozenset("\t\n\r")


def is_invisible(ch: str, *, long_text: bool = False) -> bool:
    if long_text and ch in LONG_TEXT_KEEPS:
        return False
    return unicodedata.category(ch) in INVISIBLE_CATEGORIES


def invisible_chars(value: str, *, long_text: bool = False) -> list[tuple[int, str]]:
    """(1-based position, character) of each invisible character in ``value``."""
    if value.isprintable():
        # str.isprintable() is False for every "Other" (Cc, Cf, Cs, Co, Cn) and "Separator" (Zl, Zp, Zs
        # but the ASCII space) character, a superset of INVISIBLE_CATEGORIES: a printable string has none.
        return []
    return [(i, ch) for i, ch in enumerate(value, start=1) if is_invisible(ch, long_text=long_text)]


def char_label(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: how an error message names a character."""
    name = unicodedata.name(ch, "") or unicodedata.category(ch)
    return f"U+{ord(ch):04X} {name}"


def describe_invisible(found: list[tuple[int, str]]) -> tuple[str, str]:
    """Chinese and English descriptions of the first few invisible characters found."""
    shown = found[:3]
    more = len(found) - len(shown)
    zh = "、".join(f"第 {pos} 个字符 {char_label(ch)}" for pos, ch in shown)
    en = ", ".join(f"{char_label(ch)} at position {pos}" for pos, ch in shown)
    if more:
        zh += f" 等共 {len(found)} 处"
        en += f" and {more} more"
    return zh, en


def strip_invisible(value: str, *, long_text: bool = True) -> str:
    """``value`` without its invisible characters (tab and line breaks kept in long texts)."""
    return "".join(ch for ch in value if not is_invisible(ch, long_text=long_text))


def clean_name(value, *, field: str, label_zh: str, label_en: str | None = None) -> str:
    """A name or identifier, stripped of surrounding whitespace; refused (ValidationFailed, 422, naming
    the field and the character) when it contains an invisible character."""
    from .errors import ValidationFailed

    text = "" if value is None else str(value).strip()
    found = invisible_chars(text)
    if found:
        zh, en = describe_invisible(found)
        raise ValidationFailed(
            f"{label_zh}含有不可见的控制字符（{zh}），请删除后重新填写",
            f"{label_en or field} contains invisible control characters ({en}); remove them and retry",
            field=field,
            code="text.invisible",
        )
    return text


def clean_long_text(value) -> str:
    """A free text, stripped of surrounding whitespace and of invisible characters (line breaks kept)."""
    return strip_invisible("" if value is None else str(value)).strip()

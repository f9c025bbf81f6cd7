"""Numbers as people read them: ranges that collapse when both ends agree (「12 个月」, not 「12–12 个月」),
figures without float artefacts or needless zeros (「3.2%」, 「498 家」, 「1.49 万元」).

Amounts are kept in 万元 (ten thousand yuan) throughout the platform. A Chinese reader reads 「10 万元」; an
English reader reads the same amount in yuan with the currency code, 「CNY 100,000」 (not 「10.00 10k
yuan」): ``{{ amount|wan }}`` for one amount, and ``{% span low high wan %}`` for a range in 万元."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


def plain_number(value, places: int = 2) -> str:
    """A number rounded half-up to ``places`` decimals, trailing zeros dropped, thousands separated."""
    if value is None or value == "":
        return "—"
    try:
        d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    text = f"{d:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _is_wan(unit: str) -> bool:
    return bool(unit) and unit in ("万元", _("万元"))


def yuan_number(value) -> str:
    """An amount in 万元 as whole yuan with thousands separators (10.5 → 「105,000」)."""
    if value is None or value == "":
        return "—"
    try:
        return plain_number(Decimal(str(value)) * 10000, 0)
    except (InvalidOperation, ValueError):
        return str(value)


def money(value, places: int = 2) -> str:
    """An amount in 万元 in the reader's language: 「10 万元」 or 「CNY 100,000」; 「—」 when there is none."""
    if value is None or value == "":
        return "—"
    if _english():
        return f"CNY {yuan_number(value)}"
    return f"{plain_number(value, places)} 万元"


@register.filter
def wan(value, places=2):
    return money(value, int(places))


@register.filter
def num(value, places=2):
    return plain_number(value, int(places))


@register.simple_tag
def span(low, high, unit: str = "", places: int = 2) -> str:
    """「6–36 个月」, or 「12 个月」 when both ends are the same; an open end reads 「不限」."""
    if _english() and _is_wan(str(unit)):  # CNY 100,000–5,000,000
        lo, hi = yuan_number(low), yuan_number(high)
        return "CNY " + (lo if lo == hi else f"{lo}–{hi}")
    lo, hi = plain_number(low, places), plain_number(high, places)
    text = lo if lo == hi else f"{lo}–{hi}"
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"

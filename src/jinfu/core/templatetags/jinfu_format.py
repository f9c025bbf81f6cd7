"""Numbers as people read them: ranges that collapse when both ends agree (「12 个月」, not 「12–12 个月」),
figures without float artefacts or needless zeros (「3.2%」, 「498 家」, 「1.49 万元」)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

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


@register.filter
def num(value, places=2):
    return plain_number(value, int(places))


@register.simple_tag
def span(low, high, unit: str = "", places: int = 2) -> str:
    """「6–36 个月」, or 「12 个月」 when both ends are the same; an open end reads 「不限」."""
    lo, hi = plain_number(low, places), plain_number(high, places)
    text = lo if lo == hi else f"{lo}–{hi}"
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"

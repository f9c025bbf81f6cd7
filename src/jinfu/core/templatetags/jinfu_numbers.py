"""``{{ value|number }}``: a number as people write it, without binary float artefacts.

A value computed in floats (a spreadsheet formula, a unit conversion) can hold 1.4900000000000002;
printed as is it reads "1.4900000000000002 万元". The filter rounds floats to 10 decimals (far below any
unit's precision), drops trailing zeros and never uses an exponent: 1.49, 14900, 0.3. None and "" are
"—"; anything that is not a number is shown unchanged."""

from __future__ import annotations

import math
from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def number(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        value = Decimal(repr(round(value, 10)))
    d = Decimal(value).normalize()
    return f"{d:f}" if d != 0 else "0"

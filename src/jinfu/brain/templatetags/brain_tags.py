from django import template

from jinfu.brain.permissions import can_import_actuals

register = template.Library()


@register.filter
def pct(value, digits=1):
    """0.1234 → '12.3%'; None → '—'."""
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value) * 100:.{int(digits)}f}%"
    except (TypeError, ValueError):
        return "—"


@register.filter
def imports_actuals(user) -> bool:
    """Whether the brain menu offers this user the import of actuals (brain.permissions)."""
    return can_import_actuals(user)

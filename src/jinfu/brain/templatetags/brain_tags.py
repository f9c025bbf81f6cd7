from django import template

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

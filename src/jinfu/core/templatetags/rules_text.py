"""``{{ rule_text|rule_sentences:"policy" }}``: a rule as plain sentences in the reader's language, codes shown
as names (``jinfu.rules.describe``). An invalid rule gives no sentences (the page then shows nothing, never
a parser message)."""

from django import template
from django.utils.translation import get_language

from jinfu.core.reference.selectors import rule_value_labels
from jinfu.rules.catalog import named_catalog
from jinfu.rules.describe import describe
from jinfu.rules.errors import RuleError
from jinfu.rules.rule import compile_rule

register = template.Library()


@register.filter
def rule_sentences(text: str, catalog: str = "enterprise") -> list[str]:
    if not text or not str(text).strip():
        return []
    try:
        rule = compile_rule(str(text), named_catalog(catalog), kind="boolean")
    except RuleError:
        return []
    english = (get_language() or "").startswith("en")
    return [s.en if english else s.zh for s in describe(rule, rule_value_labels())]


@register.filter
def formula_text(text: str, catalog: str = "enterprise") -> str:
    """A benefit formula with its fields named (营业收入 * 0.01), or "" when it is empty or invalid."""
    if not text or not str(text).strip():
        return ""
    try:
        rule = compile_rule(str(text), named_catalog(catalog), kind="number")
    except RuleError:
        return ""
    sentence = describe(rule, rule_value_labels())[0]
    return sentence.en if (get_language() or "").startswith("en") else sentence.zh


@register.filter
def field_label(name: str, catalog: str = "enterprise") -> str:
    """A catalog field's label in the reader's language (「贷款利息」, not ``declared_loan_interest``)."""
    field = named_catalog(catalog).get(str(name))
    if field is None:
        return str(name)
    english = (get_language() or "").startswith("en")
    return (field.label_en or field.label_zh) if english else field.label_zh


@register.filter
def sentences_of(rule) -> list[str]:
    """An already compiled rule (e.g. a listing standard's condition) as sentences in the reader's language."""
    if rule is None:
        return []
    english = (get_language() or "").startswith("en")
    return [s.en if english else s.zh for s in describe(rule, rule_value_labels())]


@register.filter
def said(item) -> str:
    """A generated message (a clause's explanation, a listing gap, a disclosure reason — anything carrying
    ``message_zh`` and ``message_en``, as attributes or keys) in the reader's language."""
    english = (get_language() or "").startswith("en")
    key = "message_en" if english else "message_zh"
    value = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
    if not value:  # no English text for this one: the Chinese rather than nothing
        value = item.get("message_zh") if isinstance(item, dict) else getattr(item, "message_zh", "")
    return value or ""


@register.filter
def lang(item, key: str) -> str:
    """``{{ row|lang:"reason" }}``: ``row["reason_en"]`` for an English reader when there is one, else
    ``row["reason"]`` (engines return Chinese under the plain key and English under ``<key>_en``)."""
    get = item.get if isinstance(item, dict) else (lambda k, d=None: getattr(item, k, d))
    if (get_language() or "").startswith("en") and get(f"{key}_en"):
        return get(f"{key}_en")
    return get(key) or ""

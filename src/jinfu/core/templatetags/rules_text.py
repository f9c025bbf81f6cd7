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

"""Aggregate disclosure: one policy for every count or sum over enterprises that a user can ask for (the
rule editors' live previews). docs/security.md ("Aggregate disclosure") gives the threat model and
defends the numbers.

Who may preview what (``authorize``):

- government users and platform admins: counts and sums, over the enterprises of their jurisdiction
  (``Principal.jurisdiction``: a district office its own division, a zone office its zone, a city-level
  office the whole city);
- institutions and regulators: counts only, and only of the rule's top-level clauses over public
  registration fields. Clauses naming a private field are left out of the count (it becomes an upper
  bound, "at most N") and are listed, so the count cannot depend on any private value;
- everyone else (enterprises): nothing, 403.

What is withheld (every role): no count or sum when the rule names an identifier (``uscc``); a count
below ``JINFU_DISCLOSURE_MIN_GROUP`` (k), or whose complement in the population is below k when private
fields are involved, is withheld together with its sum; a sum is withheld when fewer than k enterprises
contribute to it or one of them makes up more than ``JINFU_DISCLOSURE_DOMINANCE`` of it.

Previews are rate-limited per user or API key (``JINFU_DISCLOSURE_RATE``: previews per window, Django's
cache). Every preview that names a private field, and every refused attempt, writes a
``DisclosureRecord`` (who, when, channel, rule text, fields, true group size, outcome).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
from django.conf import settings
from django.core.cache import cache
from sqlglot import exp

from jinfu.rules.rule import Rule

from . import jurisdiction as jur
from .errors import Forbidden, TooManyRequests
from .features import enterprise_features
from .models import DisclosureRecord, Role
from .principal import Principal, as_principal
from .selectors import PUBLIC_ENTERPRISE_FIELDS

# Where each rule-catalog field comes from in the registration record; a rule field is public only when
# its source is one of the public registration fields (selectors.PUBLIC_ENTERPRISE_FIELDS). Every other
# field of the catalog (financials, tax, social insurance, court, credit, tags, declared values) is private.
RULE_FIELD_SOURCES = {
    "uscc": "uscc",
    "division_code": "division",
    "zone_code": "zone",
    "industry_code": "industry",
    "industry_section": "industry",
    "industry_division": "industry",
    "registered_capital": "registered_capital",
    "established_years": "established_on",
}
PUBLIC_RULE_FIELDS = frozenset(f for f, src in RULE_FIELD_SOURCES.items() if src in PUBLIC_ENTERPRISE_FIELDS)
# Fields that name one enterprise: a rule over them singles enterprises out by construction.
IDENTIFIER_FIELDS = frozenset({"uscc"})


def min_group() -> int:
    return int(settings.JINFU_DISCLOSURE_MIN_GROUP)


def dominance() -> float:
    return float(settings.JINFU_DISCLOSURE_DOMINANCE)


def rate() -> tuple[int, int]:
    limit, seconds = settings.JINFU_DISCLOSURE_RATE
    return int(limit), int(seconds)


def private_fields(*rules: Rule | None) -> list[str]:
    return sorted({f for r in rules if r is not None for f in r.fields} - PUBLIC_RULE_FIELDS)


def clause_fields(node: exp.Expression) -> set[str]:
    return {c.name for c in node.find_all(exp.Column)}


# ---------------------------------------------------------------------------
# Who may preview
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """An authorized preview: who asks, on which surface, what they may see and over which enterprises."""

    principal: Principal
    surface: str
    sums: bool  # may see sums, and counts that depend on private fields
    division: str | None  # None: the whole city
    rule_text: str = ""
    formula_text: str = ""
    channel: str = "web"  # web (the editor page) | api (the endpoint, by API key or browser session)
    zone: str | None = None  # a zone office: the zone's enterprises (division is then None)

    @property
    def scope_label(self) -> str:
        if self.zone is not None:
            org = self.principal.organization
            return org.zone.name if org is not None and org.zone_id == self.zone else self.zone
        if self.division is None:
            return "全市"
        org = self.principal.organization
        return org.division.name if org is not None and org.division_id == self.division else self.division


def authorize(
    actor, surface: str, *, rule_text: str = "", formula_text: str = "", channel: str | None = None
) -> Gate:
    """Who may preview aggregates on ``surface``; a refusal is recorded and raised as Forbidden (403)."""
    p = as_principal(actor)
    gate = functools.partial(
        Gate, p, surface, rule_text=rule_text, formula_text=formula_text, channel=channel or p.channel
    )
    if p.is_admin:
        return gate(sums=True, division=None)
    if p.role == Role.GOVERNMENT and p.jurisdiction.level != jur.NONE:
        return gate(sums=True, division=p.jurisdiction.division, zone=p.jurisdiction.zone)
    if p.role in (Role.INSTITUTION, Role.REGULATOR) and p.organization is not None:
        return gate(sums=False, division=None)
    _record(gate(sums=False, division=None), outcome=DisclosureRecord.Outcome.DENIED, reasons=["role"])
    raise Forbidden(
        "企业用户不能预览全平台企业的汇总数据",
        "Enterprises may not preview aggregates over other enterprises",
        code="disclosure_forbidden",
    )


def _throttle(gate: Gate) -> None:
    limit, seconds = rate()
    p = gate.principal
    who = f"key{p.api_key.pk}" if p.api_key is not None else f"user{p.user.pk if p.user else 0}"
    key = f"jinfu:disclosure:{who}:{int(time.time()) // seconds}"
    cache.add(key, 0, timeout=seconds)
    try:
        n = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        n = 1
    if n > limit:
        _record(gate, outcome=DisclosureRecord.Outcome.THROTTLED, reasons=["rate_limited"])
        minutes = max(1, seconds // 60)
        raise TooManyRequests(
            f"预览过于频繁：每 {minutes} 分钟最多 {limit} 次，请稍后再试",
            f"Too many previews: at most {limit} per {minutes} minutes; try again later",
        )


# ---------------------------------------------------------------------------
# The preview
# ---------------------------------------------------------------------------

# measure(features, eligibility_text) -> (qualifying count, per-enterprise amounts of the group or None)
Measure = Callable[[pl.DataFrame, str], tuple[int, "pl.Series | None"]]

REASONS = {
    "identifier": (
        "规则指定了具体企业（统一社会信用代码），不显示汇总结果",
        "the rule names individual enterprises (uscc); no aggregates are shown",
    ),
    "small_group": ("符合条件的企业少于 {k} 家，不予显示", "fewer than {k} enterprises qualify; not shown"),
    "small_complement": (
        "不符合条件的企业少于 {k} 家，不予显示",
        "fewer than {k} enterprises do not qualify; not shown",
    ),
    "small_population": (
        "统计范围内企业少于 {k} 家，不予显示",
        "fewer than {k} enterprises in scope; not shown",
    ),
    "government_only": (
        "金额合计仅向政府部门显示，机构只能预览企业数",
        "sums are shown to government users only; institutions see counts",
    ),
    "few_contributors": (
        "有测算金额的企业少于 {k} 家，合计不予显示",
        "fewer than {k} enterprises have an estimate; the sum is not shown",
    ),
    "dominance": (
        "单家企业占合计的比例过高，合计不予显示",
        "one enterprise dominates the sum; not shown",
    ),
    "private_clauses": (
        "未计入使用非公开字段的条件：{clauses}；企业数为公开条件下的上限",
        "clauses over private fields are not counted: {clauses}; the count is an upper bound",
    ),
}


@dataclass
class Outcome:
    qualifying: int | None
    total: int | None
    sum: float | None
    suppressed: bool
    scope: str
    scope_label: str
    upper_bound: bool
    private_fields: list[str]
    excluded_clauses: list[str]
    reasons: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "qualifying": self.qualifying,
            "total": self.total,
            "suppressed": self.suppressed,
            "scope": self.scope,
            "scope_label": self.scope_label,
            "upper_bound": self.upper_bound,
            "private_fields": self.private_fields,
            "excluded_clauses": self.excluded_clauses,
            "min_group_size": min_group(),
            "reasons": self.reasons,
        }


def _reason(code: str, **kw) -> dict:
    zh, en = REASONS[code]
    kw.setdefault("k", min_group())
    return {"code": code, "message_zh": zh.format(**kw), "message_en": en.format(**kw)}


def public_part(rule: Rule | None) -> tuple[str, list[str]]:
    """The rule's top-level clauses over public fields only (as rule text) and the clauses left out."""
    if rule is None:
        return "", []
    kept, dropped = [], []
    for c in rule.clauses:
        (kept if clause_fields(c.node) <= PUBLIC_RULE_FIELDS else dropped).append(c.text)
    return " AND ".join(f"({t})" for t in kept), dropped


def _private_clauses_reason(rule: Rule, dropped: list[str]) -> dict:
    """The reason naming the clauses left out, as sentences in each language (「营业收入不低于 500 万元」), never
    as rule text: the reader is an officer, and field identifiers are not words."""
    from jinfu.core.reference.selectors import rule_value_labels
    from jinfu.rules.describe import describe

    said = [
        s for c, s in zip(rule.clauses, describe(rule, rule_value_labels()), strict=True) if c.text in dropped
    ]
    zh, en = REASONS["private_clauses"]
    return {
        "code": "private_clauses",
        "message_zh": zh.format(clauses="；".join(s.zh for s in said)),
        "message_en": en.format(clauses="; ".join(s.en for s in said)),
    }


def _population(gate: Gate) -> pl.DataFrame:
    features = enterprise_features()
    if gate.zone is not None:
        features = features.filter(pl.col("zone_code") == gate.zone)
    elif gate.division is not None:
        features = features.filter(pl.col("division_code") == gate.division)
    return features


def aggregate(gate: Gate, *, rule: Rule | None, formula: Rule | None, measure: Measure) -> Outcome:
    """Count (and, for government, sum) the enterprises in scope that satisfy ``rule``, applying the
    disclosure policy; rate-limited and recorded. ``measure`` is the module's engine over a feature frame."""
    _throttle(gate)
    touched = private_fields(rule, formula)
    features = _population(gate)
    text, dropped = (gate.rule_text, []) if gate.sums else public_part(rule)
    n, values = measure(features, text)
    population = features.height
    k = min_group()
    reasons: list[dict] = []
    if dropped:
        reasons.append(_private_clauses_reason(rule, dropped))
    named = {f for r in (rule, formula) if r is not None for f in r.fields} & IDENTIFIER_FIELDS
    count_hidden = True
    if named:
        reasons.append(_reason("identifier"))
    elif population < k:
        reasons.append(_reason("small_population"))
    elif n < k:
        reasons.append(_reason("small_group"))
    elif _small_complement(gate, rule, formula, population - n):
        reasons.append(_reason("small_complement"))
    else:
        count_hidden = False
    total = None if (named or population < k) else population
    s = _sum(gate, formula, values, count_hidden, reasons)
    suppressed = count_hidden or (formula is not None and s is None)
    outcome = Outcome(
        qualifying=None if count_hidden else n,
        total=total,
        sum=s,
        suppressed=suppressed,
        scope=gate.zone or gate.division or "",
        scope_label=gate.scope_label,
        upper_bound=bool(dropped),
        private_fields=touched,
        excluded_clauses=dropped,
        reasons=reasons,
    )
    if touched:
        _record(
            gate,
            outcome=DisclosureRecord.Outcome.SUPPRESSED if suppressed else DisclosureRecord.Outcome.SHOWN,
            reasons=[r["code"] for r in reasons],
            private=touched,
            group_size=n,
            population=population,
        )
    return outcome


def _small_complement(gate: Gate, rule: Rule | None, formula: Rule | None, complement: int) -> bool:
    """The enterprises left out are a small group too: "everyone but these few" answers about them.
    When the filter reads private fields even an empty complement answers ("all have revenue > x"); when
    only the summed formula does, "all but one" minus "all" gives that one's value."""
    if not gate.sums:
        return False  # counts-only audiences are counted over public clauses
    if private_fields(rule):
        return complement < min_group()
    return bool(private_fields(formula)) and 0 < complement < min_group()


def _sum(gate: Gate, formula: Rule | None, values, count_hidden: bool, reasons: list[dict]) -> float | None:
    if formula is None:
        return None
    if not gate.sums:
        reasons.append(_reason("government_only"))
        return None
    if count_hidden:
        return None
    known = values.drop_nulls() if values is not None else pl.Series([], dtype=pl.Float64)
    if known.len() < min_group():
        reasons.append(_reason("few_contributors"))
        return None
    total = float(known.sum())
    if total > 0 and float(known.max()) > dominance() * total:
        reasons.append(_reason("dominance"))
        return None
    return round(total, 2)


def _record(
    gate: Gate,
    *,
    outcome: str,
    reasons: list[str],
    private: list[str] | None = None,
    group_size: int | None = None,
    population: int | None = None,
) -> DisclosureRecord:
    p = gate.principal
    return DisclosureRecord.objects.create(
        accessor_org=p.organization,
        accessor_user=p.user,
        api_key_prefix=p.api_key.prefix if p.api_key is not None else "",
        role=p.role,
        channel=gate.channel,
        surface=gate.surface,
        rule_text=gate.rule_text,
        formula_text=gate.formula_text,
        private_fields=private or [],
        jurisdiction=gate.zone or gate.division or "",
        group_size=group_size,
        population=population,
        outcome=outcome,
        reasons=reasons,
    )

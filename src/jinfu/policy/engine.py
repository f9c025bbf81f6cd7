"""Pure computation of policy fulfillment (no Django): the rule catalog of policy items, compiling an
item's eligibility (boolean) and benefit (number) rules, the benefit of one enterprise with the cap
applied, the batch over the enterprise feature table (Polars), and jieba tokens for full-text search.

Amounts are 万元 and Decimal end to end: a formula is evaluated with Decimal arithmetic (literals as
written, float features by their shortest repr), one row at a time in the batch too, so that the push, the
editor's preview and a claim give the same amount to the cent. A benefit is ``min(formula, cap)``, never
negative, rounded half up to 0.01 万元 (one hundred yuan);
a formula gives no estimate for an enterprise when any field it names is NULL (the rule language's LEAST
skips NULL arguments, so ``LEAST(paid_in_capital * 0.02, 1000)`` would otherwise pay the cap to an
enterprise whose paid-in capital is unknown)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from jinfu.core import featureregistry
from jinfu.rules.catalog import Catalog, Field, register_catalog
from jinfu.rules.rule import Rule, compile_rule

# Values an enterprise declares when it applies (申报) for items whose formula needs them; the batch
# push does not know them (NULL), so such items show as "nearly met: declare …" rather than eligible.
DECLARED_FIELDS = [
    Field(
        "declared_investment",
        "number",
        "实际到位投资额",
        "万元",
        "企业申报",
        "申报时填报",
        label_en="invested amount",
    ),
    Field(
        "declared_outside_investment",
        "number",
        "市外实际到位投资额",
        "万元",
        "企业申报",
        "申报时填报",
        label_en="investment from outside the city",
    ),
    Field(
        "declared_months_invested",
        "number",
        "投资满月数",
        "月",
        "企业申报",
        "申报时填报",
        label_en="months invested",
    ),
    Field(
        "declared_annual_rent",
        "number",
        "自用办公用房年租金",
        "万元",
        "企业申报",
        "申报时填报",
        label_en="annual rent",
    ),
    Field("declared_capital_fully_paid", "boolean", "注册资本金全部到位", "", "企业申报", "申报时填报"),
    Field("declared_excess_return", "number", "投资本区企业超额收益", "万元", "企业申报", "申报时填报"),
    Field(
        "declared_loan_interest",
        "number",
        "年度贷款利息支出",
        "万元",
        "企业申报",
        "申报时填报",
        label_en="loan interest",
    ),
    Field(
        "declared_guarantee_fee",
        "number",
        "年度担保费支出",
        "万元",
        "企业申报",
        "申报时填报",
        label_en="guarantee fee",
    ),
]
DECLARED = {f.name: f for f in DECLARED_FIELDS}


@functools.lru_cache(maxsize=8)
def _catalog(registered: tuple[Field, ...]) -> Catalog:
    return Catalog(registered).extend(DECLARED_FIELDS)


class RegistryCatalog(Catalog):
    """The policy rule catalog: every field of the kernel feature registry (core/featureregistry: each
    module's feature set declares the columns a rule may read, e.g. green's ``green_certified``), then the
    values an enterprise declares when it applies. A live view: it follows the registry, so a module's
    fields reach policy rules by registering its feature set, with no policy-side list to edit."""

    def __init__(self):  # no fields of its own: they are the registry's
        pass

    @property
    def _fields(self) -> dict[str, Field]:
        return _current()._fields


POLICY_FIELDS: Catalog = RegistryCatalog()
register_catalog("policy", POLICY_FIELDS)

CENT = Decimal("0.01")


def _current() -> Catalog:
    return _catalog(tuple(featureregistry.fields()))


@functools.lru_cache(maxsize=2048)
def _compiled(text: str, catalog: Catalog, kind: str) -> Rule | None:
    return compile_rule(text, catalog, kind=kind) if text.strip() else None


def eligibility(text: str) -> Rule | None:
    """The compiled eligibility rule (None: everyone qualifies). Raises RuleError."""
    return _compiled(text, _current(), "boolean")


def benefit(text: str) -> Rule | None:
    """The compiled benefit rule, which must be numeric (None: no formula). Raises RuleError."""
    return _compiled(text, _current(), "number")


def declared_names(*rules: Rule | None) -> list[str]:
    return sorted({f for r in rules if r is not None for f in r.fields if f in DECLARED})


def to_amount(value, cap: Decimal | None) -> Decimal | None:
    """Formula value → amount in 万元: NULL stays None, negatives are 0, the cap applies, 2 decimals."""
    if value is None:
        return None
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if not d.is_finite():
        return None
    d = max(d, Decimal(0))
    if cap is not None:
        d = min(d, Decimal(cap))
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Assessment:
    eligible: bool
    amount: Decimal | None
    clauses: list  # ClauseResult of every top-level clause
    missing_declared: list[str]

    @property
    def failed(self) -> list:
        return [c for c in self.clauses if c.passed is not True]

    @property
    def near(self) -> bool:
        """Not eligible, but only one clause stands in the way (or only declared values are missing)."""
        return not self.eligible and (len(self.failed) <= 1 or bool(self.missing_declared))


def assess(row: Mapping, eligibility_rule: str, benefit_formula: str, cap: Decimal | None) -> Assessment:
    """One enterprise (a feature row, plus any declared values) against one item."""
    elig, ben = eligibility(eligibility_rule or ""), benefit(benefit_formula or "")
    full = {f.name: None for f in DECLARED_FIELDS} | dict(row)
    clauses = elig.explain(full) if elig is not None else []
    ok = elig.passes(full) if elig is not None else True
    known = ben is not None and all(full.get(f) is not None for f in ben.fields)
    amount = to_amount(ben.evaluate_exact(full), cap) if (ok and known) else None
    missing = [n for n in declared_names(elig, ben) if full.get(n) is None]
    return Assessment(ok, amount, clauses, missing)


AMOUNT_DTYPE = pl.Decimal(16, 2)


def batch(
    features: pl.DataFrame, eligibility_rule: str, benefit_formula: str, cap: Decimal | float | None
) -> pl.DataFrame:
    """Every eligible enterprise of the feature table and its estimated benefit (万元, Decimal(16, 2); null
    when the formula needs a value the table lacks). Columns: org_id, estimate.

    Eligibility runs in Polars; the benefit is evaluated per eligible row with Decimal arithmetic, exactly
    as :func:`assess` does (Polars would compute the formula in floats)."""
    elig, ben = eligibility(eligibility_rule or ""), benefit(benefit_formula or "")
    missing = [f.name for f in DECLARED_FIELDS if f.name not in features.columns]
    df = features.with_columns(
        [
            pl.lit(None, dtype=pl.Boolean if DECLARED[n].kind == "boolean" else pl.Float64).alias(n)
            for n in missing
        ]
    )
    ok = elig.to_polars().fill_null(False) if elig is not None else pl.lit(True)
    df = df.filter(ok)
    cap = None if cap is None else Decimal(str(cap))
    if ben is None:
        estimates = [None] * df.height
    elif ben.fields:
        estimates = [_estimate(ben, row, cap) for row in df.select(sorted(ben.fields)).iter_rows(named=True)]
    else:  # a fixed amount (e.g. 20): selecting no column would give no rows
        estimates = [_estimate(ben, {}, cap)] * df.height
    return pl.DataFrame(
        {"org_id": df.get_column("org_id"), "estimate": pl.Series(estimates, dtype=AMOUNT_DTYPE)}
    )


def _estimate(ben: Rule, row: dict, cap: Decimal | None) -> Decimal | None:
    if any(v is None for v in row.values()):  # an estimate needs every input it names (LEAST skips NULL)
        return None
    return to_amount(ben.evaluate_exact(row), cap)


def total(hits: pl.DataFrame) -> Decimal:
    """The exact sum of a batch's estimates (万元)."""
    return sum((e for e in hits.get_column("estimate").to_list() if e is not None), Decimal(0)).quantize(CENT)


# ---------------------------------------------------------------------------
# Full-text search tokens (jieba)
# ---------------------------------------------------------------------------

_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Search tokens of a text: jieba's search-engine mode (words and their sub-words), lower-cased,
    punctuation and whitespace dropped."""
    import jieba

    jieba.setLogLevel(60)
    out = []
    for t in jieba.cut_for_search(text or ""):
        t = t.strip().lower()
        if t and _WORD.search(t):
            out.append(t)
    return out


def document_tokens(parts: Iterable[str]) -> str:
    return " ".join(tokens("\n".join(p for p in parts if p)))


_SPECIAL = re.compile(r"[\"'&|!():*<>^{}\[\]\\+\-~]")


def query_groups(q: str) -> list[list[list[str]]]:
    """A query as AND-ed groups; each group is a list of alternatives, each alternative a list of tokens
    that must all occur. A word jieba keeps whole in the query may be split in a document (and the other
    way round), so each word matches either whole or as its sub-words: 金融科技 → 金融科技 | (金融 & 科技)."""
    import jieba

    jieba.setLogLevel(60)
    groups: list[list[list[str]]] = []
    seen = set()
    for w in jieba.cut(q or ""):
        w = _SPECIAL.sub("", w.strip().lower())
        if not w or not _WORD.search(w) or w in seen:
            continue
        seen.add(w)
        subs = [
            t for t in (x.strip().lower() for x in jieba.cut_for_search(w)) if t and t != w and len(t) > 1
        ]
        alts = [[w]]
        if subs:
            alts.append(sorted(set(subs), key=subs.index))
        groups.append(alts)
    return groups

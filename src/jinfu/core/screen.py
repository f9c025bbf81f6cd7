"""数据大屏: one dark full-screen page for the finance office, assembled from the panels the installed modules
declare (``ModuleContract.screen_panels``), so core names no module and a later module (risk early warning,
green finance…) adds its panel — figures, a ranked bar chart by district, or colour levels — by declaring it.

A panel provider is a callable taking the Principal and returning a :class:`Panel`, or None when it has
nothing for this reader; the page shows only panels with data.

Disclosure (docs/security.md, "数据大屏"): the screen hangs in halls and meeting rooms, so sums over
enterprises follow the aggregate policy of core/disclosure.py: a sum is shown only when at least k
(``JINFU_DISCLOSURE_MIN_GROUP``) enterprises contribute and none makes up more than the dominance share;
a district whose bar would break that is left out of the ranking and counted in the panel's note.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import disclosure
from . import jurisdiction as jur
from .models import Role
from .modules import resolve, screen_panels
from .principal import as_principal
from .templatetags.jinfu_format import plain_number

TONES = ("good", "warn", "bad", "none")


@dataclass(frozen=True)
class Figure:
    label: str
    value: str  # formatted for reading (plain_number), or 「—」 when withheld
    unit: str = ""


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


@dataclass(frozen=True)
class Level:
    """One colour of a traffic-light or risk panel: how many things are at this level."""

    label: str
    count: int
    tone: str  # one of TONES


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    order: int = 50
    figures: tuple[Figure, ...] = ()
    bars: tuple[Bar, ...] = ()
    bars_title: str = ""
    bars_unit: str = ""
    levels: tuple[Level, ...] = ()
    notes: tuple[str, ...] = ()
    synthetic: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return bool(self.figures or self.bars or any(level.count for level in self.levels))

    @property
    def bars_json(self) -> str:
        """[[label, value], …] for the chart (read by core/screen.js from a data attribute)."""
        return json.dumps([[b.label, b.value] for b in self.bars], ensure_ascii=False)

    def as_dict(self) -> dict:
        return asdict(self)


def can_view_screen(actor) -> bool:
    """The finance office (government users with a jurisdiction) and the platform admin."""
    p = as_principal(actor)
    return p.is_admin or (p.role == Role.GOVERNMENT and p.jurisdiction.level != jur.NONE)


def panels_for(actor) -> list[Panel]:
    """Every installed module's panel for this reader, in order, those without data left out."""
    p = as_principal(actor)
    panels = [resolve(path)(p) for path in screen_panels()]
    return sorted((panel for panel in panels if panel is not None and panel.has_data), key=lambda x: x.order)


def scope_label(actor) -> str:
    """「全市」, or the district or zone the reader governs (the screen's subtitle)."""
    p = as_principal(actor)
    j = p.jurisdiction
    org = p.organization
    if j.citywide:
        return _("全市")
    if j.zone and org is not None and org.zone_id:
        return org.zone.name
    if org is not None and org.division_id:
        return org.division.name
    return j.label


# ---------------------------------------------------------------------------
# Disclosure of sums over enterprises
# ---------------------------------------------------------------------------


def disclosable(per_enterprise: dict) -> bool:
    """A sum over these enterprises' values (enterprise → value) may be shown: at least k contribute and
    none makes up more than the dominance share (core/disclosure.py's policy)."""
    values = [Decimal(v) for v in per_enterprise.values() if v]
    if len(values) < disclosure.min_group():
        return False
    total = sum(values)
    return total > 0 and max(values) / total <= Decimal(str(disclosure.dominance()))


def total_figure(label: str, per_enterprise: dict, unit: str) -> Figure:
    """A sum over enterprises, or 「—」 (withheld) when the group is too small or dominated."""
    if not disclosable(per_enterprise):
        return Figure(label, "—", _("样本不足，不予显示"))
    return Figure(label, plain_number(sum(Decimal(v) for v in per_enterprise.values())), unit)


def count_figure(label: str, n: int, unit: str) -> Figure:
    """A count of enterprises or their records, withheld below k (as the aggregate previews do)."""
    if n < disclosure.min_group():
        return Figure(label, "—", _("样本不足，不予显示"))
    return Figure(label, plain_number(n, 0), unit)


def ranked_bars(
    rows: Iterable[tuple[str, object, object]], *, limit: int = 15
) -> tuple[tuple[Bar, ...], str]:
    """(group label, enterprise, value) rows → the groups' sums ranked high to low, each group shown only
    when it is disclosable; the note says how many groups were left out."""
    groups: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    for label, enterprise, value in rows:
        groups[label or _("未填区县")][enterprise] += Decimal(value or 0)
    shown, withheld = [], 0
    for label, members in groups.items():
        if disclosable(members):
            shown.append(Bar(label, float(sum(members.values()))))
        else:
            withheld += 1
    shown.sort(key=lambda b: -b.value)
    note = ""
    if withheld:
        note = ngettext(
            "%(n)d 个区县不足 %(k)d 家企业或由单家企业主导，未单列",
            "%(n)d 个区县不足 %(k)d 家企业或由单家企业主导，未单列",
            withheld,
        ) % {"n": withheld, "k": disclosure.min_group()}
    return tuple(shown[:limit]), note

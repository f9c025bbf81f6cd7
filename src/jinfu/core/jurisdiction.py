"""Jurisdiction (辖区): the one rule for which places a principal governs. See docs/architecture.md, "Jurisdiction".

A place is a (division code, zone code) pair: every enterprise has a division and may sit in a functional
zone (功能区). The rule, derived from the principal's organization:

- the platform admin: ``platform``, everything;
- a government or regulator user whose office has a zone set: ``zone``, the enterprises registered in that
  zone only (a zone's management committee does not govern the rest of its parent districts);
- ... whose office is a street grid (街镇网格): ``street``, the enterprises of the street's division
  (GB/T 2260 has no street codes; the grid works its district's list);
- ... whose office has a district division: ``division``, that division's enterprises;
- ... whose office has no division or the city's (500000): ``city``, everything;
- a sector regulator's user (role ``sector`` at an office of kind ``sector``, 行业主管部门 such as 区商务委):
  ``industry``, the enterprises of the office's division whose GB/T 4754 industry falls in one of the office's
  sections (门类 letters) or divisions (大类, 2 digits); a city-level sector office: those industries city-wide;
- a street office's user (role ``street`` at an office of kind ``street``): ``street`` as above;
- everyone else (enterprises, institutions, a government user without an office): ``none``; they reach
  data through ownership and consent, never through jurisdiction.

Whether a role may *act* (review a claim, edit a plan) is the module's permission; *where* it may act is
this. The value is pure; :meth:`Jurisdiction.q` is the one Django helper.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

CITY_DIVISION = "500000"

PLATFORM = "platform"
CITY = "city"
DIVISION = "division"
STREET = "street"
ZONE = "zone"
INDUSTRY = "industry"
NONE = "none"

#: GB/T 4754-2017 sections (门类) as ranges of their 2-digit divisions (大类), so an industry code's section is
#: known without the database (tests/core/test_jurisdiction_industry.py checks it against the loaded standard).
SECTION_DIVISIONS = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}  # fmt: skip

LEVEL_LABELS = {
    PLATFORM: "全平台",
    CITY: "全市",
    DIVISION: "本区县",
    STREET: "本街镇所在区县",
    ZONE: "本功能区",
    INDUSTRY: "本区县主管行业",
    NONE: "无辖区",
}


@dataclass(frozen=True)
class Jurisdiction:
    level: str
    division: str | None = None  # division, street and industry levels (industry: None = city-wide)
    zone: str | None = None  # zone level
    industries: tuple[str, ...] = ()  # industry level: GB/T 4754 section letters and 2-digit divisions

    @property
    def citywide(self) -> bool:
        """Platform and city level: every place."""
        return self.level in (PLATFORM, CITY)

    @property
    def is_local(self) -> bool:
        """Division, street or zone: one place below the city."""
        return self.level in (DIVISION, STREET, ZONE)

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self.level]

    def covers(self, division: str | None, zone: str | None = None, industry: str | None = None) -> bool:
        """Is a thing in this place (an enterprise's division and zone, and for the industry level its GB/T
        4754 code) inside the jurisdiction? At the industry level a thing without an industry is outside."""
        if self.citywide:
            return True
        if self.level == INDUSTRY:
            in_place = self.division is None or division == self.division
            return in_place and industry is not None and self.covers_industry(industry)
        if self.level == ZONE:
            return zone is not None and zone == self.zone
        if self.level in (DIVISION, STREET):
            return division is not None and division == self.division
        return False

    def covers_industry(self, code: str) -> bool:
        """Is a GB/T 4754 code (a class, group or division; or a section letter) in one of the industries?"""
        division = _division_prefixes(self.industries)
        return code[:2] in division or code in self.industries

    def covers_any(self, divisions: Iterable[str], zones: Iterable[str] = ()) -> bool:
        """Does a thing attached to several places (a plan's divisions and zones) touch the jurisdiction?"""
        if self.citywide:
            return True
        if self.level == ZONE:
            return self.zone in set(zones)
        if self.level in (DIVISION, STREET):
            return self.division in set(divisions)
        return False

    def covers_citywide_or(self, division: str | None) -> bool:
        """For things placed by division only, where no division means city-wide (a city policy, which
        every office applies in its own area): city-wide things, and those of a division covered. A sector
        office governs by industry, which such things do not carry: nothing."""
        if self.level in (NONE, INDUSTRY):
            return False
        return division is None or self.covers(division, None)

    def q(
        self,
        division_field: str | None = "division",
        zone_field: str | None = "zone",
        industry_field: str | None = None,
    ) -> Q:
        """The filter for rows whose place is in the jurisdiction (fields are FK paths, e.g.
        ``organization__division``; None: the row has no such field, so that level matches nothing — a
        caller that does not name an industry field gives a sector office nothing).
        City-wide is the empty ``Q()``, which vanishes when OR-ed: test ``citywide`` before combining."""
        if self.citywide:
            return Q()
        if self.level == INDUSTRY:
            if not industry_field or not self.industries:
                return Q(pk__in=[])
            industry = Q()
            for prefix in sorted(_division_prefixes(self.industries)):
                industry |= Q(**{f"{industry_field}__pk__startswith": prefix})
            if self.division is None:
                return industry
            if not division_field:
                return Q(pk__in=[])
            return Q(**{f"{division_field}_id": self.division}) & industry
        if self.level == ZONE and zone_field:
            return Q(**{f"{zone_field}_id": self.zone})
        if self.level in (DIVISION, STREET) and division_field:
            return Q(**{f"{division_field}_id": self.division})
        return Q(pk__in=[])

    def q_citywide_or(self, division_field: str) -> Q:
        """:meth:`covers_citywide_or` as a filter (rows with no division, or a division covered)."""
        if self.citywide:
            return Q()
        if self.level in (NONE, INDUSTRY):
            return Q(pk__in=[])
        return Q(**{f"{division_field}__isnull": True}) | self.q(division_field, None)


def _division_prefixes(industries: Iterable[str]) -> set[str]:
    """The 2-digit divisions of sections (letters, expanded) and divisions (kept)."""
    out = set()
    for code in industries:
        if code in SECTION_DIVISIONS:
            lo, hi = SECTION_DIVISIONS[code]
            out |= {f"{n:02d}" for n in range(lo, hi + 1)}
        elif len(code) == 2 and code.isdigit():
            out.add(code)
    return out


def of_sector_office(org) -> Jurisdiction:
    """The jurisdiction of a sector regulator (行业主管部门): its industries in its division (city-wide when it
    has no division or the city's); none when it names no industry."""
    industries = tuple(sorted(set(org.industries or ())))
    if not _division_prefixes(industries):
        return Jurisdiction(NONE)
    division = None if org.division_id in (None, CITY_DIVISION) else org.division_id
    return Jurisdiction(INDUSTRY, division=division, industries=industries)


def of_organization(org) -> Jurisdiction:
    """The jurisdiction of a government or street office (any other organization: none)."""
    from .models import Organization

    if org is None or org.kind not in (Organization.Kind.GOVERNMENT, Organization.Kind.STREET):
        return Jurisdiction(NONE)
    if org.kind == Organization.Kind.STREET:
        if org.division_id in (None, CITY_DIVISION):
            return Jurisdiction(NONE)
        return Jurisdiction(STREET, division=org.division_id)
    if org.zone_id:
        return Jurisdiction(ZONE, zone=org.zone_id)
    if org.division_id in (None, CITY_DIVISION):
        return Jurisdiction(CITY)
    return Jurisdiction(DIVISION, division=org.division_id)


def of(principal) -> Jurisdiction:
    """Derive a principal's jurisdiction (use ``Principal.jurisdiction``, which caches it)."""
    from .models import Role

    if principal.is_admin:
        return Jurisdiction(PLATFORM)
    org = principal.organization
    if principal.role in (Role.GOVERNMENT, Role.REGULATOR):
        return of_organization(org)
    if principal.role == Role.SECTOR and org is not None and org.kind == org.Kind.SECTOR:
        return of_sector_office(org)
    if principal.role == Role.STREET and org is not None and org.kind == org.Kind.STREET:
        return of_organization(org)
    return Jurisdiction(NONE)


def q(
    principal,
    division_field: str | None = "division",
    zone_field: str | None = "zone",
    industry_field: str | None = None,
) -> Q:
    return _principal(principal).jurisdiction.q(division_field, zone_field, industry_field)


def covers(
    principal, division_code: str | None, zone_code: str | None = None, industry_code: str | None = None
) -> bool:
    return _principal(principal).jurisdiction.covers(division_code, zone_code, industry_code)


def _principal(actor):
    from .principal import as_principal

    return as_principal(actor)

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
NONE = "none"

LEVEL_LABELS = {
    PLATFORM: "全平台",
    CITY: "全市",
    DIVISION: "本区县",
    STREET: "本街镇所在区县",
    ZONE: "本功能区",
    NONE: "无辖区",
}


@dataclass(frozen=True)
class Jurisdiction:
    level: str
    division: str | None = None  # division and street levels
    zone: str | None = None  # zone level

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

    def covers(self, division: str | None, zone: str | None = None) -> bool:
        """Is a thing in this place (an enterprise's division and zone) inside the jurisdiction?"""
        if self.citywide:
            return True
        if self.level == ZONE:
            return zone is not None and zone == self.zone
        if self.level in (DIVISION, STREET):
            return division is not None and division == self.division
        return False

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
        every office applies in its own area): city-wide things, and those of a division covered."""
        if self.level == NONE:
            return False
        return division is None or self.covers(division, None)

    def q(self, division_field: str | None = "division", zone_field: str | None = "zone") -> Q:
        """The filter for rows whose place is in the jurisdiction (fields are FK paths, e.g.
        ``organization__division``; None: the row has no such field, so that level matches nothing).
        City-wide is the empty ``Q()``, which vanishes when OR-ed: test ``citywide`` before combining."""
        if self.citywide:
            return Q()
        if self.level == ZONE and zone_field:
            return Q(**{f"{zone_field}_id": self.zone})
        if self.level in (DIVISION, STREET) and division_field:
            return Q(**{f"{division_field}_id": self.division})
        return Q(pk__in=[])

    def q_citywide_or(self, division_field: str) -> Q:
        """:meth:`covers_citywide_or` as a filter (rows with no division, or a division covered)."""
        if self.citywide:
            return Q()
        if self.level == NONE:
            return Q(pk__in=[])
        return Q(**{f"{division_field}__isnull": True}) | self.q(division_field, None)


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
    if principal.role in (Role.GOVERNMENT, Role.REGULATOR):
        return of_organization(principal.organization)
    return Jurisdiction(NONE)


def q(principal, division_field: str | None = "division", zone_field: str | None = "zone") -> Q:
    return _principal(principal).jurisdiction.q(division_field, zone_field)


def covers(principal, division_code: str | None, zone_code: str | None = None) -> bool:
    return _principal(principal).jurisdiction.covers(division_code, zone_code)


def _principal(actor):
    from .principal import as_principal

    return as_principal(actor)

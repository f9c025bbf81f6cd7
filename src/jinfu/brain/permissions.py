"""Who may read and edit the brain: one place for the rules, used by selectors, services, views and API.

- government and regulator users, and the platform admin, read every plan (the plans are public
  documents) and the city-level comparison;
- a district's (or zone's) government officers edit the actuals and supervise the tasks of the plans
  that cover their jurisdiction (core/jurisdiction.py: a zone office its zone's plans, a district or
  street office its division's); a city-level office reads everything and edits nothing of a district's;
  the admin edits everything;
- task boards are internal: a district officer sees the tasks of its own plans, the city and the admin
  see all; enterprises and institutions see nothing of the brain.
"""

from __future__ import annotations

from jinfu.core import dataversion
from jinfu.core.models import Role
from jinfu.core.principal import as_principal

from .models import Plan


def can_view_brain(actor) -> bool:
    p = as_principal(actor)
    return p.is_admin or p.role in (Role.GOVERNMENT, Role.REGULATOR)


def is_city_level(actor) -> bool:
    """The admin and city-level offices (``Principal.jurisdiction``: platform or city)."""
    p = as_principal(actor)
    return p.is_admin or (p.role in (Role.GOVERNMENT, Role.REGULATOR) and p.jurisdiction.citywide)


def _covers(plan, p) -> bool:
    """A district, street or zone office's jurisdiction touches one of the plan's divisions or zones."""
    j = p.jurisdiction
    if not j.is_local:
        return False
    return j.covers_any(_codes(plan.divisions), _codes(plan.zones))


def _codes(related):
    """The codes of a plan's divisions or zones, read only if iterated (covers_any reads the side the
    jurisdiction's level needs); .all(): a plan whose listing prefetched them costs no query."""
    yield from (x.code for x in related.all())


def can_edit_plan(actor, plan) -> bool:
    p = as_principal(actor)
    if p.is_admin:
        return True
    return p.role == Role.GOVERNMENT and _covers(plan, p)


def can_import_actuals(actor) -> bool:
    """Whether the import of actuals can write anything for this user: the admin, or a government office
    that edits at least one plan. Regulators and city-level offices only read, so they are not offered it."""
    p = as_principal(actor)
    if p.is_admin:
        return True
    if p.role != Role.GOVERNMENT or not p.jurisdiction.is_local:
        return False
    # asked by the brain menu on every brain page: once per jurisdiction and change of the plans
    keys = dataversion.table_keys(
        "brain.Plan", "brain.Plan_divisions", "brain.Plan_zones", "core.Division", "core.Zone"
    )
    edits, _hit = dataversion.cached(
        "brain.imports_actuals",
        keys,
        p.jurisdiction,
        lambda: any(_covers(plan, p) for plan in Plan.objects.prefetch_related("divisions", "zones")),
    )
    return edits


def can_view_tasks(actor, plan) -> bool:
    p = as_principal(actor)
    if not can_view_brain(p):
        return False
    return is_city_level(p) or _covers(plan, p)

"""Who may read and edit the brain: one place for the rules, used by selectors, services, views and API.

- government and regulator users, and the platform admin, read every plan (the plans are public
  documents) and the city-level comparison;
- a district's (or zone's) government officers edit the actuals and supervise the tasks of the plans
  that cover their division or zone; a city-level office (division 500000) reads everything and edits
  nothing of a district's; the admin edits everything;
- task boards are internal: a district officer sees the tasks of its own plans, the city and the admin
  see all; enterprises and institutions see nothing of the brain.
"""

from __future__ import annotations

from jinfu.core.models import Role
from jinfu.core.principal import as_principal

CITY_DIVISION = "500000"


def can_view_brain(actor) -> bool:
    p = as_principal(actor)
    return p.is_admin or p.role in (Role.GOVERNMENT, Role.REGULATOR)


def is_city_level(actor) -> bool:
    p = as_principal(actor)
    org = p.organization
    return p.is_admin or (
        p.role in (Role.GOVERNMENT, Role.REGULATOR)
        and org is not None
        and org.division_id in (None, CITY_DIVISION)
        and org.zone_id is None
    )


def _covers(plan, org) -> bool:
    if org is None:
        return False
    if org.zone_id and plan.zones.filter(pk=org.zone_id).exists():
        return True
    return (
        bool(org.division_id)
        and org.division_id != CITY_DIVISION
        and plan.divisions.filter(pk=org.division_id).exists()
    )


def can_edit_plan(actor, plan) -> bool:
    p = as_principal(actor)
    if p.is_admin:
        return True
    return p.role == Role.GOVERNMENT and _covers(plan, p.organization)


def can_view_tasks(actor, plan) -> bool:
    p = as_principal(actor)
    if not can_view_brain(p):
        return False
    return is_city_level(p) or _covers(plan, p.organization)

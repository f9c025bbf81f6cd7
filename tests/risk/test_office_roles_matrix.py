"""Every page and every API read of the platform, requested by a 行业主管部门 user and a 街镇 user (the roles
added for issue 12 item 8; tests/test_permission_matrix.py holds the eight older callers): they reach only
what is declared here — their home, the shared public pages, the directory of their jurisdiction and their
own risk cases. Anything else (financing applications, credit profiles, the risk index, other modules' work
pages) must refuse them: 403, 404, 405 or a redirect to login, never 200."""

from __future__ import annotations

import pytest
from django.test import Client

from jinfu.core.models import Organization

from ..test_permission_matrix import _api_url, _page_url, _world, all_api, all_pages

ROLES = ("sector", "street")

# route → "sector street" outcomes where either is shown the page (200); every other route must refuse both.
# fmt: off
SHOWN: dict[str, str] = {
    # the offices' own work
    "home": "200 200",
    "risk:cases": "200 200",
    "GET /api/v1/risk/cases": "200 200",
    # shared pages every signed-in user has (public libraries, help, own notices and records)
    "healthz": "200 200",
    "help": "200 200",
    "notifications": "200 200",
    "access-log": "200 200",
    "risk:tipoff": "200 200",
    "risk:tipoff_status": "200 200",
    "financing:market": "200 200",
    "financing:product": "200 200",
    "financing:funds": "200 200",
    "financing:roadshows": "200 200",
    "policy:library": "200 200",
    "policy:policy": "200 200",
    "policy:publicity": "200 200",
    "listing:standards": "200 200",
    "green:catalogues": "200 200",
    "green:home": "200 200",  # published notices and the product showcase: for every signed-in user
    "green:notices": "200 200",
    "green:notice": "200 200",
    "credit:template": "200 200",
    "imports:template": "200 200",
    "GET /api/v1/me": "200 200",
    "GET /api/v1/codes/divisions": "200 200",
    "GET /api/v1/codes/industries": "200 200",
    "GET /api/v1/codes/uscc/{code}": "200 200",
    "GET /api/v1/codes/zones": "200 200",
    "GET /api/v1/credit/sources": "200 200",
    "GET /api/v1/financing/products": "200 200",
    "GET /api/v1/green/catalogues": "200 200",
    "GET /api/v1/green/products": "200 200",
    "GET /api/v1/green/notices": "200 200",
    "GET /api/v1/green/notices/{notice_id}": "200 200",
    "GET /api/v1/listing/standards": "200 200",
    "GET /api/v1/policy/policies": "200 200",
    "GET /api/v1/policy/policies/{pk}": "200 200",
    # the directory of their jurisdiction: the street grid works its district's list; the matrix's enterprise
    # (南岸区, industry A 农业) is outside the 商务委's industries F/H, so the sector user is refused it
    "org-list": "200 200",
    "GET /api/v1/orgs": "200 200",
    "org-detail": "302 200",
    "GET /api/v1/enterprises/{org_id}": "404 200",
    # lists filtered to the caller's own organization: answered, and empty (checked below)
    "GET /api/v1/access-records": "200 200",
    "GET /api/v1/grants": "200 200",
    "GET /api/v1/financing/applications": "200 200",
    "GET /api/v1/green/loans": "200 200",
    "GET /api/v1/green/projects": "200 200",
    "GET /api/v1/green/reports": "200 200",
}
OWN_READS = "GET /api/v1/access-records"  # the reads the office itself made (its org-detail visits)
EMPTY = (
    OWN_READS,
    "GET /api/v1/grants",
    "GET /api/v1/financing/applications",
    "GET /api/v1/green/loans",
    "GET /api/v1/green/projects",
    "GET /api/v1/green/reports",
    "GET /api/v1/risk/cases",  # no case is routed to these offices in the matrix's world
)
# fmt: on
# 422: a read whose required query parameters the matrix does not send answers validation first, to everyone
REFUSED = {"302", "401", "403", "404", "405", "422"}


def _office_clients(make_user) -> tuple[dict[str, Client], dict[str, int]]:
    sector = Organization.objects.create(
        kind="sector", name="南岸区商务委员会", division_id="500108", industries=["F", "H"]
    )
    street = Organization.objects.create(kind="street", name="南坪街道网格", division_id="500108")
    out = {}
    for role, org in (("sector", sector), ("street", street)):
        out[role] = Client(raise_request_exception=False)
        out[role].force_login(make_user(role, org=org))
    return out, {"sector": sector.pk, "street": street.pk}


@pytest.mark.django_db
def test_office_roles_reach_only_the_declared_routes(make_user, reference_data):
    _users, objects = _world(make_user)
    clients, org_ids = _office_clients(make_user)
    got: dict[str, str] = {}
    bodies: dict[str, list] = {}
    for name, (args, _expected) in all_pages().items():
        url = _page_url(name, args, objects)
        got[name] = " ".join(str(clients[r].get(url).status_code) for r in ROLES)
    for op, (args, _expected) in all_api().items():
        method, path = op.split(" ", 1)
        if method != "GET":
            continue  # writes answer 422 to every signed-in caller before any permission (see the matrix)
        url = _api_url(path, args, objects)
        answers = [clients[r].get(url) for r in ROLES]
        got[op] = " ".join(str(a.status_code) for a in answers)
        if op in EMPTY:
            bodies[op] = [_rows(a.json()) for a in answers]
    shown = {k: v for k, v in got.items() if "200" in v.split()}
    assert shown == SHOWN, "\n".join(f'    "{k}": "{v}",' for k, v in sorted(shown.items()))
    odd = {k: v for k, v in got.items() if k not in SHOWN and not set(v.split()) <= REFUSED}
    assert not odd, odd
    own = bodies.pop(OWN_READS)
    for role, rows in zip(ROLES, own, strict=True):
        assert {r["accessor_org_id"] for r in rows} <= {org_ids[role]}, (role, rows)
    leaks = {op: rows for op, rows in bodies.items() if any(rows)}
    assert not leaks, leaks


def _rows(body) -> list:
    """The records of a list answer (a list, or a page object with items/rows)."""
    if isinstance(body, dict):
        return list(body.get("items") or body.get("rows") or [])
    return list(body)

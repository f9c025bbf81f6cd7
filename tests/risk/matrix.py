"""Risk early warning's entries in the permission matrix (tests/test_permission_matrix.py): its pages and
API operations, requested by every role of the matrix. Risk needs no objects of its own: its URLs use the
matrix's enterprise (``ent_org``), a signal source (``source``), a USCC and an id nobody has (``missing``)."""

from __future__ import annotations

# key: (URL arguments from the matrix's objects, expected outcome per role in the matrix's ROLES order:
# anonymous enterprise enterprise_other institution government government_other regulator admin)
# fmt: off
PAGES: dict[str, tuple[tuple[str, ...], str]] = {
    "risk:overview": ((), "302 403 403 403 403 403 200 200"),
    "risk:warnings": ((), "302 403 403 403 403 403 200 200"),
    "risk:firm": (('ent_org',), "302 403 403 403 403 403 404 404"),
    "risk:override": (('ent_org',), "302 403 403 403 403 403 405 405"),
    "risk:clusters": ((), "302 403 403 403 403 403 200 200"),
    "risk:imports": ((), "302 403 403 200 403 403 200 200"),
    "risk:import_template": (('source',), "302 403 403 404 403 403 404 404"),
    "risk:recompute": ((), "302 403 403 403 403 403 405 405"),
    "risk:cases": ((), "302 403 403 403 403 403 200 200"),
    "risk:case": (('missing',), "302 403 403 403 403 403 404 404"),
    "risk:case_step": (('missing',), "302 403 403 403 403 403 405 405"),
    "risk:case_open": (('ent_org',), "302 403 403 403 403 403 405 405"),
    "risk:case_task_add": (('missing',), "302 403 403 403 403 403 405 405"),
    "risk:case_task_done": (('missing', 'missing'), "302 403 403 403 403 403 405 405"),
    "risk:case_note_add": (('missing',), "302 403 403 403 403 403 405 405"),
    "risk:routing": ((), "302 403 403 403 403 403 200 200"),
    "risk:local_finance": ((), "302 403 403 403 403 403 200 200"),
    "risk:local_finance_org": (('missing',), "302 403 403 403 403 403 404 404"),
    "risk:local_finance_address": (('missing',), "302 403 403 403 403 403 405 405"),
    "risk:tipoff": ((), "200 200 200 200 200 200 200 200"),
    "risk:tipoff_status": ((), "200 200 200 200 200 200 200 200"),
}
API: dict[str, tuple[tuple[str, ...], str]] = {
    "GET /api/v1/risk/overview": ((), "401 403 403 403 403 403 200 200"),
    "GET /api/v1/risk/warnings": ((), "401 403 403 403 403 403 200 200"),
    "GET /api/v1/risk/firms/{enterprise_id}": (('ent_org',), "401 403 403 403 403 403 404 404"),
    "POST /api/v1/risk/firms/{enterprise_id}/override": (('ent_org',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/risk/clusters": ((), "401 403 403 403 403 403 200 200"),
    "POST /api/v1/risk/imports/{kind}": (('source',), "401 422 422 422 422 422 422 422"),
    "POST /api/v1/risk/recompute": ((), "401 403 403 403 403 403 200 200"),
    "GET /api/v1/risk/cases": ((), "401 403 403 403 403 403 200 200"),
    "GET /api/v1/risk/cases/{case_id}": (('missing',), "401 403 403 403 403 403 404 404"),
    "POST /api/v1/risk/firms/{enterprise_id}/cases": (('ent_org',), "401 403 403 403 403 403 200 200"),
    "POST /api/v1/risk/cases/{case_id}/step": (('missing',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/risk/cases/{case_id}/collaboration": (('missing',), "401 403 403 403 403 403 404 404"),
    "POST /api/v1/risk/cases/{case_id}/tasks": (('missing',), "401 422 422 422 422 422 422 422"),
    "POST /api/v1/risk/cases/{case_id}/tasks/{task_id}/done": (('missing', 'missing'), "401 422 422 422 422 422 422 422"),
    "POST /api/v1/risk/cases/{case_id}/notes": (('missing',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/risk/routing": ((), "401 403 403 403 403 403 200 200"),
    "GET /api/v1/risk/local-finance": ((), "401 403 403 403 403 403 200 200"),
    "GET /api/v1/risk/local-finance/{org_id}": (('missing',), "401 403 403 403 403 403 404 404"),
    "POST /api/v1/risk/tipoffs": ((), "422 422 422 422 422 422 422 422"),
    "GET /api/v1/risk/tipoffs/{number}": (('uscc',), "404 404 404 404 404 404 404 404"),
}
# fmt: on


def setup(users: dict, objects: dict) -> dict:
    """The objects risk's URLs need beyond the matrix's own: none."""
    return {}

"""Green finance's entries in the permission matrix (tests/test_permission_matrix.py): its pages and API
operations, requested by every role of the matrix, and the objects they need (a green project submitted by the
matrix's enterprise, identified and published to the project pool by the operator; a notice published by the
matrix's finance office)."""

from __future__ import annotations

# key: (URL arguments from the matrix's objects, expected outcome per role in the matrix's ROLES order:
# anonymous enterprise enterprise_other institution government government_other regulator admin)
# fmt: off
PAGES: dict[str, tuple[tuple[str, ...], str]] = {
    "green:mine": ((), "302 200 200 403 403 403 403 403"),
    "green:import": ((), "302 405 405 405 405 405 405 405"),
    "green:project": (('green_project',), "302 200 404 200 200 404 404 200"),
    "green:decide": (('green_project',), "302 405 405 405 405 405 405 405"),
    "green:tier": (('green_project',), "302 405 405 405 405 405 405 405"),
    "green:revoke": (('green_project',), "302 405 405 405 405 405 405 405"),
    "green:claim": (('green_project',), "302 405 405 405 405 405 405 405"),
    "green:loan": (('missing',), "302 405 405 405 405 405 405 405"),
    "green:hall": ((), "302 403 403 200 403 403 403 403"),
    "green:overview": ((), "302 403 403 403 200 200 403 200"),
    "green:catalogues": ((), "302 200 200 200 200 200 200 200"),
    "green:reports": ((), "302 403 403 200 403 403 403 403"),
    "green:reports-import": ((), "302 405 405 405 405 405 405 405"),
    "green:evaluation": ((), "302 403 403 403 200 200 403 200"),
    "green:qualitative": (('missing',), "302 405 405 405 405 405 405 405"),
    "green:home": ((), "302 200 200 200 200 200 200 200"),
    "green:notices": ((), "302 200 200 200 200 200 200 200"),
    "green:notice": (('green_notice',), "302 200 200 200 200 200 200 200"),
    "green:notice-publish": (('green_notice',), "302 405 405 405 405 405 405 405"),
    "green:notice-withdraw": (('green_notice',), "302 405 405 405 405 405 405 405"),
}
API: dict[str, tuple[tuple[str, ...], str]] = {
    "GET /api/v1/green/catalogues": ((), "401 200 200 200 200 200 200 200"),
    "GET /api/v1/green/projects": ((), "401 200 200 200 200 200 200 200"),
    "POST /api/v1/green/projects": ((), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/green/projects/{project_id}": (('green_project',), "401 200 404 200 200 404 404 200"),
    "POST /api/v1/green/projects/{project_id}/decide": (('green_project',), "401 422 422 422 422 422 422 422"),
    "POST /api/v1/green/projects/{project_id}/tier": (('green_project',), "401 422 422 422 422 422 422 422"),
    "POST /api/v1/green/projects/{project_id}/revoke": (('green_project',), "401 422 422 422 422 422 422 422"),
    "POST /api/v1/green/projects/{project_id}/claim": (('green_project',), "401 403 403 201 403 403 403 403"),
    "POST /api/v1/green/loans/{loan_id}": (('missing',), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/green/loans": ((), "401 200 200 200 200 200 200 200"),
    "GET /api/v1/green/products": ((), "401 200 200 200 200 200 200 200"),
    "POST /api/v1/green/products": ((), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/green/reports": ((), "401 200 200 200 200 200 200 200"),
    "POST /api/v1/green/reports": ((), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/green/evaluation": ((), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/green/projects/{project_id}/products": (('green_project',), "401 200 404 200 200 404 404 200"),
    "GET /api/v1/green/notices": ((), "401 200 200 200 200 200 200 200"),
    "POST /api/v1/green/notices": ((), "401 422 422 422 422 422 422 422"),
    "GET /api/v1/green/notices/{notice_id}": (('green_notice',), "401 200 200 200 200 200 200 200"),
    # the notice is published: its office and the operator reach the rule (422: only a draft is published),
    # another office does not see it as its own (404), other roles may not publish (403)
    "POST /api/v1/green/notices/{notice_id}/publish": (('green_notice',), "401 403 403 403 422 404 403 422"),
    "POST /api/v1/green/notices/{notice_id}/withdraw": (('green_notice',), "401 422 422 422 422 422 422 422"),
}
# fmt: on


def setup(users: dict, objects: dict) -> dict:
    """A published green project of the matrix's enterprise (``green_project``)."""
    from jinfu.green import services as green
    from jinfu.green.loader import load_catalogues

    from .test_green_services import solar

    load_catalogues()
    project = green.submit_project(users["enterprise"], solar())
    green.decide(users["admin"], project.identifications.get().pk, confirm=True)
    green.set_tier(users["admin"], project.pk, "pool", publish=True)
    notice = green.save_notice(users["government"], {"title": "绿色项目申报通知", "body": "正文"})
    green.publish_notice(users["government"], notice.pk)
    return {"green_project": project.pk, "green_notice": notice.pk}

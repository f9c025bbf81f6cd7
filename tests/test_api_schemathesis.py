"""Schemathesis against our own OpenAPI (/api/v1/openapi.json), as each role: every operation gets a bounded
number of generated requests (positive data from the schema), sent through the WSGI app inside the test's
database transaction. Required: no 5xx, every status documented, every body conforming to its schema.

Figures (operations, examples, failures) are printed; run with ``-s`` to read them.
"""

from __future__ import annotations

import pytest
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from hypothesis import HealthCheck, Phase, given, settings

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

EXAMPLES_PER_OPERATION = 5
ROLES = ["anonymous", "enterprise", "institution", "government", "regulator", "admin"]


def _checks():
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]


def _credentials(role, make_user) -> tuple[dict, dict]:
    """(headers, cookies) of a logged-in browser session of ``role`` (with its CSRF token), or none."""
    if role == "anonymous":
        return {}, {}
    user = make_user(role)
    client = Client()
    client.force_login(user)
    token = get_token(RequestFactory().get("/"))
    return {"X-CSRFToken": token}, {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}


def _fuzz(operation, headers, cookies, stats) -> list[str]:
    checks = _checks()
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        stats["examples"] += 1
        response = case.call(headers=headers, cookies=cookies)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # collect every failing operation, not only the first
            text = " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            failures.append(f"{operation.label}: {text[:500]}")
            raise

    try:
        run()
    except (Exception, BaseExceptionGroup):  # hypothesis re-raises the (shrunk) failure, recorded above
        pass
    return failures[-1:]


@pytest.fixture
def keep_db_connection():
    """Requests go straight to the WSGI app, not through Django's test client, so Django would close the
    database connection after each one (request_finished → close_old_connections) and, on PostgreSQL,
    with it the test's transaction. Do what the test client does: keep it open for the test."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_openapi_for_every_role(role, make_user, reference_data, keep_db_connection):
    import schemathesis

    from jinfu.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    headers, cookies = _credentials(role, make_user)
    stats = {"operations": 0, "examples": 0}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        stats["operations"] += 1
        failures += _fuzz(operation, headers, cookies, stats)
    print(
        f"\nschemathesis[{role}]: {stats['operations']} operations, {stats['examples']} examples, "
        f"{len(failures)} failing operations"
    )
    assert not failures, "\n".join(failures)

"""The API docs page (/api/v1/docs, linked from every footer) renders its operation list under the strict CSP:
Swagger UI's files are served locally (django-ninja's bundled static files), no CDN, no inline script."""

import pytest


@pytest.mark.browser
def test_api_docs_render_the_operation_list(live_app, page, screenshot):
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(f"{live_app}/api/v1/docs")
    assert response.status == 200
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 50
    assert page.locator(".opblock-tag").count() >= 5  # one section per module
    assert not blocked, blocked
    assert all(u.startswith(live_app) or u.startswith("data:") for u in requests), requests
    screenshot(page)

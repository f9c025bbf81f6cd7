"""Browser: the help page's glossary filter works under the strict CSP (the script is core/static/core/jinfu.js)."""

import pytest


@pytest.mark.browser
def test_glossary_filter_hides_rows_that_do_not_match(live_app, page):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_app}/accounts/login/")
    page.click("footer >> text=帮助中心")
    page.wait_for_url("**/help/")
    rows = page.locator("#glossary-table tr[data-filter-row]")
    total = rows.count()
    assert total >= 100

    page.fill("#glossary-filter", "免申即享")
    visible = page.locator("#glossary-table tr[data-filter-row]:visible")
    visible.first.wait_for()
    assert 1 <= visible.count() < total
    assert all("免申即享" in visible.nth(i).inner_text() for i in range(visible.count()))
    assert page.locator('[data-filter-count="glossary-table"]').inner_text() == str(visible.count())

    page.fill("#glossary-filter", "consent")  # English matches too, case-insensitive
    assert page.locator("#glossary-table tr[data-filter-row]:visible").count() >= 1

    page.fill("#glossary-filter", "没有这个词zzz")
    page.locator('[data-filter-empty="glossary-table"]').wait_for(state="visible")
    assert page.locator("#glossary-table tr[data-filter-row]:visible").count() == 0

    page.fill("#glossary-filter", "")
    assert page.locator("#glossary-table tr[data-filter-row]:visible").count() == total
    assert not [e for e in errors if "Content Security Policy" in e], errors

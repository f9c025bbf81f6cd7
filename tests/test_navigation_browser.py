"""Navigation and error pages in a real browser: every menu item of every role is visible and opens its page at
1280×800 and on a 390×844 phone (behind the 菜单 button); 403 and 404 pages are Chinese, styled, with the
navigation and a way back."""

import re

import pytest

from jinfu.core.modules import menu_for
from tests.core.test_browser_login import _submit_login

ROLES = ["enterprise", "institution", "government", "regulator", "admin"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 1


def _open_menu(page, phone: bool):
    if phone:
        toggle = page.locator("[data-navtoggle]")
        assert toggle.is_visible()
        toggle.click()


@pytest.mark.browser
@pytest.mark.parametrize("size", VIEWPORTS)
@pytest.mark.parametrize("role", ROLES)
def test_every_menu_item_is_visible_and_opens(live_app, page, make_user, screenshot, role, size):
    page.set_viewport_size(VIEWPORTS[size])
    user = make_user(role)
    _submit_login(page, live_app, user.username, user.raw_password)
    labels = [str(label) for _, label in menu_for(role)]
    _open_menu(page, size == "phone")
    screenshot(page, "menu")
    links = page.locator("#mainnav a")
    assert links.count() == len(labels) + 1  # 首页 first
    for i in range(links.count()):
        link = links.nth(i)
        assert link.is_visible() and _in_viewport(page, link), (
            f"{role}/{size}: {link.inner_text()} is cut off"
        )
    for i, label in enumerate(labels, start=1):
        page.goto(f"{live_app}/")
        _open_menu(page, size == "phone")
        link = page.locator("#mainnav a").nth(i)
        assert link.inner_text().strip() == label
        with page.expect_navigation() as nav:
            link.click()
        assert nav.value.status == 200, f"{role}/{size}: {label} answered {nav.value.status}"


@pytest.mark.browser
def test_error_pages_are_chinese_with_navigation(live_app, page, make_user, screenshot):
    user = make_user("enterprise")
    _submit_login(page, live_app, user.username, user.raw_password)
    response = page.goto(f"{live_app}/orgs/audit/")  # operators only
    assert response.status == 403
    card = page.locator("[data-error='403']")
    assert card.is_visible() and "无权访问" in card.inner_text()
    assert "只有平台管理员可以查看审计日志" in card.inner_text()
    assert page.locator("#mainnav a").count() > 1
    screenshot(page, "403")
    response = page.goto(f"{live_app}/financing/no-such-page/")
    assert response.status == 404
    assert "页面不存在" in page.locator("[data-error='404']").inner_text()
    assert re.search(r"返回首页", page.locator("body").inner_text())
    screenshot(page, "404")


# ---------------------------------------------------------------------------
# Full-page scan: every page a role reaches from its menu (and one level of links within each, bounded)
# shows no developer text: no catalog field identifier, no Python class or traceback, no None/null/
# undefined/NaN, no float artefact. Runs on the demo data (every module filled), at 1280×800; then at
# 390×844 every menu item is reachable behind the 菜单 button.
# ---------------------------------------------------------------------------

LINKS_PER_PAGE = 12  # one level of links within each menu page, this many distinct URL shapes at most
SKIP_LINK = re.compile(
    r"/api/|/admin/.+|/i18n/|/accounts/|export|download|/template/|\.(xlsx|docx|csv|pdf)\b"
)
DEVELOPER_TEXT = [
    (re.compile(r"<class |Traceback \(most recent call last\)"), "Python class or traceback"),
    (re.compile(r"(?<![A-Za-z_])(None|null|undefined|NaN)(?![A-Za-z_])"), "None/null/undefined/NaN"),
    (re.compile(r"\d\.\d*0000000\d|\d\.\d*9999999\d"), "float artefact"),
]


def _catalog_fields() -> re.Pattern:
    import jinfu.policy.engine  # noqa: F401  (registers the policy catalog: the declared fields)
    from jinfu.core import featureregistry
    from jinfu.rules.catalog import named_catalog

    names = {f.name for f in featureregistry.fields()}
    for catalog in ("enterprise", "policy"):
        names |= {f.name for f in named_catalog(catalog)}
    names = {n for n in names if "_" in n or n in {"uscc", "revenue", "employees"}}
    return re.compile(r"(?<![A-Za-z_])(" + "|".join(sorted(names, key=len, reverse=True)) + r")(?![A-Za-z_])")


def _shape(url: str) -> str:
    """/orgs/12/ and /orgs/13/ are one page shape; query strings of pagers and sorts count once."""
    path = url.split("#")[0]
    path, _, query = path.partition("?")
    keys = sorted(k.split("=")[0] for k in query.split("&") if k)
    return re.sub(r"/\d+(?=/|$)", "/N", path) + ("?" + "&".join(keys) if keys else "")


def _problems(text: str, fields: re.Pattern) -> list[str]:
    found = [f"field identifier {m.group(0)!r}" for m in fields.finditer(text)]
    for pattern, what in DEVELOPER_TEXT:
        found += [
            f"{what}: …{text[max(0, m.start() - 30) : m.end() + 30]!r}…" for m in pattern.finditer(text)
        ]
    return found


def _page_links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(a => a.getAttribute('href'))")
    return [h for h in hrefs if h.startswith("/") and not SKIP_LINK.search(h)]


@pytest.fixture
def demo_logins(live_app):
    from jinfu.core.demo import build_demo
    from jinfu.core.models import User

    result = build_demo(enterprises=60, seed=7)
    User.objects.update(tour_dismissed_at="2026-06-30T10:00:00+08:00")  # the tour has its own test
    return {username: (role, password) for role, username, password, _ in result.logins}


DEMO_USERS = [
    "demo_enterprise",
    "demo_bank",
    "demo_gov",
    "demo_gov_city",
    "demo_regulator",
    "demo_sector",
    "demo_street",
    "demo_admin",
]


def _scan_role(page, live_app, screenshot, username: str, password: str, fields) -> tuple[int, list[str]]:
    """Log in, visit the menu pages and up to LINKS_PER_PAGE new page shapes linked from each; return the
    number of pages visited and what was found."""
    page.context.clear_cookies()
    page.set_viewport_size(VIEWPORTS["desktop"])
    _submit_login(page, live_app, username, password)
    menu = page.eval_on_selector_all("#mainnav a", "els => els.map(a => a.getAttribute('href'))")
    seen, problems, visited = set(), [], 0

    def visit(url: str, label: str) -> list[str]:
        nonlocal visited
        try:
            response = page.goto(f"{live_app}{url}")
        except Exception as exc:  # a download, not a page
            if "Download is starting" in str(exc):
                return []
            raise
        visited += 1
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            return []
        if response.status >= 500:
            problems.append(f"{url}: HTTP {response.status}")
        problems.extend(f"{url}: {p}" for p in _problems(page.locator("body").inner_text(), fields))
        screenshot(page, f"{username}-{label}")
        return _page_links(page, live_app)

    for i, url in enumerate(menu):
        seen.add(_shape(url))
        picked = []
        for link in visit(url, f"m{i}"):
            if _shape(link) not in seen and len(picked) < LINKS_PER_PAGE:
                seen.add(_shape(link))
                picked.append(link)
        for j, link in enumerate(picked):
            visit(link, f"m{i}-{j}")
    return visited, problems, menu


@pytest.mark.browser
def test_no_developer_text_on_any_page_of_any_role(live_app, page, demo_logins, screenshot):
    fields = _catalog_fields()
    found = []
    for username in DEMO_USERS:
        _, password = demo_logins[username]
        visited, problems, menu = _scan_role(page, live_app, screenshot, username, password, fields)
        print(f"{username}: {visited} pages scanned")
        assert visited >= len(menu) + 3, f"{username}: only {visited} pages"
        found += [f"{username} {p}" for p in problems]
        # on a phone, every menu item of the role is reachable behind the 菜单 button
        page.set_viewport_size(VIEWPORTS["phone"])
        page.goto(f"{live_app}/")
        _open_menu(page, phone=True)
        links = page.locator("#mainnav a")
        assert links.count() == len(menu)
        for i in range(links.count()):
            assert links.nth(i).is_visible() and _in_viewport(page, links.nth(i)), links.nth(i).inner_text()
    assert not found, "developer text on pages:\n" + "\n".join(found)

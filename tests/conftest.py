"""Shared test fixtures: environment, reference data, user factory and real-browser (Playwright) fixtures.

The environment variables below must be set before Django's settings are imported (the settings read
them at import time; pytest-django imports the settings lazily, after this conftest is loaded).
"""

import os

os.environ.setdefault("JINFU_TASKS", "immediate")  # background jobs run inline in tests
os.environ.setdefault("JINFU_TESTING", "1")  # settings allow the 'testserver' host
# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _apply_test_environment() -> None:
    """pytest-django configures Django before this conftest is imported when a single process runs the tests
    (under xdist the workers inherit the variables above): apply the test-only settings here as well."""
    from django.conf import settings

    if settings.configured:
        settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


_apply_test_environment()

import itertools  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

TEST_PASSWORD = "Jinfu-Test-密码-2025!"
CHROMIUM = os.environ.get("JINFU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


# ---------------------------------------------------------------------------
# Reference data (GB/T 2260 divisions, GB/T 4754 industries, …)
# ---------------------------------------------------------------------------


def _reference_loader():
    try:
        from jinfu.core.reference.loader import load_reference_data
    except ImportError:
        return None
    return load_reference_data


def ensure_reference_data() -> bool:
    """Load the reference data unless it is already in the database. Returns whether a loader exists."""
    load = _reference_loader()
    if load is None:
        return False
    from jinfu.core.models import ReferenceDataset

    if not ReferenceDataset.objects.exists():
        load()
    return True


# Every test runs on the same frozen calendar day (the clock ticks from there), so that no test depends on
# the date the suite happens to run: fixtures that say "established 100 days ago" or "last year" mean the
# same thing in every run. A test that needs another day travels on its own (time_machine fixture).
FROZEN_NOW = "2026-06-30T10:00:00+08:00"


@pytest.fixture(autouse=True)
def _frozen_clock():
    import time_machine

    with time_machine.travel(FROZEN_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's language (Chinese): a test that switches to English on the thread
    (translation.activate) must not change what the next test in the same worker renders."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_workday_calendar():
    """The entered holiday schedule is cached per process: start and end every test without it."""
    from jinfu.core import selectors_calendar

    selectors_calendar.invalidate()
    yield
    selectors_calendar.invalidate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits (e.g. aggregate previews, jinfu.core.disclosure) count in Django's cache: each test
    starts with an empty one, so no test depends on how many requests the tests before it made."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Create the test database (pytest-django), then load the reference data once per session/worker.

    ``db`` tests see it (each test rolls back to this state). ``transactional_db``/``live_server`` tests
    flush tables on teardown; pytest-django runs them after the ``db`` tests, and fixtures that need the
    data there call :func:`ensure_reference_data` (see ``live_app``).
    """
    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture
def reference_data(db):
    """Reference data in a ``db`` test (already loaded by ``django_db_setup``; reloaded if missing)."""
    ensure_reference_data()


# ---------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------

_ORG_KIND_FOR_ROLE = {
    "enterprise": "enterprise",
    "institution": "institution",
    "government": "government",
    "regulator": "government",
    "sector": "sector",
    "street": "street",
}
_ORG_NAME_FOR_KIND = {
    "enterprise": "测试科技有限公司",
    "institution": "测试银行股份有限公司",
    "government": "测试市地方金融管理局",
    "sector": "测试区商务委员会",
    "street": "测试街道网格",
}
_counter = itertools.count(1)


def _make_profile(org):
    from jinfu.core.models import EnterpriseProfile, Industry, InstitutionProfile, Organization

    if org.kind == Organization.Kind.ENTERPRISE:
        industry = Industry.objects.filter(level=Industry.Level.CLASS).order_by("code").first()
        if industry is None:  # no reference data loaded: keep the bare organization
            return
        EnterpriseProfile.objects.create(
            organization=org,
            legal_representative="张三",
            registered_capital=500,
            established_on="2018-06-01",
            industry=industry,
            employees=50,
            revenue=3000,
            total_assets=2000,
        )
    elif org.kind == Organization.Kind.INSTITUTION:
        InstitutionProfile.objects.create(organization=org, institution_type=InstitutionProfile.Type.BANK)


_HASHES: dict[str, str] = {}


def _password_hash(password: str) -> str:
    """Argon2 hashes are deliberately slow; hash each test password once per session and reuse it."""
    from django.contrib.auth.hashers import make_password

    if password not in _HASHES:
        _HASHES[password] = make_password(password)
    return _HASHES[password]


def create_user(role, org=None, *, profile=True, **kw):
    """Create a user of ``role`` (a jinfu.core.models.Role value or its string) with a known password.

    enterprise/institution/government/regulator users get an Organization of the matching kind
    (regulators sit in a government organization) unless ``org`` is given; ``admin`` users belong to no
    organization and are staff + superuser. The plain password is on ``user.raw_password``.
    Enterprises get a profile (employees 50, revenue 3000 万元, …) when reference data is loaded;
    other tests rely on these values.
    """
    from jinfu.core.models import Organization, Role, User

    role = Role(role)
    n = next(_counter)
    if org is None and role != Role.ADMIN:
        kind = _ORG_KIND_FOR_ROLE[role.value]
        org = Organization.objects.create(kind=kind, name=f"{_ORG_NAME_FOR_KIND[kind]}{n}")
        if profile:
            _make_profile(org)
    password = kw.pop("password", TEST_PASSWORD)
    fields = {
        "username": f"{role.value}{n}",
        "display_name": f"测试{role.label}{n}",
        "email": f"{role.value}{n}@example.com",
        "organization": org,
        "role": role,
    }
    if role == Role.ADMIN:
        fields.update(is_staff=True, is_superuser=True)
    # the first-login tour (新手引导) would greet every test user; tests of the tour pass tour=True
    if not kw.pop("tour", False):
        from django.utils import timezone

        fields["tour_dismissed_at"] = timezone.now()
    fields.update(kw)
    user = User(**fields)
    user.password = _password_hash(password)
    user.save()
    user.raw_password = password
    return user


@pytest.fixture
def make_user(db):
    """Factory: ``make_user("enterprise")``, ``make_user("institution", org=bank, username="li")``."""
    return create_user


# ---------------------------------------------------------------------------
# Real browser (Playwright driving Debian's chromium; never `playwright install`)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _artifact_name(node) -> str:
    return re.sub(r"[^\w.\-\[\]]+", "_", node.name)[:180]


def save_screenshot(page, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png (git-ignored)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "step")`` saves test-artifacts/screenshots/<test name>-<step>.png."""
    base = _artifact_name(request.node)

    def take(page, step: str | None = None) -> Path:
        return save_screenshot(page, f"{base}-{step}" if step else base)

    return take


@pytest.fixture
def page(browser, request):
    """A fresh zh-CN browser context + page; a screenshot of the final state is saved, pass or fail."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    try:
        if not page.is_closed():
            save_screenshot(page, _artifact_name(request.node))
    except Exception as exc:  # a failing screenshot must not hide the test's own result
        print(f"screenshot failed: {exc}")
    finally:
        context.close()


@pytest.fixture
def live_app(live_server, transactional_db):
    """The live server's base URL, with reference data loaded (live_server tests use a flushed DB)."""
    ensure_reference_data()
    return live_server.url


def pytest_sessionstart(session):
    # whitenoise warns on every request when STATIC_ROOT does not exist yet (no collectstatic in tests).
    from django.conf import settings

    if settings.configured:
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)

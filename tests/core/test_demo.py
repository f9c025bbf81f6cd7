"""`make demo` twice must not duplicate anything: every model's row count is the same after a second run."""

import pytest
from django.apps import apps

pytestmark = pytest.mark.django_db

APPS = ("core", "brain", "financing", "policy", "listing")
# Logs of who did what are allowed to grow (a login or a read is an event, not a duplicate).
LOGS = {"SecurityEvent", "AccessRecord"}


def _counts():
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in APPS and m.__name__ not in LOGS
    }


def test_demo_twice_changes_nothing(settings, tmp_path):
    from jinfu.core.demo import build_demo

    settings.DATA_DIR = tmp_path
    first = build_demo(enterprises=60, seed=7)
    before = _counts()
    build_demo(enterprises=60, seed=7)
    after = _counts()
    assert before == after
    assert before["core.Organization"] >= 60 and before["brain.Indicator"] == 102
    # the logins are printed the same way both times
    assert [login[:2] for login in first.logins] == [
        ("enterprise", "demo_enterprise"),
        ("institution", "demo_bank"),
        ("government", "demo_gov"),
        ("government", "demo_gov_city"),
        ("regulator", "demo_regulator"),
        ("sector", "demo_sector"),
        ("street", "demo_street"),
        ("admin", "demo_admin"),
    ]

"""The platform shell: health check, OpenAPI document, security settings and migrations."""

import ast
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.core.management import call_command

REPO_DIR = Path(__file__).resolve().parents[2]
SETTINGS_FILE = REPO_DIR / "src" / "jinfu" / "settings.py"


@pytest.mark.django_db
def test_healthz_reports_database_status(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"


@pytest.mark.django_db
def test_openapi_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert "openapi" in document
    assert document["info"]["title"]
    assert document["paths"], "the API publishes no paths"


def test_debug_is_off_by_default(tmp_path):
    """Import the settings in a fresh interpreter without JINFU_DEBUG: DEBUG must be False."""
    env = {k: v for k, v in os.environ.items() if k not in {"JINFU_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env["JINFU_DATA_DIR"] = str(tmp_path)
    code = "import jinfu.settings as s; print(repr(s.DEBUG))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_passwords_are_hashed_with_argon2():
    assert get_hasher().algorithm == "argon2"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/healthz"])
def test_security_headers(client, url):
    response = client.get(url)
    assert response.status_code == 200
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("X-Frame-Options") == "DENY"


def test_secret_key_is_not_in_git():
    assert shutil.which("git") is not None and (REPO_DIR / ".git").exists(), "tests run in a git checkout"
    files = subprocess.run(
        ["git", "ls-files"], cwd=REPO_DIR, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert files, "git ls-files listed nothing"
    leaked = [f for f in files if Path(f).name.lower() in {"secret_key", "secret_key.txt", ".secret_key"}]
    assert leaked == []


def test_secret_key_is_not_a_constant_in_settings():
    tree = ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))
    assignments = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "SECRET_KEY" for t in node.targets)
    ]
    assert assignments, "settings.py does not set SECRET_KEY"
    for node in assignments:
        assert not isinstance(node.value, ast.Constant), "SECRET_KEY is a literal in settings.py"
    assert settings.SECRET_KEY not in SETTINGS_FILE.read_text(encoding="utf-8")
    assert len(settings.SECRET_KEY) >= 40


@pytest.mark.django_db
def test_no_missing_migrations():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits with status 1 when a migration is missing
        pytest.fail(
            f"makemigrations --check found model changes without migrations (exit {exc.code}):\n{out.getvalue()}"
        )

"""`jinfu backup` / `jinfu restore`: back up, wipe, restore, and every row is back (SQLite here; PostgreSQL
with pg_dump/pg_restore when the suite runs on PostgreSQL, as CI does); `jinfu check --deploy`."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from jinfu.cli import main
from jinfu.core import backup
from jinfu.core.errors import ValidationFailed
from tests.conftest import ensure_reference_data


def fingerprint() -> dict[str, str]:
    """Per table: a hash of every row (sorted), so a restore that loses or changes one row is caught."""
    out = {}
    with connection.cursor() as cur:
        for table in sorted(connection.introspection.table_names(cur)):
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows = sorted(repr(r) for r in cur.fetchall())
            out[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


@pytest.fixture
def upload():
    media = Path(settings.MEDIA_ROOT) / "imports"
    media.mkdir(parents=True, exist_ok=True)
    f = media / "企业名录.csv"
    f.write_text("统一社会信用代码,名称\n91500000MA00000001,测试\n", encoding="utf-8")
    yield f
    f.unlink(missing_ok=True)


@pytest.mark.slow
def test_backup_wipe_restore_finds_every_row(transactional_db, make_user, upload, tmp_path, capsys):
    ensure_reference_data()
    make_user("enterprise")
    make_user("institution")
    before = fingerprint()
    counts = backup.row_counts()
    assert sum(counts.values()) > 100  # reference data, users, organizations …

    archive = tmp_path / "b.tar.gz"
    assert main(["backup", "--output", str(archive)]) == 0
    assert f"engine={connection.vendor}" in capsys.readouterr().out
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "media/imports/企业名录.csv" in names

    call_command("flush", "--no-input", verbosity=0)  # wipe: every table emptied
    upload.unlink()
    assert sum(backup.row_counts().values()) < sum(counts.values()) // 2

    assert main(["restore", str(archive)]) == 2  # refuses without --yes
    assert main(["restore", str(archive), "--yes"]) == 0
    assert fingerprint() == before
    assert upload.read_text(encoding="utf-8").startswith("统一社会信用代码")


def test_restore_refuses_an_archive_with_unsafe_paths(tmp_path, db):
    evil = tmp_path / "evil.tar.gz"
    payload = tmp_path / "x"
    payload.write_text("x")
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(payload, "../../etc/cron.d/x")
    with pytest.raises(ValidationFailed) as exc:
        backup.restore(evil)
    assert "不安全" in exc.value.message_zh


def test_check_deploy_reports_our_checks(db, capsys, settings, monkeypatch):
    monkeypatch.delenv("JINFU_HTTPS", raising=False)
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["localhost"]
    assert main(["check", "--deploy"]) == 1
    err = capsys.readouterr().err
    assert "jinfu.E001" in err and "jinfu.E005" in err and "jinfu.W001" in err
    assert ("jinfu.E006" in err) == (connection.vendor != "postgresql")

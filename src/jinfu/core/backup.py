"""Backup and restore of a jinfu instance: the database and the uploads (``$JINFU_DATA_DIR/media``).

One ``.tar.gz`` file holds ``manifest.json`` (engine, time, migrations, row count per table), the database
(``database.dump`` from ``pg_dump -Fc`` for PostgreSQL, ``database.sqlite3`` from SQLite's online backup
API — consistent while the site is running) and ``media/``. Restore replaces the database
(``pg_restore --clean --if-exists``; SQLite's backup API in the other direction) and the uploads, then
checks every table's row count against the manifest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection

from .errors import ValidationFailed


def _pg_env_args() -> tuple[dict, list[str]]:
    s = connection.settings_dict
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    args = ["-h", str(s.get("HOST") or "127.0.0.1"), "-p", str(s.get("PORT") or 5432), "-U", str(s["USER"])]
    return env, args


def row_counts() -> dict[str, int]:
    with connection.cursor() as cur:
        out = {}
        for table in sorted(connection.introspection.table_names(cur)):
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            out[table] = cur.fetchone()[0]
        return out


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _dump_database(dest: Path) -> str:
    if _is_postgres():
        env, args = _pg_env_args()
        path = dest / "database.dump"
        subprocess.run(
            ["pg_dump", "-Fc", "--no-owner", *args, "-f", str(path), connection.settings_dict["NAME"]],
            env=env,
            check=True,
            capture_output=True,
        )
        return path.name
    connection.ensure_connection()
    path = dest / "database.sqlite3"
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)  # online: a consistent copy while others write
    finally:
        target.close()
    return path.name


def backup(output: str | os.PathLike) -> dict:
    """Write a backup archive to ``output``; returns its manifest."""
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        counts = row_counts()
        db_file = _dump_database(tmpd)
        manifest = {
            "format": 1,
            "engine": connection.vendor,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "database": db_file,
            "row_counts": counts,
            "media_files": sum(1 for p in media.rglob("*") if p.is_file()) if media.is_dir() else 0,
        }
        (tmpd / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        out = Path(output)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out, "w:gz") as tar:
            tar.add(tmpd / "manifest.json", "manifest.json")
            tar.add(tmpd / db_file, db_file)
            if media.is_dir():
                tar.add(media, "media")
    return manifest


def _safe_members(tar: tarfile.TarFile):
    for m in tar.getmembers():
        if m.name.startswith(("/", "..")) or ".." in Path(m.name).parts or not (m.isfile() or m.isdir()):
            raise ValidationFailed(f"备份文件含有不安全的路径：{m.name}", f"unsafe path in backup: {m.name}")
        yield m


def _restore_database(src: Path, manifest: dict) -> None:
    if manifest["engine"] != connection.vendor:
        raise ValidationFailed(
            f"备份来自 {manifest['engine']}，当前数据库是 {connection.vendor}",
            f"the backup is from {manifest['engine']}, this database is {connection.vendor}",
        )
    if _is_postgres():
        connection.close()
        env, args = _pg_env_args()
        subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                "-d",
                connection.settings_dict["NAME"],
                str(src),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        return
    connection.ensure_connection()
    source = sqlite3.connect(src)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def restore(archive: str | os.PathLike) -> dict:
    """Replace the database and the uploads with the archive's; returns the manifest. Raises
    ValidationFailed when a table's row count differs from the manifest after the restore."""
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        tmpd = Path(tmp)
        tar.extractall(tmpd, members=list(_safe_members(tar)))
        manifest = json.loads((tmpd / "manifest.json").read_text())
        _restore_database(tmpd / manifest["database"], manifest)
        if media.exists():
            shutil.rmtree(media)
        if (tmpd / "media").is_dir():
            shutil.copytree(tmpd / "media", media)
    counts = row_counts()
    wrong = {t: (n, counts.get(t)) for t, n in manifest["row_counts"].items() if counts.get(t) != n}
    if wrong:
        raise ValidationFailed(
            f"恢复后行数不一致：{', '.join(sorted(wrong))}", f"row counts differ after restore: {wrong}"
        )
    return manifest

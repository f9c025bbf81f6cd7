"""`jinfu import enterprises|institutions FILE [--dry-run] [--user NAME]`: the same job path as the web."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import JinfuError
from ..models import ImportJob, User
from . import registry, services

BAR = 30


def _bar(job: ImportJob) -> str:
    pct = job.progress_percent
    if job.status == ImportJob.Status.COMMITTING:
        return f"[{'#' * BAR}] 提交中 committing… {job.total_rows} rows"
    filled = int(BAR * pct / 100)
    return (
        f"[{'#' * filled}{'.' * (BAR - filled)}] {pct:3d}% {job.processed_rows}/{job.total_rows} {job.status}"
    )


def _user(username: str | None):
    if username:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise JinfuError(f"用户不存在：{username}", f"no such user: {username}", code="user")
        return user
    user = (
        User.objects.filter(is_superuser=True).order_by("pk").first()
        or User.objects.filter(role="admin").order_by("pk").first()
    )
    if user is None:
        raise JinfuError(
            "没有管理员账户，请用 --user 指定导入人",
            "no admin account; name the importing user with --user",
            code="user",
        )
    return user


def print_report(job: ImportJob, out=None) -> None:
    out = out or sys.stdout
    s = job.summary or {}
    counts = s.get("counts") or {}
    out.write(f"任务 job #{job.pk}  {job.get_kind_display()}  {job.original_name}\n")
    out.write(
        f"状态 status: {job.status}  格式 format: {s.get('format', '')}  编码 encoding: {job.encoding}\n"
    )
    out.write(f"行数 rows: {job.total_rows}\n")
    if job.errors:
        n = s.get("error_count", len(job.errors))
        out.write(f"\n问题 problems: {n}\n")
        out.write("行row\t列column\t值value\t规则rule\t说明message\n")
        for e in job.errors:
            out.write(
                f"{e['row']}\t{e['column']}\t{e['value']}\t{e['rule']}\t{e['message_zh']} | {e['message_en']}\n"
            )
    if counts and not job.errors:
        out.write(
            f"\n差异 diff: 新增 create {counts.get('create', 0)}  更新 update {counts.get('update', 0)}  "
            f"不变 unchanged {counts.get('unchanged', 0)}\n"
        )
        labels = {c.field: c.label_zh for c in registry.get(job.kind).columns}
        shown = 0
        for d in s.get("diff") or []:
            if d["action"] != "update":
                continue
            changes = "; ".join(f"{labels.get(f, f)}: {o} → {n}" for f, (o, n) in d["changes"].items())
            out.write(f"  行 row {d['row']}  {d['uscc']}  {d['name']}: {changes}\n")
            shown += 1
            if shown >= 50:
                out.write("  …\n")
                break
    if job.message:
        out.write(f"\n{job.message}\n")


def import_command(kind: str, path: str, dry_run: bool, username: str | None) -> int:
    """Validate FILE (and commit unless dry_run). Progress bar on stderr, report on stdout.

    Exit codes: 0 success (validated, or committed), 1 problems found or commit failed, 2 usage error.
    """
    err = sys.stderr
    p = Path(path)
    if not p.is_file():
        err.write(f"文件不存在 / no such file: {path}\n")
        return 2
    try:
        user = _user(username)
        with p.open("rb") as fh:
            job = services.create_job(kind, fh, user, commit=not dry_run, filename=p.name)
    except JinfuError as exc:
        err.write(f"{exc.message_zh} / {exc.message_en}\n")
        return 2
    t0 = time.perf_counter()

    def draw(j: ImportJob) -> None:
        err.write("\r" + _bar(j))
        err.flush()

    services.run_job(job.pk, on_progress=draw)  # the CLI is the worker: it runs the job in the foreground
    job.refresh_from_db()
    err.write("\r" + _bar(job) + f"  {time.perf_counter() - t0:.1f}s\n")
    print_report(job)
    ok = job.status in (ImportJob.Status.COMMITTED, ImportJob.Status.VALIDATED)
    return 0 if ok else 1

"""The `jinfu` console script: demo, serve, worker, migrate, load-reference, import, createuser, manage."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import shutil
import signal
import subprocess
import sys
import tempfile


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinfu.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def cmd_migrate(args) -> int:
    _setup()
    _manage("migrate", "--no-input", *(["-v", "0"] if not args.verbose else []))
    return 0


def cmd_load_reference(args) -> int:
    _setup()
    from jinfu.core.modules import reference_loaders, resolve
    from jinfu.core.reference.loader import load_reference_data

    load_reference_data(stdout=sys.stdout)
    for loader in reference_loaders():  # each module's reference data (module contract)
        resolve(loader)(stdout=sys.stdout)
    return 0


def _metrics_dir() -> tuple[str, bool]:
    """PROMETHEUS_MULTIPROC_DIR for this run of gunicorn: the operator's, emptied of an earlier run's files,
    or a new temporary directory (removed at exit). Returns (path, made here)."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        os.makedirs(given, exist_ok=True)
        for name in os.listdir(given):
            if name.endswith(".db"):
                os.remove(os.path.join(given, name))
        return given, False
    return tempfile.mkdtemp(prefix="jinfu-metrics-"), True


def _serve(host: str, port: int, with_worker: bool = True) -> int:
    """Run the web server (gunicorn, settings in jinfu/gunicorn_conf.py) and the background job worker until
    interrupted."""
    metrics_dir, made = _metrics_dir()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="jinfu.settings")
    procs = []
    if with_worker:
        procs.append(subprocess.Popen([sys.executable, "-m", "jinfu.cli", "worker"], env=env))
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "jinfu.wsgi:application",
            "--config",
            "python:jinfu.gunicorn_conf",
            "--bind",
            f"{host}:{port}",
        ],
        env=env | {"PROMETHEUS_MULTIPROC_DIR": metrics_dir},  # /metrics adds up every worker's
    )
    procs.append(web)
    # SIGTERM (systemd, a supervisor, the load bench) ends like Ctrl+C: the children are stopped and the
    # metrics directory removed below, rather than this process dying and leaving gunicorn running
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    print(f"jinfu 已启动 / serving on http://{host}:{port}/  (Ctrl+C 退出 / to stop)", flush=True)
    try:
        return web.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def cmd_serve(args) -> int:
    _setup()
    _manage("migrate", "--no-input", "-v", "0")
    return _serve(args.host, args.port, with_worker=not args.no_worker)


def cmd_worker(args) -> int:
    _setup()
    from jinfu.core.imports.services import recover_interrupted_jobs

    recover_interrupted_jobs()  # import jobs a killed worker left running: failed, nothing written
    _manage("db_worker")
    return 0


def cmd_demo(args) -> int:
    _setup()
    from jinfu.core.demo import build_demo, print_logins

    _manage("migrate", "--no-input", "-v", "0")
    result = build_demo(enterprises=args.enterprises, seed=args.seed, stdout=sys.stdout)
    print_logins(result, host=args.host, port=args.port, stdout=sys.stdout)
    if args.no_serve:
        return 0
    return _serve(args.host, args.port)


def cmd_import(args) -> int:
    _setup()
    from jinfu.core.imports.cli import import_command

    return import_command(args.kind, args.file, args.dry_run, args.user)


def cmd_calendar(args) -> int:
    """Working-day calendar: `check` reminds operators in December; `import` enters a year's notice."""
    _setup()
    from jinfu.core import services_calendar
    from jinfu.core.errors import JinfuError
    from jinfu.core.models import User

    if args.action == "check":
        print(f"notified={services_calendar.notify_missing_next_year()}")
        return 0
    if not (args.file and args.year and args.notice_number and args.notice_date and args.title):
        print("需要 FILE --year --notice-number --notice-date --title / missing arguments", file=sys.stderr)
        return 2
    user = User.objects.filter(username=args.user).first() if args.user else None
    try:
        with open(args.file, "rb") as fh:
            days = services_calendar.parse_days(
                args.year, services_calendar.rows_from_file(fh.read(), args.file)
            )
        notice = services_calendar.enter_notice(
            user,
            year=args.year,
            notice_number=args.notice_number,
            notice_date=dt.date.fromisoformat(args.notice_date),
            title=args.title,
            source_url=args.source_url or "",
            days=days,
        )
    except JinfuError as exc:
        print(f"{exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 2
    print(f"year={notice.year} version={notice.version} days={len(days)}")
    return 0


def cmd_createuser(args) -> int:
    _setup()
    from jinfu.core.errors import JinfuError
    from jinfu.core.models import Organization
    from jinfu.core.services import create_user

    org = None
    if args.org:
        org = Organization.objects.filter(uscc=args.org.strip().upper()).first()
        if org is None and args.org.isdigit():
            org = Organization.objects.filter(pk=int(args.org)).first()
        if org is None:
            print(f"组织不存在 / organization not found: {args.org}", file=sys.stderr)
            return 2
    password = os.environ.get("JINFU_NEW_PASSWORD") or getpass.getpass("密码 / password: ")
    try:
        user = create_user(
            username=args.username,
            password=password,
            role=args.role,
            organization=org,
            display_name=args.name or "",
        )
    except JinfuError as exc:
        print(f"{exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 2
    print(f"已创建用户 / created user {user.username} ({user.role})")
    return 0


def cmd_check(args) -> int:
    """Django's system checks; with --deploy also its deployment checks and ours (core/deploychecks.py)."""
    _setup()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", *(["--deploy"] if args.deploy else []), "--fail-level", "ERROR")
    except SystemCheckError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_backup(args) -> int:
    _setup()
    from jinfu.core.backup import backup

    output = args.output or f"jinfu-backup-{dt.datetime.now():%Y%m%d-%H%M%S}.tar.gz"
    manifest = backup(output)
    rows = sum(manifest["row_counts"].values())
    print(
        f"backup={output} engine={manifest['engine']} tables={len(manifest['row_counts'])} rows={rows} "
        f"media_files={manifest['media_files']}"
    )
    return 0


def cmd_restore(args) -> int:
    _setup()
    from jinfu.core.backup import restore
    from jinfu.core.errors import JinfuError

    if not args.yes:
        print(
            "恢复会覆盖当前数据库和上传文件；确认请加 --yes / restore replaces the database: add --yes",
            file=sys.stderr,
        )
        return 2
    try:
        manifest = restore(args.archive)
    except JinfuError as exc:
        print(f"{exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 2
    print(
        f"restored={args.archive} tables={len(manifest['row_counts'])} rows={sum(manifest['row_counts'].values())}"
    )
    return 0


def cmd_manage(args) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinfu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jinfu manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jinfu", description="金服 jinfu: 区域数字金融服务平台 / regional digital-finance platform"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="建库、载入参考数据和示例数据并启动 / build demo data and serve")
    p.add_argument(
        "--enterprises", type=int, default=3000, help="示例企业数 / number of synthetic enterprises"
    )
    p.add_argument("--seed", type=int, default=20261122, help="随机种子 / random seed (reproducible)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", action="store_true", help="只生成数据，不启动服务 / build data only")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="启动网站和后台任务 / serve the web app and the job worker")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-worker", action="store_true")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="后台任务处理 / run the background job worker")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("migrate", help="数据库迁移 / apply database migrations")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("load-reference", help="载入参考数据 / load reference data (idempotent)")
    p.set_defaults(func=cmd_load_reference)

    p = sub.add_parser("import", help="导入企业或金融机构 / import enterprises or institutions")
    p.add_argument("kind", choices=["enterprises", "institutions"])
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="只校验不写入 / validate only")
    p.add_argument("--user", help="以该用户身份导入（默认第一个管理员）/ import as this user")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "createuser", help="创建用户 / create a user (password from JINFU_NEW_PASSWORD or prompt)"
    )
    p.add_argument("--username", required=True)
    p.add_argument(
        "--role", required=True, choices=["enterprise", "institution", "government", "regulator", "admin"]
    )
    p.add_argument("--org", help="组织统一社会信用代码或ID / organization USCC or id")
    p.add_argument("--name", help="姓名 / display name")
    p.set_defaults(func=cmd_createuser)

    p = sub.add_parser("calendar", help="工作日历：录入放假安排、年末提醒 / working-day calendar")
    p.add_argument("action", choices=["check", "import"])
    p.add_argument("file", nargs="?", help="CSV/XLSX：日期、类型（放假/上班）、节日")
    p.add_argument("--year", type=int)
    p.add_argument("--notice-number", help="通知文号 / notice number")
    p.add_argument("--notice-date", help="发布日期 YYYY-MM-DD / notice date")
    p.add_argument("--title", help="通知标题 / notice title")
    p.add_argument("--source-url", help="来源链接 / source URL")
    p.add_argument("--user", help="录入人（平台管理员）/ operator username")
    p.set_defaults(func=cmd_calendar)

    p = sub.add_parser("check", help="系统检查；--deploy 含上线检查 / system checks (--deploy: production)")
    p.add_argument("--deploy", action="store_true")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("backup", help="备份数据库和上传文件 / back up the database and uploads")
    p.add_argument("--output", help="备份文件 .tar.gz / archive path")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="从备份恢复（覆盖当前数据）/ restore from a backup archive")
    p.add_argument("archive")
    p.add_argument("--yes", action="store_true", help="确认覆盖 / confirm")
    p.set_defaults(func=cmd_restore)

    _setup()  # the installed modules add their own verbs (module contract: cli)
    from jinfu.core.modules import contracts, resolve

    for _label, contract in contracts():
        for add_verbs in contract.cli:
            resolve(add_verbs)(sub)

    p = sub.add_parser("manage", help="Django 管理命令 / run a Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())

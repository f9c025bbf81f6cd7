"""The risk module's verbs of the `jinfu` command: `jinfu risk recompute|escalate|import KIND FILE --user U`."""

from __future__ import annotations

import sys

from jinfu.core.models import User

from . import imports
from .services import import_signals, recompute


def add_verbs(sub) -> None:
    p = sub.add_parser("risk", help="风险监测预警：重算指数、导入风险信号 / risk early warning")
    p.add_argument("action", choices=["recompute", "import", "escalate"])
    p.add_argument("kind", nargs="?", choices=list(imports.COLUMNS), help="信号类别（import）/ signal kind")
    p.add_argument("file", nargs="?", help="文件（import）/ file")
    p.add_argument("--user", help="导入人用户名 / the importer's username")
    p.add_argument("--source", default="", help="来源说明 / provenance")
    p.add_argument("--dry-run", action="store_true", help="只校验不写入 / validate only")
    p.set_defaults(func=cmd_risk)


def cmd_risk(args) -> int:
    if args.action == "recompute":
        print(recompute())
        return 0
    if args.action == "escalate":
        from .cases import escalate

        print(f"notifications={escalate()}")
        return 0
    user = User.objects.filter(username=args.user).first() if args.user else None
    if user is None or not args.kind or not args.file:
        print("需要 KIND FILE 和 --user / KIND FILE and --user are required", file=sys.stderr)
        return 2
    with open(args.file, "rb") as fh:
        res = import_signals(
            user, args.kind, fh.read(), args.file, source=args.source, commit=not args.dry_run
        )
    for e in res["errors"]:
        print(f"{e['row']}\t{e['column']}\t{e['rule']}\t{e['message_zh']} / {e['message_en']}")
    print(f"rows={res['rows']} written={res['written']} problems={len(res['errors'])}")
    return 0 if res["ok"] else 1

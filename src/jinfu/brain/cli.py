"""The brain's verbs of the `jinfu` command (module contract: cli): `jinfu brain load|check-tasks|import-actuals`."""

from __future__ import annotations

import sys

from jinfu.core.models import User

from .loader import load_plans
from .services import import_actuals, refresh_task_statuses


def add_verbs(sub) -> None:
    p = sub.add_parser("brain", help="金融产业大脑：载入规划、检查督办、导入实际值 / finance brain")
    p.add_argument("action", choices=["load", "check-tasks", "import-actuals"])
    p.add_argument("file", nargs="?", help="实际值文件（import-actuals）/ actuals file")
    p.add_argument("--user", help="填报人用户名 / the editor's username")
    p.add_argument("--dry-run", action="store_true", help="只校验不写入 / validate only")
    p.set_defaults(func=cmd_brain)


def cmd_brain(args) -> int:
    if args.action == "load":
        load_plans(stdout=sys.stdout)
    elif args.action == "check-tasks":
        print(refresh_task_statuses())
    elif args.action == "import-actuals":
        user = User.objects.filter(username=args.user).first() if args.user else None
        if user is None:
            print("需要 --user（有权填报的用户）/ --user (an editor) is required", file=sys.stderr)
            return 2
        with open(args.file, "rb") as fh:
            result = import_actuals(user, fh.read(), args.file, dry_run=args.dry_run)
        for pr in result["problems"]:
            print(
                f"{pr.get('row') or '-'}\t{pr['field']}\t{pr['rule']}\t{pr['message_zh']} / {pr['message_en']}"
            )
        print(
            f"rows={result['rows']} written={result['written']} corrections={result['corrections']} "
            f"problems={len(result['problems'])}"
        )
        return 1 if result["problems"] else 0
    return 0

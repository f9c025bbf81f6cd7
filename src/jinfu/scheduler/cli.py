"""`jinfu scheduler [run|list|once|run-now NAME]`: the scheduler process and its operator commands."""

from __future__ import annotations

import sys


def add_verbs(sub) -> None:
    p = sub.add_parser("scheduler", help="定时任务：运行调度、查看、立即执行 / scheduled jobs")
    p.add_argument("action", nargs="?", default="run", choices=["run", "list", "once", "run-now"])
    p.add_argument("name", nargs="?", help="任务名（run-now）/ job name")
    p.set_defaults(func=cmd_scheduler)


def cmd_scheduler(args) -> int:
    from . import runner
    from .models import ScheduledJob

    if args.action == "run":
        runner.loop()
        return 0
    if args.action == "once":
        for run in runner.run_due():
            print(
                f"{run.job.name}\t{run.slot:%Y-%m-%d %H:%M}\t{run.outcome}\t{run.duration:.1f}s\t{run.message[:80]}"
            )
        return 0
    if args.action == "run-now":
        names = {j.name for j in runner.sync()}
        if args.name not in names:
            print(f"没有这个任务 / no such job: {args.name} ({', '.join(sorted(names))})", file=sys.stderr)
            return 2
        run = runner.run_now(args.name)
        print(f"{args.name}\t{run.outcome}\t{run.duration:.1f}s\t{run.message[:200]}")
        return 0 if run.outcome == "ok" else 1
    runner.sync()
    for j in ScheduledJob.objects.all():
        last = (
            f"{j.last_started:%Y-%m-%d %H:%M} {j.last_outcome} {j.last_duration or 0:.1f}s"
            if j.last_started
            else "-"
        )
        print(f"{j.name}\t{j.cron}\t{'on' if j.enabled else 'off'}\t{last}")
    return 0

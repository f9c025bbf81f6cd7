"""Load the five plans (data/plans/*.yaml) into the database. Idempotent: same files, no changes."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from .models import Indicator, Milestone, Plan, Task, TaskMilestone
from .sources import plan_files, read_plan


def _indicator_fields(plan: Plan, order: int, ind: dict) -> dict:
    base = ind.get("base") or {}
    target = ind.get("target") or {}
    return {
        "plan": plan,
        "order": order,
        "name": ind["name"],
        "canonical": ind.get("canonical") or "",
        "scope_name": ind.get("scope_name") or "",
        "scope_division_id": ind.get("scope_division") or None,
        "scope_zone_id": ind.get("scope_zone") or None,
        "unit": ind.get("unit") or "",
        "kind": ind["kind"],
        "attribute": ind.get("attribute") or "",
        "source_section": ind.get("source_section") or "",
        "base_year": base.get("year"),
        "base_value": base.get("value"),
        "base_quote": base.get("quote") or "",
        "target_year": target.get("year") or plan.period_end,
        "target_value": target.get("value"),
        "comparator": target.get("comparator") or Indicator.Comparator.AT_LEAST,
        "qualifier": target.get("qualifier") or "",
        "target_quote": target.get("quote") or "",
        "relative": ind.get("relative") or None,
        "defects": ind.get("defects") or [],
        "notes": ind.get("notes") or "",
    }


def _task_fields(plan: Plan, order: int, task: dict) -> dict:
    years = [m["year"] for m in task.get("milestones") or [] if m.get("year")]
    due_year = max(years) if years else plan.period_end
    return {
        "plan": plan,
        "order": order,
        "number": str(task.get("number") or ""),
        "title": task["title"][:255],
        "description": task.get("description") or "",
        "implementation": task.get("implementation") or "",
        "priority": int(task.get("priority") or 0),
        "lead_units": task.get("lead_units") or [],
        "cooperating_units": task.get("cooperating_units") or [],
        "numeric_targets": task.get("numeric_targets") or [],
        "quote": task.get("quote") or "",
        "due_date": dt.date(due_year, 12, 31),
    }


@transaction.atomic
def _seed_binding(code: str, feed: dict) -> None:
    """A plan file's ``feed:`` (the target is exactly a module's platform quantity, quoted): bind it, with
    the same checks as an operator's binding. A feed of a module that is not installed is left out."""
    from jinfu.core.feeds import indicator_feeds

    from .services import write_binding

    if feed["code"] not in indicator_feeds():
        return
    write_binding(Indicator.objects.get(code=code), feed["code"], feed["quote"], channel="seed")


def load_plans(stdout=None) -> dict:
    """Upsert plans, indicators (with milestones) and tasks by code. Indicators or tasks that left a file
    are deleted unless they carry actuals or reports (those stay, and are reported)."""
    stats = {"plans": 0, "indicators": 0, "tasks": 0, "unchanged_plans": 0, "kept_stale": []}
    for path in plan_files():
        doc, checksum = read_plan(path)
        meta = doc["plan"]
        plan = Plan.objects.filter(code=meta["code"]).first()
        if plan is not None and plan.data_version == checksum:
            stats["unchanged_plans"] += 1
            stats["indicators"] += plan.indicators.count()
            stats["tasks"] += plan.tasks.count()
            continue
        plan, _ = Plan.objects.update_or_create(
            code=meta["code"],
            defaults={
                "title": meta["title"],
                "title_quote": meta.get("title_quote") or "",
                "issuer": meta.get("issuer") or "",
                "doc_number": meta.get("doc_number") or "",
                "source_file": meta["source_file"],
                "period_start": meta["period_start"],
                "period_end": meta["period_end"],
                "base_year": meta.get("base_year"),
                "notes": meta.get("notes") or "",
                "data_version": checksum,
            },
        )
        plan.divisions.set(meta.get("divisions") or [])
        plan.zones.set(meta.get("zones") or [])
        stats["plans"] += 1
        codes = []
        for order, ind in enumerate(doc.get("indicators") or []):
            obj, _ = Indicator.objects.update_or_create(
                code=ind["code"], defaults=_indicator_fields(plan, order, ind)
            )
            codes.append(obj.code)
            obj.milestones.all().delete()
            Milestone.objects.bulk_create(
                Milestone(
                    indicator=obj,
                    year=m["year"],
                    value=m["value"],
                    comparator=m.get("comparator") or Indicator.Comparator.AT_LEAST,
                    qualifier=m.get("qualifier") or "",
                    quote=m.get("quote") or "",
                )
                for m in ind.get("milestones") or []
                if m.get("value") is not None
            )
        for ind in doc.get("indicators") or []:
            if ind.get("feed"):
                _seed_binding(ind["code"], ind["feed"])
        stale = plan.indicators.exclude(code__in=codes)
        stats["kept_stale"] += list(
            stale.filter(actuals__isnull=False).distinct().values_list("code", flat=True)
        )
        stale.filter(actuals__isnull=True).delete()
        stats["indicators"] += len(codes)
        task_codes = []
        for order, task in enumerate(doc.get("tasks") or []):
            obj, created = Task.objects.get_or_create(
                code=task["code"], defaults=_task_fields(plan, order, task)
            )
            if not created:  # keep supervision state (owner, status, progress); refresh the plan's text
                for k, v in _task_fields(plan, order, task).items():
                    setattr(obj, k, v)
                obj.save()
            task_codes.append(obj.code)
            obj.milestones.all().delete()
            TaskMilestone.objects.bulk_create(
                TaskMilestone(
                    task=obj,
                    year=m["year"],
                    text=m.get("text") or "",
                    quote=m.get("quote") or "",
                    due_date=dt.date(m["year"], 12, 31),
                )
                for m in task.get("milestones") or []
                if m.get("year")
            )
        stale_tasks = plan.tasks.exclude(code__in=task_codes)
        stats["kept_stale"] += list(
            stale_tasks.filter(reports__isnull=False).distinct().values_list("code", flat=True)
        )
        stale_tasks.filter(reports__isnull=True).delete()
        stats["tasks"] += len(task_codes)
    if stdout:
        stdout.write(
            f"brain plans: loaded {stats['plans']}, unchanged {stats['unchanged_plans']}; "
            f"indicators {stats['indicators']}, tasks {stats['tasks']}\n"
        )
    return stats

"""Synthetic actuals and supervision state for the demo: flagged is_synthetic and badged 示例数据.

The plans' own baselines and targets stay real (from the seeds); only the actual values after the base
year, task owners and progress reports are invented. Deterministic for a seed; running it again adds
nothing that exists.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from jinfu.core.models import Organization, Role, User

from . import engine
from .models import Actual, Indicator, Plan, TaskReport
from .selectors import default_year

SOURCE = "示例数据（系统合成，非真实统计）"
# Demo government offices that supervise each plan's tasks (synthetic accounts).
PLAN_OFFICES = {
    "000": ("南岸区金融工作部门（示例账户）", "500108"),
    "001": ("渝中区金融工作部门（示例账户）", "500103"),
    "002": ("江北区金融工作部门（示例账户）", "500105"),
    "003": ("渝中区金融工作部门（示例账户）", "500103"),
    "004": ("重庆高新区金融工作部门（示例账户）", None),
}


def _office(plan: Plan) -> Organization:
    name, division = PLAN_OFFICES.get(plan.code, (f"{plan.title[:20]}工作部门（示例账户）", None))
    zone = None if division else plan.zones.first()
    org, _ = Organization.objects.get_or_create(
        name=name,
        kind=Organization.Kind.GOVERNMENT,
        defaults={"division_id": division, "zone": zone, "is_synthetic": True},
    )
    return org


def _series(ind: Indicator, rng: random.Random, last_year: int) -> dict[int, float]:
    """Annual synthetic actuals from the year after the base to last_year."""
    if ind.kind == Indicator.Kind.ANNUAL_GROWTH:
        if ind.target_value is None:
            return {}
        start = max(ind.plan.period_start, (ind.base_year or ind.plan.period_start - 1) + 1)
        return {y: round(ind.target_value * rng.uniform(0.75, 1.25), 2) for y in range(start, last_year + 1)}
    if ind.target_value is None:
        return {}
    base_year = ind.base_year or (ind.plan.period_start - 1)
    base = ind.base_value if ind.base_value is not None else ind.target_value * rng.uniform(0.55, 0.8)
    if ind.comparator == Indicator.Comparator.AT_MOST and ind.base_value is None:
        base = max(ind.target_value * 1.3, 1.0)
    pace = rng.choice([0.85, 0.95, 1.0, 1.0, 1.05, 1.12])  # behind, on track or ahead of 序时进度
    mode = engine.path_for(ind.kind, base, ind.target_value)
    if mode == "compound" and (base <= 0 or ind.target_value <= 0):
        mode = "linear"
    out = {}
    for year in range(base_year + 1, min(last_year, ind.target_year) + 1):
        expected = engine.expected_value(base, ind.target_value, base_year, ind.target_year, year, path=mode)
        value = base + (expected - base) * pace * rng.uniform(0.97, 1.03)
        if ind.kind == Indicator.Kind.COUNT:
            value = round(value)
        out[year] = round(max(value, 0.0), 2)
    return out


@transaction.atomic
def build_brain_demo(seed: int = 20261122, stdout=None) -> dict:
    rng = random.Random(seed)
    last_year = default_year()
    stats = {"actuals": 0, "reports": 0, "assigned": 0}
    for ind in Indicator.objects.select_related("plan").order_by("code"):
        series = _series(ind, rng, last_year)
        existing = set(
            Actual.objects.filter(indicator=ind, is_current=True, period_kind="year").values_list(
                "year", flat=True
            )
        )
        new = [
            Actual(
                indicator=ind,
                year=y,
                value=v,
                unit=ind.unit,
                entered_value=v,
                entered_unit=ind.unit,
                source=SOURCE,
                channel="demo",
                is_synthetic=True,
            )
            for y, v in series.items()
            if y not in existing
        ]
        Actual.objects.bulk_create(new)
        stats["actuals"] += len(new)
    today = dt.date(last_year + 1, 11, 22)
    for plan in Plan.objects.all():
        office = _office(plan)
        officer = User.objects.filter(organization=office, role=Role.GOVERNMENT).first()
        for task in plan.tasks.order_by("code"):
            if task.owner_org_id is None:
                task.owner_org, task.owner_user = office, officer
                task.save(update_fields=["owner_org", "owner_user"])
                stats["assigned"] += 1
            # Draw before skipping: every run consumes the generator alike, so a second run adds nothing.
            draw = rng.random()
            if task.due_date and task.due_date < today:
                percent = 100 if draw < 0.7 else rng.choice([60, 75, 90])
            else:
                percent = rng.choice([0, 20, 35, 50, 65, 80]) if draw < 0.9 else 0
            if percent == 0 or task.reports.exists():
                continue
            TaskReport.objects.create(
                task=task,
                reported_by=officer,
                percent=percent,
                status="on_track",
                text=f"（示例数据）{task.title[:30]}：已完成阶段工作，进度 {percent}%。",
                is_synthetic=True,
            )
            task.progress = percent
            task.last_report_at = TaskReport.objects.filter(task=task).latest("reported_at").reported_at
            task.save(update_fields=["progress", "last_report_at"])
            stats["reports"] += 1
    from .services import refresh_feeds, refresh_task_statuses

    stats["tasks"] = refresh_task_statuses()
    # indicators bound to platform data (the seeded plan files' true matches): computed from the modules'
    # demo data, so marked 示例数据 where a synthetic record went into them
    stats["feeds"] = refresh_feeds()
    if stdout:
        stdout.write(f"brain demo: {stats}\n")
    return stats


def demo_step(ctx) -> None:
    """The platform demo's brain step (module contract)."""
    build_brain_demo(seed=ctx.seed, stdout=ctx.stdout)

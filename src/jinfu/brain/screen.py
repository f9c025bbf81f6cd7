"""The brain's panel of the 数据大屏 (core/screen.py): the plans' targets as traffic lights — how many
indicators are achieved or ahead, on schedule, behind, or cannot be judged yet — and the plans ranked by the
share of their indicators on schedule. A district or zone office sees the plans covering its jurisdiction;
the city level and the admin every plan. Plans and their indicators are public documents and statistics,
not enterprise data: no disclosure threshold applies."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _

from jinfu.core.screen import Bar, Figure, Level, Panel
from jinfu.core.templatetags.jinfu_format import plain_number

from . import selectors

GOOD = {"achieved", "ahead"}
ON_SCHEDULE = {"on_track"}
BEHIND = {"behind"}


def _plans(principal, year: int) -> list[dict]:
    plans = selectors.plans_overview(principal, year)
    if principal.jurisdiction.citywide:
        return plans
    return [o for o in plans if o["can_edit"]]  # a local office edits exactly the plans covering it


def panel(principal) -> Panel | None:
    year = selectors.default_year()
    plans = _plans(principal, year)
    statuses = Counter(r["eval"].get("status", "no_data") for o in plans for r in o["rows"])
    total = sum(statuses.values())
    if not total:
        return None
    good = sum(statuses[s] for s in GOOD)
    on_time = sum(statuses[s] for s in ON_SCHEDULE)
    behind = sum(statuses[s] for s in BEHIND)
    bars = []
    for o in plans:
        judged = [r for r in o["rows"] if r["eval"].get("status") in GOOD | ON_SCHEDULE | BEHIND]
        if judged:
            ok = sum(1 for r in judged if r["eval"]["status"] in GOOD | ON_SCHEDULE)
            bars.append(Bar(o["plan"].title, round(100 * ok / len(judged), 1)))
    bars.sort(key=lambda b: -b.value)
    return Panel(
        key="brain",
        title=_("规划目标进展（%(year)d 年）") % {"year": year},
        order=10,
        figures=(
            Figure(_("跟踪规划"), plain_number(len(plans), 0), _("个")),
            Figure(_("目标指标"), plain_number(total, 0), _("项")),
            Figure(_("滞后指标"), plain_number(behind, 0), _("项")),
        ),
        levels=(
            Level(_("已实现或超前"), good, "good"),
            Level(_("符合序时进度"), on_time, "warn"),
            Level(_("滞后"), behind, "bad"),
            Level(_("暂不能评估"), total - good - on_time - behind, "none"),
        ),
        bars=tuple(bars[:15]),
        bars_title=_("各规划指标达标或符合序时进度的比例"),
        bars_unit="%",
        synthetic=any(o["synthetic"] for o in plans),
    )

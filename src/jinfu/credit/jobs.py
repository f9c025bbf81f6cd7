"""The credit module's scheduled jobs (module contract: schedules)."""

from __future__ import annotations

import datetime as dt

from .scoring import services as scoring
from .services import apply_tags, refresh_features


def nightly_refresh(now: dt.datetime) -> str:
    """Recompute every enterprise's credit features and tags, then batch-score them with the active model."""
    n = refresh_features()
    tags = apply_tags()
    scored = scoring.score_all() if scoring.active_model() is not None else 0
    return f"features={n} tags={sum(tags.values())} scored={scored}"


def monthly_psi(now: dt.datetime) -> str:
    """PSI of the score distribution for the month that just ended (alert to admins above 0.25)."""
    if scoring.active_model() is None:
        return "no active scorecard: nothing to monitor"
    period = (now.date().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    mon = scoring.monitor_psi(period)
    return f"period={period} psi={mon.psi:.4f} n={mon.n} alert={mon.alert}"

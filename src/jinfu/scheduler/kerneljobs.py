"""The kernel's own scheduled jobs."""

from __future__ import annotations

import datetime as dt

from jinfu.core.feeds import deliver_signals
from jinfu.core.services_calendar import notify_missing_next_year


def calendar_next_year(now: dt.datetime) -> str:
    """In December, remind the operators when next year's holiday notice has not been entered."""
    return f"notified={notify_missing_next_year()}"


def deliver_risk_signals(now: dt.datetime) -> str:
    """Every module's declared risk signals to every declared sink (idempotent per source and record)."""
    return " ".join(f"{k}={v}" for k, v in deliver_signals().items())

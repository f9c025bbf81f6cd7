"""The green module's scheduled jobs (module contract: schedules)."""

from __future__ import annotations

import datetime as dt

from .services import scan_environmental_penalties


def risk_scan(now: dt.datetime) -> str:
    """Alert lenders and finance offices to environmental penalties of enterprises with green loans."""
    return f"notified={scan_environmental_penalties()}"

"""The financing module's scheduled jobs (module contract: schedules)."""

from __future__ import annotations

import datetime as dt

from .services import expire_claims


def claim_sla(now: dt.datetime) -> str:
    """Release the demand claims (揭榜) whose time limit has passed: the demand is open again."""
    return f"expired={expire_claims()}"

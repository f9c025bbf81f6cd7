"""Task supervision (督办) rules. Pure: plain values in and out."""

from __future__ import annotations

import datetime as dt

AT_RISK_MARGIN = 20  # percentage points behind the time-proportional expectation


def expected_percent(start: dt.date, due: dt.date, today: dt.date) -> float:
    """Time-proportional progress a task should have reached today (0 before start, 100 at due)."""
    if today <= start:
        return 0.0
    if today >= due:
        return 100.0
    return 100.0 * (today - start).days / max(1, (due - start).days)


def derive_status(
    *, percent: int, start: dt.date, due: dt.date | None, today: dt.date, has_reports: bool
) -> str:
    """done at 100 %; overdue past the due date; at_risk when more than AT_RISK_MARGIN points behind the
    time-proportional expectation; not_started with no report and no progress; otherwise on_track."""
    if percent >= 100:
        return "done"
    if due is not None and today > due:
        return "overdue"
    if percent == 0 and not has_reports:
        return (
            "not_started"
            if today <= start or due is None
            else ("at_risk" if expected_percent(start, due, today) > AT_RISK_MARGIN else "not_started")
        )
    if due is not None and percent < expected_percent(start, due, today) - AT_RISK_MARGIN:
        return "at_risk"
    return "on_track"

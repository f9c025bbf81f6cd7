"""Kernel feeds between modules, declared in their contracts (core/modules.py), so that no module imports
another's internals:

- indicator feeds: a module declares quantities it computes from its own platform data
  (``ModuleContract.indicator_feeds``); the brain binds plan indicators to them and writes actuals with
  provenance (brain/services.py: refresh_feeds);
- signal feeds: a module declares risk signals it can hand over (``ModuleContract.signal_sources``);
  the sinks a module declares (``ModuleContract.signal_sinks``, the risk module's) receive every source's
  signals, each with its provenance, and keep one per (source, record): delivering twice adds nothing.

Core names no module: everything is found through the installed apps' contracts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import NotFound
from .jurisdiction import Jurisdiction
from .modules import IndicatorFeed, SignalSource, contracts, resolve


@dataclass(frozen=True)
class FeedValue:
    """What a feed computed: the value (in the feed's unit), how many platform records it was computed
    from, whether any of them is synthetic demo data (示例数据), and for a sum its parts by enterprise."""

    value: float
    inputs: int
    synthetic: bool = False
    # a sum of money: each contributing enterprise's part of it (the disclosure policy, core/disclosure.py,
    # counts contributors and the largest share, not records); empty for counts
    parts: tuple[float, ...] = ()


@dataclass(frozen=True)
class FeedSignal:
    """One risk signal a module hands over, with its provenance: the source (``SignalSource.name``), the
    record it stands for in that module (unique within the source), its date and the enterprise."""

    source: str  # "green.risk_warnings"
    record: str  # "revoked:12"
    enterprise_id: int
    occurred_on: dt.date
    kind: str  # the source's own kind, e.g. "label_revoked"
    kind_label: str  # 中文: "绿色认定撤销"
    text: str  # 中文, the fact as the source states it
    dimension: str = "violations"  # the sink's dimension it counts in
    is_synthetic: bool = False


def indicator_feeds() -> dict[str, tuple[str, IndicatorFeed]]:
    """feed code → (app label, declaration), from every installed module."""
    return {f.code: (label, f) for label, c in contracts() for f in c.indicator_feeds}


def get_feed(code: str) -> IndicatorFeed:
    found = indicator_feeds().get(code)
    if found is None:
        raise NotFound(f"没有这项平台数据：{code}", f"no such platform feed: {code}", field="feed")
    return found[1]


def compute(code: str, jurisdiction: Jurisdiction, start: dt.date, end: dt.date) -> FeedValue | None:
    """The value of one feed over a jurisdiction and a period (see IndicatorFeed)."""
    return resolve(get_feed(code).func)(jurisdiction, start, end)


def signal_sources() -> list[SignalSource]:
    return [s for _label, c in contracts() for s in c.signal_sources]


def signal_sinks() -> list[str]:
    return [path for _label, c in contracts() for path in c.signal_sinks]


def collect_signals(since: dt.date | None = None, *, source: str = "") -> list[FeedSignal]:
    """Every declared source's signals (or one source's), dated on or after ``since`` when given."""
    out: list[FeedSignal] = []
    for s in signal_sources():
        if source and s.name != source:
            continue
        out += [sig for sig in resolve(s.func)(since) if since is None or sig.occurred_on >= since]
    return out


def deliver_signals(since: dt.date | None = None, *, source: str = "") -> dict[str, int]:
    """Hand the sources' signals to every sink; returns the sinks' counts added up (received, known)."""
    signals = collect_signals(since, source=source)
    totals: dict[str, int] = {"offered": len(signals)}
    for path in signal_sinks():
        for k, v in resolve(path)(signals).items():
            totals[k] = totals.get(k, 0) + int(v)
    return totals

"""The module contract: each module's AppConfig declares how it plugs into the platform, and core discovers
it. Core names no module: the root URLconf, the API, the menus, the demo, the reference loaders and the
command line are assembled from the installed apps' contracts, so adding a module means adding its app folder
and one line in INSTALLED_APPS.

A module's AppConfig sets ``contract = ModuleContract(...)``. Callables are given as dotted paths
("package.module:attribute") so that declaring them imports nothing before the app registry is ready.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class MenuEntry:
    """One item of the navigation: shown to the listed roles ('admin' = platform operators), sorted by order."""

    url_name: str
    label: Any  # a lazy translation
    roles: tuple[str, ...]
    order: int = 50
    labels: dict[str, Any] = field(default_factory=dict)  # a different label for some roles
    tour: dict[str, Any] = field(default_factory=dict)  # role → one sentence for that role's first-login tour


@dataclass(frozen=True)
class AttachmentOwner:
    """A record type that carries files (core/attachments.py). ``model`` is "app_label.modelname"; ``parent``
    is a dotted path to ``(actor, pk) -> record`` that raises NotFound/Forbidden unless the actor may see the
    record's files (its parties: the reader of the record, never the public); ``uploads`` a dotted path to
    ``(principal, record) -> kinds this principal may upload now`` (empty: none); ``url_name`` the record's
    page, called with its pk; ``read_scope``/``write_scope`` the API key scopes for its files' endpoints."""

    model: str
    label: Any
    kinds: tuple[tuple[str, Any], ...]
    parent: str
    uploads: str
    url_name: str
    read_scope: str  # the API key scope that lists and downloads the files
    write_scope: str  # the API key scope that uploads


@dataclass(frozen=True)
class Schedule:
    """A job the scheduler (``jinfu scheduler``) runs: ``cron`` is a crontab line in Asia/Shanghai time,
    ``func`` a dotted path to a callable taking ``now`` (an aware datetime: the slot being run) and returning
    a short text for the run record."""

    name: str  # unique, e.g. "credit.nightly_refresh"
    cron: str  # "0 2 * * *"
    func: str  # "jinfu.credit.jobs:nightly_refresh"
    label: Any = ""  # shown in the admin


@dataclass(frozen=True)
class OrgLink:
    """A link a module adds to an organization's page (core/org_detail.html), reversed with the
    organization's pk: shown to the listed roles ('admin' = operators) and, with ``own``, to the
    organization's own users, on the pages of organizations of the listed kinds."""

    url_name: str
    label: Any
    roles: tuple[str, ...]
    kinds: tuple[str, ...] = ("enterprise",)
    own: bool = False
    data_link: str = ""  # a stable hook for browser tests


@dataclass(frozen=True)
class IndicatorFeed:
    """A quantity a module computes from its own platform data, which the brain may bind to a plan indicator
    (core/feeds.py). ``func`` is a dotted path to ``(jurisdiction, start, end) -> core.feeds.FeedValue | None``
    in the module's selectors: the value over the places of ``jurisdiction`` (core/jurisdiction.py), flows
    counted from ``start`` to ``end`` (dates, inclusive), stocks as they stand; None when there is nothing
    to measure (a rate without a denominator)."""

    code: str  # unique, "risk.cases_opened"
    name: Any  # 中文名: "风险案件立案数"
    unit: str  # the unit of the value, as the brain's unit table spells it: "件", "家", "万元", "%"
    func: str  # "jinfu.risk.selectors:feed_cases_opened"
    source: Any  # "平台数据：风险案件立案数（立案日期在统计期内）"
    module_label: Any = ""  # "风险监测": shown as 「来源：平台数据（风险监测）」


@dataclass(frozen=True)
class SignalSource:
    """Risk signals a module hands to the signal sinks (core/feeds.py): ``func`` is a dotted path to
    ``(since: date | None) -> iterable of core.feeds.FeedSignal`` (the module's selectors), every signal
    with its provenance (source, record id, date). Sinks keep one signal per (source, record)."""

    name: str  # unique, "green.risk_warnings"
    func: str  # "jinfu.green.selectors:risk_signals"
    label: Any = ""  # "绿色金融风险预警"


@dataclass(frozen=True)
class ModuleContract:
    url_prefix: str = ""  # "financing/" → the pages at /financing/
    urls: str = ""  # "jinfu.financing.urls"
    api_prefix: str = ""  # "/financing/" → /api/v1/financing/
    api_router: str = ""  # "jinfu.financing.api:router"
    menus: tuple[MenuEntry, ...] = ()
    demo: str = ""  # "jinfu.financing.demo:demo_step", called with a DemoContext
    demo_order: int = 50
    reference_loaders: tuple[str, ...] = ()  # callables taking stdout=, run by load-reference and the demo
    cli: tuple[str, ...] = ()  # callables taking the argparse subparsers; each adds its verbs
    attachment_owners: tuple[AttachmentOwner, ...] = ()  # records that carry files (core/attachments.py)
    importers: tuple[str, ...] = ()  # "jinfu.x.imports:IMPORTERS": its Importers (core/imports/registry.py)
    schedules: tuple[Schedule, ...] = ()  # jobs the scheduler runs
    # 数据大屏 panels: callables taking the Principal, returning a core.screen.Panel or None (no data / not
    # for this reader); core/screen.py shows those that answer, in their order
    screen_panels: tuple[str, ...] = ()
    # submodules besides engine.py that import no Django (checked by make lint): ("features", "scoring.rules")
    pure_modules: tuple[str, ...] = ()
    org_links: tuple[OrgLink, ...] = ()  # links on an organization's page (core/org_detail.html)
    # API key scopes of the module's endpoints: ("green:read", "读取… / read …"); core/apikeys.py offers them
    api_scopes: tuple[tuple[str, str], ...] = ()
    # quantities the module computes from its platform data, for plan indicators (brain binds them)
    indicator_feeds: tuple[IndicatorFeed, ...] = ()
    # risk signals the module offers other modules, and the sinks that receive every source's signals:
    # a dotted path to ``(signals: list[core.feeds.FeedSignal]) -> dict`` (idempotent per source + record)
    signal_sources: tuple[SignalSource, ...] = ()
    signal_sinks: tuple[str, ...] = ()


@dataclass
class DemoContext:
    """What the platform's demo builder hands each module's demo step."""

    seed: int
    stdout: Any
    orgs: dict[str, Any]


def resolve(path: str):
    """'package.module:attribute' → the attribute."""
    module, _, attr = path.partition(":")
    obj = import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def contracts() -> Iterator[tuple[str, ModuleContract]]:
    """(app label, contract) of every installed app that declares one, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        contract = getattr(config, "contract", None)
        if isinstance(contract, ModuleContract):
            yield config.label, contract


def menu_for(role: str) -> list[tuple[str, Any]]:
    """(URL name, label) of the menu items a role sees, in order."""
    entries = [m for _, c in contracts() for m in c.menus if role in m.roles]
    entries.sort(key=lambda m: m.order)
    return [(m.url_name, m.labels.get(role, m.label)) for m in entries]


def attachment_owners() -> dict[str, AttachmentOwner]:
    """model label ("financing.application") → its declaration, from every installed module."""
    return {o.model: o for _, c in contracts() for o in c.attachment_owners}


TOUR_MAX_MENU_STEPS = 5  # the help centre is the last step: 3–6 steps in all


def tour_for(role: str) -> list[tuple[str, Any, Any]]:
    """(URL name, label, sentence) of the menu items the role's first-login tour points at, in menu order."""
    entries = [m for _, c in contracts() for m in c.menus if role in m.roles and role in m.tour]
    entries.sort(key=lambda m: m.order)
    return [(m.url_name, m.labels.get(role, m.label), m.tour[role]) for m in entries[:TOUR_MAX_MENU_STEPS]]


def demo_steps() -> list[str]:
    steps = [(c.demo_order, c.demo) for _, c in contracts() if c.demo]
    return [path for _, path in sorted(steps, key=lambda s: s[0])]


def schedules() -> list[Schedule]:
    return [s for _, c in contracts() for s in c.schedules]


def screen_panels() -> list[str]:
    return [path for _, c in contracts() for path in c.screen_panels]


def org_links(*, role: str, own: bool, kind: str) -> list[OrgLink]:
    """The modules' links on the page of an organization of ``kind`` for a reader of ``role`` (``own``: the
    reader belongs to it)."""
    return [
        link
        for _, c in contracts()
        for link in c.org_links
        if kind in link.kinds and (role in link.roles or (own and link.own))
    ]


def module_api_scopes() -> dict[str, str]:
    """scope → description, of every installed module (core/apikeys.py adds the kernel's own)."""
    return {scope: text for _, c in contracts() for scope, text in c.api_scopes}


def reference_loaders() -> list[str]:
    return [path for _, c in contracts() for path in c.reference_loaders]

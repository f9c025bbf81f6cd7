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
    # 数据大屏 panels: callables taking the Principal, returning a core.screen.Panel or None (no data / not
    # for this reader); core/screen.py shows those that answer, in their order
    screen_panels: tuple[str, ...] = ()


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


TOUR_MAX_MENU_STEPS = 5  # the help centre is the last step: 3–6 steps in all


def tour_for(role: str) -> list[tuple[str, Any, Any]]:
    """(URL name, label, sentence) of the menu items the role's first-login tour points at, in menu order."""
    entries = [m for _, c in contracts() for m in c.menus if role in m.roles and role in m.tour]
    entries.sort(key=lambda m: m.order)
    return [(m.url_name, m.labels.get(role, m.label), m.tour[role]) for m in entries[:TOUR_MAX_MENU_STEPS]]


def demo_steps() -> list[str]:
    steps = [(c.demo_order, c.demo) for _, c in contracts() if c.demo]
    return [path for _, path in sorted(steps, key=lambda s: s[0])]


def screen_panels() -> list[str]:
    return [path for _, c in contracts() for path in c.screen_panels]


def reference_loaders() -> list[str]:
    return [path for _, c in contracts() for path in c.reference_loaders]

"""The module contract as an import-linter contract type (``make lint``), naming no module.

import-linter's own contracts take module names, and its wildcards cannot say "every module but the
kernel", so each new module used to add its name to three contracts in pyproject.toml. This contract finds
the modules itself: every ``<root>/<app>/apps.py`` that declares ``contract = ModuleContract(...)``, less the
kernel packages named in the configuration. It enforces, on the import graph:

1. the kernel (core, rules, batch, scheduler) imports no module, directly or through others;
2. every ``<module>.**.engine``, the submodules a module lists in ``ModuleContract.pure_modules`` and the
   kernel's pure modules named in the configuration import no Django (nor ninja), directly or not;
3. a module imports another module only through its public ``selectors``/``services`` (direct imports;
   the kernel's registries are free to use).

Dev-only: loaded by ``lint-imports`` (``contract_types`` in pyproject.toml), never by the running site.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


@dataclass(frozen=True)
class Violation:
    rule: str  # "kernel", "pure", "boundary"
    chain: tuple[str, ...]

    def __str__(self) -> str:
        return " -> ".join(self.chain)


def declared_modules(package_dir: Path) -> dict[str, tuple[str, ...]]:
    """{app folder name: its declared pure submodules} of every app whose apps.py declares a contract."""
    found: dict[str, tuple[str, ...]] = {}
    for apps_py in sorted(package_dir.glob("*/apps.py")):
        contract = _contract_call(ast.parse(apps_py.read_text(encoding="utf-8")))
        if contract is None:
            continue
        pure: tuple[str, ...] = ()
        for kw in contract.keywords:
            if kw.arg == "pure_modules":
                pure = tuple(ast.literal_eval(kw.value))
        found[apps_py.parent.name] = pure
    return found


def _contract_call(tree: ast.Module) -> ast.Call | None:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "contract" for t in node.targets)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", "") == "ModuleContract"
        ):
            return node.value
    return None


def _below(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def check_graph(
    graph: ImportGraph,
    *,
    root: str,
    modules: dict[str, tuple[str, ...]],
    kernel: list[str],
    pure_kernel: list[str],
    public: list[str],
    no_import: list[str],
) -> list[Violation]:
    """Every violation of the three rules in ``graph`` (see the module docstring)."""
    names = {m: f"{root}.{m}" for m in modules if m not in kernel}
    present = set(graph.modules)
    out: list[Violation] = []
    for k in kernel:
        for pkg in names.values():
            if f"{root}.{k}" in present and pkg in present:
                chains = graph.find_shortest_chains(f"{root}.{k}", pkg, as_packages=True)
                out += [Violation("kernel", tuple(c)) for c in sorted(chains)]
    pure = set(pure_kernel)
    for m, pkg in names.items():
        pure |= {n for n in present if _below(n, pkg) and n.rsplit(".", 1)[-1] == "engine"}
        pure |= {f"{pkg}.{sub}" for sub in modules[m]}
    for p in sorted(pure & present):
        for ext in no_import:
            if ext in present:
                chains = graph.find_shortest_chains(p, ext, as_packages=True)
                out += [Violation("pure", tuple(c)) for c in sorted(chains)]
    allowed = [f"{pkg}.{room}" for pkg in names.values() for room in public]
    for importer in sorted(present):
        own = next((pkg for pkg in names.values() if _below(importer, pkg)), None)
        if own is None:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            other = next((pkg for pkg in names.values() if _below(imported, pkg)), None)
            if other in (None, own) or any(_below(imported, a) for a in allowed):
                continue
            out.append(Violation("boundary", (importer, imported)))
    return out


RULE_TITLES = {
    "kernel": "The kernel imports a module (core, rules, batch and scheduler name no module):",
    "pure": "A pure module (engine or declared pure) imports Django:",
    "boundary": "A module reaches into another module's internals (only selectors/services are public):",
}


class ModuleContractLint(Contract):
    """Configuration (pyproject.toml): ``kernel`` the kernel packages, ``pure_kernel`` the kernel's pure
    modules, ``public`` the rooms other modules may import, ``no_import`` what pure modules must not
    import; ``package_dir`` (tests only) where the apps are, by default the root package's folder."""

    type_name = "jinfu_modules"

    kernel = fields.ListField(subfield=fields.StringField())
    pure_kernel = fields.ListField(subfield=fields.StringField(), required=False, default=[])
    public = fields.ListField(subfield=fields.StringField())
    no_import = fields.ListField(subfield=fields.StringField())
    package_dir = fields.StringField(required=False, default="")

    def _root(self) -> str:
        return self.session_options["root_packages"][0]

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        root = self._root()
        where = self.package_dir or importlib.util.find_spec(root).submodule_search_locations[0]
        modules = declared_modules(Path(str(where)))
        violations = check_graph(
            graph,
            root=root,
            modules=modules,
            kernel=list(self.kernel),
            pure_kernel=list(self.pure_kernel),
            public=list(self.public),
            no_import=list(self.no_import),
        )
        return ContractCheck(
            kept=not violations,
            metadata={"violations": violations, "modules": sorted(modules)},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        violations: list[Violation] = check.metadata["violations"]
        for rule, title in RULE_TITLES.items():
            found = [v for v in violations if v.rule == rule]
            if not found:
                continue
            output.print_error(title)
            output.new_line()
            for v in found:
                output.indent_cursor()
                output.print_error(str(v), bold=False)
            output.new_line()

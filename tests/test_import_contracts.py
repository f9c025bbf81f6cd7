"""The module contract in make lint (core/lint_contracts.py) finds the modules itself and still catches each
kind of violation: checked on synthetic import graphs over a fake package tree, and on the real tree."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

import jinfu
from jinfu.core.lint_contracts import ModuleContractLint, declared_modules

OPTIONS = {
    "kernel": ["core", "rules", "batch", "scheduler"],
    "pure_kernel": ["fake.rules"],
    "public": ["selectors", "services"],
    "no_import": ["django", "ninja"],
}
APPS = "from x import ModuleContract\n\n\nclass C:\n    contract = ModuleContract({})\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A package with a kernel app, two modules (one declaring a pure submodule) and a plain folder."""
    for app, args in (("core", ""), ("alpha", ""), ("beta", 'pure_modules=("reference",)')):
        (tmp_path / app).mkdir()
        (tmp_path / app / "apps.py").write_text(APPS.format(args))
    (tmp_path / "rules").mkdir()
    return tmp_path


def graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    g = grimp.ImportGraph()
    for name in (
        "fake",
        "fake.core",
        "fake.core.registry",
        "fake.rules",
        "fake.alpha",
        "fake.alpha.models",
        "fake.alpha.engine",
        "fake.alpha.services",
        "fake.beta",
        "fake.beta.models",
        "fake.beta.selectors",
        "fake.beta.reference",
        "fake.beta.scoring",
        "fake.beta.scoring.engine",
        "fake.beta.views",
    ):
        g.add_module(name)
    g.add_module("django", is_squashed=True)
    for importer, imported in imports:
        g.add_import(importer=importer, imported=imported)
    return g


def check(tree: Path, *imports: tuple[str, str]):
    contract = ModuleContractLint(
        name="modules",
        session_options={"root_packages": ["fake"]},
        contract_options={**OPTIONS, "package_dir": str(tree)},
    )
    return contract.check(graph(*imports), verbose=False)


ALLOWED = (
    ("fake.alpha.services", "fake.beta.selectors"),  # another module's public room
    ("fake.alpha.services", "fake.core.registry"),  # the kernel
    ("fake.beta.views", "fake.beta.models"),  # its own internals
    ("fake.alpha.models", "django"),  # Django outside the engines
    ("fake.rules", "fake.core.registry"),  # kernel to kernel
)


def test_a_clean_graph_keeps_the_contract(tree):
    result = check(tree, *ALLOWED)
    assert result.kept, result.metadata["violations"]
    assert result.metadata["modules"] == ["alpha", "beta", "core"]


@pytest.mark.parametrize(
    ("imports", "rule", "chain"),
    [
        # the kernel imports a module, directly or through another kernel module
        (
            (("fake.core.registry", "fake.alpha.services"),),
            "kernel",
            ("fake.core.registry", "fake.alpha.services"),
        ),
        (
            (("fake.rules", "fake.core.registry"), ("fake.core.registry", "fake.beta.selectors")),
            "kernel",
            ("fake.rules", "fake.core.registry", "fake.beta.selectors"),
        ),
        # an engine, a nested engine, a declared pure submodule, a kernel pure module import Django
        ((("fake.alpha.engine", "django"),), "pure", ("fake.alpha.engine", "django")),
        ((("fake.beta.scoring.engine", "django"),), "pure", ("fake.beta.scoring.engine", "django")),
        (
            (("fake.beta.reference", "fake.beta.models"), ("fake.beta.models", "django")),
            "pure",
            ("fake.beta.reference", "fake.beta.models", "django"),
        ),
        ((("fake.rules", "django"),), "pure", ("fake.rules", "django")),
        # a module reaches into another's models, engine or views
        (
            (("fake.alpha.services", "fake.beta.models"),),
            "boundary",
            ("fake.alpha.services", "fake.beta.models"),
        ),
        ((("fake.beta.views", "fake.alpha.engine"),), "boundary", ("fake.beta.views", "fake.alpha.engine")),
    ],
)
def test_each_kind_of_violation_breaks_the_contract(tree, imports, rule, chain):
    result = check(tree, *ALLOWED, *imports)
    assert not result.kept
    found = [(v.rule, v.chain) for v in result.metadata["violations"]]
    assert (rule, chain) in found and {r for r, _c in found} == {rule}, found


def test_a_new_module_is_checked_without_being_named_anywhere(tree):
    """Add a folder with an apps.py contract: its internals are protected at once."""
    (tree / "gamma").mkdir()
    (tree / "gamma" / "apps.py").write_text(APPS.format(""))
    g = graph(("fake.alpha.services", "fake.gamma.models"))
    g.add_module("fake.gamma")
    g.add_module("fake.gamma.models")
    contract = ModuleContractLint(
        name="m",
        session_options={"root_packages": ["fake"]},
        contract_options={**OPTIONS, "package_dir": str(tree)},
    )
    result = contract.check(g, verbose=False)
    assert [v.chain for v in result.metadata["violations"]] == [("fake.alpha.services", "fake.gamma.models")]


def test_the_real_tree_declares_its_modules_and_pure_submodules():
    found = declared_modules(Path(jinfu.__file__).parent)
    assert {"brain", "financing", "policy", "listing", "credit", "risk", "green"} <= set(found)
    assert found["risk"] == ("reference", "supervision_engine") and found["credit"] == ("features",)


def _real_contract() -> ModuleContractLint:
    import tomllib

    config = tomllib.loads((Path(jinfu.__file__).parents[2] / "pyproject.toml").read_text())["tool"][
        "importlinter"
    ]
    (options,) = [c for c in config["contracts"] if c["type"] == "jinfu_modules"]
    assert config["contract_types"] == ["jinfu_modules: jinfu.core.lint_contracts.ModuleContractLint"]
    options = {k: v for k, v in options.items() if k not in ("name", "type")}
    return ModuleContractLint(
        name="pyproject", session_options={"root_packages": ["jinfu"]}, contract_options=options
    )


@pytest.mark.parametrize(
    ("importer", "imported", "rule"),
    [
        ("jinfu.core.models", "jinfu.risk.models", "kernel"),
        ("jinfu.green.engine", "django.db", "pure"),
        ("jinfu.risk.services", "jinfu.green.models", "boundary"),
    ],
)
def test_the_configured_contract_keeps_the_real_tree_and_catches_an_added_import(importer, imported, rule):
    contract = _real_contract()
    graph_ = grimp.build_graph("jinfu", include_external_packages=True)
    assert contract.check(graph_, verbose=False).kept
    graph_.add_import(importer=importer, imported=imported)
    result = contract.check(graph_, verbose=False)
    assert not result.kept and {v.rule for v in result.metadata["violations"]} == {rule}

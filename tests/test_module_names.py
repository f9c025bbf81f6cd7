"""Adding a module touches its own folder and one line in INSTALLED_APPS: no module is named by the kernel
(core, rules, batch, scheduler, the root URLconf, API and command line), by the import contracts in
pyproject.toml or by the Makefile. Comments and docstrings may use a module as an example; code, templates
and configuration may not."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from jinfu.core.modules import contracts

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "jinfu"
KERNEL = ("core", "rules", "batch", "scheduler")
TOP = ("urls.py", "api.py", "cli.py", "wsgi.py")


def modules() -> list[str]:
    return [label for label, _c in contracts() if label not in KERNEL]


def code_of(path: Path) -> str:
    """A Python file without its comments and docstrings."""
    text = path.read_text(encoding="utf-8")
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                docstrings.add(body[0].value.lineno)
    kept = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and tok.start[0] in docstrings):
            continue
        kept.append(tok.string)
    return " ".join(kept)


def kernel_files() -> list[Path]:
    files = [SRC / name for name in TOP]
    for package in KERNEL:
        for f in sorted((SRC / package).rglob("*")):
            if "migrations" in f.parts or "locale" in f.parts or f.suffix not in (".py", ".html", ".txt"):
                continue
            files.append(f)
    return files


def named(module: str) -> re.Pattern:
    """A module named in code: its package, a URL name or scope ('risk:…'), a model label ('risk.case').
    (A bare "green" is a word of the domain too: a grant scope, a tag.)"""
    return re.compile(rf"jinfu\.{module}\b|[\"']{module}[:.]")


def importlinter_section() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.importlinter]")
    end = text.find("\n[tool.", start + 1)
    return text[start : end if end > 0 else None]


def test_the_kernel_names_no_module():
    found = []
    for f in kernel_files():
        text = code_of(f) if f.suffix == ".py" else f.read_text(encoding="utf-8")
        for module in modules():
            if named(module).search(text):
                found.append(f"{f.relative_to(ROOT)}: {module}")
    assert not found, found


@pytest.mark.parametrize("where", ["pyproject.toml [tool.importlinter]", "Makefile"])
def test_configuration_names_no_module(where):
    text = importlinter_section() if where.startswith("pyproject") else (ROOT / "Makefile").read_text()
    assert not [m for m in modules() if re.search(rf"\b{m}\b", text)]


def test_the_check_catches_a_module_named_in_code(tmp_path):
    f = tmp_path / "x.py"
    f.write_text(
        '"""Reads jinfu.risk (docstring: allowed)."""\n# jinfu.green in a comment: allowed\nURL = "risk:case"\n'
    )
    text = code_of(f)
    assert named("risk").search(text) and not named("green").search(text)

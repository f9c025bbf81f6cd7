"""make bench runs every bench script that declares itself (bench/suite.py), with the arguments the
Makefile used to spell out one line per script."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def suite():
    spec = importlib.util.spec_from_file_location("bench_suite", BENCH / "suite.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


VALUES = {"enterprises": "1000000", "products": "1000", "spark_fraction": "0.1"}
# the Makefile's lines before the suite (plus the load bench's runs), in their order (BENCH_ENTERPRISES=1000000, BENCH_PRODUCTS=1000)
BEFORE = [
    "import_bench.py --rows 100000",
    "import_memory_bench.py --mb 200 --goal-mb 600",
    "pages_bench.py",
    "rules_eligibility_bench.py --enterprises 1000000 --products 1000",
    "matching_bench.py --enterprises 1000000 --products 1000",
    "online_match_bench.py --products 1000 --clients 20",
    "load_bench.py --clients 50 --seconds 60",
    "load_bench.py --clients 20 --seconds 30 --only match",
    "load_bench.py --clients 50 --seconds 60 --think 1",  # users who read between requests (issue 14)
    "load_bench.py --clients 20 --seconds 30 --only match --think 1",
    "feature_refresh_bench.py --enterprises 1000000",
    "scoring_bench.py --enterprises 1000000",
    "risk_bench.py --enterprises 1000000 --edges 3000000 --signals 5000000",
    "green_bench.py --projects 1000000",
    "spark_bench.py --enterprises 3700000 --products 1000 --fraction 0.1 --partitions 4",
    "batch_risk_green_bench.py --enterprises 1000000 --projects 1000000 --fraction 0.1 --partitions 4",
]


def test_every_bench_script_runs_with_its_former_arguments(suite):
    commands = [" ".join([Path(c[2]).name, *c[3:]]) for c in (b.command(VALUES) for b in suite.declared())]
    assert commands == BEFORE
    assert {b.script.name for b in suite.declared()} == {p.name for p in BENCH.glob("*_bench.py")}


def test_a_new_script_takes_part_by_its_declaration_alone(suite, tmp_path):
    (tmp_path / "new_bench.py").write_text(
        '"""New."""\n# make bench 5: --firms {enterprises*2} --p {products}\n'
    )
    (tmp_path / "quiet_bench.py").write_text('"""Not for make bench."""\n')
    (tmp_path / "last_bench.py").write_text('"""Declared without an order."""\n# make bench: --x 1\n')
    found = suite.declared(tmp_path)
    assert [b.script.name for b in found] == ["new_bench.py", "last_bench.py"]
    assert found[0].command({"enterprises": "7", "products": "3"}, python="py")[3:] == [
        "--firms",
        "14",
        "--p",
        "3",
    ]


def test_an_unknown_placeholder_stops_the_run(suite):
    with pytest.raises(SystemExit, match="unknown placeholder"):
        suite.fill("--n {nope}", VALUES)


def test_the_makefile_names_no_bench_script():
    makefile = (BENCH.parent / "Makefile").read_text()
    assert "bench/suite.py" in makefile
    assert not any(p.name in makefile for p in BENCH.glob("*_bench.py"))

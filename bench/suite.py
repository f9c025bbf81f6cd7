"""Run every benchmark that declares itself for ``make bench``, with its declared arguments.

A script ``bench/<name>_bench.py`` takes part by a line near its top::

    # make bench 40: --enterprises {enterprises} --edges {enterprises*3}

The number orders the run (smaller first; scripts without one run last, by name); the arguments may use
``{enterprises}``, ``{products}`` and ``{spark_fraction}`` (from ``make bench BENCH_ENTERPRISES=…``), times a
whole number (``{enterprises*3}``). A new module adds its script and nothing else.

    python bench/suite.py --enterprises 100000 --products 200        # run them all
    python bench/suite.py --list                                     # print the commands only
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DECLARATION = re.compile(r"^# make bench(?: (\d+))?:(.*)$", re.MULTILINE)
PLACEHOLDER = re.compile(r"\{(\w+)(?:\*(\d+))?\}")
HEAD_CHARS = 4000  # the declaration sits in the first lines


@dataclass(frozen=True)
class Bench:
    script: Path
    order: int
    args: str

    def command(self, values: dict[str, str], python: str = sys.executable) -> list[str]:
        return [python, "-u", str(self.script), *shlex.split(fill(self.args, values))]


def fill(args: str, values: dict[str, str]) -> str:
    def one(m: re.Match) -> str:
        name, times = m.group(1), m.group(2)
        if name not in values:
            raise SystemExit(f"unknown placeholder {{{name}}} in a make bench declaration")
        return str(int(values[name]) * int(times)) if times else values[name]

    return PLACEHOLDER.sub(one, args)


def declared(folder: Path = HERE) -> list[Bench]:
    """The benchmarks of ``folder`` that declare themselves (a script may declare several runs), in run order."""
    found = []
    for script in sorted(folder.glob("*_bench.py")):
        for m in DECLARATION.finditer(script.read_text(encoding="utf-8")[:HEAD_CHARS]):
            found.append(Bench(script, int(m.group(1)) if m.group(1) else 10**6, m.group(2).strip()))
    return sorted(found, key=lambda b: (b.order, b.script.name))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enterprises", default="1000000")
    ap.add_argument("--products", default="1000")
    ap.add_argument("--spark-fraction", default="0.1")
    ap.add_argument("--list", action="store_true", help="print the commands, run nothing")
    a = ap.parse_args(argv)
    values = {"enterprises": a.enterprises, "products": a.products, "spark_fraction": a.spark_fraction}
    for bench in declared():
        cmd = bench.command(values)
        print("$", shlex.join(cmd[1:]), flush=True)
        if a.list:
            continue
        code = subprocess.call(cmd)
        if code:
            print(f"{bench.script.name} failed (exit {code})", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reading the plan files and checking their quotes against the seed documents. Pure (no Django)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data" / "plans"
_WS = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Collapse every run of whitespace to one space (quotes may span table cells)."""
    return _WS.sub(" ", text).strip()


def plan_files(data_dir: Path = DATA_DIR) -> list[Path]:
    return sorted(data_dir.glob("*.yaml"))


def read_plan(path: Path) -> tuple[dict, str]:
    raw = path.read_bytes()
    return yaml.safe_load(raw), hashlib.sha256(raw).hexdigest()


def iter_quotes(doc: dict) -> Iterator[tuple[str, str]]:
    """Every (where, quote) in a plan file: plan title, indicator figures, defects, tasks."""
    plan = doc["plan"]
    yield f"{plan['code']} title", plan.get("title_quote") or ""
    for ind in doc.get("indicators") or []:
        for part in ("base", "target", "relative"):
            block = ind.get(part)
            if block and block.get("quote"):
                yield f"{ind['code']} {part}", block["quote"]
        for m in ind.get("milestones") or []:
            yield f"{ind['code']} milestone {m.get('year')}", m.get("quote") or ""
        for d in ind.get("defects") or []:
            yield f"{ind['code']} defect", d.get("quote") or ""
        if ind.get("feed"):
            yield f"{ind['code']} feed", ind["feed"].get("quote") or ""
    for task in doc.get("tasks") or []:
        yield f"{task['code']} task", task.get("quote") or ""
        for m in task.get("milestones") or []:
            if m.get("quote"):
                yield f"{task['code']} milestone {m.get('year')}", m["quote"]
        for t in task.get("numeric_targets") or []:
            yield f"{task['code']} target {t.get('name')}", t.get("quote") or ""


def missing_quotes(doc: dict, seeds_dir: Path) -> list[str]:
    """Where-labels of quotes that are empty or not found verbatim in the plan's seed file."""
    text = collapse((seeds_dir / doc["plan"]["source_file"]).read_text(encoding="utf-8"))
    return [where for where, quote in iter_quotes(doc) if not quote or collapse(quote) not in text]

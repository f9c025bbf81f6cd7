"""The file adapter: one Excel/CSV template per source (columns in ``jinfu.credit.sources``).

Headers may be the Chinese header, the field name or an alias. A wrong template (missing columns),
an unknown enterprise, an impossible value or a duplicate period is reported by row, column and rule
in Chinese and English, and the batch applies nothing.
"""

from __future__ import annotations

import csv
import io

from jinfu.core.imports.engine import FileRejected, problem, read_sheet

from ..sources import SOURCES
from .validate import _text

MAX_ROWS = 200_000


def _norm(h: str) -> str:
    return "".join(str(h).split()).replace("(", "（").replace(")", "）").lower()


def read_rows(source: str, data: bytes, filename: str = "") -> tuple[list[tuple[int, dict]], dict[str, str]]:
    """Rows as (row number, {field: raw}) (row 1 is the header); raises FileRejected on a wrong template."""
    spec = SOURCES[source]
    sheet = read_sheet(data, filename)
    index: dict[str, int] = {}
    headers: dict[str, str] = {}
    for i, h in enumerate(sheet.headers):
        for col in spec.columns:
            if _norm(h) in {_norm(col.header), col.name.lower(), *(_norm(a) for a in col.aliases)}:
                if col.name in index:
                    raise FileRejected([problem(1, h, col.name, h, "header.duplicate")])
                index[col.name] = i
                headers[col.name] = h
    missing = [c for c in spec.columns if c.required and c.name not in index]
    if missing:
        names = "、".join(c.header for c in missing)
        raise FileRejected(
            [
                problem(
                    0,
                    "",
                    "",
                    "",
                    "file.wrong_template",
                    f"「{spec.label}」模板缺少：{names}",
                    f"the {spec.label_en} template lacks: " + ", ".join(c.name for c in missing),
                )
            ]
            + [problem(1, c.header, c.name, "", "header.missing") for c in missing]
        )
    rows = []
    for n, raw in enumerate(sheet.rows, start=2):
        if not any(_text(v) for v in raw):
            continue
        rows.append((n, {f: (raw[i] if i < len(raw) else None) for f, i in index.items()}))
        if len(rows) > MAX_ROWS:
            raise FileRejected(
                [problem(0, "", "", "", "range.absurd", f"超过 {MAX_ROWS} 行", f"over {MAX_ROWS} rows")]
            )
    if not rows:
        raise FileRejected([problem(0, "", "", "", "file.empty")])
    return rows, headers


def template_csv(source: str) -> bytes:
    """The template as UTF-8 CSV with a BOM (Excel opens it correctly)."""
    spec = SOURCES[source]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c.header for c in spec.columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")

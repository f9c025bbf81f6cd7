"""The green project import: its columns (the kernel's Column API), the cell parsing of core/imports, and
the project's own cross-field checks, shared with the single-project form and the API so that a project
is valid or not in the same way wherever it comes from.

A problem names the row, the column, the field and the rule, in Chinese and English
(``core.imports.engine.problem``). The whole file is written or nothing is (services.import_projects).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from jinfu.core.imports.engine import Column, Lookups, RowValidator, problem, read_sheet

from . import engine

KIND = "green_projects"
MIN_START, MAX_START = 2000, 2100

PROJECT_COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "项目名称",
        "Project name",
        "text",
        True,
        max_length=200,
        aliases=("项目",),
        example="屋顶分布式光伏项目",
    ),
    Column(
        "description",
        "项目描述",
        "Description",
        "text",
        True,
        max_length=2000,
        aliases=("描述", "建设内容"),
        example="利用厂房屋顶建设分布式光伏发电设施，装机 2 MW",
    ),
    Column(
        "division",
        "行政区划代码",
        "Division code",
        "division",
        True,
        aliases=("区县", "所在区县"),
        example="500108",
    ),
    Column(
        "location",
        "建设地点",
        "Location",
        "text",
        True,
        max_length=200,
        aliases=("地点",),
        example="南岸区茶园工业园",
    ),
    Column(
        "industry_code",
        "行业代码",
        "Industry code",
        "industry",
        aliases=("国民经济行业代码",),
        example="4416",
    ),
    Column(
        "catalogue",
        "目录版本",
        "Catalogue",
        "text",
        True,
        max_length=32,
        aliases=("目录",),
        example="gfspc2025",
    ),
    Column(
        "item",
        "目录条目编号",
        "Catalogue item",
        "text",
        True,
        max_length=16,
        aliases=("条目", "条目编号"),
        example="4",
    ),
    Column(
        "total_investment",
        "总投资（万元）",
        "Total investment (10k CNY)",
        "decimal",
        True,
        min=0,
        max=1e8,
        aliases=("总投资",),
        example="1200",
    ),
    Column(
        "financing_need",
        "融资需求（万元）",
        "Financing need (10k CNY)",
        "decimal",
        True,
        min=0,
        max=1e8,
        aliases=("融资需求",),
        example="800",
    ),
    Column(
        "construction_start",
        "开工日期",
        "Construction start",
        "text",
        True,
        max_length=20,
        aliases=("开工时间",),
        example="2026-03-01",
    ),
    Column(
        "construction_months",
        "建设期（月）",
        "Construction period (months)",
        "int",
        True,
        min=1,
        max=240,
        aliases=("建设期",),
        example="6",
    ),
    Column(
        "output_kind",
        "产出类型",
        "Output kind",
        "choice",
        True,
        choices=tuple((k, (v[0], k)) for k, v in engine.OUTPUT_KINDS.items()),
        example="可再生能源年发电量",
    ),
    Column(
        "annual_output",
        "预期年产出",
        "Expected annual output",
        "decimal",
        True,
        max=1e12,
        aliases=("年产出",),
        example="2200",
    ),
    Column("output_unit", "单位", "Unit", "text", True, max_length=8, aliases=("产出单位",), example="MWh"),
    Column("grid", "电网区域", "Grid", "text", max_length=16, aliases=("电网",), example="西南"),
    Column(
        "factor_year",
        "排放因子年份",
        "Emission factor year",
        "int",
        min=2000,
        max=2100,
        aliases=("因子年份",),
        example="2023",
    ),
)
LABELS = {c.field: (c.label_zh, c.label_en) for c in PROJECT_COLUMNS}


def check_project(rec: dict, items: dict[tuple[str, str], Any]) -> list[tuple[str, str, str, str]]:
    """Cross-field checks of one parsed project: (field, rule, message_zh, message_en) per problem.
    ``items`` maps (catalogue code, item code) to the item."""
    out = []
    start = rec.get("construction_start")
    if start is not None and not isinstance(start, dt.date):
        parsed = RowValidator._parse_date(start)  # a planned project starts in the future: any real date
        if parsed is None or not (MIN_START <= parsed.year <= MAX_START):
            out.append(
                (
                    "construction_start",
                    "type.date",
                    f"“{start}”不是 {MIN_START}–{MAX_START} 年间的有效日期（例：2026-03-01）",
                    f"'{start}' is not a valid date between {MIN_START} and {MAX_START}",
                )
            )
        else:
            rec["construction_start"] = parsed
    inv, need = rec.get("total_investment"), rec.get("financing_need")
    if inv is not None and need is not None and Decimal(inv) < Decimal(need):
        out.append(
            (
                "financing_need",
                "green.need_above_investment",
                f"融资需求 {engine.n(need)} 万元高于总投资 {engine.n(inv)} 万元",
                f"financing need {need} exceeds total investment {inv}",
            )
        )
    key = (str(rec.get("catalogue") or ""), str(rec.get("item") or ""))
    if key[0] and key[1] and key not in items:
        out.append(
            (
                "item",
                "green.unknown_item",
                f"目录“{key[0]}”中没有编号为“{key[1]}”的条目",
                f"catalogue '{key[0]}' has no item '{key[1]}'",
            )
        )
    kind, amount, unit = rec.get("output_kind"), rec.get("annual_output"), rec.get("output_unit")
    if kind and amount is not None:
        try:
            engine.normalise_output(kind, amount, unit or "")
            if engine.OUTPUT_KINDS[kind][2] == "grid":
                engine.factor(
                    int(rec["factor_year"]) if rec.get("factor_year") else -1, rec.get("grid") or "西南"
                )
        except engine.GreenInputError as e:
            out.append((e.field, f"green.{e.field}", e.message_zh, e.message_en))
    return out


def validate_rows(
    data: bytes, filename: str, lookups: Lookups, items: dict
) -> tuple[list[dict], list[dict], int]:
    """Read and validate a project sheet: (clean records, problems, data rows read)."""
    sheet = read_sheet(data, filename)
    headers = [h.strip() for h in sheet.headers]
    index: dict[str, int] = {}
    problems: list[dict] = []
    for col in PROJECT_COLUMNS:
        names = {col.field, col.label_zh, col.label_en, *col.aliases}
        pos = next((i for i, h in enumerate(headers) if h in names), None)
        if pos is not None:
            index[col.field] = pos
        elif col.required:
            problems.append(problem(1, col.label_zh, col.field, "", "header.missing"))
    if problems:
        return [], problems, 0
    validator = RowValidator(KIND, lookups)
    records, rowno, total = [], 1, 0
    for raw in sheet.rows:
        rowno += 1
        if not any(x is not None and str(x).strip() for x in raw):
            continue
        total += 1
        rec: dict[str, Any] = {"_row": rowno}
        row_problems = []
        for col in PROJECT_COLUMNS:
            if col.field not in index:
                continue
            pos = index[col.field]
            cell = raw[pos] if pos < len(raw) else None
            header = headers[pos]
            if cell is None or not str(cell).strip():
                if col.required:
                    row_problems.append(problem(rowno, header, col.field, "", "required"))
                continue
            value, rule, zh, en = validator.parse(col, cell)
            if rule:
                row_problems.append(problem(rowno, header, col.field, cell, rule, zh, en))
            else:
                rec[col.field] = value
        if not row_problems:
            for fld, rule, zh, en in check_project(rec, items):
                header = headers[index[fld]] if fld in index else LABELS.get(fld, (fld, fld))[0]
                row_problems.append(problem(rowno, header, fld, rec.get(fld, ""), rule, base=(zh, en)))
        problems.extend(row_problems)
        if not row_problems:
            records.append(rec)
    return records, problems, total

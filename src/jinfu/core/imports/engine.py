"""Import engine: read a spreadsheet, validate every row, diff against what exists.

Pure: no Django import. Everything the engine needs to know about the database (division, zone and
industry codes, tags, the current values of existing USCCs) is passed in as plain dicts in a
:class:`Lookups`. The same code validates an upload in a web request, a background job, the CLI
and the benchmark.

A problem is a dict ``{row, column, field, value, rule, message_zh, message_en}``; ``row`` is the
1-based spreadsheet row number counting the header row (the header is row 1, the first data row
is row 2), ``column`` is the header as written in the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from jinfu.core.text import describe_invisible, invisible_chars

# ---------------------------------------------------------------------------
# Column specifications (data, one table per import kind)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    label_zh: str
    label_en: str
    type: str  # text uscc decimal int date division zone industry phone id_number tags choice uscc_ref
    required: bool = False
    min: float | None = None
    max: float | None = None  # above this: range.absurd
    max_length: int | None = None
    aliases: tuple[str, ...] = ()
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (code, accepted labels)
    example: str = ""


ENTERPRISE_COLUMNS: tuple[Column, ...] = (
    Column(
        "uscc",
        "统一社会信用代码",
        "USCC",
        "uscc",
        True,
        aliases=("uscc", "统一社会信用代码", "信用代码", "unified social credit code"),
        example="91500000202869177Y",
    ),
    Column(
        "name",
        "企业名称",
        "Name",
        "text",
        True,
        max_length=200,
        aliases=("name", "enterprise name", "企业名称", "名称"),
        example="重庆示例科技有限公司",
    ),
    Column(
        "legal_representative",
        "法定代表人",
        "Legal representative",
        "text",
        True,
        max_length=64,
        aliases=("legal_representative", "legal representative", "法人", "法定代表人"),
        example="张三",
    ),
    Column(
        "legal_rep_id_number",
        "法定代表人身份证号",
        "Legal representative ID number",
        "id_number",
        aliases=("legal_rep_id_number", "id_number", "法人身份证号"),
        example="11010519491231002X",
    ),
    Column(
        "registered_capital",
        "注册资本（万元）",
        "Registered capital (10k CNY)",
        "decimal",
        True,
        min=0,
        max=1e8,
        aliases=("registered_capital", "注册资本(万元)", "注册资本"),
        example="1000",
    ),
    Column(
        "paid_in_capital",
        "实缴资本（万元）",
        "Paid-in capital (10k CNY)",
        "decimal",
        min=0,
        max=1e8,
        aliases=("paid_in_capital", "实缴资本(万元)", "实缴资本"),
        example="800",
    ),
    Column(
        "established_on",
        "成立日期",
        "Established on",
        "date",
        True,
        aliases=("established_on", "established", "date established", "成立时间"),
        example="2015-06-18",
    ),
    Column(
        "division",
        "行政区划代码",
        "Division code",
        "division",
        True,
        aliases=("division", "division_code", "行政区划", "区划代码"),
        example="500112",
    ),
    Column("zone", "功能区", "Zone", "zone", aliases=("zone", "zone_code", "功能区代码"), example=""),
    Column(
        "industry",
        "行业代码",
        "Industry code",
        "industry",
        True,
        aliases=("industry", "industry_code", "国民经济行业代码", "行业"),
        example="6513",
    ),
    Column(
        "employees",
        "从业人员",
        "Employees",
        "int",
        min=0,
        max=1_000_000,
        aliases=("employees", "从业人员（人）", "从业人员(人)", "从业人数"),
        example="120",
    ),
    Column(
        "revenue",
        "营业收入（万元）",
        "Revenue (10k CNY)",
        "decimal",
        min=0,
        max=1e9,
        aliases=("revenue", "营业收入(万元)", "营业收入"),
        example="5600",
    ),
    Column(
        "total_assets",
        "资产总额（万元）",
        "Total assets (10k CNY)",
        "decimal",
        min=0,
        max=1e10,
        aliases=("total_assets", "资产总额(万元)", "资产总额"),
        example="8800",
    ),
    Column(
        "address",
        "地址",
        "Address",
        "text",
        max_length=255,
        aliases=("address", "注册地址", "住所"),
        example="重庆市渝北区示例路1号",
    ),
    Column(
        "contact_phone",
        "联系电话",
        "Contact phone",
        "phone",
        max_length=32,
        aliases=("contact_phone", "phone", "电话"),
        example="023-67001234",
    ),
    Column("tags", "标签", "Tags", "tags", aliases=("tags", "企业标签"), example=""),
)

INSTITUTION_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bank", ("银行", "bank")),
    ("guarantee", ("融资担保", "担保", "guarantee")),
    ("insurer", ("保险", "insurer", "insurance")),
    ("fund_manager", ("基金管理人", "基金", "fund_manager", "fund manager")),
    ("leasing", ("融资租赁", "租赁", "leasing")),
    ("factoring", ("商业保理", "保理", "factoring")),
    ("microloan", ("小额贷款", "小贷", "microloan")),
    ("other", ("其他", "other")),
)
INSTITUTION_LEVELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hq", ("总部", "总行", "总公司", "hq", "headquarters")),
    ("branch", ("分行", "分公司", "分行/分公司", "branch")),
    ("sub_branch", ("支行", "营业部", "支行/营业部", "sub_branch", "sub-branch")),
)

INSTITUTION_COLUMNS: tuple[Column, ...] = (
    Column(
        "uscc",
        "统一社会信用代码",
        "USCC",
        "uscc",
        True,
        aliases=("uscc", "信用代码"),
        example="91500000202869177Y",
    ),
    Column(
        "name",
        "机构名称",
        "Name",
        "text",
        True,
        max_length=200,
        aliases=("name", "institution name", "名称"),
        example="重庆银行股份有限公司",
    ),
    Column(
        "institution_type",
        "机构类型",
        "Institution type",
        "choice",
        True,
        aliases=("institution_type", "type", "类型"),
        choices=INSTITUTION_TYPES,
        example="银行",
    ),
    Column(
        "license_type",
        "许可证类型",
        "License type",
        "text",
        max_length=64,
        aliases=("license_type",),
        example="金融许可证",
    ),
    Column(
        "license_number",
        "许可证编号",
        "License number",
        "text",
        max_length=64,
        aliases=("license_number", "许可证号"),
        example="B0206H250000001",
    ),
    Column(
        "level",
        "层级",
        "Level",
        "choice",
        True,
        aliases=("level", "机构层级"),
        choices=INSTITUTION_LEVELS,
        example="总部",
    ),
    Column(
        "parent",
        "上级机构统一社会信用代码",
        "Parent USCC",
        "uscc_ref",
        aliases=("parent", "parent_uscc", "上级机构"),
        example="",
    ),
    Column(
        "division",
        "行政区划代码",
        "Division code",
        "division",
        True,
        aliases=("division", "division_code", "行政区划", "区划代码"),
        example="500103",
    ),
    Column(
        "address",
        "地址",
        "Address",
        "text",
        max_length=255,
        aliases=("address", "住所"),
        example="重庆市渝中区示例路1号",
    ),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "enterprises": ENTERPRISE_COLUMNS,
    "institutions": INSTITUTION_COLUMNS,
}

# Rule codes with their messages (documented in docs/imports.md).
RULES: dict[str, tuple[str, str]] = {
    "required": ("必填项为空", "required value is missing"),
    "formula_injection": (
        "单元格以 = + - @ 或制表符/回车开头，可能是公式注入，已拒绝",
        "cell starts with = + - @ or a tab/CR and may be a formula injection; rejected",
    ),
    "type.number": ("不是有效的数字", "not a valid number"),
    "type.integer": ("不是有效的整数", "not a valid whole number"),
    "type.date": ("不是有效的日期（应为 YYYY-MM-DD）", "not a valid date (expected YYYY-MM-DD)"),
    "range.negative": ("不能为负数", "must not be negative"),
    "range.absurd": ("数值超出合理范围", "value is outside the plausible range"),
    "date.future": ("日期不能晚于今天", "date must not be in the future"),
    "date.absurd": ("日期早于 1900 年，不合理", "date before 1900 is not plausible"),
    "length.max": ("内容过长", "value is too long"),
    "text.invisible": (
        "含有不可见的控制字符（如 U+202E 从右至左覆盖、U+200B 零宽空格），已拒绝",
        "contains invisible control characters (such as U+202E or U+200B); rejected",
    ),
    "uscc.length": ("统一社会信用代码应为 18 位", "a USCC has 18 characters"),
    "uscc.charset": (
        "统一社会信用代码含有非法字符（不允许 I、O、S、V、Z）",
        "USCC contains invalid characters (no I, O, S, V, Z)",
    ),
    "uscc.check_digit": ("统一社会信用代码校验位错误", "USCC check digit is wrong"),
    "uscc.authority": (
        "统一社会信用代码第 1 位（登记管理部门）无效",
        "USCC position 1 (registering authority) is invalid",
    ),
    "uscc.org_type": (
        "统一社会信用代码第 2 位（机构类别）无效",
        "USCC position 2 (organization type) is invalid",
    ),
    "uscc.division": (
        "统一社会信用代码第 3–8 位（行政区划）无效",
        "USCC positions 3-8 (division) are invalid",
    ),
    "uscc.orgcode_check": (
        "统一社会信用代码中的组织机构代码校验位错误",
        "the organization code check character inside the USCC is wrong",
    ),
    "uscc.invalid": ("统一社会信用代码无效", "invalid USCC"),
    "uscc.kind_conflict": (
        "该统一社会信用代码已登记为其他类型的组织",
        "this USCC is already registered as another kind of organization",
    ),
    "duplicate.uscc_in_file": ("文件内统一社会信用代码重复", "duplicate USCC within the file"),
    "code.unknown_division": ("未知的行政区划代码", "unknown administrative division code"),
    "code.unknown_zone": ("未知的功能区", "unknown zone"),
    "code.unknown_industry": (
        "未知的行业代码（需为 GB/T 4754-2017 四位小类代码）",
        "unknown industry code (a 4-digit GB/T 4754-2017 class code is required)",
    ),
    "code.unknown_tag": ("未知的标签", "unknown tag"),
    "code.unknown_choice": ("取值不在允许范围内", "value is not one of the allowed values"),
    "parent.unknown": (
        "上级机构不存在（既不在系统中，也不在本文件中）",
        "parent institution not found (neither in the system nor in this file)",
    ),
    "parent.self": ("上级机构不能是自己", "an institution cannot be its own parent"),
    "id_number.invalid": ("身份证号格式或校验位错误", "ID number format or check digit is wrong"),
    "phone.invalid": ("联系电话格式不正确", "contact phone format is invalid"),
    "header.missing": ("缺少必需的列", "a required column is missing"),
    "header.duplicate": ("列名重复", "duplicate column header"),
    "file.empty": ("文件中没有数据行", "the file has no data rows"),
    "file.not_spreadsheet": (
        "文件不是电子表格（仅支持 .xlsx 和 .csv）",
        "the file is not a spreadsheet (only .xlsx and .csv are accepted)",
    ),
    "file.too_many_rows": ("文件行数超过上限", "the file has more rows than allowed"),
    "file.too_many_cells": ("文件单元格数超过上限", "the file has more cells than allowed"),
    "file.too_large_uncompressed": (
        "工作簿解压后过大，请拆分后分批导入",
        "the workbook is too large once uncompressed; split it into smaller files",
    ),
    "file.compression_ratio": (
        "工作簿的压缩比异常（解压后膨胀过大），已拒绝",
        "the workbook's compression ratio is implausible (it expands too much); rejected",
    ),
    "encoding": (
        "无法识别文件编码，请另存为 UTF-8 或 GBK/GB18030 编码的 CSV",
        "unrecognised file encoding; save the CSV as UTF-8 or GBK/GB18030",
    ),
}

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_ERRORS = 10_000  # beyond this the job stores a truncated list (the count stays exact)


ID_NUMBER_FIELDS = frozenset({"legal_rep_id_number"})


def mask_id_number(n: Any) -> str:
    """An ID number as anyone but its owner may see it: 110***********002X (first 3, last 4)."""
    n = "" if n is None else str(n)
    if not n:
        return ""
    return n[:3] + "*" * (len(n) - 7) + n[-4:] if len(n) > 7 else "*" * len(n)


def problem(
    row: int,
    column: str,
    field_name: str,
    value: Any,
    rule: str,
    zh: str = "",
    en: str = "",
    *,
    base: tuple[str, str] | None = None,
) -> dict:
    """One problem. ID numbers are stored masked even when the cell is wrong: problems are kept in the
    job and shown again later. ``base`` replaces the rule's message (permission refusals bring theirs)."""
    base_zh, base_en = base or RULES.get(rule, (rule, rule))
    if field_name in ID_NUMBER_FIELDS:
        value = mask_id_number(value)
    if row == 0:
        where_zh, where_en = "文件：", "file: "
    elif rule.startswith("header."):
        where_zh, where_en = f"表头「{column}」：", f"header '{column}': "
    else:
        where_zh, where_en = f"第 {row} 行「{column}」：", f"row {row}, column '{column}': "
    return {
        "row": row,
        "column": column,
        "field": field_name,
        "value": "" if value is None else str(value)[:200],
        "rule": rule,
        "message_zh": f"{where_zh}{base_zh}" + (f"（{zh}）" if zh else ""),
        "message_en": f"{where_en}{base_en}" + (f" ({en})" if en else ""),
    }


class FileRejected(Exception):
    """The file as a whole cannot be read; ``errors`` holds the problems."""

    def __init__(self, errors: list[dict]):
        super().__init__(errors[0]["message_en"] if errors else "rejected")
        self.errors = errors


# ---------------------------------------------------------------------------
# Reading: sniff the content, detect the encoding, yield rows
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Explicit bounds on what one file may make the reader do. Data rows and cells (all rows, the
    header and blank lines included, each row counted at its width) apply to every format; the
    uncompressed size (all zip members together) and the compression ratio (per member larger than
    1 MB) to workbooks, checked from the zip directory before anything is decompressed."""

    max_rows: int = 200_000
    max_cells: int = 4_000_000
    max_uncompressed: int = 256 * 1024 * 1024
    max_ratio: int = 100


RATIO_MIN_MEMBER = 1024 * 1024  # small members (styles, themes) may compress very well


def _limit_error(rule: str, limit: int, what_zh: str, what_en: str) -> FileRejected:
    return FileRejected(
        [problem(0, "", "", "", rule, f"上限 {limit:,} {what_zh}", f"the limit is {limit:,} {what_en}")]
    )


def _limited(rows: Iterable[list[Any]], limits: Limits, header_cells: int) -> Iterator[list[Any]]:
    """Yield rows until a limit is passed, then raise FileRejected naming the limit."""
    n, cells = 0, header_cells
    for r in rows:
        n += 1
        cells += len(r)
        if n > limits.max_rows:
            raise _limit_error("file.too_many_rows", limits.max_rows, "行", "rows")
        if cells > limits.max_cells:
            raise _limit_error("file.too_many_cells", limits.max_cells, "个单元格", "cells")
        yield r


def _check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a workbook by its zip directory: total uncompressed size and per-member ratio. The
    declared sizes bind: zipfile never returns more than a member's declared size."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed:
        mb = limits.max_uncompressed // 1048576
        raise FileRejected(
            [
                problem(
                    0,
                    "",
                    "",
                    "",
                    "file.too_large_uncompressed",
                    f"解压后 {total // 1048576} MB，上限 {mb} MB",
                    f"{total // 1048576} MB uncompressed; the limit is {mb} MB",
                )
            ]
        )
    for i in infos:
        if i.file_size > RATIO_MIN_MEMBER and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise FileRejected(
                [
                    problem(
                        0,
                        "",
                        "",
                        "",
                        "file.compression_ratio",
                        f"压缩比上限 {limits.max_ratio} 倍",
                        f"the limit is {limits.max_ratio}:1",
                    )
                ]
            )


@dataclass
class Sheet:
    headers: list[str]
    rows: Iterable[list[Any]]  # data rows, aligned with headers
    format: str  # "xlsx" | "csv"
    encoding: str  # "utf-8", "utf-8-sig", "gbk", "gb18030" for CSV; "xlsx" for workbooks
    row_estimate: int = 0


_MAGIC_NOT_SHEET = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\x7fELF", "ELF"),
    (b"MZ", "EXE"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
)


def _not_sheet(detail_zh: str, detail_en: str) -> FileRejected:
    return FileRejected([problem(0, "", "", "", "file.not_spreadsheet", detail_zh, detail_en)])


def _enc_error(detail_zh: str = "", detail_en: str = "") -> FileRejected:
    return FileRejected([problem(0, "", "", "", "encoding", detail_zh, detail_en)])


def detect_encoding(data: bytes) -> tuple[str, str]:
    """Return (encoding name to report, python codec) for CSV bytes, or raise FileRejected.

    UTF-8 (with or without BOM) is tried strictly first; otherwise charset-normalizer decides, and
    only the GB family (GB2312/GBK/GB18030) is accepted; GBK is reported when the bytes are plain
    GBK, GB18030 when they need its four-byte sequences.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _enc_error("带 BOM 但不是有效的 UTF-8", "has a UTF-8 BOM but is not valid UTF-8") from exc
        return "utf-8-sig", "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _enc_error("UTF-16 编码不支持", "UTF-16 is not supported")
    try:
        data.decode("utf-8")
        return "utf-8", "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        gb_ok = True
    except UnicodeDecodeError:
        gb_ok = False
    from charset_normalizer import from_bytes

    sample = data[:200_000]
    results = from_bytes(
        sample, cp_isolation=["gb18030", "gbk", "gb2312", "big5", "shift_jis", "euc_kr", "cp1252", "latin_1"]
    )
    best = results.best()
    guessed = (best.encoding if best else "") or ""
    gb_family = {"gb18030", "gbk", "gb2312", "hz"}
    gb_guessed = guessed in gb_family or any(m.encoding in gb_family for m in results)
    if gb_ok and (guessed in gb_family or (gb_guessed and guessed not in {"big5", "shift_jis", "euc_kr"})):
        try:
            data.decode("gbk")
            return "gbk", "gbk"
        except UnicodeDecodeError:
            return "gb18030", "gb18030"
    if guessed:
        raise _enc_error(f"检测到的编码为 {guessed}", f"detected encoding {guessed}")
    raise _enc_error()


def _sniff(data: bytes, filename: str) -> str:
    if not data.strip():
        raise FileRejected([problem(0, "", "", "", "file.empty")])
    head = data[:8]
    for magic, name in _MAGIC_NOT_SHEET:
        if head.startswith(magic):
            raise _not_sheet(f"文件内容是 {name}", f"the content is {name}")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _not_sheet(
            "旧版 .xls 格式不支持，请另存为 .xlsx", "legacy .xls is not supported; save as .xlsx"
        )
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile as exc:
            raise _not_sheet("压缩文件已损坏", "corrupt zip container") from exc
        if "xl/workbook.xml" not in names:
            raise _not_sheet("压缩包不是 Excel 工作簿", "zip archive is not an Excel workbook")
        return "xlsx"
    sample = data[:65536]
    if b"\x00" in sample:
        raise _not_sheet("文件含二进制内容", "the file contains binary content")
    return "csv"


def _clean_header(h: Any) -> str:
    return "" if h is None else str(h).replace("\ufeff", "").strip()


def read_sheet(data: bytes, filename: str = "", limits: Limits | None = None) -> Sheet:
    """Open .xlsx or .csv bytes (sniffed by content, not by name). Iterating the rows raises
    FileRejected when the file passes a limit."""
    limits = limits or Limits()
    fmt = _sniff(data, filename)
    if fmt == "xlsx":
        _check_zip(data, limits)
        sheet = _read_xlsx(data)
    else:
        sheet = _read_csv(data)
    if len(sheet.headers) > limits.max_cells:
        raise _limit_error("file.too_many_cells", limits.max_cells, "个单元格", "cells")
    sheet.rows = _limited(sheet.rows, limits, len(sheet.headers))
    return sheet


def _read_csv(data: bytes) -> Sheet:
    report, codec = detect_encoding(data)
    text = data.decode(codec)
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        dialect = csv.Sniffer().sniff(text[:4096].split("\n", 1)[0] or ",", delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [_clean_header(h) for h in next(reader)]
    except StopIteration as exc:
        raise FileRejected([problem(0, "", "", "", "file.empty")]) from exc
    except csv.Error as exc:
        raise _not_sheet(str(exc), str(exc)) from exc
    estimate = max(0, text.count("\n") - 1 + (0 if text.endswith("\n") else 1))

    def rows() -> Iterator[list[Any]]:
        try:
            yield from reader
        except csv.Error as exc:
            raise _not_sheet(f"CSV 格式错误：{exc}", f"malformed CSV: {exc}") from exc

    return Sheet(headers, rows(), "csv", report, estimate)


def _read_xlsx(data: bytes, *, estimate: bool = False) -> Sheet:
    """The first worksheet, streamed. Its ``<dimension>`` element is ignored: writers leave it stale
    (A1:E2 on a sheet of 6 rows), and read-only openpyxl would stop reading where it says."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
    except Exception as exc:  # openpyxl raises many kinds on garbage
        raise _not_sheet(
            f"无法打开工作簿：{type(exc).__name__}", f"cannot open workbook: {type(exc).__name__}"
        ) from exc
    if first is None:
        raise FileRejected([problem(0, "", "", "", "file.empty")])
    headers = [_clean_header(h) for h in first]
    while headers and headers[-1] == "":
        headers.pop()
    row_estimate = _xlsx_row_estimate(wb, ws) if estimate else 0

    def rows() -> Iterator[list[Any]]:
        try:
            for r in it:
                yield list(r)
        finally:
            wb.close()

    return Sheet(headers, rows(), "xlsx", "xlsx", row_estimate)


_ROW_TAGS = (b"<row", b":row ", b":row>")  # <row …>, and <x:row …> of writers that prefix


def _xlsx_row_estimate(wb, ws) -> int:
    """Data rows by counting the sheet's ``<row>`` elements (streamed at C speed; the dimension may be
    stale). An estimate: a ``<rowBreaks>`` element counts too."""
    try:
        n, tail = 0, b""
        with wb._archive.open(ws._worksheet_path) as src:
            while chunk := src.read(1 << 22):
                buf = tail + chunk
                n += sum(buf.count(t) - tail.count(t) for t in _ROW_TAGS)
                tail = buf[-8:]
    except Exception:  # an estimate only: the real count comes from reading the rows
        return 0
    return max(0, n - 1)


def estimate_rows(data: bytes, filename: str = "", limits: Limits | None = None) -> int:
    """Cheap row-count estimate (data rows) used to decide inline vs background."""
    try:
        fmt = _sniff(data, filename)
        if fmt == "csv":
            return max(0, data.count(b"\n") - 1)
        _check_zip(data, limits or Limits())
        return _read_xlsx(data, estimate=True).row_estimate
    except FileRejected:
        return 0


# ---------------------------------------------------------------------------
# Lookups (plain dicts from the database) and results
# ---------------------------------------------------------------------------


@dataclass
class Lookups:
    divisions: dict[str, str] = field(default_factory=dict)  # code -> name
    zones: dict[str, str] = field(default_factory=dict)  # code -> name
    industries: dict[str, Any] = field(default_factory=dict)  # code -> (name, level)
    tags: dict[str, str] = field(default_factory=dict)  # code -> name
    # USCC -> {"kind": ..., field: current value (plain python: str, Decimal, int, date, None, list)}
    existing: dict[str, dict[str, Any]] = field(default_factory=dict)
    validate_uscc: Callable[[str], Any] | None = None
    today: dt.date | None = None
    # Who may write this row: (record, current values of its USCC or None) -> None when allowed, else a
    # refusal with .rule, .field, .message_zh, .message_en (the caller's permission rule, not a copy).
    authorize: Callable[[dict, dict | None], Any] | None = None


@dataclass
class Result:
    kind: str
    records: list[dict] = field(default_factory=list)  # clean records, in file order
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    diff: list[dict] = field(default_factory=list)  # {row, uscc, name, action, changes: {field: [old, new]}}
    total_rows: int = 0
    columns: list[str] = field(default_factory=list)  # fields present in the file
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""
    format: str = ""

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def counts(self) -> dict[str, int]:
        c = {"create": 0, "update": 0, "unchanged": 0}
        for d in self.diff:
            c[d["action"]] += 1
        return c

    def add(self, err: dict) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(err)


# ---------------------------------------------------------------------------
# Cell parsers: return (value, rule or None, extra_zh, extra_en)
# ---------------------------------------------------------------------------

_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_PHONE_RE = re.compile(r"^[0-9][0-9\- ()（）转#,，/]{4,31}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
)


def _as_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _parse_decimal(v: Any) -> Decimal:
    if isinstance(v, bool):
        raise InvalidOperation
    if isinstance(v, int | Decimal):
        return Decimal(v)
    if isinstance(v, float):
        return Decimal(repr(v))
    s = str(v).strip().replace(",", "").replace("，", "").replace(" ", "")
    if not _NUM_RE.match(s):
        raise InvalidOperation
    return Decimal(s)


def _uscc_rule(code: str) -> str:
    if len(code) != 18:
        return "uscc.length"
    if any(ch not in _USCC_CHARS for ch in code):
        return "uscc.charset"
    return "uscc.check_digit"


def _uscc_ok_builtin(code: str) -> bool:
    """Check digit per GB 32100-2015 (used only when no validator is injected)."""
    if len(code) != 18 or any(ch not in _USCC_CHARS for ch in code):
        return False
    total = sum(_USCC_CHARS.index(code[i]) * pow(3, i, 31) for i in range(17))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[17]


def id_number_ok(s: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return False
    try:
        dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return _ID_CHECK[sum(int(s[i]) * _ID_WEIGHTS[i] for i in range(17)) % 11] == s[17]


class RowValidator:
    def __init__(self, kind: str, lookups: Lookups):
        self.kind = kind
        self.lk = lookups
        self.today = lookups.today or dt.date.today()
        self.division_by_name = {v: k for k, v in lookups.divisions.items()}
        self.zone_by_name = {v: k for k, v in lookups.zones.items()}
        self.tag_by_name = {v: k for k, v in lookups.tags.items()}
        self._uscc_cache: dict[str, tuple[bool, str, str, str]] = {}

    def check_uscc(self, raw: str) -> tuple[str, str | None, str, str]:
        code = raw.strip().upper()
        if self.lk.validate_uscc is not None:
            res = self.lk.validate_uscc(code)
            if getattr(res, "valid", False):
                return getattr(res, "code", code) or code, None, "", ""
            reason = getattr(res, "reason_code", None)
            return (
                code,
                f"uscc.{reason}" if reason and f"uscc.{reason}" in RULES else _uscc_rule(code),
                getattr(res, "reason_zh", "") or "",
                getattr(res, "reason_en", "") or "",
            )
        if _uscc_ok_builtin(code):
            return code, None, "", ""
        return code, _uscc_rule(code), "", ""

    def parse(self, col: Column, raw: Any) -> tuple[Any, str | None, str, str]:
        """Parse one non-empty cell; returns (value, rule, extra_zh, extra_en)."""
        t = col.type
        if isinstance(raw, str):
            s = raw.strip() if raw[:1] not in ("\t", "\r") else raw
        else:
            s = raw
        # Formula injection: a text cell starting with = + - @ TAB CR. A plain signed number in a
        # numeric column is a number (and then the range rules apply), never a formula.
        if isinstance(s, str) and s.startswith(FORMULA_PREFIXES):
            numeric = t in ("decimal", "int") and _NUM_RE.match(s.replace(",", "").strip())
            if not numeric:
                return None, "formula_injection", "", ""
        if isinstance(s, str) and (found := invisible_chars(s)):
            zh, en = describe_invisible(found)
            return None, "text.invisible", zh, en
        if t == "text":
            v = _as_text(s)
            if col.max_length and len(v) > col.max_length:
                return None, "length.max", f"最多 {col.max_length} 字", f"at most {col.max_length} characters"
            return v, None, "", ""
        if t in ("uscc", "uscc_ref"):
            code, rule, zh, en = self.check_uscc(_as_text(s))
            return code, rule, zh, en
        if t == "decimal":
            try:
                d = _parse_decimal(s)
            except (InvalidOperation, ValueError):
                return None, "type.number", "", ""
            if not d.is_finite():
                return None, "type.number", "", ""
            if d < 0:
                return None, "range.negative", "", ""
            if col.max is not None and d > Decimal(str(col.max)):
                return None, "range.absurd", f"上限 {col.max:,.0f}", f"maximum {col.max:,.0f}"
            return d.quantize(Decimal("0.01")), None, "", ""
        if t == "int":
            try:
                d = _parse_decimal(s)
            except (InvalidOperation, ValueError):
                return None, "type.integer", "", ""
            if not d.is_finite() or d != d.to_integral_value():
                return None, "type.integer", "", ""
            if d < 0:
                return None, "range.negative", "", ""
            if col.max is not None and d > Decimal(str(col.max)):
                return None, "range.absurd", f"上限 {col.max:,.0f}", f"maximum {col.max:,.0f}"
            return int(d), None, "", ""
        if t == "date":
            d = self._parse_date(s)
            if d is None:
                return None, "type.date", "", ""
            if d > self.today:
                return (
                    None,
                    "date.future",
                    f"今天是 {self.today.isoformat()}",
                    f"today is {self.today.isoformat()}",
                )
            if d.year < 1900:
                return None, "date.absurd", "", ""
            return d, None, "", ""
        if t == "division":
            v = _as_text(s)
            if v in self.lk.divisions:
                return v, None, "", ""
            if v in self.division_by_name:
                return self.division_by_name[v], None, "", ""
            return None, "code.unknown_division", "", ""
        if t == "zone":
            v = _as_text(s)
            if v in self.lk.zones:
                return v, None, "", ""
            if v in self.zone_by_name:
                return self.zone_by_name[v], None, "", ""
            return None, "code.unknown_zone", "", ""
        if t == "industry":
            v = _as_text(s)
            if isinstance(s, int | float) and len(v) == 3:
                v = "0" + v  # Excel dropped the leading zero of e.g. 0111
            info = self.lk.industries.get(v)
            level = info[1] if isinstance(info, tuple | list) and len(info) > 1 else None
            if info is None or (level is not None and level != "class") or not re.fullmatch(r"\d{4}", v):
                return None, "code.unknown_industry", "", ""
            return v, None, "", ""
        if t == "phone":
            v = _as_text(s)
            if not _PHONE_RE.match(v):
                return None, "phone.invalid", "", ""
            return v, None, "", ""
        if t == "id_number":
            v = _as_text(s).upper()
            if not id_number_ok(v):
                return None, "id_number.invalid", "", ""
            return v, None, "", ""
        if t == "tags":
            out, unknown = [], []
            for part in re.split(r"[;；,，、|]", _as_text(s)):
                part = part.strip()
                if not part:
                    continue
                if part in self.lk.tags:
                    out.append(part)
                elif part in self.tag_by_name:
                    out.append(self.tag_by_name[part])
                else:
                    unknown.append(part)
            if unknown:
                return None, "code.unknown_tag", "、".join(unknown), ", ".join(unknown)
            return sorted(set(out)), None, "", ""
        if t == "choice":
            v = _as_text(s)
            for code, labels in col.choices:
                if v == code or v in labels or v.lower() in labels:
                    return code, None, "", ""
            allowed = "、".join(labels[0] for _, labels in col.choices)
            return (
                None,
                "code.unknown_choice",
                f"允许：{allowed}",
                "allowed: " + ", ".join(c for c, _ in col.choices),
            )
        raise ValueError(f"unknown column type {t}")

    @staticmethod
    def _parse_date(s: Any) -> dt.date | None:
        if isinstance(s, dt.datetime):
            return s.date()
        if isinstance(s, dt.date):
            return s
        if isinstance(s, int | float):  # a bare 20150618
            s = _as_text(s)
        v = str(s).strip()
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(v, fmt).date()
            except ValueError:
                continue
        return None


# ---------------------------------------------------------------------------
# Validation of a whole sheet
# ---------------------------------------------------------------------------


def map_headers(kind: str, headers: list[str]) -> tuple[dict[str, int], list[dict], list[str]]:
    """Map file headers to fields. Returns ({field: index}, header problems, ignored headers)."""
    spec = COLUMNS[kind]
    by_alias: dict[str, Column] = {}
    for col in spec:
        for name in (col.label_zh, col.label_en, col.field, *col.aliases):
            by_alias[_norm_header(name)] = col
    mapping: dict[str, int] = {}
    errors: list[dict] = []
    ignored: list[str] = []
    for i, h in enumerate(headers):
        if not h:
            continue
        col = by_alias.get(_norm_header(h))
        if col is None:
            ignored.append(h)
            continue
        if col.field in mapping:
            errors.append(problem(1, h, col.field, h, "header.duplicate"))
            continue
        mapping[col.field] = i
    for col in spec:
        if col.required and col.field not in mapping:
            errors.append(
                problem(
                    1,
                    col.label_zh,
                    col.field,
                    "",
                    "header.missing",
                    f"需要列「{col.label_zh}」",
                    f"column '{col.label_en}' is required",
                )
            )
    return mapping, errors, ignored


def _norm_header(h: str) -> str:
    return re.sub(r"[\s_]+", " ", h.replace("（", "(").replace("）", ")").strip().lower())


def validate_sheet(
    kind: str,
    sheet: Sheet,
    lookups: Lookups,
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> Result:
    """Validate every row; collect every problem; build the diff against ``lookups.existing``."""
    spec = COLUMNS[kind]
    res = Result(kind=kind, encoding=sheet.encoding, format=sheet.format)
    mapping, header_errors, res.ignored_columns = map_headers(kind, sheet.headers)
    for e in header_errors:
        res.add(e)
    res.columns = [c.field for c in spec if c.field in mapping]
    if header_errors:
        return res
    v = RowValidator(kind, lookups)
    present = [(c, mapping[c.field], sheet.headers[mapping[c.field]]) for c in spec if c.field in mapping]
    seen: dict[str, int] = {}
    rowno = 1
    parents: list[tuple[int, str, str, str]] = []  # (row, column, uscc, parent)
    for raw in sheet.rows:
        rowno += 1
        if not any(x is not None and (not isinstance(x, str) or x.strip()) for x in raw):
            continue  # blank line
        res.total_rows += 1
        rec: dict[str, Any] = {"_row": rowno}
        row_ok = True
        for col, idx, header in present:
            cell = raw[idx] if idx < len(raw) else None
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                if col.required:
                    res.add(problem(rowno, header, col.field, "", "required"))
                    row_ok = False
                continue
            value, rule, zh, en = v.parse(col, cell)
            if rule:
                res.add(problem(rowno, header, col.field, cell, rule, zh, en))
                row_ok = False
                continue
            rec[col.field] = value
        code = rec.get("uscc")
        if code:
            if code in seen:
                res.add(
                    problem(
                        rowno,
                        _header_of(present, "uscc"),
                        "uscc",
                        code,
                        "duplicate.uscc_in_file",
                        f"与第 {seen[code]} 行重复",
                        f"same as row {seen[code]}",
                    )
                )
                row_ok = False
            else:
                seen[code] = rowno
            old = lookups.existing.get(code)
            want_kind = "enterprise" if kind == "enterprises" else "institution"
            if old is not None and old.get("kind") not in (None, want_kind):
                res.add(problem(rowno, _header_of(present, "uscc"), "uscc", code, "uscc.kind_conflict"))
                row_ok = False
            elif lookups.authorize is not None:
                refusal = lookups.authorize(rec, old)
                if refusal is not None:
                    res.add(_refused(rowno, present, rec, refusal))
                    row_ok = False
        if kind == "institutions" and rec.get("parent"):
            parents.append((rowno, _header_of(present, "parent"), code or "", rec["parent"]))
        if row_ok:
            res.records.append(rec)
        if progress is not None and res.total_rows % progress_every == 0:
            progress(res.total_rows)
    for rowno, header, code, parent in parents:
        if parent == code:
            res.add(problem(rowno, header, "parent", parent, "parent.self"))
        elif parent not in seen and parent not in lookups.existing:
            res.add(problem(rowno, header, "parent", parent, "parent.unknown"))
        elif parent in lookups.existing and lookups.existing[parent].get("kind") not in (None, "institution"):
            res.add(
                problem(
                    rowno,
                    header,
                    "parent",
                    parent,
                    "parent.unknown",
                    "该代码不是金融机构",
                    "not an institution",
                )
            )
    if res.total_rows == 0:
        res.add(problem(0, "", "", "", "file.empty"))
    res.errors.sort(key=lambda e: e["row"])
    if progress is not None:
        progress(res.total_rows)
    res.diff = diff_records(res.records, lookups.existing, res.columns)
    return res


def _refused(rowno: int, present, rec: dict, refusal) -> dict:
    """A row the importer may not write: names the row, the column and the importer's own value, and
    carries nothing of the record already registered."""
    return problem(
        rowno,
        _header_of(present, refusal.field),
        refusal.field,
        rec.get(refusal.field, ""),
        refusal.rule,
        base=(refusal.message_zh, refusal.message_en),
    )


def _header_of(present, field_name: str) -> str:
    for col, _idx, header in present:
        if col.field == field_name:
            return header
    return field_name


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return format(v.quantize(Decimal("0.01")), "f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "、".join(str(x) for x in v)
    return "" if v is None else v


def diff_records(records: list[dict], existing: dict[str, dict], columns: list[str]) -> list[dict]:
    """Per record: create / update (with changed fields old→new) / unchanged.

    A cell left empty means "keep the current value"; only values present in the file are compared.
    """
    out = []
    for rec in records:
        code = rec.get("uscc")
        old = existing.get(code) if code else None
        if old is None:
            out.append(
                {
                    "row": rec["_row"],
                    "uscc": code,
                    "name": rec.get("name", ""),
                    "action": "create",
                    "changes": {},
                }
            )
            continue
        changes = {}
        for f in columns:
            if f == "uscc" or f not in rec:
                continue
            new_v, old_v = _plain(rec[f]), _plain(old.get(f))
            if str(new_v) != str(old_v):
                changes[f] = [old_v, new_v]
        out.append(
            {
                "row": rec["_row"],
                "uscc": code,
                "name": rec.get("name") or old.get("name", ""),
                "action": "update" if changes else "unchanged",
                "changes": changes,
            }
        )
    return out


def validate_bytes(kind: str, data: bytes, filename: str, lookups: Lookups, **kw) -> Result:
    """read_sheet + validate_sheet; a file-level rejection becomes a Result with that error."""
    try:
        sheet = read_sheet(data, filename, kw.pop("limits", None))
        return validate_sheet(kind, sheet, lookups, **kw)
    except FileRejected as exc:
        res = Result(kind=kind)
        for e in exc.errors:
            res.add(e)
        return res


# ---------------------------------------------------------------------------
# Templates (header row + one example row)
# ---------------------------------------------------------------------------


def template_rows(kind: str) -> list[list[str]]:
    spec = COLUMNS[kind]
    return [[c.label_zh for c in spec], [c.example for c in spec]]


def template_csv(kind: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(template_rows(kind))
    return buf.getvalue().encode("utf-8-sig")


def template_xlsx(kind: str) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "enterprises" if kind == "enterprises" else "institutions"
    for r in template_rows(kind):
        ws.append(r)
    for cell in ws[2]:
        cell.number_format = "@"  # keep codes as text (leading zeros)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

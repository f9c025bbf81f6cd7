"""Import engine: read a spreadsheet, validate every row, diff against what exists.

Pure: no Django import. Everything the engine needs to know about the database (division, zone and
industry codes, tags, the current values of existing records) is passed in as plain dicts and
callables in a :class:`Lookups`. The same code validates an upload in a web request, a background job,
the CLI and the benchmark, for every importer (:class:`ImportSpec`: its columns, its natural key and the
messages of its own rules; each module declares its own in ``<module>/imports.py``).

Bounded memory: the reader streams (CSV decoded chunk by chunk, workbooks through read-only openpyxl)
and the validator works through the rows in chunks of :data:`CHUNK_ROWS` (existing values are looked up
per chunk; the diff and the problems are kept up to a limit, their counts exactly).

A problem is a dict ``{row, column, field, value, rule, message_zh, message_en}``; ``row`` is the
1-based spreadsheet row number counting the header row (the header is row 1, the first data row
is row 2), ``column`` is the header as written in the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from jinfu.core.reference.uscc import CHARSET as USCC_CHARSET
from jinfu.core.reference.uscc import validate_uscc
from jinfu.core.text import describe_invisible, invisible_chars

# ---------------------------------------------------------------------------
# Declarations: a column, an importer's spec, a row-level finding
# ---------------------------------------------------------------------------

NO_DEFAULT = object()


@dataclass(frozen=True)
class Column:
    """One column of an import template. ``type`` is one of: text, code (trimmed, upper-cased), uscc,
    uscc_ref, decimal, int, year, month, bool, date, division, zone, industry, phone, id_number, tags,
    choice. ``min``/``max`` bound numbers (below ``min``: range.negative when it is 0, else
    range.absurd; above ``max``: range.absurd). ``rules`` declares the messages of the rules the
    importer raises on this column that the engine does not know (rule, zh, en). ``default`` is
    stored when the cell is empty (otherwise an empty cell is "not provided")."""

    field: str
    label_zh: str
    label_en: str
    type: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    aliases: tuple[str, ...] = ()
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (code, accepted labels)
    example: str = ""
    places: int | None = 2  # decimals are rounded to this many places (None: kept as written)
    rules: tuple[tuple[str, str, str], ...] = ()
    default: Any = NO_DEFAULT
    doc: str = ""  # the rule in words, for the template documentation


@dataclass(frozen=True)
class ImportSpec:
    """What an importer validates: its columns, the key that must be unique within a file, the field
    whose value finds the existing record (and reference fields looked up with it), whether a diff
    against the existing record is shown, and the messages of its file-level rules."""

    key: str
    label_zh: str
    label_en: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ("uscc",)
    duplicate_rule: str = "duplicate.uscc_in_file"
    lookup_field: str = ""  # e.g. "uscc": the existing record passed to check_row
    ref_fields: tuple[str, ...] = ()  # more values looked up with it (an institution's parent)
    diff: bool = False
    template_rule: str = ""  # a wrong template (required columns missing) also as this file problem
    check_partial: bool = False  # run the row checks on rows with bad cells too (with the cells that parsed)
    rules: tuple[tuple[str, str, str], ...] = ()

    def messages(self) -> dict[str, tuple[str, str]]:
        out = {r: (zh, en) for r, zh, en in self.rules}
        for c in self.columns:
            out.update({r: (zh, en) for r, zh, en in c.rules})
        return out

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


@dataclass(frozen=True)
class Issue:
    """A row-level finding of an importer's own check: the engine adds row, column and message.
    ``base`` replaces the rule's message; ``unless_in_file``: only a problem when no row of the file
    has this value as its unique key (a parent given later in the same file)."""

    field: str
    rule: str
    zh: str = ""
    en: str = ""
    value: Any = NO_DEFAULT
    base: tuple[str, str] | None = None
    unless_in_file: str | None = None


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
    "type.year": ("不是有效的年份（应为四位数字）", "not a valid year (four digits expected)"),
    "type.month": ("不是有效的月份（应为 YYYY-MM）", "not a valid month (expected YYYY-MM)"),
    "type.bool": ("应为 是/否", "expected yes/no (是/否)"),
    "range.future_period": ("期间晚于当前", "the period is in the future"),
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
    messages: Mapping[str, tuple[str, str]] | None = None,
) -> dict:
    """One problem. ID numbers are stored masked even when the cell is wrong: problems are kept in the
    job and shown again later. ``base`` replaces the rule's message (permission refusals bring theirs);
    ``messages`` are the importer's own rules (:meth:`ImportSpec.messages`), looked up before the engine's."""
    base_zh, base_en = base or (messages or {}).get(rule) or RULES.get(rule, (rule, rule))
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
# Reading: sniff the content, detect the encoding, stream rows
# ---------------------------------------------------------------------------

Source = bytes | bytearray | IO[bytes]  # file bytes, or a binary file opened for reading (seekable)
READ_CHUNK = 1 << 20  # bytes decoded at a time


def _open(source: Source) -> IO[bytes]:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    source.seek(0)
    return source


def _chunks_of(fh: IO[bytes]) -> Iterator[bytes]:
    fh.seek(0)
    while chunk := fh.read(READ_CHUNK):
        yield chunk
    fh.seek(0)


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


def _file_problem(rule: str, zh: str = "", en: str = "") -> FileRejected:
    return FileRejected([problem(0, "", "", "", rule, zh, en)])


def _check_zip(fh: IO[bytes], limits: Limits) -> None:
    """Refuse a workbook by its zip directory: total uncompressed size and per-member ratio. The
    declared sizes bind: zipfile never returns more than a member's declared size."""
    with zipfile.ZipFile(_open(fh)) as zf:
        infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed:
        mb = limits.max_uncompressed // 1048576
        raise _file_problem(
            "file.too_large_uncompressed",
            f"解压后 {total // 1048576} MB，上限 {mb} MB",
            f"{total // 1048576} MB uncompressed; the limit is {mb} MB",
        )
    for i in infos:
        if i.file_size > RATIO_MIN_MEMBER and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise _file_problem(
                "file.compression_ratio",
                f"压缩比上限 {limits.max_ratio} 倍",
                f"the limit is {limits.max_ratio}:1",
            )


@dataclass
class Sheet:
    headers: list[str]
    rows: Iterable[list[Any]]  # data rows, aligned with headers (an iterator: read once)
    format: str  # "xlsx" | "csv"
    encoding: str  # "utf-8", "utf-8-sig", "gbk", "gb18030" for CSV; "xlsx" for workbooks
    row_estimate: int = 0


def records_sheet(spec: ImportSpec, records: Iterable[Mapping[str, Any]], fmt: str = "records") -> Sheet:
    """Records already keyed by field name (a REST pull) as a sheet: the headers are the field names."""
    headers = [c.field for c in spec.columns]
    return Sheet(headers, ([r.get(h) for h in headers] for r in records), fmt, "")


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
    return _file_problem("file.not_spreadsheet", detail_zh, detail_en)


def _enc_error(detail_zh: str = "", detail_en: str = "") -> FileRejected:
    return _file_problem("encoding", detail_zh, detail_en)


def _decodes(fh: IO[bytes], codec: str) -> bool:
    """Whether the whole file decodes strictly with ``codec`` (streamed, chunk by chunk)."""
    dec = codecs.getincrementaldecoder(codec)()
    try:
        for chunk in _chunks_of(fh):
            dec.decode(chunk)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        fh.seek(0)
    return True


def detect_encoding(source: Source) -> tuple[str, str]:
    """Return (encoding name to report, python codec) for CSV bytes or a file, or raise FileRejected.

    UTF-8 (with or without BOM) is tried strictly first; otherwise charset-normalizer decides, and
    only the GB family (GB2312/GBK/GB18030) is accepted; GBK is reported when the bytes are plain
    GBK, GB18030 when they need its four-byte sequences. The file is read in chunks, never whole.
    """
    fh = _open(source)
    head = fh.read(4)
    fh.seek(0)
    if head.startswith(b"\xef\xbb\xbf"):
        if not _decodes(fh, "utf-8"):
            raise _enc_error("带 BOM 但不是有效的 UTF-8", "has a UTF-8 BOM but is not valid UTF-8")
        return "utf-8-sig", "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _enc_error("UTF-16 编码不支持", "UTF-16 is not supported")
    if _decodes(fh, "utf-8"):
        return "utf-8", "utf-8"
    gb_ok = _decodes(fh, "gb18030")
    from charset_normalizer import from_bytes

    sample = fh.read(200_000)
    fh.seek(0)
    results = from_bytes(
        sample, cp_isolation=["gb18030", "gbk", "gb2312", "big5", "shift_jis", "euc_kr", "cp1252", "latin_1"]
    )
    best = results.best()
    guessed = (best.encoding if best else "") or ""
    gb_family = {"gb18030", "gbk", "gb2312", "hz"}
    gb_guessed = guessed in gb_family or any(m.encoding in gb_family for m in results)
    if gb_ok and (guessed in gb_family or (gb_guessed and guessed not in {"big5", "shift_jis", "euc_kr"})):
        return ("gbk", "gbk") if _decodes(fh, "gbk") else ("gb18030", "gb18030")
    if guessed:
        raise _enc_error(f"检测到的编码为 {guessed}", f"detected encoding {guessed}")
    raise _enc_error()


def _sniff(fh: IO[bytes]) -> str:
    sample = fh.read(65536)
    fh.seek(0)
    if not sample.strip() and len(sample) < 65536:
        raise _file_problem("file.empty")
    head = sample[:8]
    for magic, name in _MAGIC_NOT_SHEET:
        if head.startswith(magic):
            raise _not_sheet(f"文件内容是 {name}", f"the content is {name}")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _not_sheet(
            "旧版 .xls 格式不支持，请另存为 .xlsx", "legacy .xls is not supported; save as .xlsx"
        )
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(fh) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile as exc:
            raise _not_sheet("压缩文件已损坏", "corrupt zip container") from exc
        finally:
            fh.seek(0)
        if "xl/workbook.xml" not in names:
            raise _not_sheet("压缩包不是 Excel 工作簿", "zip archive is not an Excel workbook")
        return "xlsx"
    if b"\x00" in sample:
        raise _not_sheet("文件含二进制内容", "the file contains binary content")
    return "csv"


def _clean_header(h: Any) -> str:
    return "" if h is None else str(h).replace("\ufeff", "").strip()


def read_sheet(source: Source, filename: str = "", limits: Limits | None = None) -> Sheet:
    """Open .xlsx or .csv bytes or a binary file (sniffed by content, not by name). The rows are
    streamed; iterating them raises FileRejected when the file passes a limit."""
    limits = limits or Limits()
    fh = _open(source)
    fmt = _sniff(fh)
    if fmt == "xlsx":
        _check_zip(fh, limits)
        sheet = _read_xlsx(fh)
    else:
        sheet = _read_csv(fh)
    if len(sheet.headers) > limits.max_cells:
        raise _limit_error("file.too_many_cells", limits.max_cells, "个单元格", "cells")
    sheet.rows = _limited(sheet.rows, limits, len(sheet.headers))
    return sheet


def _text_lines(fh: IO[bytes], codec: str) -> Iterator[str]:
    """The decoded text line by line (each with its newline), READ_CHUNK bytes at a time."""
    dec = codecs.getincrementaldecoder(codec)()
    tail = ""
    for chunk in _chunks_of(fh):
        parts = (tail + dec.decode(chunk)).split("\n")
        tail = parts.pop()
        for part in parts:
            yield part + "\n"
    tail += dec.decode(b"", final=True)
    if tail:
        yield tail


def _read_csv(fh: IO[bytes]) -> Sheet:
    report, codec = detect_encoding(fh)
    lines = _text_lines(fh, codec)
    first = next(lines, "")
    if first.startswith("\ufeff"):
        first = first[1:]
    try:
        delimiter = csv.Sniffer().sniff(first.rstrip("\r\n") or ",", delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","

    def all_lines() -> Iterator[str]:
        yield first
        yield from lines

    reader = csv.reader(all_lines(), delimiter=delimiter)
    try:
        headers = [_clean_header(h) for h in next(reader)]
    except StopIteration as exc:
        raise _file_problem("file.empty") from exc
    except csv.Error as exc:
        raise _not_sheet(str(exc), str(exc)) from exc

    def rows() -> Iterator[list[Any]]:
        try:
            yield from reader
        except csv.Error as exc:
            raise _not_sheet(f"CSV 格式错误：{exc}", f"malformed CSV: {exc}") from exc

    return Sheet(headers, rows(), "csv", report)


def _read_xlsx(fh: IO[bytes], *, estimate: bool = False) -> Sheet:
    """The first worksheet, streamed. Its ``<dimension>`` element is ignored: writers leave it stale
    (A1:E2 on a sheet of 6 rows), and read-only openpyxl would stop reading where it says."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=False)
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
    except Exception as exc:  # openpyxl raises many kinds on garbage
        raise _not_sheet(
            f"无法打开工作簿：{type(exc).__name__}", f"cannot open workbook: {type(exc).__name__}"
        ) from exc
    if first is None:
        raise _file_problem("file.empty")
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


def estimate_rows(source: Source, filename: str = "", limits: Limits | None = None) -> int:
    """Cheap row-count estimate (data rows) used to decide inline vs background."""
    try:
        fh = _open(source)
        if _sniff(fh) == "csv":
            return max(0, sum(chunk.count(b"\n") for chunk in _chunks_of(fh)) - 1)
        _check_zip(fh, limits or Limits())
        return _read_xlsx(fh, estimate=True).row_estimate
    except FileRejected:
        return 0
    finally:
        if not isinstance(source, bytes | bytearray):
            source.seek(0)


# ---------------------------------------------------------------------------
# Lookups (plain dicts from the database) and results
# ---------------------------------------------------------------------------


@dataclass
class Lookups:
    """What one run of an importer needs from the database, as plain dicts and callables."""

    divisions: dict[str, str] = field(default_factory=dict)  # code -> name
    zones: dict[str, str] = field(default_factory=dict)  # code -> name
    industries: dict[str, Any] = field(default_factory=dict)  # code -> (name, level)
    tags: dict[str, str] = field(default_factory=dict)  # code -> name
    # lookup value -> current values (plain python: str, Decimal, int, date, None, list); ``load_existing``
    # fetches them chunk by chunk (the keys of one chunk's rows), ``existing`` is a fixed table.
    existing: dict[str, dict[str, Any]] = field(default_factory=dict)
    load_existing: Callable[[set[str]], dict[str, dict[str, Any]]] | None = None
    today: dt.date | None = None
    # The importer's own row checks (jurisdiction, ownership, references): (record, its existing record
    # or None, the chunk's existing records) -> Issues. Called for rows whose cells are all valid.
    check_row: Callable[[dict, dict | None, dict[str, dict]], list[Issue]] | None = None
    # What the importer may see of the diff: (one chunk's diff entries, the chunk's existing) -> entries
    on_diff: Callable[[list[dict], dict[str, dict]], list[dict]] | None = None

    def existing_for(self, keys: set[str]) -> dict[str, dict[str, Any]]:
        if self.load_existing is None:
            return {k: self.existing[k] for k in keys if k in self.existing}
        return self.load_existing(keys)


DIFF_ACTIONS = ("create", "update", "unchanged")


@dataclass
class Result:
    kind: str
    records: list[dict] = field(default_factory=list)  # clean records, in file order (when kept)
    errors: list[dict] = field(default_factory=list)  # the first MAX_ERRORS problems
    error_count: int = 0
    # {row, uscc, name, action, changes: {field: [old, new]}}, up to the run's limit per action
    diff: list[dict] = field(default_factory=list)
    diff_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DIFF_ACTIONS, 0))
    total_rows: int = 0
    columns: list[str] = field(default_factory=list)  # fields present in the file
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""
    format: str = ""

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def counts(self) -> dict[str, int]:
        return dict(self.diff_counts)

    @property
    def diff_truncated(self) -> bool:
        return len(self.diff) < sum(self.diff_counts.values())

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
    if any(ch not in USCC_CHARSET for ch in code):
        return "uscc.charset"
    return "uscc.check_digit"


def id_number_ok(s: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return False
    try:
        dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return _ID_CHECK[sum(int(s[i]) * _ID_WEIGHTS[i] for i in range(17)) % 11] == s[17]


TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "已结案", "t"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "f", "未结案"})
_MONTH_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?(?:[-/.]\d{1,2})?$")
Parsed = tuple[Any, str | None, str, str]  # (value, rule or None, extra_zh, extra_en)
OK = None


class RowValidator:
    """Parses the cells of one importer's columns: one method per column type."""

    def __init__(self, spec: ImportSpec, lookups: Lookups):
        self.spec = spec
        self.lk = lookups
        self.today = lookups.today or dt.date.today()
        self.division_by_name = {v: k for k, v in lookups.divisions.items()}
        self.zone_by_name = {v: k for k, v in lookups.zones.items()}
        self.tag_by_name = {v: k for k, v in lookups.tags.items()}

    @staticmethod
    def check_uscc(raw: str) -> Parsed:
        """GB 32100-2015, by the reference validator (core.reference.uscc)."""
        res = validate_uscc(raw)
        if res.valid:
            return res.code, OK, "", ""
        rule = f"uscc.{res.reason_code}"
        return res.code, rule if rule in RULES else _uscc_rule(res.code), res.reason_zh, res.reason_en

    def parse(self, col: Column, raw: Any) -> Parsed:
        """Parse one non-empty cell."""
        s = raw.strip() if isinstance(raw, str) and raw[:1] not in ("\t", "\r") else raw
        # Formula injection: a text cell starting with = + - @ TAB CR. A plain signed number in a
        # numeric column is a number (and then the range rules apply), never a formula.
        if isinstance(s, str) and s.startswith(FORMULA_PREFIXES):
            numeric = col.type in ("decimal", "int") and _NUM_RE.match(s.replace(",", "").strip())
            if not numeric:
                return None, "formula_injection", "", ""
        if isinstance(s, str) and (found := invisible_chars(s)):
            zh, en = describe_invisible(found)
            return None, "text.invisible", zh, en
        parser = getattr(self, f"_p_{col.type}", None)
        if parser is None:
            raise ValueError(f"unknown column type {col.type}")
        return parser(col, s)

    def _p_text(self, col: Column, s: Any) -> Parsed:
        v = _as_text(s)
        if col.max_length and len(v) > col.max_length:
            return None, "length.max", f"最多 {col.max_length} 字", f"at most {col.max_length} characters"
        return v, OK, "", ""

    def _p_code(self, col: Column, s: Any) -> Parsed:
        v, rule, zh, en = self._p_text(col, s)
        return (v.upper() if v else v), rule, zh, en

    def _p_uscc(self, col: Column, s: Any) -> Parsed:
        return self.check_uscc(_as_text(s))

    _p_uscc_ref = _p_uscc

    def _number(self, col: Column, d: Decimal) -> Parsed:
        if not d.is_finite():
            return None, "type.number", "", ""
        if col.min is not None and d < Decimal(str(col.min)):
            if col.min == 0:
                return None, "range.negative", "", ""
            return None, "range.absurd", f"下限 {col.min:,.0f}", f"minimum {col.min:,.0f}"
        if col.max is not None and d > Decimal(str(col.max)):
            return None, "range.absurd", f"上限 {col.max:,.0f}", f"maximum {col.max:,.0f}"
        return d, OK, "", ""

    def _p_decimal(self, col: Column, s: Any) -> Parsed:
        try:
            d = _parse_decimal(s)
        except (InvalidOperation, ValueError):
            return None, "type.number", "", ""
        d, rule, zh, en = self._number(col, d)
        if rule or col.places is None:
            return d, rule, zh, en
        return d.quantize(Decimal(1).scaleb(-col.places)), OK, "", ""

    def _p_int(self, col: Column, s: Any) -> Parsed:
        try:
            d = _parse_decimal(s)
        except (InvalidOperation, ValueError):
            return None, "type.integer", "", ""
        if not d.is_finite() or d != d.to_integral_value():
            return None, "type.integer", "", ""
        d, rule, zh, en = self._number(col, d)
        return (None if rule else int(d)), rule, zh, en

    def _p_year(self, col: Column, s: Any) -> Parsed:
        v = _as_text(s)
        if not re.fullmatch(r"\d{4}", v):
            return None, "type.year", "", ""
        y = int(v)
        return (y, OK, "", "") if 1900 <= y <= self.today.year else (None, "range.future_period", "", "")

    def _p_month(self, col: Column, s: Any) -> Parsed:
        if isinstance(s, dt.date):
            m = (s.date() if isinstance(s, dt.datetime) else s).replace(day=1)
        else:
            mm = _MONTH_RE.match(_as_text(s))
            if not mm or not 1 <= int(mm.group(2)) <= 12:
                return None, "type.month", "", ""
            m = dt.date(int(mm.group(1)), int(mm.group(2)), 1)
        return (m, OK, "", "") if m <= self.today else (None, "range.future_period", "", "")

    def _p_bool(self, col: Column, s: Any) -> Parsed:
        low = _as_text(s).lower()
        if low in TRUE_WORDS:
            return True, OK, "", ""
        return (False, OK, "", "") if low in FALSE_WORDS else (None, "type.bool", "", "")

    def _p_date(self, col: Column, s: Any) -> Parsed:
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
        return d, OK, "", ""

    def _p_division(self, col: Column, s: Any) -> Parsed:
        return self._named_code(
            _as_text(s), self.lk.divisions, self.division_by_name, "code.unknown_division"
        )

    def _p_zone(self, col: Column, s: Any) -> Parsed:
        return self._named_code(_as_text(s), self.lk.zones, self.zone_by_name, "code.unknown_zone")

    @staticmethod
    def _named_code(v: str, codes: dict, by_name: dict, rule: str) -> Parsed:
        if v in codes:
            return v, OK, "", ""
        if v in by_name:
            return by_name[v], OK, "", ""
        return None, rule, "", ""

    def _p_industry(self, col: Column, s: Any) -> Parsed:
        v = _as_text(s)
        if isinstance(s, int | float) and len(v) == 3:
            v = "0" + v  # Excel dropped the leading zero of e.g. 0111
        info = self.lk.industries.get(v)
        level = info[1] if isinstance(info, tuple | list) and len(info) > 1 else None
        if info is None or (level is not None and level != "class") or not re.fullmatch(r"\d{4}", v):
            return None, "code.unknown_industry", "", ""
        return v, OK, "", ""

    def _p_phone(self, col: Column, s: Any) -> Parsed:
        v = _as_text(s)
        return (v, OK, "", "") if _PHONE_RE.match(v) else (None, "phone.invalid", "", "")

    def _p_id_number(self, col: Column, s: Any) -> Parsed:
        v = _as_text(s).upper()
        return (v, OK, "", "") if id_number_ok(v) else (None, "id_number.invalid", "", "")

    def _p_tags(self, col: Column, s: Any) -> Parsed:
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
        return sorted(set(out)), OK, "", ""

    def _p_choice(self, col: Column, s: Any) -> Parsed:
        v = _as_text(s)
        for code, labels in col.choices:
            if v == code or v.lower() == code.lower() or v in labels or v.lower() in labels:
                return code, OK, "", ""
        allowed = "、".join(labels[0] if labels else code for code, labels in col.choices)
        return (
            None,
            "code.unknown_choice",
            f"允许：{allowed}",
            "allowed: " + ", ".join(c for c, _ in col.choices),
        )

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


def choices(*codes: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Choice codes accepted as written (and in any case): ("A", "B") → ((A, ()), (B, ()))."""
    return tuple((c, ()) for c in codes)


# ---------------------------------------------------------------------------
# Validation of a whole sheet, chunk by chunk
# ---------------------------------------------------------------------------

CHUNK_ROWS = 2000


def map_headers(spec: ImportSpec, headers: list[str]) -> tuple[dict[str, int], list[dict], list[str]]:
    """Map file headers to fields. Returns ({field: index}, header problems, ignored headers)."""
    by_alias: dict[str, Column] = {}
    for col in spec.columns:
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
    missing = [col for col in spec.columns if col.required and col.field not in mapping]
    if missing and spec.template_rule:
        errors.append(
            problem(
                0,
                "",
                "",
                "",
                spec.template_rule,
                f"「{spec.label_zh}」模板缺少：" + "、".join(c.label_zh for c in missing),
                f"the {spec.label_en} template lacks: " + ", ".join(c.field for c in missing),
                messages=spec.messages(),
            )
        )
    for col in missing:
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


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


@dataclass
class _Run:
    """One validation run: the spec, its lookups, the result and what spans chunks."""

    spec: ImportSpec
    lookups: Lookups
    res: Result
    present: list[tuple[Column, int, str]]  # (column, index in the row, header as written)
    keep_records: bool
    diff_limits: Mapping[str, int] | None
    seen: dict[Any, int] = field(default_factory=dict)  # unique key → first row
    deferred: list[tuple[int, Issue]] = field(default_factory=list)
    messages: dict[str, tuple[str, str]] = field(default_factory=dict)

    def header(self, field_name: str) -> str:
        for col, _idx, header in self.present:
            if col.field == field_name:
                return header
        return next((c.label_zh for c in self.spec.columns if c.field == field_name), field_name)

    def add(self, row: int, field_name: str, value: Any, rule: str, zh="", en="", base=None) -> None:
        self.res.add(
            problem(
                row,
                self.header(field_name),
                field_name,
                value,
                rule,
                zh,
                en,
                base=base,
                messages=self.messages,
            )
        )

    def add_issue(self, row: int, rec: dict, issue: Issue) -> None:
        value = rec.get(issue.field, "") if issue.value is NO_DEFAULT else issue.value
        self.add(row, issue.field, value, issue.rule, issue.zh, issue.en, issue.base)


def _parse_row(run: _Run, v: RowValidator, rowno: int, raw: list[Any]) -> dict | None:
    """The row's record ({field: value, "_row": n}, "_bad" when a cell had a problem); None when the
    importer checks only complete rows and this one had a bad cell."""
    rec: dict[str, Any] = {"_row": rowno}
    ok = True
    for col, idx, _header in run.present:
        cell = raw[idx] if idx < len(raw) else None
        if _blank(cell):
            if col.required:
                run.add(rowno, col.field, "", "required")
                ok = False
            elif col.default is not NO_DEFAULT:
                rec[col.field] = col.default
            continue
        value, rule, zh, en = v.parse(col, cell)
        if rule:
            run.add(rowno, col.field, cell, rule, zh, en)
            ok = False
            continue
        rec[col.field] = value
    for col in run.spec.columns:  # columns absent from the file take their default too
        if col.field not in rec and col.default is not NO_DEFAULT and not col.required:
            rec.setdefault(col.field, col.default)
    if ok:
        return rec
    return dict(rec, _bad=True) if run.spec.check_partial else None


def _check_chunk(run: _Run, recs: list[dict]) -> None:
    """Row checks that need the database (existing records, per chunk), in-file duplicates, the diff."""
    spec, lk = run.spec, run.lookups
    keys = {rec[f] for rec in recs for f in (spec.lookup_field, *spec.ref_fields) if f and rec.get(f)}
    existing = lk.existing_for(keys) if keys else {}
    clean = []
    for rec in recs:
        row = rec["_row"]
        old = existing.get(rec.get(spec.lookup_field)) if spec.lookup_field else None
        issues = lk.check_row(rec, old, existing) if lk.check_row is not None else []
        for issue in issues:
            if issue.unless_in_file is not None:
                run.deferred.append((row, issue))
            else:
                run.add_issue(row, rec, issue)
        ok = not rec.get("_bad") and not any(i.unless_in_file is None for i in issues)
        if spec.unique and all(rec.get(f) is not None for f in spec.unique):
            key = rec[spec.unique[0]] if len(spec.unique) == 1 else tuple(rec[f] for f in spec.unique)
            if key in run.seen:
                first = run.seen[key]
                last = spec.unique[-1]
                run.add(
                    row, last, rec[last], spec.duplicate_rule, f"与第 {first} 行重复", f"same as row {first}"
                )
                ok = False
            else:
                run.seen[key] = row
        if ok:
            clean.append(rec)
    if run.keep_records:
        run.res.records.extend(clean)
    if spec.diff:
        _add_diff(run, diff_records(clean, existing, run.res.columns), existing)


def _add_diff(run: _Run, entries: list[dict], existing: dict[str, dict]) -> None:
    res, limits = run.res, run.diff_limits
    kept = []
    for d in entries:
        res.diff_counts[d["action"]] += 1
        if limits is None or res.diff_counts[d["action"]] <= limits.get(d["action"], 0):
            kept.append(d)
    if kept and run.lookups.on_diff is not None:
        kept = run.lookups.on_diff(kept, existing)
    res.diff.extend(kept)


def _resolve_deferred(run: _Run) -> None:
    for row, issue in run.deferred:
        if issue.unless_in_file not in run.seen:
            run.add(row, issue.field, issue.value, issue.rule, issue.zh, issue.en, issue.base)


def validate_sheet(
    spec: ImportSpec,
    sheet: Sheet,
    lookups: Lookups,
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
    keep_records: bool = True,
    diff_limits: Mapping[str, int] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Result:
    """Validate every row, streaming: cells row by row, the database checks and the diff chunk by chunk.
    ``keep_records=False`` (a dry run) keeps no records; ``diff_limits`` caps the diff kept per action
    (the counts stay exact). Every problem is counted; the first MAX_ERRORS are kept."""
    res = Result(kind=spec.key, encoding=sheet.encoding, format=sheet.format)
    mapping, header_errors, res.ignored_columns = map_headers(spec, sheet.headers)
    for e in header_errors:
        res.add(e)
    res.columns = [c.field for c in spec.columns if c.field in mapping]
    if header_errors:
        return res
    present = [
        (c, mapping[c.field], sheet.headers[mapping[c.field]]) for c in spec.columns if c.field in mapping
    ]
    run = _Run(spec, lookups, res, present, keep_records, diff_limits, messages=spec.messages())
    v = RowValidator(spec, lookups)
    chunk: list[dict] = []
    for rowno, raw in enumerate(sheet.rows, start=2):
        if all(_blank(x) for x in raw):
            continue  # blank line
        res.total_rows += 1
        rec = _parse_row(run, v, rowno, raw)
        if rec is not None:
            chunk.append(rec)
        if len(chunk) >= chunk_rows:
            _check_chunk(run, chunk)
            chunk = []
        if progress is not None and res.total_rows % progress_every == 0:
            progress(res.total_rows)
    _check_chunk(run, chunk)
    _resolve_deferred(run)
    if res.total_rows == 0:
        res.add(problem(0, "", "", "", "file.empty"))
    res.errors.sort(key=lambda e: e["row"])
    if progress is not None:
        progress(res.total_rows)
    return res


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


def validate_source(spec: ImportSpec, source: Source, filename: str, lookups: Lookups, **kw) -> Result:
    """read_sheet + validate_sheet; a file-level rejection (also one raised while the rows stream)
    becomes a Result with that problem."""
    sheet = None
    try:
        sheet = read_sheet(source, filename, kw.pop("limits", None))
        return validate_sheet(spec, sheet, lookups, **kw)
    except FileRejected as exc:
        res = Result(
            kind=spec.key, encoding=sheet.encoding if sheet else "", format=sheet.format if sheet else ""
        )
        for e in exc.errors:
            res.add(e)
        return res


# ---------------------------------------------------------------------------
# Templates (header row + one example row)
# ---------------------------------------------------------------------------


def template_rows(spec: ImportSpec) -> list[list[str]]:
    """The header row, and an example row when the importer declares examples."""
    rows = [[c.label_zh for c in spec.columns]]
    if any(c.example for c in spec.columns):
        rows.append([c.example for c in spec.columns])
    return rows


def template_csv(spec: ImportSpec) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(template_rows(spec))
    return buf.getvalue().encode("utf-8-sig")


def template_xlsx(spec: ImportSpec) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = spec.key[:31]
    for r in template_rows(spec):
        ws.append(r)
    for cell in ws[2]:
        cell.number_format = "@"  # keep codes as text (leading zeros)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

"""Excel exports of the tables users read (docs/security.md, "Exports and attachments").

A page that shows a table declares it once (a :class:`Table` of :class:`Column`) and, when the request asks
for ``?export=xlsx``, hands the *same rows it would render* to :func:`respond`. The export therefore never
holds more than the page: the page's selector already applied the reader's jurisdiction and consent, and
its filters come from the same query string (the 「导出 Excel」 link keeps it, see
``core/_export_link.html``). Pagination is dropped: the export holds every row of the filtered list, up to
:data:`MAX_ROWS`.

The workbook (openpyxl, write-only) has a Chinese header row and typed cells: numbers are numbers with a
number format, dates are dates. A text cell that a spreadsheet would read as a formula (starting with
``= + - @``, a tab or a carriage return) is prefixed with a quote, so ``=cmd()`` stays text. The file name is
Chinese (RFC 5987 ``filename*``) with an ASCII fallback. Every export is recorded as a security event
(kind ``export``: who, which table, how many rows, with which filters).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .audit import client_ip, record_event
from .models import SecurityEvent
from .principal import as_principal

EXPORT_PARAM = "export"
EXPORT_FORMAT = "xlsx"
MAX_ROWS = 50_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

NUMBER_FORMATS = {
    "int": "#,##0",
    "decimal": "#,##0.00",
    "money": "#,##0.00",
    "rate": "0.00",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header, how to read the value from a row, and the value's kind
    (text, int, decimal, money, rate, percent, date, datetime)."""

    header: str
    value: Callable[[Any], Any]
    kind: str = "text"
    width: int = 16


# Exports serve the offices and institutions that work through lists; an enterprise reads its own records
# on their pages. A table may narrow this further (the audit log: operators only, as its page).
EXPORT_ROLES = ("government", "regulator", "institution", "admin")


@dataclass(frozen=True)
class Table:
    key: str  # for the audit record, e.g. "financing.hall"
    title: str  # Chinese: the sheet and file name
    columns: tuple[Column, ...]
    roles: tuple[str, ...] = EXPORT_ROLES


def requested(request) -> bool:
    """Does this request ask for the Excel export of the page's table?"""
    return request.GET.get(EXPORT_PARAM) == EXPORT_FORMAT


def safe_text(value: str) -> str:
    """A text cell that cannot run as a formula in Excel, WPS or LibreOffice (CSV/formula injection)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _text(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(v) for v in value)
    return str(value)


def typed_value(kind: str, value):
    """The cell value for a column kind: numbers stay numbers, dates dates, everything else safe text."""
    if value is None or value == "":
        return None
    if kind in ("int", "decimal", "money", "rate", "percent") and isinstance(value, (int, float, Decimal)):
        return value if not isinstance(value, bool) else int(value)
    if kind == "datetime" and isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None, microsecond=0)
    if kind == "date" and isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    return safe_text(_text(value))


def workbook_bytes(table: Table, rows: Iterable) -> tuple[bytes, int]:
    """The .xlsx file of ``rows`` (at most MAX_ROWS) and the number of rows written."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=table.title[:31])
    for i, col in enumerate(table.columns):
        ws.column_dimensions[get_column_letter(i + 1)].width = col.width
    bold = Font(bold=True)
    header = []
    for col in table.columns:
        cell = WriteOnlyCell(ws, value=safe_text(col.header))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    ws.freeze_panes = "A2"
    n = 0
    for row in rows:
        if n >= MAX_ROWS:
            break
        cells = []
        for col in table.columns:
            cell = WriteOnlyCell(ws, value=typed_value(col.kind, col.value(row)))
            if col.kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[col.kind]
            cells.append(cell)
        ws.append(cells)
        n += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), n


def content_disposition(filename: str, fallback: str, disposition: str = "attachment") -> str:
    """RFC 6266 / RFC 5987: an ASCII fallback name and the UTF-8 (Chinese) name."""
    ascii_name = "".join(c for c in fallback if c.isascii() and (c.isalnum() or c in "-_.")) or "download"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def filters_of(request) -> dict[str, str]:
    """The page's filters as the audit record keeps them (the export switch and the page number left out)."""
    return {k: v for k, v in request.GET.items() if k not in (EXPORT_PARAM, "page")}


def allowed(request, table: Table) -> bool:
    p = as_principal(request.user)
    return p.is_admin or p.role in table.roles


def respond(request, table: Table, rows: Iterable) -> HttpResponse:
    """The Excel file of the rows a page shows, recorded as an export by this user (403 for a role the
    table is not exported to, recorded too)."""
    if not allowed(request, table):
        _record(request, key=table.key, title=table.title, rows=0, allowed=False)
        return HttpResponseForbidden("无权导出该表 / you may not export this table")
    content, n = workbook_bytes(table, rows)
    return deliver(request, content, key=table.key, title=table.title, rows=n)


def _record(request, *, key: str, title: str, rows: int, allowed: bool = True):
    p = as_principal(request.user)
    record_event(
        SecurityEvent.Kind.EXPORT,
        user=request.user,
        ip=client_ip(request),
        table=key,
        title=title,
        rows=rows,
        allowed=allowed,
        truncated=rows >= MAX_ROWS,
        filters=filters_of(request),
        organization=p.org_id,
        jurisdiction=p.jurisdiction.level,
    )


def deliver(request, content: bytes, *, key: str, title: str, rows: int) -> HttpResponse:
    """Send a workbook built elsewhere (a formatted report such as the payout ledger): recorded like every
    export, with the Chinese file name and no caching."""
    _record(request, key=key, title=title, rows=rows)
    day = timezone.localdate().strftime("%Y%m%d")
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition(
        f"{title}-{day}.xlsx", f"{key.replace('.', '-')}-{day}.xlsx"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""The payout ledger as an Excel workbook (openpyxl) for the finance department."""

from __future__ import annotations

import io
from decimal import Decimal

from jinfu.core.exports import safe_text

SYNTHETIC_NOTE = "含合成的示例数据，不是真实拨付记录"


def ledger_xlsx(payouts) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "拨付台账"
    rows = list(payouts)
    ws.append(["政策兑现拨付台账（金额单位：万元）"])
    if any(p.is_synthetic for p in rows):
        ws.append(["示例数据：" + SYNTHETIC_NOTE])
    head = [
        "拨付凭证号",
        "拨付日期",
        "期间",
        "政策",
        "兑现事项",
        "企业",
        "统一社会信用代码",
        "区县代码",
        "拨付金额（万元）",
        "申请编号",
        "是否示例数据",
    ]
    ws.append(head)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    total = Decimal(0)
    for p in rows:
        ws.append(
            [
                safe_text(p.voucher),
                p.paid_on,
                safe_text(p.period),
                safe_text(p.item.policy.title),
                safe_text(p.item.title),
                safe_text(p.enterprise.name),
                p.enterprise.uscc or "",
                p.division_code,
                p.amount,
                p.claim_id,
                "是" if p.is_synthetic else "否",
            ]
        )
        ws.cell(row=ws.max_row, column=2).number_format = "yyyy-mm-dd"
        ws.cell(row=ws.max_row, column=9).number_format = "0.00"
        total += p.amount
    ws.append(["合计", "", "", "", "", "", "", "", total, "", ""])
    ws.cell(row=ws.max_row, column=9).number_format = "0.00"
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEFGHIJK", (18, 12, 8, 36, 30, 30, 22, 10, 16, 10, 12), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

"""The financing tables that can be exported to Excel (kernel: jinfu.core.exports). Each reads the rows
its page renders, so an export holds exactly what the page shows."""

from __future__ import annotations

from jinfu.core.exports import Column, Table

SYNTHETIC = Column("示例数据", lambda r: "示例数据" if r["app"].is_synthetic else "", width=10)

QUEUE = Table(
    "financing.applications",
    "融资申请",
    (
        Column("申请编号", lambda r: r["app"].pk, "int", 10),
        Column("企业", lambda r: r["app"].enterprise.name, width=30),
        Column("产品", lambda r: r["app"].product.name, width=24),
        Column("申请金额（万元）", lambda r: r["app"].amount, "money"),
        Column("申请期限（月）", lambda r: r["app"].term_months, "int"),
        Column("状态", lambda r: r["app"].get_status_display(), width=12),
        Column("首贷户", lambda r: r["app"].is_first_loan, width=8),
        Column("申请时间", lambda r: r["app"].submitted_at, "datetime", 18),
        Column("当前环节时限", lambda r: r["app"].stage_due, "date", 14),
        Column("剩余工作日", lambda r: r.get("days_left"), "int"),
        Column("批准金额（万元）", lambda r: r["app"].approved_amount, "money"),
        Column("执行利率（%）", lambda r: r["app"].rate, "rate"),
        Column("放款日期", lambda r: r["app"].disbursed_on, "date", 14),
        SYNTHETIC,
    ),
)


def _claimant_contact(row) -> str | None:
    """The demand's contact, as the hall shows it: to the institution whose claim is live only."""
    d = row["demand"]
    return f"{d.contact_name} {d.contact_phone}" if row["mine"] and d.contact_phone else None


HALL = Table(
    "financing.hall",
    "揭榜大厅",
    (
        Column("需求编号", lambda r: r["demand"].pk, "int", 10),
        Column("企业", lambda r: r["facts"]["name"] or "（未公开）", width=30),
        Column("行业", lambda r: r["facts"]["industry"], width=20),
        Column("区县", lambda r: r["facts"]["division"], width=12),
        Column("规模", lambda r: r["facts"]["size_class"], width=10),
        Column("营业收入（万元）", lambda r: r["facts"]["revenue"], "money"),
        Column("从业人员（人）", lambda r: r["facts"]["employees"], "int"),
        Column("融资金额（万元）", lambda r: r["demand"].amount, "money"),
        Column("期限（月）", lambda r: r["demand"].term_months, "int"),
        Column("资金用途", lambda r: r["demand"].purpose, width=30),
        Column("紧急程度", lambda r: r["demand"].get_urgency_display(), width=10),
        Column("发布时间", lambda r: r["demand"].created_at, "datetime", 18),
        Column("截止时间", lambda r: r["demand"].expires_at, "datetime", 18),
        Column(
            "揭榜",
            lambda r: ("本机构揭榜中" if r["mine"] else "已被揭榜") if r["claim"] else "待揭榜",
            width=12,
        ),
        Column("企业联系人", _claimant_contact, width=24),
        Column("示例数据", lambda r: "示例数据" if r["demand"].is_synthetic else "", width=10),
    ),
)

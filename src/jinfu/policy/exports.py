"""The policy tables that can be exported to Excel (kernel: jinfu.core.exports). Each reads the rows its
page renders, so an export holds exactly what the page shows."""

from __future__ import annotations

from jinfu.core.exports import Column, Table


def _claim_columns(get) -> tuple[Column, ...]:
    return (
        Column("申请编号", lambda r: get(r).pk, "int", 10),
        Column("政策", lambda r: get(r).item.policy.title, width=36),
        Column("兑现事项", lambda r: get(r).item.title, width=30),
        Column("企业", lambda r: get(r).enterprise.name, width=30),
        Column("统一社会信用代码", lambda r: get(r).enterprise.uscc, width=22),
        Column("期间", lambda r: get(r).period, width=8),
        Column("测算金额（万元）", lambda r: get(r).estimated_amount, "money"),
        Column("核定金额（万元）", lambda r: get(r).approved_amount, "money"),
        Column("状态", lambda r: get(r).get_status_display(), width=12),
        Column("本环节时限", lambda r: get(r).stage_due, "date", 14),
        Column("公示截止", lambda r: get(r).publicity_until, "date", 14),
        Column("申请时间", lambda r: get(r).created_at, "datetime", 18),
        Column("示例数据", lambda r: "示例数据" if get(r).item.is_synthetic else "", width=10),
    )


CLAIMS = Table("policy.claims", "政策兑现申请", _claim_columns(lambda c: c))

SLA_LABELS = {"ok": "正常", "due": "今日到期", "overdue": "逾期"}
REVIEW = Table(
    "policy.review",
    "政策兑现待办",
    (
        *_claim_columns(lambda r: r["claim"]),
        Column("办理时限", lambda r: SLA_LABELS.get(r["sla"], ""), width=10),
        Column("可拨付", lambda r: r["payable"], width=8),
    ),
    roles=("government", "admin"),
)

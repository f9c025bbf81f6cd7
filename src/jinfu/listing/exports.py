"""The listing reserve list as an Excel export (kernel: jinfu.core.exports), from the rows its page renders."""

from __future__ import annotations

from jinfu.core.exports import Column, Table

RESERVE = Table(
    "listing.reserve",
    "上市后备库",
    (
        Column("企业", lambda e: e.enterprise.name, width=32),
        Column("统一社会信用代码", lambda e: e.enterprise.uscc, width=22),
        Column("区县", lambda e: e.enterprise.division.name if e.enterprise.division else None, width=12),
        Column("储备库层级", lambda e: e.get_tier_display(), width=14),
        Column("状态", lambda e: e.get_status_display(), width=10),
        Column("入库标准版本", lambda e: e.criteria_version, width=14),
        Column("提名单位", lambda e: str(e.nominating_org) if e.nominating_org else None, width=24),
        Column("提名时间", lambda e: e.nominated_at, "datetime", 18),
        Column("审核时间", lambda e: e.decided_at, "datetime", 18),
        Column("不再符合入库标准", lambda e: e.flagged, width=10),
        Column("预警原因", lambda e: e.flag_reason, width=40),
        Column("示例数据", lambda e: "示例数据" if e.is_synthetic else "", width=10),
    ),
    roles=("government", "admin"),
)

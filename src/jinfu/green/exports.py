"""The green tables that can be exported to Excel (kernel: jinfu.core.exports): the government's pool table,
the institution's project hall and the office's list of its notices. Each reads the rows its page renders, with the page's filters."""

from __future__ import annotations

from jinfu.core.exports import Column, Table


def _synthetic(project) -> str:
    return "示例数据" if project.is_synthetic else ""


POOL = Table(
    "green.pool",
    "绿色项目库",
    (
        Column("项目名称", lambda p: p.name, width=30),
        Column("企业", lambda p: p.enterprise.name, width=30),
        Column("目录条目", lambda p: p.item.name, width=20),
        Column("区县", lambda p: p.division.name, width=12),
        Column("总投资（万元）", lambda p: p.total_investment, "money"),
        Column("融资需求（万元）", lambda p: p.financing_need, "money"),
        Column("开工日期", lambda p: p.construction_start, "date", 12),
        Column("状态", lambda p: p.get_status_display(), width=12),
        Column("层级", lambda p: p.get_tier_display() if p.tier else "未分层", width=10),
        Column("已发布", lambda p: p.published, width=8),
        Column("数据性质", _synthetic, width=10),
    ),
    roles=("government", "admin"),
)

HALL = Table(
    "green.hall",
    "绿色项目大厅",
    (
        Column("项目名称", lambda p: p.name, width=30),
        Column("目录条目", lambda p: p.item.name, width=20),
        Column("区县", lambda p: p.division.name, width=12),
        Column("建设地点", lambda p: p.location, width=24),
        Column("总投资（万元）", lambda p: p.total_investment, "money"),
        Column("融资需求（万元）", lambda p: p.financing_need, "money"),
        Column("建设期（月）", lambda p: p.construction_months, "int", 10),
        Column("层级", lambda p: p.get_tier_display() if p.tier else "未分层", width=10),
        Column("数据性质", _synthetic, width=10),
    ),
    roles=("institution", "admin"),
)

NOTICES = Table(
    "green.notices",
    "绿色资讯与通知公告",
    (
        Column("标题", lambda n: n.title, width=36),
        Column("类型", lambda n: n.get_kind_display(), width=10),
        Column("发布单位", lambda n: n.publisher_name, width=24),
        Column("来源", lambda n: n.source, width=20),
        Column("状态", lambda n: n.get_status_display(), width=8),
        Column("发布时间", lambda n: n.published_at, "datetime", 18),
        Column("撤回原因", lambda n: n.withdraw_reason, width=24),
        Column("数据性质", _synthetic, width=10),
    ),
    roles=("government", "admin"),
)

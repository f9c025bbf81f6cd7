"""The risk tables that can be exported to Excel (kernel: jinfu.core.exports): the warning list (with the
page's filters) and the case board. Each reads the rows its page renders, from the same selector; risk
tables go to regulators and the operator only (enterprises never see a risk score, institutions nothing)."""

from __future__ import annotations

from jinfu.core.exports import Column, Table

from .engine import COLOUR_LABELS

RISK_ROLES = ("regulator", "admin")


def _synthetic(flag: bool) -> str:
    return "示例数据" if flag else ""


WARNINGS = Table(
    "risk.warnings",
    "涉众风险预警名单",
    (
        Column("企业", lambda s: s.enterprise.name, width=36),
        Column("统一社会信用代码", lambda s: s.enterprise.uscc, width=22),
        Column("区县", lambda s: s.enterprise.division.name if s.enterprise.division else "", width=12),
        Column("街镇", lambda s: s.street, width=14),
        Column("涉众风险指数", lambda s: s.index, "decimal", 12),
        Column("预警颜色", lambda s: COLOUR_LABELS.get(s.colour, ""), width=10),
        Column("计算颜色", lambda s: COLOUR_LABELS.get(s.computed_colour, ""), width=10),
        Column("人工调整", lambda s: s.colour != s.computed_colour, width=10),
        Column("关联团伙规模", lambda s: s.cluster_size or None, "int", 12),
        Column("计算时间", lambda s: s.computed_at, "datetime", 18),
        Column("示例数据", lambda s: _synthetic(s.enterprise.is_synthetic), width=10),
    ),
    roles=RISK_ROLES,
)

CASES = Table(
    "risk.cases",
    "涉众风险案件",
    (
        Column("案件编号", lambda c: c.number, width=18),
        Column("涉及主体", lambda c: c.subject, width=36),
        Column("来源", lambda c: c.get_source_display(), width=10),
        Column("阶段", lambda c: c.get_status_display(), width=10),
        Column("本阶段时限", lambda c: c.stage_due, "date", 14),
        Column("已逾期", lambda c: bool(getattr(c, "overdue", False)), width=8),
        Column("行业主管部门", lambda c: c.industry_office, width=24),
        Column("街镇", lambda c: c.street_office, width=20),
        Column("处置结果", lambda c: c.get_outcome_display() if c.outcome else "", width=12),
        Column("处置理由", lambda c: c.outcome_reason, width=30),
        Column("立案时间", lambda c: c.created_at, "datetime", 18),
        Column("示例数据", lambda c: _synthetic(c.is_synthetic), width=10),
    ),
    roles=RISK_ROLES,
)

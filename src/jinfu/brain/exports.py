"""The brain's tables that can be exported to Excel (kernel: jinfu.core.exports): the supervision task board
and a plan's indicator table. Each reads the rows its page renders."""

from __future__ import annotations

from jinfu.core.exports import Column, Table

INDICATOR_STATUS = {
    "achieved": "已实现",
    "ahead": "超前",
    "on_track": "符合序时进度",
    "behind": "滞后",
    "no_reference": "缺少参照",
    "needs_ranking": "需排名数据",
    "no_target": "无量化目标",
    "no_baseline": "缺少基期值",
}
BRAIN_ROLES = ("government", "regulator", "admin")

TASKS = Table(
    "brain.tasks",
    "督办任务",
    (
        Column("责任单位", lambda r: r["owner"], width=24),
        Column("任务编码", lambda r: r["task"].code, width=12),
        Column("任务", lambda r: r["task"].title, width=50),
        Column("规划", lambda r: r["task"].plan.title, width=36),
        Column("优先级（★）", lambda r: r["task"].priority, "int", 10),
        Column("完成时限", lambda r: r["task"].due_date, "date", 14),
        Column("进度", lambda r: r["task"].progress / 100, "percent", 10),
        Column("状态", lambda r: r["task"].get_status_display(), width=12),
        Column("最近报送", lambda r: r["task"].last_report_at, "datetime", 18),
    ),
    roles=BRAIN_ROLES,
)


def _target(ind):
    return ind.relative["text"] if ind.relative else ind.target_value


INDICATORS = Table(
    "brain.indicators",
    "规划指标监测",
    (
        Column("指标", lambda r: r["indicator"].name, width=30),
        Column("范围", lambda r: r["indicator"].scope_name, width=12),
        Column("单位", lambda r: r["indicator"].unit, width=10),
        Column("基期值", lambda r: r["indicator"].base_value, "decimal"),
        Column("基期年份", lambda r: r["indicator"].base_year, "int", 10),
        Column("目标值", lambda r: _target(r["indicator"]), "decimal"),
        Column("目标年份", lambda r: r["indicator"].target_year, "int", 10),
        Column("最新实际", lambda r: r["eval"].get("latest_value"), "decimal"),
        Column("实际年份", lambda r: r["eval"].get("latest_year"), "int", 10),
        Column("序时进度", lambda r: r["eval"].get("expected_value"), "decimal"),
        Column("完成率", lambda r: r["eval"].get("completion_rate"), "percent", 10),
        Column("状态", lambda r: INDICATOR_STATUS.get(r["eval"].get("status"), "暂无数据"), width=14),
        Column("预测", lambda r: r["eval"].get("projected_value"), "decimal"),
        Column("示例数据", lambda r: "示例数据" if r["synthetic"] else "", width=10),
    ),
    roles=BRAIN_ROLES,
)

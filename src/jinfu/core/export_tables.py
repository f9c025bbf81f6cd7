"""The kernel's own tables that can be exported to Excel (jinfu.core.exports): the organization directory,
import jobs and the audit log. Each reads the rows its page renders."""

from __future__ import annotations

import json

from .exports import Column, Table


def _industry(org) -> str | None:
    profile = getattr(org, "enterprise", None) if org.kind == "enterprise" else None
    return profile.industry.name if profile is not None and profile.industry_id else None


ORGANIZATIONS = Table(
    "core.organizations",
    "主体名录",
    (
        Column("名称", lambda o: o.name, width=36),
        Column("类型", lambda o: o.get_kind_display(), width=12),
        Column("统一社会信用代码", lambda o: o.uscc, width=22),
        Column("区县", lambda o: o.division.name if o.division else None, width=12),
        Column("功能区", lambda o: o.zone.name if o.zone else None, width=16),
        Column("行业", _industry, width=24),
        Column("示例数据", lambda o: "示例数据" if o.is_synthetic else "", width=10),
    ),
)

IMPORT_JOBS = Table(
    "core.import_jobs",
    "数据导入任务",
    (
        Column("任务编号", lambda j: j.pk, "int", 10),
        Column("类型", lambda j: j.get_kind_display(), width=12),
        Column("文件", lambda j: j.original_name, width=30),
        Column("状态", lambda j: j.get_status_display(), width=14),
        Column("总行数", lambda j: j.total_rows, "int"),
        Column("已处理行数", lambda j: j.processed_rows, "int"),
        Column("问题数", lambda j: len(j.errors or []), "int"),
        Column("提交人", lambda j: str(j.created_by) if j.created_by else "API", width=14),
        Column("创建时间", lambda j: j.created_at, "datetime", 18),
        Column("完成时间", lambda j: j.finished_at, "datetime", 18),
    ),
)

SECURITY_EVENTS = Table(
    "core.audit.security",
    "登录与安全事件",
    (
        Column("时间", lambda e: e.at, "datetime", 18),
        Column("事件", lambda e: e.get_kind_display(), width=14),
        Column("用户", lambda e: e.username, width=16),
        Column("IP 地址", lambda e: e.ip_address, width=16),
        Column("详情", lambda e: json.dumps(e.detail, ensure_ascii=False, sort_keys=True), width=60),
    ),
    roles=("admin",),
)


def _changes(entry) -> str:
    return "；".join(f"{field}: {old} → {new}" for field, (old, new) in sorted(entry.changes_dict.items()))


CHANGES = Table(
    "core.audit.changes",
    "数据变更记录",
    (
        Column("时间", lambda e: e.timestamp, "datetime", 18),
        Column("操作人", lambda e: str(e.actor) if e.actor else "系统", width=16),
        Column("对象", lambda e: f"{e.content_type.name} #{e.object_pk} {e.object_repr}", width=40),
        Column("动作", lambda e: e.get_action_display(), width=10),
        Column("变更（前 → 后）", _changes, width=80),
    ),
    roles=("admin",),
)

"""The risk module's importers, declared with the kernel's Column API (core/imports/engine.py) and
validated by the kernel's reader and row validator: five files, each row naming one enterprise (by USCC)
or, for the banks' alerts, one account.

Kept together here so that they port to the unified import framework (branch ``imp``) as declarations.
Pure apart from nothing: no Django import; the lookups (known USCCs and accounts) come in as dicts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from jinfu.core.imports import engine as kernel
from jinfu.core.imports.engine import Column

# Named enterprise_uscc (not uscc): a signal file has many rows per enterprise, and the kernel treats a
# repeated ``uscc`` as a duplicate record.
USCC = Column(
    "enterprise_uscc",
    "统一社会信用代码",
    "USCC",
    "uscc_ref",
    True,
    aliases=("uscc", "信用代码", "企业统一社会信用代码"),
    example="91500000202869177Y",
)
OCCURRED = Column(
    "occurred_on",
    "日期",
    "Date",
    "date",
    True,
    aliases=("occurred_on", "发生日期", "发布日期"),
    example="2026-05-18",
)
TEXT = Column(
    "text", "内容", "Text", "text", True, max_length=2000, aliases=("text", "正文", "内容摘要"), example=""
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "registration": (
        USCC,
        Column(
            "business_scope",
            "经营范围",
            "Business scope",
            "text",
            max_length=2000,
            aliases=("business_scope", "scope"),
            example="企业管理咨询；信息技术服务",
        ),
        Column(
            "shareholders",
            "股东",
            "Shareholders",
            "text",
            max_length=1000,
            aliases=("shareholders", "股东名称", "股东（分号分隔）"),
            example="张三；重庆示例投资有限公司",
        ),
        Column("email", "电子邮箱", "E-mail", "text", max_length=254, aliases=("email", "邮箱"), example=""),
        Column(
            "account",
            "对公账户",
            "Bank account",
            "text",
            max_length=40,
            aliases=("account", "账号"),
            example="",
        ),
        Column(
            "change_item",
            "变更事项",
            "Change",
            "text",
            max_length=200,
            aliases=("change_item", "变更内容"),
            example="经营范围变更",
        ),
        Column("changed_on", "变更日期", "Changed on", "date", aliases=("changed_on",), example="2026-04-01"),
    ),
    "public_text": (
        USCC,
        Column(
            "channel",
            "渠道",
            "Channel",
            "choice",
            True,
            choices=(
                ("news", ("新闻", "news")),
                ("ad", ("广告", "ad")),
                ("app", ("移动应用", "app", "APP")),
                ("web", ("网页", "网站", "web")),
                ("social", ("社交媒体", "自媒体", "social")),
            ),
            example="广告",
        ),
        TEXT,
        Column(
            "promised_return",
            "承诺年化收益率（%）",
            "Promised annual return (%)",
            "decimal",
            min=0,
            max=1000,
            aliases=("promised_return", "承诺收益率", "年化收益率"),
            example="15",
        ),
        OCCURRED,
    ),
    "complaint": (
        USCC,
        Column(
            "kind",
            "类型",
            "Kind",
            "choice",
            True,
            choices=(("complaint", ("投诉", "complaint")), ("tipoff", ("举报", "tipoff", "tip-off"))),
            example="投诉",
        ),
        TEXT,
        OCCURRED,
    ),
    "hotline": (
        USCC,
        Column(
            "ticket",
            "工单号",
            "Ticket",
            "text",
            True,
            max_length=40,
            aliases=("ticket", "工单编号"),
            example="",
        ),
        TEXT,
        OCCURRED,
    ),
    "bank_alert": (
        Column(
            "account",
            "账号",
            "Account",
            "text",
            True,
            max_length=40,
            aliases=("account", "对公账户"),
            example="",
        ),
        Column(
            "pattern",
            "预警类型",
            "Pattern",
            "choice",
            True,
            choices=(
                ("small_inflows", ("大量个人小额转入", "small_inflows")),
                ("rapid_outflow", ("资金快进快出", "rapid_outflow")),
                ("other", ("其他", "other")),
            ),
            example="大量个人小额转入",
        ),
        Column(
            "count",
            "笔数",
            "Transactions",
            "int",
            True,
            min=0,
            max=10_000_000,
            aliases=("count", "交易笔数"),
            example="320",
        ),
        Column(
            "amount",
            "金额（万元）",
            "Amount (10k CNY)",
            "decimal",
            True,
            min=0,
            max=1e8,
            aliases=("amount", "金额"),
            example="96",
        ),
        OCCURRED,
        Column("note", "说明", "Note", "text", max_length=500, aliases=("note", "备注"), example=""),
    ),
}
KIND_LABELS = {
    "registration": "登记信息及变更",
    "public_text": "宣传与舆情",
    "complaint": "投诉举报",
    "hotline": "12345 热线",
    "bank_alert": "银行资金预警",
}
_PREFIX = "risk_"


def spec(kind: str) -> kernel.ImportSpec:
    """The kernel's declaration of one signal file. No unique key: a signal file has many rows per
    enterprise (or account)."""
    return kernel.ImportSpec(_PREFIX + kind, KIND_LABELS[kind], kind, COLUMNS[kind], unique=())


@dataclass
class Checked:
    kind: str
    records: list[dict] = field(default_factory=list)  # each with org_id resolved
    errors: list[dict] = field(default_factory=list)
    total_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and self.total_rows > 0


def _header(cols, f: str) -> str:
    return next((c.label_zh for c in cols if c.field == f), f)


def validate(
    kind: str,
    data: bytes,
    filename: str,
    *,
    usccs: dict[str, int],
    accounts: dict[str, int],
    today: dt.date,
    read_limits=kernel.Limits,
) -> Checked:
    """Read and check a file; every problem names its row, column and value (the kernel's problem dict).
    ``usccs``/``accounts``: the enterprises and accounts the importer may report on → enterprise id."""
    if kind not in COLUMNS:
        raise ValueError(kind)
    lookups = kernel.Lookups(today=today)
    res = kernel.validate_source(spec(kind), data, filename, lookups, limits=read_limits())
    out = Checked(kind=kind, errors=list(res.errors), total_rows=res.total_rows)
    cols = COLUMNS[kind]
    for rec in res.records:
        row = rec["_row"]
        if kind == "bank_alert":
            org = accounts.get(_norm_account(rec["account"]))
            if org is None:
                out.errors.append(
                    kernel.problem(
                        row,
                        _header(cols, "account"),
                        "account",
                        rec["account"],
                        "risk.unknown_account",
                        base=(
                            "系统中没有该对公账户（请先报送账户所属企业）",
                            "unknown account (not registered to any enterprise)",
                        ),
                    )
                )
                continue
        else:
            org = usccs.get(rec["enterprise_uscc"])
            if org is None:
                out.errors.append(
                    kernel.problem(
                        row,
                        _header(cols, "enterprise_uscc"),
                        "enterprise_uscc",
                        rec["enterprise_uscc"],
                        "risk.unknown_enterprise",
                        base=("系统中没有该企业，或不在您的辖区", "no such enterprise in your jurisdiction"),
                    )
                )
                continue
        out.records.append({**rec, "org_id": org})
    out.errors.sort(key=lambda e: e["row"])
    return out


def _norm_account(v: Any) -> str:
    return "".join(str(v).split()).replace("-", "")


def norm_account(v: Any) -> str:
    return _norm_account(v)


def template_csv(kind: str) -> bytes:
    import csv
    import io

    cols = COLUMNS[kind]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([[c.label_zh for c in cols], [c.example for c in cols]])
    return buf.getvalue().encode("utf-8-sig")

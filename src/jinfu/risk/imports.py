"""The risk module's importers (one per signal file), declared for the kernel's importer registry
(core/imports/registry.py) and listed in ``RiskConfig.contract.importers``: each row names one enterprise (by
USCC) or, for the banks' alerts, one account. The row checks (an enterprise unknown or outside the importer's
reach, an account registered to no enterprise in reach) are the ``check_row`` Issues built by
``risk.services.prepare_<kind>``; ``risk.services.apply_<kind>`` writes a clean file as one ``SignalBatch``.
"""

from __future__ import annotations

from typing import Any

from jinfu.core.imports.engine import Column
from jinfu.core.imports.registry import Importer

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
    rules=(
        (
            "risk.unknown_enterprise",
            "系统中没有该企业，或不在您的辖区",
            "no such enterprise in your jurisdiction",
        ),
    ),
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
            rules=(
                (
                    "risk.unknown_account",
                    "系统中没有该对公账户（请先报送账户所属企业）",
                    "unknown account (not registered to any enterprise)",
                ),
            ),
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
KIND_LABELS_EN = {
    "registration": "Registration and changes",
    "public_text": "Marketing and public opinion",
    "complaint": "Complaints and tip-offs",
    "hotline": "12345 hotline",
    "bank_alert": "Bank fund-flow alerts",
}
PREFIX = "risk."


def _importer(kind: str) -> Importer:
    """One signal file. No unique key: a signal file has many rows per enterprise (or account)."""
    return Importer(
        PREFIX + kind,
        KIND_LABELS[kind],
        KIND_LABELS_EN[kind],
        COLUMNS[kind],
        unique=(),
        prepare=f"jinfu.risk.services:prepare_{kind}",
        apply=f"jinfu.risk.services:apply_{kind}",
        can_import=f"jinfu.risk.services:can_import_{kind}",
    )


BY_KIND: dict[str, Importer] = {kind: _importer(kind) for kind in COLUMNS}
IMPORTERS = tuple(BY_KIND.values())


def _norm_account(v: Any) -> str:
    return "".join(str(v).split()).replace("-", "")


def norm_account(v: Any) -> str:
    return _norm_account(v)


def template_csv(kind: str) -> bytes:
    import csv
    import io

    cols = COLUMNS[kind] if kind in COLUMNS else REPORT_COLUMNS
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([[c.label_zh for c in cols], [c.example for c in cols]])
    return buf.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------
# Local financial organizations' periodic reports (risk.supervision)
# ---------------------------------------------------------------------------


def _amount(field_name: str, zh: str, en: str, required: bool = False, example: str = "", **kw) -> Column:
    return Column(field_name, zh, en, "decimal", required, min=0, max=1e9, example=example, **kw)


REPORT_COLUMNS = (
    Column(
        "org_uscc",
        "统一社会信用代码",
        "USCC",
        "uscc_ref",
        True,
        aliases=("uscc", "信用代码"),
        example="91500103MA5U7K3X2B",
        rules=(
            (
                "risk.unknown_org",
                "不是本辖区登记的地方金融组织（或不是您本机构）",
                "not a local financial organization you may report for",
            ),
        ),
    ),
    Column("period_end", "报告期末", "Period end", "date", True, aliases=("报告期",), example="2026-03-31"),
    _amount(
        "net_assets",
        "净资产（万元）",
        "Net assets (10k CNY)",
        True,
        "12000",
        aliases=("净资产",),
        rules=(("risk.net_above_total", "净资产不能大于资产总额", "net assets exceed total assets"),),
    ),
    _amount(
        "total_assets", "资产总额（万元）", "Total assets (10k CNY)", True, "30000", aliases=("资产总额",)
    ),
    _amount(
        "paid_in_capital",
        "实缴资本（万元）",
        "Paid-in capital (10k CNY)",
        True,
        "10000",
        aliases=("实缴资本",),
    ),
    _amount("guarantee_balance", "担保责任余额（万元）", "Guarantee balance", example="90000"),
    _amount("loan_balance", "贷款余额（万元）", "Loan balance"),
    _amount("top_client_balance", "最大单一客户余额（万元）", "Largest single client"),
    _amount(
        "top_client_group_balance",
        "最大单一客户及其关联方余额（万元）",
        "Largest client with related parties",
    ),
    _amount("nonstandard_funding", "非标准化融资余额（万元）", "Non-standard funding"),
    _amount("standard_funding", "标准化融资余额（万元）", "Standardised funding"),
    _amount("lease_assets", "融资租赁和其他租赁资产（万元）", "Lease assets"),
    _amount("cash_and_treasuries", "现金、银行存款和国债（万元）", "Cash, deposits and treasuries"),
    Column(
        "small_micro_share",
        "小微和三农业务占比（%）",
        "Small/micro and agricultural share (%)",
        "decimal",
        min=0,
        max=100,
        example="65",
    ),
    _amount("tax_paid", "本期纳税（万元）", "Tax paid in the period", example="120"),
    _amount("property_rights_pawn", "财产权利质押典当余额（万元）", "Property-rights pawn balance (典当)"),
    _amount("real_estate_pawn", "房地产抵押典当余额（万元）", "Real-estate pawn balance (典当)"),
    _amount(
        "real_estate_pawn_max_single",
        "房地产抵押典当最大单笔当金（万元）",
        "Largest single real-estate pawn loan (典当)",
        rules=(
            (
                "risk.single_above_balance",
                "最大单笔当金不能大于房地产抵押典当余额",
                "the largest single pawn loan exceeds the real-estate pawn balance",
            ),
        ),
    ),
    _amount(
        "related_receivables",
        "受让以关联企业为债务人的应收账款（万元）",
        "Receivables bought with related-party debtors (商业保理)",
    ),
    Column(
        "insured_staff",
        "社保缴纳人数",
        "Staff with social insurance",
        "int",
        min=0,
        max=100_000,
        example="18",
    ),
)

ORG_REPORTS = Importer(
    "risk.org_reports",
    "地方金融组织报表",
    "Local financial organization reports",
    REPORT_COLUMNS,
    unique=("org_uscc", "period_end"),
    duplicate_rule="risk.duplicate_period",
    rules=(("risk.duplicate_period", "同一机构同一报告期重复", "same organization and period twice"),),
    prepare="jinfu.risk.supervision:prepare_reports",
    apply="jinfu.risk.supervision:apply_reports",
    can_import="jinfu.risk.supervision:can_import_reports",
)
IMPORTERS = (*IMPORTERS, ORG_REPORTS)

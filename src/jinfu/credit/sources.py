"""The source catalogue: for each credit source, its model, the consent scope that guards it, how long
its data stays fresh, its natural key and the columns of its file template (also the fields a REST
pull must deliver). Pure data: the file and REST connectors, the views and docs/credit.md read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinfu.core.imports.engine import Column
from jinfu.core.imports.engine import choices as engine_choices

_TYPES = {"uscc": "code", "money": "decimal"}  # the credit templates' words for the engine's types
ABSURD = 1e13


def Col(
    name: str,
    header: str,
    type: str,
    required: bool = True,
    choices: tuple[str, ...] = (),
    rule: str = "",
    aliases: tuple[str, ...] = (),
    rules: tuple[tuple[str, str, str], ...] = (),
) -> Column:
    """A template column as the import engine's Column: amounts and counts ≥ 0 and below 10^13, texts
    up to 200 characters, an empty optional cell stored as empty (否 for yes/no columns)."""
    numeric = type in ("int", "money")
    return Column(
        name,
        header,
        name,
        _TYPES.get(type, type),
        required,
        min=0 if numeric else None,
        max=ABSURD if numeric else None,
        max_length=200 if type in ("text", "uscc") else None,
        aliases=aliases,
        choices=engine_choices(*choices),
        places=None,
        rules=rules,
        default=False if type == "bool" else None,
        doc=rule,
    )


@dataclass(frozen=True)
class SourceSpec:
    key: str
    label: str
    label_en: str
    model: str  # model name in jinfu.credit.models
    scope: str  # core Scope guarding the reads
    max_age_days: int
    natural_key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)
    order_by: str = "-fetched_at"


USCC = Col(
    "uscc",
    "统一社会信用代码",
    "uscc",
    rule="18 位，须为本平台已登记企业",
    aliases=("USCC", "uscc"),
    rules=(
        (
            "enterprise.unknown",
            "该统一社会信用代码不是本平台已登记的企业",
            "this USCC is not an enterprise registered on the platform",
        ),
    ),
)

SOURCES: dict[str, SourceSpec] = {
    s.key: s
    for s in [
        SourceSpec(
            "tax",
            "纳税信息",
            "tax",
            "TaxRecord",
            "tax",
            400,
            ("uscc", "year"),
            (
                USCC,
                Col("year", "年度", "year", rule="四位年份，不晚于今年"),
                Col(
                    "credit_grade",
                    "纳税信用等级",
                    "choice",
                    choices=("A", "B", "M", "C", "D"),
                    rule="A/B/M/C/D（国家税务总局纳税信用评价）",
                ),
                Col("tax_paid", "纳税额（万元）", "money", rule="≥ 0"),
            ),
            "-year",
        ),
        SourceSpec(
            "social_insurance",
            "社保缴纳",
            "social insurance",
            "SocialInsuranceRecord",
            "social_insurance",
            62,
            ("uscc", "month"),
            (
                USCC,
                Col("month", "月份", "month", rule="YYYY-MM"),
                Col("insured", "参保人数", "int", rule="≥ 0 的整数"),
            ),
            "-month",
        ),
        SourceSpec(
            "utility",
            "水电气",
            "utilities",
            "UtilityRecord",
            "utilities",
            62,
            ("uscc", "month", "kind"),
            (
                USCC,
                Col("month", "月份", "month", rule="YYYY-MM"),
                Col(
                    "kind",
                    "类别",
                    "choice",
                    choices=("water", "electricity", "gas"),
                    rule="water 水 / electricity 电 / gas 气",
                    aliases=("水电气类别",),
                ),
                Col("usage", "用量", "money", rule="≥ 0（水：吨；电：千瓦时；气：立方米）"),
                Col("cost", "费用（万元）", "money", rule="≥ 0"),
            ),
            "-month",
        ),
        SourceSpec(
            "procurement",
            "政府采购",
            "government procurement",
            "ProcurementOrder",
            "procurement",
            120,
            ("uscc", "order_no"),
            (
                USCC,
                Col("order_no", "合同编号", "text"),
                Col("date", "签订日期", "date", rule="YYYY-MM-DD，不晚于今天"),
                Col("buyer", "采购人", "text"),
                Col("amount", "金额（万元）", "money", rule="≥ 0"),
            ),
            "-date",
        ),
        SourceSpec(
            "court",
            "司法信息",
            "court records",
            "CourtRecord",
            "judicial",
            30,
            ("uscc", "kind", "case_no"),
            (
                USCC,
                Col(
                    "kind",
                    "类别",
                    "choice",
                    choices=("dishonest_debtor", "enforcement", "judgment"),
                    rule="dishonest_debtor 失信被执行人 / enforcement 被执行人 / judgment 裁判文书",
                ),
                Col("case_no", "案号", "text"),
                Col("date", "日期", "date", rule="YYYY-MM-DD，不晚于今天"),
                Col("amount", "标的金额（万元）", "money", required=False, rule="≥ 0，可空"),
                Col("closed", "已结案", "bool", required=False, rule="是/否，空为否"),
            ),
            "-date",
        ),
        SourceSpec(
            "penalty",
            "行政处罚",
            "administrative penalties",
            "PenaltyRecord",
            "judicial",
            30,
            ("uscc", "decision_no"),
            (
                USCC,
                Col("decision_no", "处罚决定书文号", "text"),
                Col("date", "处罚日期", "date", rule="YYYY-MM-DD，不晚于今天"),
                Col("authority", "处罚机关", "text"),
                Col("amount", "罚没金额（万元）", "money", rule="≥ 0"),
                Col("reason", "事由", "text", required=False),
            ),
            "-date",
        ),
        SourceSpec(
            "abnormal",
            "经营异常名录",
            "business abnormal list",
            "AbnormalListing",
            "judicial",
            30,
            ("uscc", "listed_on"),
            (
                USCC,
                Col("listed_on", "列入日期", "date", rule="YYYY-MM-DD"),
                Col(
                    "removed_on",
                    "移出日期",
                    "date",
                    required=False,
                    rule="不早于列入日期，可空（仍在名录）",
                    rules=(
                        (
                            "order.removed_before_listed",
                            "移出日期早于列入日期",
                            "removal date is before the listing date",
                        ),
                    ),
                ),
                Col("reason", "列入原因", "text"),
            ),
            "-listed_on",
        ),
        SourceSpec(
            "ip",
            "知识产权",
            "intellectual property",
            "IPRecord",
            "ip",
            180,
            ("uscc", "kind", "number"),
            (
                USCC,
                Col(
                    "kind",
                    "类别",
                    "choice",
                    choices=("invention", "utility", "design", "trademark", "software_copyright"),
                    rule="invention 发明专利 / utility 实用新型 / design 外观设计 / trademark 商标 / "
                    "software_copyright 软件著作权",
                ),
                Col("number", "证书号", "text"),
                Col("date", "授权日期", "date", rule="YYYY-MM-DD，不晚于今天"),
            ),
            "-date",
        ),
        SourceSpec(
            "environment",
            "环境信用评价",
            "environmental credit rating",
            "EnvironmentalRating",
            "green",
            400,
            ("uscc", "year"),
            (
                USCC,
                Col("year", "年度", "year"),
                Col(
                    "rating",
                    "环境信用等级",
                    "choice",
                    choices=("绿", "蓝", "黄", "红", "黑"),
                    rule="绿/蓝/黄/红/黑（环保诚信/良好/警示/不良/严重失信）",
                ),
            ),
            "-year",
        ),
    ]
}


def spec(key: str) -> SourceSpec:
    return SOURCES[key]


def template_markdown() -> str:
    """The templates as Markdown tables (docs/credit.md)."""
    out = []
    for s in SOURCES.values():
        out.append(f"### {s.label} `{s.key}` (scope `{s.scope}`, fresh ≤ {s.max_age_days} days)\n")
        out.append(
            "| 列 header | 字段 field | 类型 type | 必填 required | 规则 rule |\n|---|---|---|---|---|"
        )
        for c in s.columns:
            out.append(
                f"| {c.label_zh} | `{c.field}` | {c.type} | {'是' if c.required else '否'} | {c.doc} |"
            )
        out.append(f"\n唯一键 natural key: {' + '.join(s.natural_key)}\n")
    return "\n".join(out)

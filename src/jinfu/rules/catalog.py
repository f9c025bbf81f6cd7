"""The field catalog: the documented contract between the enterprise feature table and the rules.

A rule may only name fields of its catalog. Each field has a type (what the validator checks), a
Chinese label and a unit (what explanations print), and a source (where the value comes from).
Modules extend the base catalog (``ENTERPRISE_FIELDS.extend([...])``) when they add columns.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

TYPES = ("number", "integer", "string", "boolean", "date")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label_zh: str
    unit: str = ""
    source: str = ""
    description: str = ""
    nullable: bool = True
    label_en: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"field {self.name}: type must be one of {TYPES}, not {self.type!r}")
        if not self.name.isidentifier() or self.name.lower() != self.name:
            raise ValueError(f"field name must be a lower-case identifier: {self.name!r}")

    @property
    def kind(self) -> str:
        """The type the validator works with: integer and number are both 'number'."""
        return "number" if self.type in ("number", "integer") else self.type


class Catalog:
    """An ordered, immutable set of fields; ``extend`` returns a new catalog."""

    def __init__(self, fields: Iterable[Field]):
        self._fields: dict[str, Field] = {}
        for f in fields:
            if f.name in self._fields:
                raise ValueError(f"duplicate field {f.name!r}")
            self._fields[f.name] = f

    def extend(self, fields: Iterable[Field]) -> Catalog:
        return Catalog([*self._fields.values(), *fields])

    def get(self, name: str) -> Field | None:
        return self._fields.get(name) or self._fields.get(name.lower())

    def __getitem__(self, name: str) -> Field:
        f = self.get(name)
        if f is None:
            raise KeyError(name)
        return f

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Field]:
        return iter(self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)

    @property
    def names(self) -> list[str]:
        return list(self._fields)

    def suggest(self, name: str) -> str | None:
        """The closest field name (for 'did you mean …?')."""
        m = difflib.get_close_matches(name.lower(), self.names, n=1, cutoff=0.6)
        return m[0] if m else None

    def to_markdown(self) -> str:
        rows = [
            "| 字段 field | 类型 type | 中文名 label | 单位 unit | 来源 source | 说明 description |",
            "|---|---|---|---|---|---|",
        ]
        for f in self:
            desc = f.description + ("" if f.nullable else "（不为空 never null）")
            rows.append(f"| `{f.name}` | {f.type} | {f.label_zh} | {f.unit} | {f.source} | {desc} |")
        return "\n".join(rows) + "\n"


def _f(name, type_, label, unit="", source="", description="", label_en="", nullable=True):
    return Field(name, type_, label, unit, source, description, nullable, label_en or name.replace("_", " "))


# The registration set (jinfu.core.features registers it with these fields).
REGISTRATION_FIELDS = [
    _f("uscc", "string", "统一社会信用代码", "", "企业登记", "18 位统一社会信用代码", nullable=False),
    _f("division_code", "string", "行政区划代码", "", "企业登记", "GB/T 2260 六位代码"),
    _f("zone_code", "string", "所属园区", "", "园区台账", "园区（开发区）代码"),
    _f("industry_code", "string", "行业代码", "", "企业登记", "GB/T 4754 四位小类代码"),
    _f("industry_section", "string", "所属行业门类", "", "由行业代码派生", "GB/T 4754 门类字母 A–T"),
    _f("industry_division", "string", "所属行业大类", "", "由行业代码派生", "GB/T 4754 两位大类代码"),
    _f(
        "size_class",
        "string",
        "企业规模",
        "",
        "划型标准计算",
        "large / medium / small / micro（大型/中型/小型/微型）",
    ),
    _f("registered_capital", "number", "注册资本", "万元", "企业登记", label_en="registered capital"),
    _f("paid_in_capital", "number", "实缴资本", "万元", "企业登记", label_en="paid-in capital"),
    _f(
        "revenue",
        "number",
        "营业收入",
        "万元",
        "经审计报表 > 导入报表 > 企业登记（不含自报）",
        "最近一个完整年度；来源与日期见 revenue_source / revenue_as_of",
        label_en="revenue",
    ),
    _f(
        "total_assets",
        "number",
        "资产总额",
        "万元",
        "经审计报表 > 导入报表 > 企业登记（不含自报）",
        label_en="total assets",
    ),
    _f("employees", "integer", "从业人员", "人", "企业登记 > 社保参保人数（不含自报）", label_en="employees"),
    _f("established_years", "number", "成立年限", "年", "由成立日期派生", "成立至今的年数"),
    _f("tag_specialized", "boolean", "专精特新企业", "", "工信部门名单", label_en="specialized SME"),
    _f("tag_high_tech", "boolean", "高新技术企业", "", "科技部门名单", label_en="high-tech enterprise"),
    _f("tag_tech_sme", "boolean", "科技型中小企业", "", "科技部门名单", label_en="tech SME"),
    _f("tag_green", "boolean", "绿色企业", "", "绿色金融认定", label_en="green enterprise"),
    _f("tag_above_scale", "boolean", "规上企业", "", "统计部门名单", label_en="above-scale enterprise"),
    _f("tag_first_loan", "boolean", "首贷户标签", "", "标签规则", label_en="first-loan tag"),
]

# Credit score (credit module, derived from the active scorecard) and platform loan history (financing).
SCORE_FIELDS = [
    _f(
        "credit_score",
        "number",
        "信用评分",
        "分",
        "信用模块（启用的评分卡）",
        "按当前启用的评分卡计算；无启用模型时为空",
    ),
    _f(
        "credit_grade",
        "string",
        "信用等级",
        "",
        "信用模块（启用的评分卡）",
        "AAA, AA, A, BBB, BB, B, CCC, CC, C；可为空",
    ),
    _f(
        "is_first_loan",
        "boolean",
        "首贷户",
        "",
        "本平台融资申请（融资模块）",
        "此前在本平台无已放款贷款",
    ),
]

# Credit fields (jinfu.credit.features derives them from source records; docs/credit.md).
# Windows: yearly values = latest year up to the last complete year; monthly = the 12 complete months
# before the current one; counts of court/penalty records = the last 3 years.
CREDIT_FIELDS = [
    _f(
        "tax_grade",
        "string",
        "纳税信用等级",
        "",
        "税务（纳税信用评价）",
        "A/B/M/C/D，最近完整年度",
        label_en="tax credit grade",
    ),
    _f("tax_paid", "number", "纳税额", "万元", "税务", "最近完整年度", label_en="tax paid"),
    _f(
        "insured_headcount",
        "integer",
        "社保参保人数",
        "人",
        "人社（社保缴纳）",
        "最近一个月",
        label_en="insured headcount",
    ),
    _f(
        "insured_growth_12m",
        "number",
        "参保人数同比增长",
        "比例",
        "人社（社保缴纳）",
        "最近月份较 12 个月前，0.1 = 增长 10%",
        label_en="insured headcount growth 12m",
    ),
    _f(
        "utility_cost_12m",
        "number",
        "近12个月水电气费用",
        "万元",
        "水电气公司",
        "当月之前 12 个完整月",
        label_en="utility cost 12m",
    ),
    _f(
        "procurement_amount_12m",
        "number",
        "近12个月政府采购金额",
        "万元",
        "政府采购平台",
        "最近 365 天",
        label_en="procurement amount 12m",
    ),
    _f(
        "dishonest_debtor",
        "boolean",
        "失信被执行人",
        "",
        "法院（失信被执行人名单）",
        "存在未移除的失信记录",
        label_en="dishonest debtor",
    ),
    _f(
        "enforcement_cases",
        "integer",
        "未结被执行案件数",
        "件",
        "法院（被执行人）",
        label_en="open enforcement cases",
    ),
    _f("judgments_3y", "integer", "近三年裁判文书数", "件", "法院（裁判文书）", label_en="judgments 3y"),
    _f("penalties_3y", "integer", "近三年行政处罚次数", "次", "市场监管等执法部门", label_en="penalties 3y"),
    _f(
        "abnormal_listed",
        "boolean",
        "列入经营异常名录",
        "",
        "市场监管（经营异常名录）",
        "当前仍在名录中",
        label_en="on the abnormal list",
    ),
    _f("invention_patents", "integer", "发明专利数", "件", "知识产权局", label_en="invention patents"),
    _f("utility_patents", "integer", "实用新型专利数", "件", "知识产权局", label_en="utility-model patents"),
    _f("design_patents", "integer", "外观设计专利数", "件", "知识产权局", label_en="design patents"),
    _f("trademarks", "integer", "注册商标数", "件", "商标局", label_en="trademarks"),
    _f(
        "software_copyrights", "integer", "软件著作权数", "件", "版权保护中心", label_en="software copyrights"
    ),
    _f("rd_expense", "number", "研发投入", "万元", "年度财务报表", "最近完整年度", label_en="R&D expense"),
    _f(
        "rd_intensity",
        "number",
        "研发投入强度",
        "%",
        "年度财务报表",
        "研发投入 / 营业收入 × 100",
        label_en="R&D intensity",
    ),
    _f(
        "net_profit",
        "number",
        "净利润",
        "万元",
        "年度财务报表",
        "扣非前后孰低，最近完整年度",
        label_en="net profit",
    ),
    _f(
        "debt_ratio",
        "number",
        "资产负债率",
        "%",
        "年度财务报表",
        "(资产总额 − 净资产) / 资产总额 × 100",
        label_en="debt ratio",
    ),
    _f(
        "operating_cash_flow",
        "number",
        "经营活动现金流量净额",
        "万元",
        "年度财务报表",
        label_en="operating cash flow",
    ),
    _f(
        "env_rating",
        "string",
        "环境信用等级",
        "",
        "生态环境部门",
        "绿/蓝/黄/红/黑，最近年度",
        label_en="environmental credit rating",
    ),
    _f(
        "platform_loans_outstanding",
        "number",
        "平台贷款余额",
        "万元",
        "本平台融资申请",
        "已放款申请的批准金额合计",
        label_en="platform loans outstanding",
    ),
    _f(
        "platform_loans_count",
        "integer",
        "平台贷款笔数",
        "笔",
        "本平台融资申请",
        "已放款申请数",
        label_en="platform loans count",
    ),
]
ENTERPRISE_FIELDS = Catalog([*REGISTRATION_FIELDS, *SCORE_FIELDS, *CREDIT_FIELDS])


# Named catalogs: each module registers the catalog its rules are written against (e.g. "policy" adds the
# values an enterprise declares when it applies), so kernel pieces that read rules (describe, the rule
# sentences on pages) find it by name without importing the module.
_NAMED: dict[str, Catalog] = {"enterprise": ENTERPRISE_FIELDS}


def register_catalog(name: str, catalog: Catalog) -> None:
    _NAMED[name] = catalog


def named_catalog(name: str) -> Catalog:
    return _NAMED.get(name, ENTERPRISE_FIELDS)

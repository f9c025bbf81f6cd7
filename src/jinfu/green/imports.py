"""The green project import: its columns (the kernel's Column API), the cell parsing of core/imports, and
the project's own cross-field checks, shared with the single-project form and the API so that a project
is valid or not in the same way wherever it comes from.

A problem names the row, the column, the field and the rule, in Chinese and English
(``core.imports.engine.problem``). The file goes through the kernel's import registry (``PROJECTS``, listed
in GreenConfig's contract): ``registry.dry_run`` validates, ``registry.commit`` writes every row or none.

An enterprise imports its own projects (the column 企业统一社会信用代码 empty or its own); the platform
operator imports for any registered enterprise, named by that column.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from jinfu.core.imports.engine import Column, Issue, RowValidator
from jinfu.core.imports.registry import Importer

from . import engine

KIND = "green_projects"
MIN_START, MAX_START = 2000, 2100

PROJECT_COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "项目名称",
        "Project name",
        "text",
        True,
        max_length=200,
        aliases=("项目",),
        example="屋顶分布式光伏项目",
    ),
    Column(
        "description",
        "项目描述",
        "Description",
        "text",
        True,
        max_length=2000,
        aliases=("描述", "建设内容"),
        example="利用厂房屋顶建设分布式光伏发电设施，装机 2 MW",
    ),
    Column(
        "division",
        "行政区划代码",
        "Division code",
        "division",
        True,
        aliases=("区县", "所在区县"),
        example="500108",
    ),
    Column(
        "location",
        "建设地点",
        "Location",
        "text",
        True,
        max_length=200,
        aliases=("地点",),
        example="南岸区茶园工业园",
    ),
    Column(
        "industry_code",
        "行业代码",
        "Industry code",
        "industry",
        aliases=("国民经济行业代码",),
        example="4416",
    ),
    Column(
        "catalogue",
        "目录版本",
        "Catalogue",
        "text",
        True,
        max_length=32,
        aliases=("目录",),
        example="gfspc2025",
    ),
    Column(
        "item",
        "目录条目编号",
        "Catalogue item",
        "text",
        True,
        max_length=16,
        aliases=("条目", "条目编号"),
        example="4",
    ),
    Column(
        "total_investment",
        "总投资（万元）",
        "Total investment (10k CNY)",
        "decimal",
        True,
        min=0,
        max=1e8,
        aliases=("总投资",),
        example="1200",
    ),
    Column(
        "financing_need",
        "融资需求（万元）",
        "Financing need (10k CNY)",
        "decimal",
        True,
        min=0,
        max=1e8,
        aliases=("融资需求",),
        example="800",
    ),
    Column(
        "construction_start",
        "开工日期",
        "Construction start",
        "text",
        True,
        max_length=20,
        aliases=("开工时间",),
        example="2026-03-01",
    ),
    Column(
        "construction_months",
        "建设期（月）",
        "Construction period (months)",
        "int",
        True,
        min=1,
        max=240,
        aliases=("建设期",),
        example="6",
    ),
    Column(
        "output_kind",
        "产出类型",
        "Output kind",
        "choice",
        True,
        choices=tuple((k, (v[0], k)) for k, v in engine.OUTPUT_KINDS.items()),
        example="可再生能源年发电量",
    ),
    Column(
        "annual_output",
        "预期年产出",
        "Expected annual output",
        "decimal",
        True,
        max=1e12,
        aliases=("年产出",),
        example="2200",
    ),
    Column("output_unit", "单位", "Unit", "text", True, max_length=8, aliases=("产出单位",), example="MWh"),
    Column("grid", "电网区域", "Grid", "text", max_length=16, aliases=("电网",), example="西南"),
    Column(
        "factor_year",
        "排放因子年份",
        "Emission factor year",
        "int",
        min=2000,
        max=2100,
        aliases=("因子年份",),
        example="2023",
    ),
)
LABELS = {c.field: (c.label_zh, c.label_en) for c in PROJECT_COLUMNS}


def check_project(rec: dict, items: dict[tuple[str, str], Any]) -> list[tuple[str, str, str, str]]:
    """Cross-field checks of one parsed project: (field, rule, message_zh, message_en) per problem.
    ``items`` maps (catalogue code, item code) to the item."""
    out = []
    start = rec.get("construction_start")
    if start is not None and not isinstance(start, dt.date):
        parsed = RowValidator._parse_date(start)  # a planned project starts in the future: any real date
        if parsed is None or not (MIN_START <= parsed.year <= MAX_START):
            out.append(
                (
                    "construction_start",
                    "type.date",
                    f"“{start}”不是 {MIN_START}–{MAX_START} 年间的有效日期（例：2026-03-01）",
                    f"'{start}' is not a valid date between {MIN_START} and {MAX_START}",
                )
            )
        else:
            rec["construction_start"] = parsed
    inv, need = rec.get("total_investment"), rec.get("financing_need")
    if inv is not None and need is not None and Decimal(inv) < Decimal(need):
        out.append(
            (
                "financing_need",
                "green.need_above_investment",
                f"融资需求 {engine.n(need)} 万元高于总投资 {engine.n(inv)} 万元",
                f"financing need {need} exceeds total investment {inv}",
            )
        )
    key = (str(rec.get("catalogue") or ""), str(rec.get("item") or ""))
    if key[0] and key[1] and key not in items:
        out.append(
            (
                "item",
                "green.unknown_item",
                f"目录“{key[0]}”中没有编号为“{key[1]}”的条目",
                f"catalogue '{key[0]}' has no item '{key[1]}'",
            )
        )
    kind, amount, unit = rec.get("output_kind"), rec.get("annual_output"), rec.get("output_unit")
    if kind and amount is not None:
        try:
            engine.normalise_output(kind, amount, unit or "")
            if engine.OUTPUT_KINDS[kind][2] == "grid":
                engine.factor(
                    int(rec["factor_year"]) if rec.get("factor_year") else -1, rec.get("grid") or "西南"
                )
        except engine.GreenInputError as e:
            out.append((e.field, f"green.{e.field}", e.message_zh, e.message_en))
    return out


# --- the registry importer --------------------------------------------------------------------------

ENTERPRISE_COLUMN = Column(
    "enterprise_uscc",
    "企业统一社会信用代码",
    "Enterprise USCC",
    "uscc",
    aliases=("统一社会信用代码", "uscc"),
    example="",
    doc="企业导入自己的项目时留空；平台运营人员导入时填写项目所属企业",
    rules=(
        ("green.enterprise_required", "平台导入须填写项目所属企业", "the operator must name the enterprise"),
        (
            "green.enterprise_unknown",
            "不是本平台已登记的企业",
            "not an enterprise registered on the platform",
        ),
        ("green.enterprise_other", "只能导入本企业的项目", "an enterprise imports only its own projects"),
    ),
)
GREEN_RULES = (
    ("green.need_above_investment", "融资需求高于总投资", "financing need exceeds total investment"),
    ("green.unknown_item", "目录中没有该条目", "unknown catalogue item"),
    ("green.output_kind", "产出类型不正确", "invalid output kind"),
    ("green.annual_output", "预期年产出不正确", "invalid annual output"),
    ("green.output_unit", "产出单位不正确", "wrong output unit"),
    ("green.grid", "没有该电网区域的排放因子", "no emission factor for this grid"),
    ("green.factor_year", "该年份没有排放因子", "no emission factor for this year"),
)

PROJECTS = Importer(
    "green.projects",
    "绿色项目",
    "Green projects",
    (*PROJECT_COLUMNS, ENTERPRISE_COLUMN),
    unique=(),
    lookup_field="enterprise_uscc",
    rules=GREEN_RULES,
    prepare="jinfu.green.services:prepare_project_import",
    apply="jinfu.green.services:apply_project_import",
    can_import="jinfu.green.services:can_import_projects",
)


def row_issues(rec: dict, items: dict) -> list[Issue]:
    """check_project's findings as the kernel's row issues (the message replaces the rule's)."""
    return [Issue(fld, rule, base=(zh, en)) for fld, rule, zh, en in check_project(rec, items)]


# --- institutions' quarterly green finance figures (绿色金融评价 inputs) ---------------------------------

REPORT_COLUMNS: tuple[Column, ...] = (
    Column("year", "年度", "Year", "int", True, min=2000, max=2100, example="2026"),
    Column("quarter", "季度", "Quarter", "int", True, min=1, max=4, example="2"),
    Column(
        "green_balance",
        "绿色金融业务总额（万元）",
        "Green finance balance (10k CNY)",
        "decimal",
        True,
        min=0,
        max=1e10,
        aliases=("绿色金融业务总额",),
        example="120000",
    ),
    Column(
        "prior_green_balance",
        "上年同期绿色金融业务总额（万元）",
        "Same quarter last year (10k CNY)",
        "decimal",
        True,
        min=0,
        max=1e10,
        aliases=("上年同期绿色金融业务总额",),
        example="100000",
    ),
    Column(
        "total_balance",
        "各项业务总额（万元）",
        "Total balance (10k CNY)",
        "decimal",
        True,
        min=0,
        max=1e11,
        aliases=("各项业务总额",),
        example="1500000",
    ),
    Column(
        "green_risk",
        "绿色金融业务风险总额（万元）",
        "Green finance at risk (10k CNY)",
        "decimal",
        True,
        min=0,
        max=1e10,
        aliases=("绿色金融业务风险总额",),
        example="600",
    ),
    Column(
        "institution_uscc",
        "机构统一社会信用代码",
        "Institution USCC",
        "uscc",
        aliases=("统一社会信用代码", "uscc"),
        doc="金融机构报送自己的数据时留空；平台运营人员导入时填写报送机构",
        rules=(
            (
                "green.institution_required",
                "平台导入须填写报送机构",
                "the operator must name the institution",
            ),
            ("green.institution_unknown", "不是本平台已登记的金融机构", "not an institution on the platform"),
            (
                "green.institution_other",
                "只能报送本机构的数据",
                "an institution reports only its own figures",
            ),
        ),
    ),
)
REPORT_LABELS = {c.field: (c.label_zh, c.label_en) for c in REPORT_COLUMNS}

REPORTS = Importer(
    "green.reports",
    "绿色金融评价报送数据",
    "Green finance evaluation figures",
    REPORT_COLUMNS,
    unique=(),
    lookup_field="institution_uscc",
    rules=(
        ("green.green_balance", "报送数据不一致", "inconsistent figures"),
        ("green.green_risk", "报送数据不一致", "inconsistent figures"),
        ("green.prior_green_balance", "报送数据不正确", "invalid figure"),
        ("green.total_balance", "报送数据不正确", "invalid figure"),
        ("green.future_period", "报送期间晚于当前季度", "the period is after the current quarter"),
    ),
    prepare="jinfu.green.services:prepare_report_import",
    apply="jinfu.green.services:apply_report_import",
    can_import="jinfu.green.services:can_report",
)
# 企业环境信用评价 (enterprise environmental credit rating). The levels are those of 《重庆市企业环境信用评价办法》
# (渝环规〔2021〕7号, 重庆市生态环境局等, replacing 渝环〔2017〕174号), from best to worst: 环保诚信企业、环保良好企业、
# 环保警示企业、环保不良企业 (as reported of the 办法: 华龙网 2017-12-13 「分为环保诚信企业、环保良好企业、环保警示企业、
# 环保不良企业四个等级」; of the 2021 evaluation under the current 办法: 「环境信用等级由高到低分为…」). The platform
# stores the level the file states and orders it by this list only: it computes no level of its own.
ENV_CREDIT_LEVELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("honest", "环保诚信企业", ("环保诚信企业", "诚信")),
    ("good", "环保良好企业", ("环保良好企业", "良好")),
    ("warning", "环保警示企业", ("环保警示企业", "警示")),
    ("bad", "环保不良企业", ("环保不良企业", "不良")),
)
ENV_CREDIT_RANK = {code: i for i, (code, _name, _labels) in enumerate(ENV_CREDIT_LEVELS, 1)}
ENV_CREDIT_NAME = {code: name for code, name, _labels in ENV_CREDIT_LEVELS}

ENV_CREDIT_COLUMNS: tuple[Column, ...] = (
    Column(
        "enterprise_uscc",
        "企业统一社会信用代码",
        "Enterprise USCC",
        "uscc",
        True,
        aliases=("统一社会信用代码", "uscc"),
        example="91500108MA5U3XXXXX",
        rules=(("green.enterprise_unknown", "不是本平台已登记的企业", "not an enterprise on the platform"),),
    ),
    Column(
        "rating",
        "环境信用等级",
        "Environmental credit rating",
        "choice",
        True,
        choices=tuple((code, labels) for code, _name, labels in ENV_CREDIT_LEVELS),
        aliases=("信用等级", "评价等级"),
        example="环保良好企业",
        doc="按评价文件所载等级填写：环保诚信企业、环保良好企业、环保警示企业、环保不良企业"
        "（《重庆市企业环境信用评价办法》，渝环规〔2021〕7号）",
    ),
    Column(
        "rating_year",
        "评价年度",
        "Rating year",
        "year",
        True,
        aliases=("年度",),
        example="2025",
    ),
    Column(
        "authority",
        "评价机关",
        "Issuing authority",
        "text",
        True,
        max_length=128,
        aliases=("发布机关", "评价单位"),
        example="重庆市生态环境局",
    ),
    Column(
        "document_number",
        "文号",
        "Document number",
        "text",
        True,
        max_length=64,
        aliases=("发文文号", "评价结果文号"),
        example="渝环〔2026〕12号",
    ),
)

ENV_CREDIT = Importer(
    "green.env_credit",
    "企业环境信用评价",
    "Enterprise environmental credit ratings",
    ENV_CREDIT_COLUMNS,
    unique=("enterprise_uscc", "rating_year"),
    duplicate_rule="green.env_credit_twice",
    lookup_field="enterprise_uscc",
    rules=(("green.env_credit_twice", "同一企业同一年度重复", "the same enterprise and year twice"),),
    prepare="jinfu.green.services:prepare_env_credit_import",
    apply="jinfu.green.services:apply_env_credit_import",
    can_import="jinfu.green.services:can_import_env_credit",
)
IMPORTERS = (PROJECTS, REPORTS, ENV_CREDIT)


def report_issues(rec: dict, today: dt.date) -> list[Issue]:
    """The cross-field checks of one quarter's figures (the engine's) and the period not in the future."""
    out = []
    if (rec["year"], rec["quarter"]) > (today.year, (today.month - 1) // 3 + 1):
        out.append(Issue("quarter", "green.future_period"))
    try:
        engine.check_report(rec)
    except engine.GreenInputError as e:
        out.append(Issue(e.field, f"green.{e.field}", base=(e.message_zh, e.message_en)))
    return out

"""The listing module's importer: annual financial statements (年度财务报表) from a spreadsheet, checked as
the statement form checks one (listing/services.py: prepare_statement_import, apply_statements): only the
enterprise itself or the platform operator enters an enterprise's statements, with the same field rules,
and the same source (an enterprise's own rows are 企业自报, the operator's are 批量导入)."""

from __future__ import annotations

from jinfu.core.imports.engine import Column
from jinfu.core.imports.registry import Importer

MONEY_MAX = 100_000_000  # 1万亿元 in 万元, as the form (services.MAX_AMOUNT)


def _money(
    field: str, zh: str, en: str, required: bool = False, *, min: float | None = None, example: str = ""
):
    return Column(
        field,
        f"{zh}（万元）",
        en,
        "decimal",
        required,
        min=min,
        max=MONEY_MAX,
        aliases=(zh, field),
        example=example,
    )


STATEMENT_COLUMNS = (
    Column(
        "uscc",
        "统一社会信用代码",
        "uscc",
        "uscc",
        True,
        aliases=("uscc", "信用代码", "企业统一社会信用代码"),
        example="91500103MA5U0000XX",
        rules=(
            ("enterprise.unknown", "平台上没有这家企业", "no enterprise with this USCC on the platform"),
            (
                "permission.own",
                "只能导入本企业的财务报表",
                "you may import your own enterprise's statements only",
            ),
            (
                "permission.statements",
                "只有企业本身或平台运营方可以填报财务报表",
                "only the enterprise itself or the platform operator enters statements",
            ),
        ),
    ),
    Column("year", "会计年度", "year", "int", True, aliases=("年度", "year"), example="2025"),
    _money("revenue", "营业收入", "revenue", True, min=0, example="60000"),
    _money("net_profit", "净利润", "net profit", True, example="12000"),
    _money("operating_cash_flow", "经营活动现金流量净额", "operating cash flow"),
    _money("rd_expense", "研发投入", "R&D expense", min=0),
    _money("total_assets", "资产总额", "total assets", min=0),
    _money("net_assets", "净资产", "net assets"),
    Column(
        "roe",
        "加权平均净资产收益率（%）",
        "ROE (%)",
        "decimal",
        aliases=("加权平均净资产收益率", "roe"),
        doc="-1000 到 1000（单位为 %）",
    ),
    Column(
        "audited",
        "经审计",
        "audited",
        "bool",
        aliases=("audited", "是否经审计"),
        default=False,
        example="是",
        doc="是/否；企业自行导入的报表一律记为企业自报",
    ),
)

STATEMENTS = Importer(
    "listing.statements",
    "年度财务报表",
    "Annual financial statements",
    STATEMENT_COLUMNS,
    unique=("uscc", "year"),
    duplicate_rule="duplicate.year",
    lookup_field="uscc",
    rules=(
        ("duplicate.year", "同一企业同一会计年度重复", "same enterprise and fiscal year twice"),
        ("statement.invalid", "报表数据不符合填报规则", "the statement breaks a rule of the form"),
    ),
    prepare="jinfu.listing.services:prepare_statement_import",
    apply="jinfu.listing.services:apply_statements",
    can_import="jinfu.listing.services:may_import_statements",
    jobs=True,  # on the kernel's import pages and API (/imports/, /api/v1/imports/listing.statements)
)
IMPORTERS = (STATEMENTS,)

"""The listing field catalog: enterprise fields + financial history by year + listing profile.

y1 is the last complete fiscal year on file, y2 the year before, y3 the one before that. All amounts in
万元 (market value too), ratios in %. The reserve catalog adds the fields the engine derives from the
standards (best_share, standards_met) and the milestone rank (stage_rank). No Django import.
"""

from __future__ import annotations

from jinfu.rules.catalog import ENTERPRISE_FIELDS, Catalog, Field

SRC_FS = "年度财务报表（listing.FinancialStatement）"
SRC_PROFILE = "上市培育档案（listing.ListingProfile）"


def _by_year(prefix: str, label: str, unit: str, years: int, description: str = "") -> list[Field]:
    names = {1: "最近一年", 2: "最近第二年", 3: "最近第三年"}
    return [
        Field(
            f"{prefix}_y{i}",
            "number",
            f"{names[i]}{label}",
            unit,
            SRC_FS,
            description,
            True,
            f"{prefix} year -{i}",
        )
        for i in range(1, years + 1)
    ]


LISTING_ONLY_FIELDS = [
    Field("fiscal_year", "integer", "最近完整会计年度", "年", SRC_FS, "y1 对应的年度", True, "fiscal year"),
    *_by_year("np", "净利润", "万元", 3, "扣除非经常性损益前后孰低"),
    *_by_year("rev", "营业收入", "万元", 3),
    *_by_year("ocf", "经营活动现金流量净额", "万元", 3),
    *_by_year("rd", "研发投入", "万元", 3),
    *_by_year("roe", "加权平均净资产收益率", "%", 2),
    Field("net_assets_y1", "number", "最近一年期末净资产", "万元", SRC_FS, "", True, "net assets"),
    Field("total_assets_y1", "number", "最近一年期末资产总额", "万元", SRC_FS, "", True, "total assets"),
    Field(
        "market_cap", "number", "预计市值", "万元", SRC_PROFILE, "企业填报并注明依据", True, "market value"
    ),
    Field(
        "neeq_innovation_months",
        "integer",
        "新三板创新层挂牌月数",
        "月",
        SRC_PROFILE,
        "",
        True,
        "months on NEEQ innovation tier",
    ),
    Field(
        "star_5_core_products_approved",
        "boolean",
        "主要业务或产品经批准并取得阶段性成果",
        "",
        SRC_PROFILE,
        "科创板第五套标准的定性条件",
        True,
        "STAR std 5 core products approved",
    ),
]

LISTING_FIELDS: Catalog = ENTERPRISE_FIELDS.extend(LISTING_ONLY_FIELDS)

DERIVED_FIELDS = [
    Field(
        "best_share",
        "number",
        "现行上市标准最高满足比例",
        "%",
        "上市标准引擎",
        "各板块现行各套标准中，已满足条件数 / 条件总数 的最大值",
        True,
        "best share of conditions met",
    ),
    Field(
        "standards_met",
        "integer",
        "已满足的现行上市标准套数",
        "套",
        "上市标准引擎",
        "",
        True,
        "standards met",
    ),
    Field(
        "stage_rank",
        "integer",
        "上市进程阶段",
        "",
        "上市进程节点（listing.Milestone）",
        "0 未启动，1 股改，2 辅导备案，3 申报受理，4 审核通过，5 注册，6 上市",
        True,
        "milestone rank",
    ),
]

RESERVE_FIELDS: Catalog = LISTING_FIELDS.extend(DERIVED_FIELDS)

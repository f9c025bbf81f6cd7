"""The credit module's feature sets (registered from CreditConfig.ready()), with the catalog fields that
document their columns:

* ``credit_sources`` — the columns :func:`jinfu.credit.features.derive` computes from source records, read
  from the stored :class:`~jinfu.credit.models.FeatureSnapshot`; it also offers the latest social-insurance
  headcount as a candidate for the shared fact ``employees`` (see docs/features.md for the precedence);
* ``credit_score`` — ``credit_score`` and ``credit_grade`` from the active scorecard, derived over the
  assembled table with the same points table the profile page uses, so a rule on the score sees the
  score every page shows. Null while no scorecard is active.

Windows of the source columns (docs/credit.md): yearly values = latest year up to the last complete year;
monthly = the 12 complete months before the current one; counts of court/penalty records = the last 3 years.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from jinfu.core import featureregistry as registry
from jinfu.core.featureregistry import FeatureSet
from jinfu.core.featureregistry import Field as F

from .features import CREDIT_SCHEMA
from .models import FeatureSnapshot
from .scoring import engine as scoring_engine
from .scoring.services import active_model

SCOPE = "credit_score"
_FS = "年度财务报表"
_IP = "知识产权局"

SOURCE_FIELDS = (
    F(
        "tax_grade",
        "string",
        "纳税信用等级",
        "",
        "税务（纳税信用评价）",
        "A/B/M/C/D，最近完整年度",
        label_en="tax credit grade",
    ),
    F("tax_paid", "number", "纳税额", "万元", "税务", "最近完整年度", label_en="tax paid"),
    F(
        "insured_headcount",
        "integer",
        "社保参保人数",
        "人",
        "人社（社保缴纳）",
        "最近一个月",
        label_en="insured headcount",
    ),
    F(
        "insured_growth_12m",
        "number",
        "参保人数同比增长",
        "比例",
        "人社（社保缴纳）",
        "最近月份较 12 个月前，0.1 = 增长 10%",
        label_en="insured headcount growth 12m",
    ),
    F(
        "utility_cost_12m",
        "number",
        "近12个月水电气费用",
        "万元",
        "水电气公司",
        "当月之前 12 个完整月",
        label_en="utility cost 12m",
    ),
    F(
        "procurement_amount_12m",
        "number",
        "近12个月政府采购金额",
        "万元",
        "政府采购平台",
        "最近 365 天",
        label_en="procurement amount 12m",
    ),
    F(
        "dishonest_debtor",
        "boolean",
        "失信被执行人",
        "",
        "法院（失信被执行人名单）",
        "存在未移除的失信记录",
        label_en="dishonest debtor",
    ),
    F(
        "enforcement_cases",
        "integer",
        "未结被执行案件数",
        "件",
        "法院（被执行人）",
        label_en="open enforcement cases",
    ),
    F("judgments_3y", "integer", "近三年裁判文书数", "件", "法院（裁判文书）", label_en="judgments 3y"),
    F("penalties_3y", "integer", "近三年行政处罚次数", "次", "市场监管等执法部门", label_en="penalties 3y"),
    F(
        "abnormal_listed",
        "boolean",
        "列入经营异常名录",
        "",
        "市场监管（经营异常名录）",
        "当前仍在名录中",
        label_en="on the abnormal list",
    ),
    F("invention_patents", "integer", "发明专利数", "件", _IP, label_en="invention patents"),
    F("utility_patents", "integer", "实用新型专利数", "件", _IP, label_en="utility-model patents"),
    F("design_patents", "integer", "外观设计专利数", "件", _IP, label_en="design patents"),
    F("trademarks", "integer", "注册商标数", "件", "商标局", label_en="trademarks"),
    F("software_copyrights", "integer", "软件著作权数", "件", "版权保护中心", label_en="software copyrights"),
    F("rd_expense", "number", "研发投入", "万元", _FS, "最近完整年度", label_en="R&D expense"),
    F(
        "rd_intensity",
        "number",
        "研发投入强度",
        "%",
        _FS,
        "研发投入 / 营业收入 × 100",
        label_en="R&D intensity",
    ),
    F("net_profit", "number", "净利润", "万元", _FS, "扣非前后孰低，最近完整年度", label_en="net profit"),
    F(
        "debt_ratio",
        "number",
        "资产负债率",
        "%",
        _FS,
        "(资产总额 − 净资产) / 资产总额 × 100",
        label_en="debt ratio",
    ),
    F("operating_cash_flow", "number", "经营活动现金流量净额", "万元", _FS, label_en="operating cash flow"),
    F(
        "env_rating",
        "string",
        "环境信用等级",
        "",
        "生态环境部门",
        "绿/蓝/黄/红/黑，最近年度",
        label_en="environmental credit rating",
    ),
)

SCORE_SCHEMA = {"credit_score": pl.Float64, "credit_grade": pl.Utf8}
SCORE_FIELDS = (
    F(
        "credit_score",
        "number",
        "信用评分",
        "分",
        "信用模块（启用的评分卡）",
        "按当前启用的评分卡计算；无启用模型时为空",
        label_en="credit score",
    ),
    F(
        "credit_grade",
        "string",
        "信用等级",
        "",
        "信用模块（启用的评分卡）",
        "AAA, AA, A, BBB, BB, B, CCC, CC, C；可为空",
        label_en="credit grade",
    ),
)


def _snapshots(org_ids):
    qs = FeatureSnapshot.objects.all()
    return qs.filter(pk__in=org_ids) if org_ids is not None else qs


def load_sources(org_ids, today: dt.date) -> pl.LazyFrame:
    rows = [
        {"org_id": pk, **{k: v for k, v in values.items() if k in CREDIT_SCHEMA}}
        for pk, values in _snapshots(org_ids).values_list("enterprise_id", "values")
    ]
    return pl.LazyFrame(rows, schema={"org_id": pl.Int64, **CREDIT_SCHEMA}, strict=False)


def social_insurance_facts(org_ids, today: dt.date) -> pl.LazyFrame:
    return registry.fact_frame(
        (pk, "employees", float(headcount), "social_insurance", at.date())
        for pk, headcount, at in _snapshots(org_ids).values_list(
            "enterprise_id", "values__insured_headcount", "updated_at"
        )
        if headcount is not None
    )


def active_card():
    """The active scorecard compiled (cached per model and activation), or None."""
    model = active_model()
    if model is None:
        return None
    return _compiled(model.pk, model.activated_at, model)


_CACHE: dict = {}


def _compiled(pk, activated_at, model):
    key = (pk, activated_at)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = scoring_engine.compile_card(model.points_table, model.grade_bands)
    return _CACHE[key]


def derive_score(df: pl.DataFrame, card) -> pl.DataFrame:
    """Pure: score and grade of every row with the compiled card (null without an active card)."""
    if card is None or df.height == 0:
        return df.select("org_id", *[pl.lit(None, dtype=t).alias(c) for c, t in SCORE_SCHEMA.items()])
    missing = [f for f in scoring_engine.FEATURES if f not in df.columns]
    frame = df.with_columns(pl.lit(None).alias(f) for f in missing) if missing else df
    out = scoring_engine.score_frame(card, frame.select(list(scoring_engine.FEATURES)), n_reasons=0)
    return pl.DataFrame(
        {
            "org_id": df["org_id"],
            "credit_score": out["score"].cast(pl.Float64),
            "credit_grade": out["grade"].cast(pl.Utf8),
        }
    )


def register_credit_sets() -> None:
    registry.register(
        FeatureSet(
            name="credit_sources",
            schema=dict(CREDIT_SCHEMA),
            fields=SOURCE_FIELDS,
            load=load_sources,
            facts=social_insurance_facts,
            scope=SCOPE,
            order=20,
            sources=(("credit.FeatureSnapshot", "enterprise_id"),),
        )
    )
    registry.register(
        FeatureSet(
            name="credit_score",
            schema=SCORE_SCHEMA,
            fields=SCORE_FIELDS,
            prepare=active_card,
            derive=derive_score,
            scope=SCOPE,
            order=90,
            sources=(("credit.ScorecardModel", ""),),
        )
    )

"""Pure credit-scoring engine (信用评分 · 技术评估 · 预授信): no Django here.

DataFrames and plain values in and out, so the same code scores one enterprise online and a million in a
batch (and runs unchanged in a Spark partition).

Pieces
------
* :data:`FEATURES` — the feature-table columns a scorecard may read (the contract with ``jinfu.credit``'s
  feature table; any value may be null).
* :func:`latent_default_labels` — the DOCUMENTED latent model that makes demo default labels from the
  synthetic features (demo only; a real operator loads observed outcomes with :func:`load_outcomes`).
* :func:`train` — optbinning ``BinningProcess`` + ``Scorecard`` (logistic regression), scaled
  ``base`` points at ``odds`` (good:bad) with ``pdo`` points to double the odds (600 at 50:1, PDO 20 by
  default); the result is exported to a plain points table (:class:`TrainedScorecard.points_table`) so that
  scoring never needs optbinning.
* :func:`score_frame` / :func:`score_row` — vectorized batch scoring (``np.searchsorted`` over bin edges
  per numeric feature, dictionary lookup per categorical feature, a special bin for missing values), grade
  bands (:data:`DEFAULT_GRADE_BANDS`), reason codes and improvements.
* :func:`validate`, :func:`psi`, :func:`passes_policy` — AUC, Gini, KS, PSI and the pass/fail policy.
* :func:`innovation_score` — 技术评估 (knowledge-value / innovation-points indicator system, ``data/innovation.yaml``).
* :func:`pre_credit_line` — 预授信额度 per product family (``data/precredit.yaml``).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"

# ---------------------------------------------------------------------------------------------------------
# Feature contract
# ---------------------------------------------------------------------------------------------------------

#: name → (kind, Chinese label, unit). kind: "num" numeric, "bool" boolean (scored as 0/1), "cat" categorical.
FEATURES: dict[str, tuple[str, str, str]] = {
    "revenue": ("num", "营业收入", "万元"),
    "employees": ("num", "从业人员", "人"),
    "established_years": ("num", "成立年限", "年"),
    "registered_capital": ("num", "注册资本", "万元"),
    "tax_grade": ("cat", "纳税信用等级", ""),
    "tax_paid": ("num", "纳税总额", "万元"),
    "insured_headcount": ("num", "社保缴纳人数", "人"),
    "insured_growth_12m": ("num", "参保人数同比增长", ""),  # ratio: 0.1 = +10 %
    "procurement_amount_12m": ("num", "近12个月政府采购金额", "万元"),
    "dishonest_debtor": ("bool", "失信被执行人", ""),
    "enforcement_cases": ("num", "被执行案件数", "件"),
    "judgments_3y": ("num", "近3年裁判文书数", "件"),
    "penalties_3y": ("num", "近3年行政处罚数", "次"),
    "abnormal_listed": ("bool", "经营异常名录", ""),
    "invention_patents": ("num", "发明专利", "件"),
    "trademarks": ("num", "注册商标", "件"),
    "software_copyrights": ("num", "软件著作权", "件"),
    "rd_intensity": ("num", "研发投入强度", "%"),
    "net_profit": ("num", "净利润", "万元"),
    "debt_ratio": ("num", "资产负债率", "%"),
    "operating_cash_flow": ("num", "经营活动现金流", "万元"),
    "platform_loans_outstanding": ("num", "平台贷款余额", "万元"),
    "industry_section": ("cat", "行业门类", ""),
    "size_class": ("cat", "企业规模", ""),
}
CATEGORICAL = [f for f, (k, _, _) in FEATURES.items() if k == "cat"]
TAX_GRADES = ["A", "B", "M", "C", "D"]
SIZE_CLASSES = ["large", "medium", "small", "micro"]
SECTIONS = list("ABCDEFGHIJKLMNOPQRST")

#: Default grade bands, best first: grade if score ≥ threshold; below the last threshold → "C".
DEFAULT_GRADE_BANDS: list[tuple[str, float]] = [
    ("AAA", 720),
    ("AA", 690),
    ("A", 660),
    ("BBB", 630),
    ("BB", 600),
    ("B", 570),
    ("CCC", 540),
    ("CC", 510),
]
LOWEST_GRADE = "C"
DEFAULT_SCALING = {"base": 600.0, "odds": 50.0, "pdo": 20.0}
#: Validation policy: a model may only be activated when the validation (hold-out / later) sample reaches
#: these. PSI between training and validation scores must also stay at or below ``psi_max`` ("shifted" above).
DEFAULT_POLICY = {"auc_min": 0.65, "ks_min": 0.20, "psi_max": 0.25}


class ScoringError(ValueError):
    """A bilingual input error (Chinese first, English second)."""

    def __init__(self, message_zh: str, message_en: str):
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en


def label(feature: str) -> str:
    return FEATURES.get(feature, ("", feature, ""))[1]


# ---------------------------------------------------------------------------------------------------------
# Synthetic features and the documented latent default model (demo only)
# ---------------------------------------------------------------------------------------------------------


def synthetic_features(n: int, seed: int = 0) -> pl.DataFrame:
    """n synthetic enterprises with every :data:`FEATURES` column (a few percent nulls), reproducible."""
    rng = np.random.default_rng(seed)
    size = rng.choice(SIZE_CLASSES, n, p=[0.01, 0.09, 0.35, 0.55])
    size_scale = np.select([size == "large", size == "medium", size == "small"], [40.0, 8.0, 2.0], 0.5)
    revenue = np.round(rng.lognormal(6.0, 1.3, n) * size_scale, 1)  # 万元
    employees = np.maximum(1, np.round(rng.lognormal(2.5, 1.0, n) * np.sqrt(size_scale))).astype(float)
    tax_grade = rng.choice(TAX_GRADES, n, p=[0.30, 0.35, 0.20, 0.10, 0.05])
    df = pl.DataFrame(
        {
            "revenue": revenue,
            "employees": employees,
            "established_years": np.round(rng.gamma(2.0, 4.0, n), 1),
            "registered_capital": np.round(rng.lognormal(5.5, 1.2, n), 0),
            "tax_grade": tax_grade,
            "tax_paid": np.round(revenue * rng.uniform(0.01, 0.08, n), 1),
            "insured_headcount": np.round(employees * rng.uniform(0.5, 1.0, n)),
            "insured_growth_12m": np.round(rng.normal(0.03, 0.15, n), 4),
            "procurement_amount_12m": np.where(
                rng.random(n) < 0.15, np.round(rng.lognormal(4, 1.2, n), 1), 0.0
            ),
            "dishonest_debtor": rng.random(n) < 0.03,
            "enforcement_cases": rng.poisson(0.15, n).astype(float),
            "judgments_3y": rng.poisson(0.8, n).astype(float),
            "penalties_3y": rng.poisson(0.2, n).astype(float),
            "abnormal_listed": rng.random(n) < 0.05,
            "invention_patents": rng.negative_binomial(1, 0.6, n).astype(float),
            "trademarks": rng.poisson(1.5, n).astype(float),
            "software_copyrights": rng.negative_binomial(1, 0.4, n).astype(float),
            "rd_intensity": np.round(np.clip(rng.gamma(1.2, 2.5, n), 0, 40), 2),
            "net_profit": np.round(revenue * rng.normal(0.05, 0.12, n), 1),
            "debt_ratio": np.round(np.clip(rng.normal(55, 20, n), 2, 150), 1),
            "operating_cash_flow": np.round(revenue * rng.normal(0.06, 0.15, n), 1),
            "platform_loans_outstanding": np.where(
                rng.random(n) < 0.2, np.round(rng.lognormal(4.5, 1.0, n), 1), 0.0
            ),
            "industry_section": rng.choice(["C", "F", "G", "I", "L", "M", "E", "K"], n),
            "size_class": size,
        }
    )
    # a few percent of nulls in data that sources often lack
    for col, share in (("tax_paid", 0.03), ("rd_intensity", 0.10), ("debt_ratio", 0.05), ("tax_grade", 0.03)):
        mask = pl.Series(rng.random(n) < share)
        df = df.with_columns(pl.when(mask).then(None).otherwise(pl.col(col)).alias(col))
    return df


#: The latent model of :func:`latent_default_labels` (demo labels). Linear score z (log-odds of default):
LATENT_COEFFICIENTS: dict[str, float] = {
    "intercept": -1.2,
    "tax_grade[A]": -0.9,
    "tax_grade[B]": -0.3,
    "tax_grade[M]": 0.3,
    "tax_grade[C]": 1.0,
    "tax_grade[D]": 1.8,
    "tax_grade[null]": 0.4,
    "dishonest_debtor": 1.6,
    "min(enforcement_cases, 5)": 0.45,
    "min(judgments_3y, 10)": 0.10,
    "min(penalties_3y, 5)": 0.25,
    "abnormal_listed": 0.9,
    "ln(1 + revenue)": -0.22,
    "min(established_years, 20)": -0.04,
    "(debt_ratio − 55)/10  (null → 0)": 0.25,
    "operating_cash_flow > 0": -0.45,
    "net_profit > 0": -0.35,
    "ln(1 + invention_patents)": -0.25,
    "10·clip(insured_growth_12m, −0.5, 0.5)  (ratio; null → 0)": -0.15,
    "ln(1 + platform_loans_outstanding)": 0.08,
    "noise σ": 0.6,
}


def latent_default_labels(df: pl.DataFrame, seed: int = 0) -> np.ndarray:
    """Demo default labels (1 = default within 12 months) from a DOCUMENTED latent model — demo only.

    z = −1.2 + tax_grade effect (A −0.9, B −0.3, M +0.3, C +1.0, D +1.8, missing +0.4)
        + 1.6·dishonest_debtor + 0.45·min(enforcement_cases, 5) + 0.10·min(judgments_3y, 10)
        + 0.25·min(penalties_3y, 5) + 0.9·abnormal_listed − 0.22·ln(1 + revenue[万元])
        − 0.04·min(established_years, 20) + 0.25·(debt_ratio − 55)/10 − 0.45·[operating_cash_flow > 0]
        − 0.35·[net_profit > 0] − 0.25·ln(1 + invention_patents) − 1.5·clip(insured_growth_12m, −0.5, 0.5)
        + 0.08·ln(1 + platform_loans_outstanding) + ε,  ε ~ N(0, 0.6²)
    p = 1 / (1 + e^(−z)); label ~ Bernoulli(p), reproducible with ``seed``. Nulls count as 0 (booleans
    false). The coefficients are in :data:`LATENT_COEFFICIENTS`. On :func:`synthetic_features` the default
    rate is about 8 %.
    """
    c = LATENT_COEFFICIENTS

    def num(col):
        return (
            df[col].cast(pl.Float64).fill_null(0.0).to_numpy() if col in df.columns else np.zeros(df.height)
        )

    def flag(col):
        return (
            df[col].cast(pl.Float64).fill_null(0.0).to_numpy() if col in df.columns else np.zeros(df.height)
        )

    grade = df["tax_grade"].to_numpy() if "tax_grade" in df.columns else np.full(df.height, None)
    tax = np.full(df.height, c["tax_grade[null]"])
    for g in TAX_GRADES:
        tax[grade == g] = c[f"tax_grade[{g}]"]
    debt = (
        df["debt_ratio"].cast(pl.Float64).fill_null(55.0).to_numpy() if "debt_ratio" in df.columns else 55.0
    )
    z = (
        c["intercept"]
        + tax
        + c["dishonest_debtor"] * flag("dishonest_debtor")
        + c["min(enforcement_cases, 5)"] * np.minimum(num("enforcement_cases"), 5)
        + c["min(judgments_3y, 10)"] * np.minimum(num("judgments_3y"), 10)
        + c["min(penalties_3y, 5)"] * np.minimum(num("penalties_3y"), 5)
        + c["abnormal_listed"] * flag("abnormal_listed")
        + c["ln(1 + revenue)"] * np.log1p(np.maximum(num("revenue"), 0))
        + c["min(established_years, 20)"] * np.minimum(num("established_years"), 20)
        + c["(debt_ratio − 55)/10  (null → 0)"] * (debt - 55.0) / 10.0
        + c["operating_cash_flow > 0"] * (num("operating_cash_flow") > 0)
        + c["net_profit > 0"] * (num("net_profit") > 0)
        + c["ln(1 + invention_patents)"] * np.log1p(np.maximum(num("invention_patents"), 0))
        + c["10·clip(insured_growth_12m, −0.5, 0.5)  (ratio; null → 0)"]
        * np.clip(num("insured_growth_12m"), -0.5, 0.5)
        * 10
        + c["ln(1 + platform_loans_outstanding)"] * np.log1p(np.maximum(num("platform_loans_outstanding"), 0))
    )
    rng = np.random.default_rng(seed)
    z = z + rng.normal(0.0, c["noise σ"], df.height)
    p = 1.0 / (1.0 + np.exp(-z))
    return (rng.random(df.height) < p).astype(np.int8)


def load_outcomes(source) -> dict[str, tuple[int, str]]:
    """Observed outcomes from a CSV ``uscc,default_flag,observed_at`` (path, text or file) → {uscc: (flag, date)}.

    ``default_flag`` must be 0/1; rows with another value raise a bilingual :class:`ScoringError` naming the line.
    """
    if isinstance(source, str | Path) and Path(str(source)).exists():
        text = Path(source).read_text(encoding="utf-8-sig")
    elif isinstance(source, str):
        text = source
    else:
        text = source.read()
        text = text.decode("utf-8-sig") if isinstance(text, bytes) else text
    reader = csv.DictReader(io.StringIO(text))
    missing = {"uscc", "default_flag", "observed_at"} - set(reader.fieldnames or [])
    if missing:
        raise ScoringError(
            f"结果文件缺少列：{', '.join(sorted(missing))}", f"outcome file lacks columns: {sorted(missing)}"
        )
    out = {}
    for i, row in enumerate(reader, start=2):
        flag = (row["default_flag"] or "").strip()
        if flag not in ("0", "1"):
            raise ScoringError(
                f"第 {i} 行 default_flag 必须为 0 或 1", f"line {i}: default_flag must be 0 or 1"
            )
        out[row["uscc"].strip().upper()] = (int(flag), (row["observed_at"] or "").strip())
    return out


# ---------------------------------------------------------------------------------------------------------
# Training (optbinning) → plain points table
# ---------------------------------------------------------------------------------------------------------


@dataclass
class TrainedScorecard:
    features: list[str]
    scaling: dict
    #: one dict per bin: feature, kind (num/cat), bin (index; -1 = missing), condition (text), lower, upper,
    #: categories, points, label (Chinese, e.g. "纳税信用等级 ∈ {A}"), count, event_rate, woe, iv.
    points_table: list[dict]
    #: per feature: the optbinning binning table rows (count, bad rate, WoE, IV) and the total IV.
    bin_tables: dict[str, dict]
    params: dict = field(default_factory=dict)
    #: the fitted optbinning Scorecard (not persisted; only used for the benchmark / cross-checks)
    model: object = None


def _to_pandas(df: pl.DataFrame, features: list[str]):
    cols = {}
    for f in features:
        s = df[f] if f in df.columns else pl.Series(f, [None] * df.height, dtype=pl.Float64)
        if FEATURES.get(f, ("num",))[0] == "cat":
            cols[f] = s.cast(pl.Utf8).to_numpy()
        else:
            cols[f] = s.cast(pl.Float64).to_numpy()
    import pandas as pd

    return pd.DataFrame(cols)


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".") if abs(x) < 1e15 else f"{x:.3g}"


def train(
    df: pl.DataFrame,
    target,
    features: list[str] | None = None,
    seed: int = 0,
    scaling: dict | None = None,
) -> TrainedScorecard:
    """Fit an optbinning scorecard; ``target`` is a column name of ``df`` or an array (1 = default).

    Refuses a table without both outcomes. Reproducible for a given ``seed`` (the logistic regression uses
    the lbfgs solver and ``random_state=seed``; optimal binning is deterministic).
    """
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    features = list(features or FEATURES)
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ScoringError(f"未知特征：{', '.join(unknown)}", f"unknown features: {unknown}")
    y = np.asarray(df[target].to_numpy() if isinstance(target, str) else target)
    if y.shape[0] != df.height:
        raise ScoringError("标签数量与样本数不一致", "target length differs from the number of rows")
    if np.isnan(y.astype(float)).any():
        raise ScoringError("标签存在缺失值", "target has missing values")
    y = y.astype(int)
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise ScoringError("标签只能为 0（正常）或 1（违约）", "target must be 0 (good) or 1 (default)")
    if values != {0, 1}:
        raise ScoringError(
            "训练样本必须同时包含违约（1）与正常（0）两类结果，当前只有一类",
            "the training table must contain both outcomes (default 1 and good 0); it has only one",
        )
    scaling = {**DEFAULT_SCALING, **(scaling or {})}
    X = _to_pandas(df, features)
    cats = [f for f in features if FEATURES[f][0] == "cat"]
    bp = BinningProcess(
        variable_names=features,
        categorical_variables=cats,
        min_prebin_size=0.02,
        max_n_bins=6,
        binning_fit_params={f: {"monotonic_trend": "auto_asc_desc"} for f in features if f not in cats},
    )
    sc = Scorecard(
        binning_process=bp,
        estimator=LogisticRegression(solver="lbfgs", max_iter=1000, random_state=seed),
        scaling_method="pdo_odds",
        scaling_method_params={
            "pdo": float(scaling["pdo"]),
            "odds": float(scaling["odds"]),
            "scorecard_points": float(scaling["base"]),
        },
    )
    sc.fit(X, y)
    table = sc.table(style="detailed")
    points_table, bin_tables = [], {}
    for f in features:
        rows = table[table["Variable"] == f].reset_index(drop=True)
        optb = sc.binning_process_.get_binned_variable(f)
        splits = optb.splits
        kind = "cat" if f in cats else "num"
        n_regular = (len(splits) if kind == "cat" else len(splits) + 1) if splits is not None else 1
        bt_rows = []
        for i, r in rows.iterrows():
            is_special = str(r["Bin"]) == "Special"
            is_missing = str(r["Bin"]) == "Missing"
            if is_special:
                continue  # no special codes configured: the Special bin is always empty
            entry = {
                "feature": f,
                "kind": kind,
                "bin": -1 if is_missing else int(i),
                "points": float(r["Points"]),
                "count": int(r["Count"]),
                "event_rate": float(r["Event rate"]),
                "woe": float(r["WoE"]),
                "iv": float(r["IV"]),
                "lower": None,
                "upper": None,
                "categories": None,
            }
            name = label(f)
            unit = FEATURES[f][2] if FEATURES[f][0] == "num" else ""
            if is_missing:
                entry["condition"] = "missing"
                entry["label"] = f"{name} 缺失"
            elif kind == "num":
                lo = float(splits[i - 1]) if i > 0 else None
                hi = float(splits[i]) if i < len(splits) else None
                entry["lower"], entry["upper"] = lo, hi
                entry["condition"] = (
                    f"[{'-inf' if lo is None else _fmt(lo)}, {'inf' if hi is None else _fmt(hi)})"
                )
                if lo is None and hi is None:
                    entry["label"] = f"{name} 全部"
                elif lo is None:
                    entry["label"] = f"{name} < {_fmt(hi)}{unit}"
                elif hi is None:
                    entry["label"] = f"{name} ≥ {_fmt(lo)}{unit}"
                else:
                    entry["label"] = f"{name} {_fmt(lo)}–{_fmt(hi)}{unit}"
            else:
                cats_i = [str(c) for c in splits[i]] if i < len(splits) else []
                entry["categories"] = cats_i
                entry["condition"] = "in {" + ", ".join(cats_i) + "}"
                entry["label"] = f"{name} " + "/".join(cats_i)
            if not is_missing and i >= n_regular:
                continue
            points_table.append(entry)
            bt_rows.append(
                {k: entry[k] for k in ("bin", "label", "count", "event_rate", "woe", "iv", "points")}
            )
        bin_tables[f] = {"label": label(f), "iv": float(sum(r["iv"] for r in bt_rows)), "rows": bt_rows}
    return TrainedScorecard(
        features=features,
        scaling=scaling,
        points_table=points_table,
        bin_tables=bin_tables,
        params={
            "seed": seed,
            "max_n_bins": 6,
            "min_prebin_size": 0.02,
            "estimator": "LogisticRegression(lbfgs)",
        },
        model=sc,
    )


# ---------------------------------------------------------------------------------------------------------
# Scoring without optbinning
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _FeatureBins:
    feature: str
    kind: str
    edges: np.ndarray  # numeric: sorted inner split points
    cat_index: dict  # categorical: category → regular bin index
    points: np.ndarray  # regular bins, then the missing bin last
    labels: list[str]


class CompiledCard:
    """A points table compiled to arrays for fast scoring (build once, score many)."""

    def __init__(self, points_table: list[dict], grade_bands=None):
        self.grade_bands = list(grade_bands or DEFAULT_GRADE_BANDS)
        by_feature: dict[str, list[dict]] = {}
        for r in points_table:
            by_feature.setdefault(r["feature"], []).append(r)
        self.features: list[_FeatureBins] = []
        for f, rows in by_feature.items():
            regular = sorted((r for r in rows if r["bin"] >= 0), key=lambda r: r["bin"])
            missing = [r for r in rows if r["bin"] < 0]
            kind = rows[0].get("kind") or ("cat" if rows[0].get("categories") is not None else "num")
            miss_pts = missing[0]["points"] if missing else 0.0
            miss_label = missing[0]["label"] if missing else f"{label(f)} 缺失"
            edges = (
                np.array([r["lower"] for r in regular[1:]], dtype=float) if kind == "num" else np.array([])
            )
            cat_index = {}
            if kind == "cat":
                for i, r in enumerate(regular):
                    for c in r.get("categories") or []:
                        cat_index[str(c)] = i
            self.features.append(
                _FeatureBins(
                    feature=f,
                    kind=kind,
                    edges=edges,
                    cat_index=cat_index,
                    points=np.array([r["points"] for r in regular] + [miss_pts], dtype=float),
                    labels=[r["label"] for r in regular] + [miss_label],
                )
            )
        self.names = [fb.feature for fb in self.features]
        thresholds = np.array([t for _, t in self.grade_bands], dtype=float)
        # ascending thresholds for searchsorted; grade names aligned (lowest grade first)
        order = np.argsort(thresholds)
        self._thr = thresholds[order]
        self._grades = np.array([LOWEST_GRADE] + [self.grade_bands[i][0] for i in order], dtype=object)

    def bin_indices(self, fb: _FeatureBins, col) -> np.ndarray:
        """Bin index per value (int8): numeric by counting the edges ≤ x (same as ``searchsorted(side="right")``,
        faster for the ≤ 10 edges of a scorecard), categorical through an Enum cast; missing → last bin."""
        n_reg = len(fb.points) - 1
        if fb.kind == "num":
            if isinstance(col, pl.Series):
                x = col.cast(pl.Float64).to_numpy()
            else:
                x = np.asarray(col, dtype=float)
            idx = np.zeros(len(x), dtype=np.int8)
            for e in fb.edges:
                idx += x >= e
            idx[np.isnan(x)] = n_reg
            return idx
        cats = sorted(fb.cat_index)
        lookup = np.array([fb.cat_index[c] for c in cats] + [n_reg], dtype=np.int8)
        if not isinstance(col, pl.Series):
            col = pl.Series([None if v is None else str(v) for v in col], dtype=pl.Utf8)
        if col.dtype != pl.Utf8:
            col = col.cast(pl.Utf8)
        codes = col.cast(pl.Enum(cats), strict=False).to_physical().fill_null(len(cats)).to_numpy()
        return lookup[codes]

    def grade(self, scores: np.ndarray) -> np.ndarray:
        return self._grades[np.searchsorted(self._thr, scores, side="right")]

    def batch(self, df: pl.DataFrame, n_reasons: int = 3) -> tuple[np.ndarray, list[np.ndarray]]:
        """(scores, top-``n_reasons`` keys). A key packs a reason: ``round(gap × 10) << 5 | (31 − feature
        position)``, so the largest keys are the largest gaps (ties → earlier feature), kept by a running
        max/min insertion network — a few elementwise int32 operations per feature instead of a per-row sort."""
        n = df.height
        score = np.zeros(n, dtype=float)
        tops = [np.full(n, -1, dtype=np.int32) for _ in range(n_reasons)]
        for j, fb in enumerate(self.features):
            col = df[fb.feature] if fb.feature in df.columns else pl.Series([None] * n, dtype=pl.Float64)
            if fb.kind == "num" and col.dtype == pl.Boolean:
                col = col.cast(pl.Float64)
            idx = self.bin_indices(fb, col)
            score += fb.points[idx]
            gap_keys = (np.round((fb.points.max() - fb.points) * 10).astype(np.int32) << 5) | (31 - j)
            k = gap_keys[idx]
            for r in range(n_reasons):
                if r == n_reasons - 1:
                    np.maximum(tops[r], k, out=tops[r])
                else:
                    hi = np.maximum(tops[r], k)
                    k = np.minimum(tops[r], k)
                    tops[r] = hi
        return score, tops


def compile_card(points_table: list[dict], grade_bands=None) -> CompiledCard:
    return CompiledCard(points_table, grade_bands)


def score_frame(points_table, df: pl.DataFrame, grade_bands=None, n_reasons: int = 3) -> pl.DataFrame:
    """Batch scoring: ``score``, ``grade`` and the top ``n_reasons`` reason features (``reason_1..3``) with the
    points each costs relative to that feature's best bin (``gap_1..3``; a reason is null when it costs
    nothing). ``points_table`` is a list of bin dicts or a :class:`CompiledCard`. No optbinning needed.
    """
    card = points_table if isinstance(points_table, CompiledCard) else CompiledCard(points_table, grade_bands)
    if len(card.features) > 32:
        raise ScoringError("评分卡特征不能超过 32 个", "a scorecard may have at most 32 features")
    score, tops = card.batch(df, min(n_reasons, len(card.features)))
    out = {"score": np.round(score, 1), "grade": card.grade(score)}
    names = pl.Series(card.names, dtype=pl.Enum(card.names))
    for r, key in enumerate(tops):
        gap = (key >> 5).astype(np.float64) / 10.0
        out[f"reason_{r + 1}"] = names.gather(np.where(gap > 0, 31 - (key & 31), 0))
        out[f"gap_{r + 1}"] = gap
    return pl.DataFrame(out).with_columns(
        pl.when(pl.col(f"gap_{r + 1}") > 0).then(pl.col(f"reason_{r + 1}")).alias(f"reason_{r + 1}")
        for r in range(len(tops))
    )


def score_row(points_table, row: dict, grade_bands=None, n_reasons: int = 3) -> dict:
    """Online scoring of one enterprise with the same tables: score, grade, per-feature points, reasons
    (Chinese, e.g. "纳税信用等级 M：较最优档少 38 分") and improvements (the next better bin and its gain)."""
    card = points_table if isinstance(points_table, CompiledCard) else CompiledCard(points_table, grade_bands)
    breakdown, total = [], 0.0
    for fb in card.features:
        v = row.get(fb.feature)
        if fb.kind == "num":
            x = np.nan if v is None else float(v)
            i = int(card.bin_indices(fb, np.array([x]))[0])
        else:
            i = int(card.bin_indices(fb, [v])[0])
        p = float(fb.points[i])
        total += p
        best = float(fb.points.max())
        better = [(float(q), j) for j, q in enumerate(fb.points) if q >= p + 1.0]
        nxt = min(better) if better else None
        breakdown.append(
            {
                "feature": fb.feature,
                "label": label(fb.feature),
                "value": v,
                "bin_label": fb.labels[i],
                "points": round(p, 1),
                "best_points": round(best, 1),
                "gap": round(best - p, 1),
                "next_label": fb.labels[nxt[1]] if nxt else None,
                "next_gain": round(nxt[0] - p, 1) if nxt else None,
            }
        )
    grade = str(card.grade(np.array([total]))[0])
    ranked = sorted((b for b in breakdown if b["gap"] > 0.05), key=lambda b: -b["gap"])[:n_reasons]
    reasons = [{**b, "text": f"{b['bin_label']}：较最优档少 {b['gap']:.0f} 分"} for b in ranked]
    improvements = [
        {
            "feature": b["feature"],
            "text": f"{b['label']}：由“{b['bin_label']}”提升至“{b['next_label']}”可加 {b['next_gain']:.0f} 分",
            "gain": b["next_gain"],
            "target": b["next_label"],
        }
        for b in ranked
        if b["next_label"]
    ]
    return {
        "score": round(total, 1),
        "grade": grade,
        "reasons": reasons,
        "improvements": improvements,
        "breakdown": breakdown,
    }


def grade_for(score: float, grade_bands=None) -> str:
    for g, t in sorted(grade_bands or DEFAULT_GRADE_BANDS, key=lambda b: -b[1]):
        if score >= t:
            return g
    return LOWEST_GRADE


def scaled_score(p_default: float, scaling: dict | None = None) -> float:
    """The scaling as a formula: score = base + pdo/ln2 · ln(good:bad odds / odds)."""
    s = {**DEFAULT_SCALING, **(scaling or {})}
    odds = (1 - p_default) / p_default
    return s["base"] + s["pdo"] / math.log(2) * math.log(odds / s["odds"])


# ---------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------


def _rankdata(a: np.ndarray) -> np.ndarray:
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    ranks = np.empty(len(a), dtype=float)
    # average ranks for ties
    boundaries = np.r_[0, np.flatnonzero(np.diff(s)) + 1, len(s)]
    avg = (boundaries[:-1] + boundaries[1:] - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, np.diff(boundaries))
    return ranks


def auc(y, score) -> float:
    """P(score of a good > score of a bad) + ½·P(tie); y = 1 default, higher score = lower risk."""
    y = np.asarray(y).astype(int)
    score = np.asarray(score, dtype=float)
    n_bad, n_good = int((y == 1).sum()), int((y == 0).sum())
    if not n_bad or not n_good:
        raise ScoringError("需要同时有违约与正常样本", "AUC needs both outcomes")
    r = _rankdata(score)
    return float((r[y == 0].sum() - n_good * (n_good + 1) / 2) / (n_good * n_bad))


def ks(y, score) -> float:
    """max |F_bad(s) − F_good(s)| over score thresholds s (cumulative distributions, ties grouped)."""
    y = np.asarray(y).astype(int)
    score = np.asarray(score, dtype=float)
    order = np.argsort(score, kind="mergesort")
    s, yy = score[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each distinct score
    cb = np.cumsum(yy == 1)[last] / max((y == 1).sum(), 1)
    cg = np.cumsum(yy == 0)[last] / max((y == 0).sum(), 1)
    return float(np.max(np.abs(cb - cg)))


PSI_EPS = 1e-4


def psi(expected, actual, bins: int = 10) -> float:
    """Population stability index Σ (a − e)·ln(a / e) over the decile bins of ``expected``.

    Bin edges are the 10 %, 20 %, …, 90 % quantiles of ``expected`` (duplicates dropped), open at both
    ends; a value equal to an edge falls in the upper bin. Empty-bin shares are floored at ε = 1e-4 so
    the logarithm stays finite. Reading: < 0.1 stable, 0.1–0.25 watch, > 0.25 shifted.
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    ce = np.bincount(np.searchsorted(edges, e, side="right"), minlength=len(edges) + 1) / len(e)
    ca = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1) / len(a)
    ce, ca = np.maximum(ce, PSI_EPS), np.maximum(ca, PSI_EPS)
    return float(np.sum((ca - ce) * np.log(ca / ce)))


def psi_reading(value: float) -> str:
    return "stable" if value < 0.1 else ("watch" if value <= 0.25 else "shifted")


def validate(y, score) -> dict:
    a = auc(y, score)
    return {"auc": a, "gini": 2 * a - 1, "ks": ks(y, score), "n": int(len(y)), "bad_rate": float(np.mean(y))}


def passes_policy(metrics: dict, policy: dict | None = None) -> tuple[bool, list[str]]:
    """(passed, failures in Chinese). ``metrics`` has auc, ks and optionally psi."""
    pol = {**DEFAULT_POLICY, **(policy or {})}
    fails = []
    if metrics["auc"] < pol["auc_min"]:
        fails.append(f"AUC {metrics['auc']:.3f} 低于 {pol['auc_min']}")
    if metrics["ks"] < pol["ks_min"]:
        fails.append(f"KS {metrics['ks']:.3f} 低于 {pol['ks_min']}")
    if metrics.get("psi") is not None and metrics["psi"] > pol["psi_max"]:
        fails.append(f"PSI {metrics['psi']:.3f} 高于 {pol['psi_max']}")
    return (not fails, fails)


def score_histogram(scores, lo: int = 400, hi: int = 800, step: int = 20) -> dict:
    edges = np.arange(lo, hi + step, step)
    counts, _ = np.histogram(np.clip(np.asarray(scores, dtype=float), lo, hi - 1e-9), bins=edges)
    return {"edges": edges.tolist(), "counts": counts.tolist()}


# ---------------------------------------------------------------------------------------------------------
# Innovation / knowledge-value score (技术评估)
# ---------------------------------------------------------------------------------------------------------


def load_yaml(name: str) -> dict:
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


@cache
def innovation_config() -> dict:
    return load_yaml("innovation.yaml")


@cache
def precredit_config() -> dict:
    return load_yaml("precredit.yaml")


def _indicator_value(ind: dict, row: dict):
    cols = ind.get("sum_of") or [ind["field"]]
    vals = [row.get(c) for c in cols]
    if all(v is None for v in vals):
        return None
    return float(sum(float(v) for v in vals if v is not None))


def innovation_score(row: dict, config: dict | None = None) -> tuple[float, str, list[dict]]:
    """(score 0–100, grade, breakdown) of the indicator system in ``data/innovation.yaml``.

    Each indicator has a weight (Σ = 100) and ascending tiers ``[threshold, share]``: the indicator earns
    weight × share of the highest tier whose threshold the value reaches (0 below the first tier). A missing
    value earns 0, except for indicators marked ``optional`` (data the platform often lacks, e.g. R&D staff
    share): their weight is then spread over the other indicators in proportion to their weights.
    """
    cfg = config or innovation_config()
    inds = cfg["indicators"]
    values = {i["key"]: _indicator_value(i, row) for i in inds}
    dropped = sum(i["weight"] for i in inds if i.get("optional") and values[i["key"]] is None)
    total_w = sum(i["weight"] for i in inds)
    scale = total_w / (total_w - dropped) if dropped < total_w else 0.0
    breakdown, score = [], 0.0
    for i in inds:
        v = values[i["key"]]
        if v is None:
            share, note = 0.0, ("数据缺失，权重分摊至其他指标" if i.get("optional") else "数据缺失，计 0 分")
            weight = 0.0 if i.get("optional") else i["weight"] * scale
        else:
            share = 0.0
            for thr, s in i["tiers"]:
                if v >= thr:
                    share = s
            weight = i["weight"] * scale
            note = ""
        pts = weight * share
        score += pts
        breakdown.append(
            {
                "key": i["key"],
                "label": i["label"],
                "group": i["group"],
                "value": v,
                "unit": i.get("unit", ""),
                "weight": round(weight, 2),
                "share": share,
                "points": round(pts, 1),
                "note": note,
            }
        )
    score = round(min(100.0, score), 1)
    grade = cfg["grades"][-1][0]
    for g, thr in cfg["grades"]:
        if score >= thr:
            grade = g
            break
    return score, grade, breakdown


# ---------------------------------------------------------------------------------------------------------
# Pre-credit line (预授信额度)
# ---------------------------------------------------------------------------------------------------------


def pre_credit_line(row: dict, family: str, config: dict | None = None) -> tuple[float, list[str]]:
    """(amount in 万元, working steps) for a product family of ``data/precredit.yaml``:

    base  = max(0, a × revenue + b × tax_paid)                      (万元; nulls count as 0)
    line  = base × multiplier[grade]                                 (grade: credit grade or innovation grade)
    line  = line − existing platform debt (platform_loans_outstanding) × debt_offset
    amount = clamp(line, 0, cap), rounded down to ``round_to`` 万元; 0 when the grade is not eligible
             (multiplier 0 or grade missing) or below ``floor`` (then 0, "低于起贷额").
    """
    cfg = (config or precredit_config())["families"]
    if family not in cfg:
        raise ScoringError(f"未知产品类别：{family}", f"unknown product family: {family}")
    f = cfg[family]
    rev = float(row.get("revenue") or 0.0)
    tax = float(row.get("tax_paid") or 0.0)
    debt = float(row.get("platform_loans_outstanding") or 0.0)
    grade_key = f.get("grade_source", "credit")
    grade = row.get("innovation_grade" if grade_key == "innovation" else "credit_grade")
    a, b = float(f["revenue_factor"]), float(f["tax_factor"])
    steps = [f"{f['label']}：基础额度 = max(0, {a:g} × 营业收入 {rev:,.1f} + {b:g} × 纳税额 {tax:,.1f})"]
    base = max(0.0, a * rev + b * tax)
    steps[-1] += f" = {base:,.1f} 万元"
    mult = float(f["multipliers"].get(grade, 0.0)) if grade else 0.0
    label_g = "信用等级" if grade_key == "credit" else "创新积分等级"
    line = base * mult
    steps.append(f"× {label_g} {grade or '缺失'} 系数 {mult:g} = {line:,.1f} 万元")
    offset = float(f.get("debt_offset", 1.0))
    line -= debt * offset
    steps.append(f"− 平台现有贷款余额 {debt:,.1f} × {offset:g} = {line:,.1f} 万元")
    cap = float(f["cap"])
    amount = min(cap, max(0.0, line))
    steps.append(f"限定在 0 至上限 {cap:,.0f} 万元之间 = {amount:,.1f} 万元")
    step = float(f.get("round_to", 1))
    amount = math.floor(amount / step) * step
    floor = float(f.get("floor", 0))
    if amount < floor:
        steps.append(f"低于起贷额 {floor:,.0f} 万元，预授信额度为 0")
        amount = 0.0
    else:
        steps.append(f"按 {step:g} 万元取整：预授信额度 {amount:,.0f} 万元")
    return amount, steps

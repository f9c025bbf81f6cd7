"""Reads of scores, filtered by who is asking.

* :func:`credit_view` — one enterprise's grade, score, reasons, improvements, innovation score and pre-credit
  lines: for the enterprise itself, a platform admin, or an institution with a live grant for scope
  ``credit_score`` (``check_enterprise_access`` records the read). Government users see distributions only.
* :func:`score_distribution` — grades by district and industry (no enterprise names), for government,
  regulators and admins.
* :func:`models_for` / :func:`model_report` — the model registry pages (admin only).
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Max
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jinfu.core import dataversion
from jinfu.core.errors import Forbidden, NotFound
from jinfu.core.features import cached_feature_row, features_keys
from jinfu.core.models import Organization, Role
from jinfu.core.principal import as_principal
from jinfu.core.reference.selectors import rule_value_labels
from jinfu.core.selectors import check_enterprise_access

from ..models_scoring import PsiMonitor, ScorecardModel, ScoreRecord
from . import engine
from .services import active_model, feature_frame

DISTRIBUTION_ROLES = {Role.GOVERNMENT, Role.REGULATOR, Role.ADMIN}


def _require_admin(actor):
    if not as_principal(actor).is_admin:
        raise Forbidden("仅平台管理员可查看评分卡模型", "only platform administrators see scorecard models")


def _feature_name(feature: str) -> str:
    """The feature's name in the reader's language (the rule catalog's English label when English)."""
    from jinfu.rules import ENTERPRISE_FIELDS

    field = ENTERPRISE_FIELDS.get(feature)
    if (get_language() or "").startswith("en") and field is not None and field.label_en:
        return field.label_en
    return engine.label(feature)


def bin_text(feature: str, bin_label: str) -> str:
    """A scorecard bin as the reader reads it: the feature's name, then its range or its categories with
    codes shown as names (「行业门类 信息传输、软件和信息技术服务业」, never 「行业门类 I」)."""
    zh_name = engine.label(feature)
    rest = bin_label[len(zh_name) :].strip() if bin_label.startswith(zh_name) else bin_label
    names = rule_value_labels().get(feature) or {}
    codes = rest.split("/") if rest else []
    if codes and all(c in names for c in codes):
        rest = "、".join(names[c] for c in codes)
    elif rest == "缺失":
        rest = _("缺失")
    elif rest == "全部":
        rest = _("全部")
    return f"{_feature_name(feature)} {rest}".strip()


def _reasons(scored: dict) -> tuple[list[dict], list[dict]]:
    """The engine's reasons and improvements with their sentences in the reader's language."""
    reasons = [
        {
            **r,
            "text": _("%(bin)s：较最优档少 %(gap)s 分")
            % {"bin": bin_text(r["feature"], r["bin_label"]), "gap": f"{r['gap']:.0f}"},
        }
        for r in scored["reasons"]
    ]
    by_feature = {b["feature"]: b for b in scored["breakdown"]}
    improvements = []
    for imp in scored["improvements"]:
        b = by_feature[imp["feature"]]
        text = _("%(feature)s：由“%(now)s”提升至“%(next)s”可加 %(gain)s 分") % {
            "feature": _feature_name(b["feature"]),
            "now": bin_text(b["feature"], b["bin_label"]),
            "next": bin_text(b["feature"], b["next_label"]),
            "gain": f"{b['next_gain']:.0f}",
        }
        improvements.append({**imp, "text": text})
    return reasons, improvements


def credit_view(actor, org: Organization) -> dict:
    """The dict the profile page includes as ``credit`` (template ``credit/_score.html``)."""
    p = as_principal(actor)
    if p.role == Role.GOVERNMENT:
        raise Forbidden(
            "政府用户只能查看评分分布，不能查看单个企业的信用评分",
            "government users see score distributions only, not an enterprise's score",
        )
    check_enterprise_access(actor, org, "credit_score")  # on every view (recorded for an institution)
    # a new scorecard bumps every enterprise's features key; a nightly scoring adds ScoreRecord rows
    keys = [*features_keys(org.pk), *dataversion.table_keys("credit.ScoreRecord")]
    out, _hit = dataversion.cached(
        "credit.credit_view", keys, (org.pk, get_language()), lambda: _credit_figures(org)
    )
    return out | {"enterprise": org}


def _credit_figures(org: Organization) -> dict:
    """Score, grade, reasons, improvements, innovation score and pre-credit lines of one enterprise."""
    cached = cached_feature_row(org.pk)  # computed once per change of the enterprise's features
    frame = feature_frame(rows=[cached] if cached else [])
    row = frame.row(0, named=True) if frame.height else {}
    model = active_model()
    out: dict = {
        "model": None,
        "score": None,
        "grade": None,
        "reasons": [],
        "improvements": [],
    }
    if model is not None:
        scored = engine.score_row(model.points_table, row, model.grade_bands)
        scored["reasons"], scored["improvements"] = _reasons(scored)
        last = ScoreRecord.objects.filter(enterprise=org, model=model).order_by("-scored_at").first()
        out.update(
            model=model.version,
            score=scored["score"],
            grade=scored["grade"],
            reasons=scored["reasons"],
            improvements=scored["improvements"],
            breakdown=scored["breakdown"],
            scored_at=last.scored_at if last else None,
        )
    inn_score, inn_grade, inn_breakdown = engine.innovation_score(row)
    out["innovation"] = {"score": inn_score, "grade": inn_grade, "breakdown": inn_breakdown}
    facts = {**row, "credit_grade": out["grade"], "innovation_grade": inn_grade}
    lines = []
    for family, cfg in engine.precredit_config()["families"].items():
        amount, steps = engine.pre_credit_line(facts, family)
        lines.append({"family": family, "label": cfg["label"], "amount": amount, "steps": steps})
    out["pre_credit"] = lines
    return out


def score_distribution(actor, model: ScorecardModel | None = None) -> dict:
    """Latest score per enterprise of the active model, counted by grade, district and industry section."""
    p = as_principal(actor)
    if p.role not in DISTRIBUTION_ROLES and not p.is_admin:
        raise Forbidden("无权查看评分分布", "not allowed to see score distributions")
    model = model or active_model()
    if model is None:
        return {"model": None, "by_grade": {}, "by_district": {}, "by_industry": {}, "n": 0}
    latest = ScoreRecord.objects.filter(model=model).values("enterprise_id").annotate(last=Max("scored_at"))
    last_at = {r["enterprise_id"]: r["last"] for r in latest}
    recs = ScoreRecord.objects.filter(model=model, enterprise_id__in=list(last_at)).values_list(
        "enterprise_id",
        "grade",
        "scored_at",
        "enterprise__division__name",
        "enterprise__enterprise__industry__section",
    )
    by_grade, by_district, by_industry = Counter(), {}, {}
    seen = set()
    for oid, grade, at, district, section in recs:
        if at != last_at.get(oid) or oid in seen:
            continue
        seen.add(oid)
        by_grade[grade] += 1
        by_district.setdefault(district or "—", Counter())[grade] += 1
        by_industry.setdefault(section or "—", Counter())[grade] += 1
    order = [g for g, _ in (model.grade_bands or engine.DEFAULT_GRADE_BANDS)] + [engine.LOWEST_GRADE]
    return {
        "model": model.version,
        "grades": order,
        "by_grade": {g: by_grade.get(g, 0) for g in order},
        "by_district": {k: dict(v) for k, v in sorted(by_district.items())},
        "by_industry": {k: dict(v) for k, v in sorted(by_industry.items())},
        "n": len(seen),
    }


def models_for(actor):
    _require_admin(actor)
    out = []
    for m in ScorecardModel.objects.prefetch_related("reports").order_by("-created_at"):
        out.append({"model": m, "report": m.reports.first()})
    return out


def model_report(actor, model_id) -> dict:
    _require_admin(actor)
    model = ScorecardModel.objects.filter(pk=model_id).first()
    if model is None:
        raise NotFound("评分卡模型不存在", "scorecard model not found")
    report = model.reports.first()
    tables = []
    if report:
        for f, t in sorted(report.bin_tables.items(), key=lambda kv: -kv[1]["iv"]):
            tables.append({"feature": f, **t})
    hist = []
    if report and report.metrics.get("hist_validation"):
        h = report.metrics["hist_validation"]
        top = max(h["counts"]) or 1
        for lo, hi, c in zip(h["edges"][:-1], h["edges"][1:], h["counts"], strict=False):
            hist.append({"lo": lo, "hi": hi, "count": c, "width": round(100 * c / top)})
    return {
        "model": model,
        "report": report,
        "hist": hist,
        "bin_tables": tables,
        "psi_checks": list(PsiMonitor.objects.filter(model=model).order_by("-created_at")[:24]),
        "psi_reading": engine.psi_reading(report.psi) if report and report.psi is not None else None,
    }

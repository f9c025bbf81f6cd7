"""Scorecard workflows: train → candidate + validation report; activate / retire (admin, audited);
online and batch scoring; PSI monitoring with an alert to admins above 0.25.

The computation is ``jinfu.credit.scoring.engine``; the enterprise feature table is
``jinfu.core.features.enterprise_features`` (with the credit columns of ``jinfu.credit.features``).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from django.db import IntegrityError, transaction
from django.utils import timezone

from jinfu.core.audit import record_event
from jinfu.core.errors import Forbidden, NotFound, ValidationFailed
from jinfu.core.features import enterprise_features
from jinfu.core.features import schema as feature_schema
from jinfu.core.models import Notification, Organization, Role, User
from jinfu.core.principal import as_principal

from ..models_scoring import PsiMonitor, ScorecardModel, ScoreRecord, ValidationReport
from . import engine

MIN_TRAINING_ROWS = 200
HOLDOUT_SHARE = 0.3
TRAIN_SCORE_SAMPLE = 5000


def _require_admin(actor):
    p = as_principal(actor)
    if not p.is_admin or p.api_key is not None:
        raise Forbidden(
            "仅平台管理员可管理评分卡模型", "only platform administrators manage scorecard models"
        )
    return p


def feature_frame(org_ids=None, *, rows: list[dict] | None = None) -> pl.DataFrame:
    """org_id, uscc and the scorecard :data:`engine.FEATURES` columns (null where the table lacks one).
    ``rows``: feature rows already at hand (e.g. an enterprise's cached row) instead of reading them."""

    df = enterprise_features(org_ids) if rows is None else pl.DataFrame(rows, schema=feature_schema())
    missing = [f for f in engine.FEATURES if f not in df.columns]
    if missing:
        df = df.with_columns(pl.lit(None).alias(f) for f in missing)
    return df.select(["org_id", "uscc", *engine.FEATURES])


def active_model() -> ScorecardModel | None:
    return ScorecardModel.objects.filter(status=ScorecardModel.Status.ACTIVE).first()


def _next_version() -> str:
    n = ScorecardModel.objects.count() + 1
    while ScorecardModel.objects.filter(version=f"v{n}").exists():
        n += 1
    return f"v{n}"


def train_model(
    actor,
    *,
    seed: int = 20261122,
    outcomes: dict | None = None,
    scaling: dict | None = None,
    grade_bands=None,
    frame: pl.DataFrame | None = None,
) -> ScorecardModel:
    """Train a candidate scorecard on the feature table and store its validation report.

    Labels: ``outcomes`` ({uscc: (default_flag, observed_at)} from :func:`engine.load_outcomes`) when given —
    only enterprises with an outcome are used, and the latest-observed 30 % form the validation ("later")
    sample; otherwise the documented demo latent model (:func:`engine.latent_default_labels`) with a seeded
    random 30 % hold-out. The report holds AUC, Gini, KS on both samples, the PSI of validation vs training
    scores, the bin tables and the pass/fail verdict of :data:`engine.DEFAULT_POLICY`. ``frame`` replaces
    the live feature table (e.g. a Parquet export or a historical snapshot; it needs ``uscc`` with outcomes).
    """
    p = _require_admin(actor)
    df = feature_frame() if frame is None else frame
    if outcomes:
        uscc = df["uscc"].to_list()
        keep = [u in outcomes for u in uscc]
        df = df.filter(pl.Series(keep))
        y = np.array([outcomes[u][0] for u in df["uscc"].to_list()], dtype=int)
        observed = np.array([outcomes[u][1] for u in df["uscc"].to_list()])
        order = np.argsort(observed, kind="stable")
        cut = int(len(order) * (1 - HOLDOUT_SHARE))
        train_idx, val_idx = order[:cut], order[cut:]
        label_source = "outcomes"
    else:
        y = engine.latent_default_labels(df, seed=seed)
        rng = np.random.default_rng(seed)
        perm = rng.permutation(df.height)
        cut = int(df.height * (1 - HOLDOUT_SHARE))
        train_idx, val_idx = np.sort(perm[:cut]), np.sort(perm[cut:])
        label_source = "demo_latent_model"
    if df.height < MIN_TRAINING_ROWS:
        raise ValidationFailed(
            f"训练样本不足：{df.height} 家企业（至少 {MIN_TRAINING_ROWS} 家）",
            f"too few enterprises to train: {df.height} (at least {MIN_TRAINING_ROWS})",
        )
    train_df, val_df = df[train_idx], df[val_idx]
    y_train, y_val = y[train_idx], y[val_idx]
    if len(set(y_val.tolist())) < 2:
        raise ValidationFailed(
            "验证样本必须同时包含违约与正常两类结果", "the validation sample must contain both outcomes"
        )
    try:
        card = engine.train(train_df, y_train, seed=seed, scaling=scaling)
    except engine.ScoringError as e:
        raise ValidationFailed(e.message_zh, e.message_en) from None
    bands = [list(b) for b in (grade_bands or engine.DEFAULT_GRADE_BANDS)]
    compiled = engine.compile_card(card.points_table, bands)
    s_train = engine.score_frame(compiled, train_df)["score"].to_numpy()
    s_val = engine.score_frame(compiled, val_df)["score"].to_numpy()
    m_train, m_val = engine.validate(y_train, s_train), engine.validate(y_val, s_val)
    psi = engine.psi(s_train, s_val)
    passed, failures = engine.passes_policy({**m_val, "psi": psi})
    rng = np.random.default_rng(seed)
    sample = (
        s_train
        if len(s_train) <= TRAIN_SCORE_SAMPLE
        else rng.choice(s_train, TRAIN_SCORE_SAMPLE, replace=False)
    )
    with transaction.atomic():
        model = ScorecardModel.objects.create(
            version=_next_version(),
            params={
                "scaling": card.scaling,
                "grade_bands": bands,
                "seed": seed,
                "label_source": label_source,
                "training": card.params,
                "n_train": int(len(y_train)),
                "n_validation": int(len(y_val)),
                "train_scores_sample": [round(float(s), 1) for s in sample],
            },
            points_table=card.points_table,
            features=card.features,
            created_by=p.user,
        )
        ValidationReport.objects.create(
            model=model,
            auc=m_val["auc"],
            gini=m_val["gini"],
            ks=m_val["ks"],
            psi=psi,
            metrics={
                "train": m_train,
                "validation": m_val,
                "psi": psi,
                "psi_reading": engine.psi_reading(psi),
                "policy": engine.DEFAULT_POLICY,
                "hist_train": engine.score_histogram(s_train),
                "hist_validation": engine.score_histogram(s_val),
            },
            bin_tables=card.bin_tables,
            passed=passed,
            failures=failures,
        )
        record_event(
            "admin_action", user=p.user, action="scorecard_train", model=model.version, passed=passed
        )
    return model


def _get_model(model_id) -> ScorecardModel:
    model = ScorecardModel.objects.filter(pk=model_id).first()
    if model is None:
        raise NotFound("评分卡模型不存在", "scorecard model not found")
    return model


def activate_model(actor, model_id) -> ScorecardModel:
    """Make a candidate the active model (the previous active one is retired). Refused — and the refusal
    audited — when its latest validation failed or it has none."""
    p = _require_admin(actor)
    model = _get_model(model_id)
    if model.status != ScorecardModel.Status.CANDIDATE:
        raise ValidationFailed(
            f"只有候选模型可以启用（当前：{model.get_status_display()}）",
            f"only a candidate model can be activated (status: {model.status})",
        )
    report = model.reports.first()
    if report is None or not report.passed:
        reasons = "；".join(report.failures) if report else "没有验证报告"
        record_event(
            "admin_action",
            user=p.user,
            action="scorecard_activate_refused",
            model=model.version,
            reasons=reasons,
        )
        raise ValidationFailed(
            f"模型 {model.version} 验证未通过，不能启用：{reasons}",
            f"model {model.version} failed validation and cannot be activated",
        )
    try:
        with transaction.atomic():
            previous = list(
                ScorecardModel.objects.select_for_update().filter(status=ScorecardModel.Status.ACTIVE)
            )
            for old in previous:
                old.status = ScorecardModel.Status.RETIRED
                old.retired_at = timezone.now()
                old.save(update_fields=["status", "retired_at"])
            model = ScorecardModel.objects.select_for_update().get(pk=model.pk)
            if model.status != ScorecardModel.Status.CANDIDATE:
                raise ValidationFailed("模型状态已变化，请刷新后重试", "the model's status changed; reload")
            model.status = ScorecardModel.Status.ACTIVE
            model.activated_by = p.user
            model.activated_at = timezone.now()
            model.save(update_fields=["status", "activated_by", "activated_at"])
            record_event(
                "admin_action",
                user=p.user,
                action="scorecard_activate",
                model=model.version,
                retired=[o.version for o in previous],
            )
    except IntegrityError:
        raise ValidationFailed(
            "另一位管理员同时启用了模型，请刷新后重试", "another model was activated concurrently"
        ) from None
    return model


def retire_model(actor, model_id) -> ScorecardModel:
    p = _require_admin(actor)
    with transaction.atomic():
        model = _get_model(model_id)
        if model.status == ScorecardModel.Status.RETIRED:
            raise ValidationFailed("模型已停用", "model already retired")
        model.status = ScorecardModel.Status.RETIRED
        model.retired_at = timezone.now()
        model.save(update_fields=["status", "retired_at"])
        record_event("admin_action", user=p.user, action="scorecard_retire", model=model.version)
    return model


def _require_active() -> ScorecardModel:
    model = active_model()
    if model is None:
        raise ValidationFailed("尚无启用的评分卡模型", "no active scorecard model")
    return model


def score_enterprise(org: Organization, model: ScorecardModel | None = None) -> ScoreRecord:
    """Online scoring of one enterprise with the active model; writes a ScoreRecord."""
    model = model or _require_active()
    row = feature_frame([org.pk]).row(0, named=True) if org.pk else {}
    out = engine.score_row(model.points_table, row, model.grade_bands)
    return ScoreRecord.objects.create(
        enterprise=org,
        model=model,
        score=out["score"],
        grade=out["grade"],
        reasons=[{"feature": r["feature"], "text": r["text"], "gap": r["gap"]} for r in out["reasons"]],
    )


def scoring_batch(model: ScorecardModel) -> str:
    """The identity of today's scoring run with ``model``: one set of records per model and day."""
    return f"score:{model.pk}:{timezone.localdate().isoformat()}"


def score_all(model: ScorecardModel | None = None, batch_size: int = 5000) -> int:
    """Batch scoring of every enterprise with the active model (engine.score_frame); returns the count.
    One transaction per ``batch_size`` rows; a rerun the same day replaces the day's records."""
    model = model or _require_active()
    df = feature_frame()
    if df.height == 0:
        return 0
    out = engine.score_frame(engine.compile_card(model.points_table, model.grade_bands), df)
    out = out.with_columns(df["org_id"])
    total = 0
    for offset in range(0, out.height, batch_size):
        with transaction.atomic():
            total += store_scores(model, out.slice(offset, batch_size), batch=scoring_batch(model))
    return total


def store_scores(model: ScorecardModel, out: pl.DataFrame, now=None, *, batch: str = "") -> int:
    """Write ScoreRecords from score_frame output plus ``org_id`` (one bulk insert). With a ``batch``,
    the records the same batch already wrote for these enterprises are replaced (idempotent rerun); call it
    inside a transaction so that the replacement is all or nothing."""
    now = now or timezone.now()
    if batch:
        ScoreRecord.objects.filter(
            model=model, batch=batch, enterprise_id__in=out["org_id"].to_list()
        ).delete()
    n_reasons = sum(1 for c in out.columns if c.startswith("reason_"))
    buf = []
    for r in out.iter_rows(named=True):
        reasons = []
        for i in range(1, n_reasons + 1):
            f = r[f"reason_{i}"]
            if f is not None:
                reasons.append(
                    {
                        "feature": f,
                        "gap": r[f"gap_{i}"],
                        "text": f"{engine.label(f)}：较最优档少 {r[f'gap_{i}']:.0f} 分",
                    }
                )
        buf.append(
            ScoreRecord(
                enterprise_id=r["org_id"],
                model=model,
                score=r["score"],
                grade=r["grade"],
                reasons=reasons,
                scored_at=now,
                batch=batch,
            )
        )
    ScoreRecord.objects.bulk_create(buf)
    return len(buf)


def monitor_psi(period: str, model: ScorecardModel | None = None) -> PsiMonitor:
    """PSI of today's score distribution (the active model over the current feature table) against the
    training distribution; above 0.25 ("shifted") every platform admin gets a notification."""
    model = model or _require_active()
    expected = np.array(model.params.get("train_scores_sample") or [], dtype=float)
    if expected.size == 0:
        raise ValidationFailed("模型缺少训练评分分布", "the model has no training score distribution")
    df = feature_frame()
    actual = engine.score_frame(engine.compile_card(model.points_table, model.grade_bands), df)[
        "score"
    ].to_numpy()
    if actual.size == 0:
        raise ValidationFailed("没有可评分的企业", "no enterprises to score")
    value = engine.psi(expected, actual)
    alert = value > engine.DEFAULT_POLICY["psi_max"]
    mon, _ = PsiMonitor.objects.update_or_create(
        model=model, period=period, defaults={"psi": value, "n": int(actual.size), "alert": alert}
    )
    if alert:
        key = f"credit-psi-{model.pk}-{period}"
        admins = User.objects.filter(is_active=True).filter(role=Role.ADMIN) | User.objects.filter(
            is_active=True, is_superuser=True
        )
        for user in admins.distinct():
            if not Notification.objects.filter(recipient=user, dedupe_key=key).exists():
                Notification.objects.create(
                    recipient=user,
                    kind="credit_psi",
                    title=f"评分卡 {model.version} 分布偏移预警：PSI {value:.3f}（{period}）",
                    body="PSI > 0.25：评分分布与训练样本相比已明显偏移，请复核并考虑重新训练。",
                    url=f"/credit/models/{model.pk}/report/",
                    dedupe_key=key,
                )
    return mon


def build_scoring_demo(*, seed: int = 20261122, stdout=None) -> ScorecardModel | None:
    """Demo: train on the documented latent labels, activate if validation passes, batch-score everyone."""
    if active_model() is not None:  # idempotent: a second demo run keeps the active model
        return active_model()
    admin = User.objects.filter(is_superuser=True).first() or User.objects.filter(role=Role.ADMIN).first()
    if admin is None:
        return None
    try:
        model = train_model(admin, seed=seed)
    except ValidationFailed as exc:  # e.g. a small demo with too few enterprises or defaults
        if stdout:
            stdout.write(f"credit scorecard not trained: {exc.message_zh} / {exc.message_en}\n")
        return None
    report = model.reports.first()
    if stdout:
        stdout.write(
            f"credit scorecard {model.version}: AUC {report.auc:.3f} KS {report.ks:.3f} PSI {report.psi:.3f} "
            f"({'passed' if report.passed else 'FAILED: ' + '; '.join(report.failures)})\n"
        )
    if report.passed:
        activate_model(admin, model.pk)
        n = score_all(model)
        monitor_psi(timezone.localdate().strftime("%Y-%m"), model)
        if stdout:
            stdout.write(f"credit scorecard {model.version} active; {n} enterprises scored\n")
    return model

"""Scorecard registry, validation reports, scores and PSI monitoring (jinfu.credit.scoring).

Imported by ``jinfu.credit.models`` (``from .models_scoring import *  # noqa``) so that the tables belong to
the ``credit`` app. The computations live in ``jinfu.credit.scoring.engine``; workflows in
``jinfu.credit.scoring.services``.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jinfu.core.models import Organization

__all__ = ["ScorecardModel", "ValidationReport", "ScoreRecord", "PsiMonitor"]


class ScorecardModel(models.Model):
    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("候选")
        ACTIVE = "active", _("启用")
        RETIRED = "retired", _("停用")

    version = models.CharField(_("版本"), max_length=32, unique=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.CANDIDATE)
    #: scaling (base, odds, pdo), grade bands, training parameters (seed, label source, sample sizes)
    params = models.JSONField(_("参数"), default=dict)
    #: the exported bins and points (engine.TrainedScorecard.points_table); scoring needs nothing else
    points_table = models.JSONField(_("分箱与分值表"), default=list)
    features = models.JSONField(_("特征"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评分卡模型")
        verbose_name_plural = _("评分卡模型")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="credit_one_active_scorecard"
            )
        ]

    def __str__(self):
        return f"{self.version} ({self.get_status_display()})"

    @property
    def grade_bands(self):
        return [tuple(b) for b in self.params.get("grade_bands", [])] or None


class ValidationReport(models.Model):
    model = models.ForeignKey(ScorecardModel, on_delete=models.CASCADE, related_name="reports")
    auc = models.FloatField("AUC")
    gini = models.FloatField("Gini")
    ks = models.FloatField("KS")
    psi = models.FloatField("PSI", null=True, blank=True)
    #: train / validation metrics, sample sizes, bad rates, score histograms and the policy used
    metrics = models.JSONField(_("指标"), default=dict)
    bin_tables = models.JSONField(_("分箱表"), default=dict)
    passed = models.BooleanField(_("是否通过"), default=False)
    failures = models.JSONField(_("未通过原因"), default=list)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("模型验证报告")
        verbose_name_plural = _("模型验证报告")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.model.version} AUC {self.auc:.3f} KS {self.ks:.3f}"


class ScoreRecord(models.Model):
    enterprise = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="credit_scores")
    model = models.ForeignKey(ScorecardModel, on_delete=models.CASCADE, related_name="scores")
    score = models.FloatField(_("评分"))
    grade = models.CharField(_("等级"), max_length=8)
    reasons = models.JSONField(_("原因码"), default=list)
    scored_at = models.DateTimeField(_("评分时间"), default=timezone.now, db_index=True)
    #: the scoring run that wrote the record (model and day, services.scoring_batch): a rerun of the same
    #: run after a crash replaces its records instead of adding a second set
    batch = models.CharField(_("评分批次"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("信用评分记录")
        verbose_name_plural = _("信用评分记录")
        ordering = ["-scored_at"]
        indexes = [models.Index(fields=["enterprise", "-scored_at"])]

    def __str__(self):
        return f"{self.enterprise_id} {self.score:.0f} {self.grade}"


class PsiMonitor(models.Model):
    model = models.ForeignKey(ScorecardModel, on_delete=models.CASCADE, related_name="psi_checks")
    period = models.CharField(_("监测期"), max_length=16)
    psi = models.FloatField("PSI")
    n = models.PositiveIntegerField(_("样本数"), default=0)
    alert = models.BooleanField(_("预警"), default=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("评分稳定性监测")
        verbose_name_plural = _("评分稳定性监测")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["model", "period"], name="credit_psi_model_period")]

    def __str__(self):
        return f"{self.model.version} {self.period} PSI {self.psi:.3f}"


auditlog.register(ScorecardModel, exclude_fields=["points_table"])

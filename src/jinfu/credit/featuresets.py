"""The credit module's feature sets (registered from CreditConfig.ready()):

* ``credit_sources`` — the columns :func:`jinfu.credit.features.derive` computes from source records, read
  from the stored :class:`~jinfu.credit.models.FeatureSnapshot`; it also offers the latest social-insurance
  headcount as a candidate for the shared fact ``employees`` (see docs/features.md for the precedence);
* ``credit_score`` — ``credit_score`` and ``credit_grade`` from the active scorecard, derived over the
  assembled table with the same points table the profile page uses, so a rule on the score sees the
  score every page shows. Null while no scorecard is active.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from jinfu.core import featureregistry as registry
from jinfu.core.featureregistry import FactValue, FeatureSet
from jinfu.rules.catalog import ENTERPRISE_FIELDS

from .features import CREDIT_SCHEMA

SCORE_SCHEMA = {"credit_score": pl.Float64, "credit_grade": pl.Utf8}


def _snapshots(org_ids):
    from .models import FeatureSnapshot

    qs = FeatureSnapshot.objects.all()
    return qs.filter(pk__in=org_ids) if org_ids is not None else qs


def load_sources(org_ids, today: dt.date) -> dict[int, dict]:
    return {
        pk: {k: v for k, v in values.items() if k in CREDIT_SCHEMA}
        for pk, values in _snapshots(org_ids).values_list("enterprise_id", "values")
    }


def social_insurance_facts(org_ids, today: dt.date):
    for pk, headcount, at in _snapshots(org_ids).values_list(
        "enterprise_id", "values__insured_headcount", "updated_at"
    ):
        if headcount is not None:
            yield FactValue(pk, "employees", int(headcount), "social_insurance", at.date())


def active_card():
    """The active scorecard compiled (cached per model and activation), or None."""
    from .scoring.services import active_model

    model = active_model()
    if model is None:
        return None
    return _compiled(model.pk, model.activated_at, model)


_CACHE: dict = {}


def _compiled(pk, activated_at, model):
    from .scoring import engine

    key = (pk, activated_at)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = engine.compile_card(model.points_table, model.grade_bands)
    return _CACHE[key]


def derive_score(df: pl.DataFrame, card) -> pl.DataFrame:
    """Pure: score and grade of every row with the compiled card (null without an active card)."""
    from .scoring import engine

    if card is None or df.height == 0:
        return df.select("org_id", *[pl.lit(None, dtype=t).alias(c) for c, t in SCORE_SCHEMA.items()])
    missing = [f for f in engine.FEATURES if f not in df.columns]
    frame = df.with_columns(pl.lit(None).alias(f) for f in missing) if missing else df
    out = engine.score_frame(card, frame.select(list(engine.FEATURES)), n_reasons=0)
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
            fields=tuple(ENTERPRISE_FIELDS[c] for c in CREDIT_SCHEMA),
            load=load_sources,
            facts=social_insurance_facts,
            scope="credit_score",
            order=20,
            sources=(("credit.FeatureSnapshot", "enterprise_id"),),
        )
    )
    registry.register(
        FeatureSet(
            name="credit_score",
            schema=SCORE_SCHEMA,
            fields=tuple(ENTERPRISE_FIELDS[c] for c in SCORE_SCHEMA),
            prepare=active_card,
            derive=derive_score,
            scope="credit_score",
            order=90,
            sources=(("credit.ScorecardModel", ""),),
        )
    )

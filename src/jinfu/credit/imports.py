"""The credit module's importers: one per source of jinfu.credit.sources (its template columns and
natural key), for files and REST pulls alike (credit/services.py: prepare_source_import, apply_records)."""

from __future__ import annotations

from jinfu.core.imports.registry import Importer

from .sources import SOURCES, SourceSpec

RULES = (
    (
        "duplicate.period",
        "同一企业同一期间（唯一键）重复",
        "duplicate period (natural key) for the enterprise",
    ),
    ("file.wrong_template", "模板不符：缺少必需的列", "wrong template: required columns are missing"),
)


def _importer(spec: SourceSpec) -> Importer:
    return Importer(
        f"credit.{spec.key}",
        spec.label,
        spec.label_en,
        spec.columns,
        unique=spec.natural_key,
        duplicate_rule="duplicate.period",
        lookup_field="uscc",
        template_rule="file.wrong_template",
        rules=RULES,
        prepare="jinfu.credit.services:prepare_source_import",
        apply="jinfu.credit.services:apply_records",
    )


BY_SOURCE = {key: _importer(spec) for key, spec in SOURCES.items()}
IMPORTERS = tuple(BY_SOURCE.values())

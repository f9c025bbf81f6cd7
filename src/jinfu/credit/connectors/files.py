"""The file adapter: one Excel/CSV template per source. The columns are declared in
``jinfu.credit.sources`` and the files are read and validated by the platform's import engine through the
source's importer (``jinfu.credit.imports``): headers may be the Chinese header, the field name or an
alias; a wrong template, an unknown enterprise, an impossible value or a duplicate period is reported by
row, column and rule in Chinese and English, and the batch applies nothing.
"""

from __future__ import annotations

from jinfu.core.imports.engine import template_csv as engine_template_csv

from ..imports import BY_SOURCE


def template_csv(source: str) -> bytes:
    """The template as UTF-8 CSV with a BOM (Excel opens it correctly)."""
    return engine_template_csv(BY_SOURCE[source])

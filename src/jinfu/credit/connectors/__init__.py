"""Connectors bring source records in: ``files`` (Excel/CSV templates) and ``rest`` (REST pulls).

Both end in :func:`validate.validate_records` (row-level checks, bilingual messages) and
:func:`jinfu.credit.services.apply_batch` (one transaction: a batch with any error applies nothing).
"""

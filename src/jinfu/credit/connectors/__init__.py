"""Connectors bring source records in: ``files`` (Excel/CSV templates) and ``rest`` (REST pulls).

Both end in the platform's import dry run (``jinfu.core.imports.registry``, each source's importer in
``jinfu.credit.imports``: row-level checks, bilingual messages) and :func:`jinfu.credit.services.apply_batch`
(one transaction: a batch with any error applies nothing).
"""

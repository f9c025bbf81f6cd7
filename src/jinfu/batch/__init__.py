"""Batch runs of the pure engines over the whole enterprise feature table, on Polars or Apache Spark.

Kernel-level: names no module. Modules register their jobs (:mod:`jinfu.batch.registry`) from their
``AppConfig.ready()``; ``jinfu batch JOB --engine polars|spark`` runs them (:mod:`jinfu.batch.runner`).
"""

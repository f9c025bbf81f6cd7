"""Data versions: cached results (online match, heavy dashboards) invalidated in O(1) when their data changes.

A *key* names data whose change makes a cached result stale:

- ``table:<db_table>`` — any committed write to a watched table;
- ``features:<org id>`` — one enterprise's feature row (a row of a feature set's source table, or its tags);
- ``features`` — every enterprise's feature row (a bulk write to a source table, a scorecard, a reference).

A write gives each of its keys a new token twice: at once in this process (so a request in this process,
and a test inside its transaction, never reads a result cached before the write) and, after the
transaction commits, in the database (:class:`~jinfu.core.models.DataVersion`), where every other process
reads it. :func:`cached` reads the tokens *before* it computes, so a write committing during the
computation leaves the result only under the old tokens: a cached result is never served stale.

Writes are seen at the SQL level — an execute wrapper on every database connection sees each INSERT,
UPDATE and DELETE, whichever path issued it (save, bulk_create, QuerySet.update, raw SQL). A write to a
feature set's source table (``FeatureSet.sources``) bumps ``features:<id>`` from the model's signals
(post_save, post_delete, m2m_changed); one that no signal covers (bulk_create, bulk_update,
QuerySet.update) bumps ``features`` for everyone.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import itertools
import logging
import random
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, transaction
from prometheus_client import Counter

log = logging.getLogger(__name__)
FEATURES = "features"
TIMEOUT = 6 * 3600

CACHE_REQUESTS = Counter(
    "jinfu_cache_requests_total",
    "Cached-result lookups by cache and outcome (hit, miss)",
    ["cache", "outcome"],
)

_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+[`"]?(\w+)', re.IGNORECASE)
_MISS = object()
_local_counter = itertools.count(1)
_LOCAL: dict[str, int] = {}
_WATCHED: set[str] = set()  # model labels whose table tokens are kept
_tables: dict[str, str] | None = None  # db_table -> model label (watched and feature-source tables)
_feature_sources: dict[str, list[str]] | None = None  # model label -> paths to the enterprise id
#: the table a signalled write (save, delete, m2m change of a feature source) is about to write: its
#: signal bumps the enterprise's key, so the SQL of that write need not bump every enterprise's
_covered: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "jinfu_dataversion_covered", default=None
)


def features_keys(org_id: int | None) -> list[str]:
    return [FEATURES, f"{FEATURES}:{org_id}"]


def watch(*labels: str) -> None:
    """Keep ``table:`` tokens for these models ("app_label.Model"). Call it from an AppConfig.ready(), so
    that every process (web, worker, CLI) reports writes to them, not only the one that reads the cache."""
    global _tables
    new = {label.lower() for label in labels} - _WATCHED
    if new:
        _WATCHED.update(new)
        _tables = None


def app_models(app_label: str) -> list[str]:
    """The labels of an app's models, many-to-many tables included (to watch a whole module's data)."""
    from django.apps import apps

    return [m._meta.label for m in apps.get_app_config(app_label).get_models(include_auto_created=True)]


def table_keys(*labels: str) -> list[str]:
    """The ``table:`` keys of watched models."""
    from django.apps import apps

    missing = {label.lower() for label in labels} - _WATCHED
    if missing:
        raise LookupError(f"not watched (dataversion.watch in an AppConfig.ready()): {sorted(missing)}")
    return [f"table:{apps.get_model(label)._meta.db_table}" for label in labels]


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------


def tokens(keys: Iterable[str], known: dict | None = None) -> tuple:
    """The current tokens of ``keys`` (one query). ``known``: tokens this request already read with
    :func:`read` (before computing anything), so that one request's several cached results cost one query."""
    keys = sorted(set(keys))
    if known is not None and known.keys() >= set(keys):
        return tuple((k, *known[k]) for k in keys)
    from .models import DataVersion

    stored = dict(DataVersion.objects.filter(key__in=keys).values_list("key", "token"))
    return tuple((k, stored.get(k, 0), _LOCAL.get(k, 0)) for k in keys)


def read(keys: Iterable[str]) -> dict:
    """Tokens of ``keys`` read now, to hand to :func:`cached` (``known=``) for each result a request caches
    over a subset of them. Read them before computing: a result is stored under tokens read before it was
    computed, so a write committing meanwhile leaves it under the old tokens (never served stale)."""
    return {k: (stored, local) for k, stored, local in tokens(keys)}


def bump(*keys: str) -> None:
    """New tokens for ``keys``: in this process now, in the database when the transaction commits."""
    if not keys:
        return
    for k in keys:
        _LOCAL[k] = next(_local_counter)
    store = functools.partial(_store, sorted(set(keys)))
    conn = transaction.get_connection()
    if conn.vendor != "sqlite" and (conn.in_atomic_block or conn.get_autocommit()):
        transaction.on_commit(store)  # PostgreSQL: no row lock held on the token for the transaction
    else:  # SQLite has one writer at a time anyway: with the transaction itself (committed or rolled back with it)
        store()


def _store(keys: list[str]) -> None:
    from .models import DataVersion

    try:
        DataVersion.objects.bulk_create(
            [DataVersion(key=k, token=random.getrandbits(62) or 1) for k in keys],
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["token"],
        )
    except DatabaseError as exc:
        if "core_dataversion" not in str(exc):
            raise
        log.info("data versions not stored while migrating (no table yet): %s", keys)


def version(keys: Iterable[str], parts: Any, known: dict | None = None) -> str:
    """A digest of ``parts`` and the current tokens of ``keys``: it changes whenever the data does. A page
    caches its rendered fragment under it (``{% cache … version LANGUAGE_CODE %}``), so a hit costs one
    read of the tokens and no rendering."""
    return hashlib.sha256(repr((parts, tokens(keys, known))).encode()).hexdigest()


def cached(
    name: str,
    keys: Iterable[str],
    parts: Any,
    compute: Callable[[], Any],
    timeout: int = TIMEOUT,
    known: dict | None = None,
):
    """``compute()`` once per state of ``keys`` (and ``parts``: everything else the result depends on,
    e.g. who asks). ``known``: the keys' tokens already read by this request (:func:`read`). Returns
    (value, hit)."""
    ck = f"jinfu:{name}:{version(keys, parts, known)}"
    value = cache.get(ck, _MISS)
    if value is not _MISS:
        CACHE_REQUESTS.labels(name, "hit").inc()
        return value, True
    CACHE_REQUESTS.labels(name, "miss").inc()
    value = compute()
    cache.set(ck, value, timeout)
    return value, False


# ---------------------------------------------------------------------------
# Seeing writes
# ---------------------------------------------------------------------------


def _sources() -> dict[str, list[str]]:
    global _feature_sources
    if _feature_sources is None:
        from . import featureregistry

        out: dict[str, list[str]] = {}
        for label, path in featureregistry.sources():
            out.setdefault(label.lower(), []).append(path)
        _feature_sources = out
    return _feature_sources


def _table_map() -> dict[str, str]:
    global _tables
    if _tables is None:
        from django.apps import apps

        labels = _WATCHED | set(_sources())
        _tables = {
            m._meta.db_table: m._meta.label_lower
            for m in apps.get_models(include_auto_created=True)
            if m._meta.label_lower in labels
        }
    return _tables


def write_wrapper(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and sql[:1] not in ("S", "s", "P", "R", "r"):
        m = _WRITE.match(sql)
        if m and m.group(1) in _table_map():
            _wrote(m.group(1))
    return result


def _wrote(table: str) -> None:
    keys = [f"table:{table}"]
    if _table_map()[table] in _sources():
        if _covered.get() == table:
            _covered.set(None)  # this save's signal names the enterprise
        else:
            keys.append(FEATURES)
    bump(*keys)


def install(sender, connection, **kwargs):
    """connection_created receiver: every database connection reports its writes."""
    if write_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(write_wrapper)


def _org_ids(instance, paths: list[str]) -> list[int] | None:
    """The enterprises a source row belongs to; None when every enterprise's features may change."""
    out = []
    for path in paths:
        if not path:
            return None
        value = instance
        try:
            for attr in path.split("."):
                value = getattr(value, attr)
        except Exception:  # noqa: BLE001 - a parent already deleted: fall back to everyone's key
            return None
        if value is None:
            return None
        out.append(value)
    return out


def _before_write(sender, instance=None, **kwargs):
    if sender._meta.label_lower in _sources():
        _covered.set(sender._meta.db_table)


def _after_write(sender, instance=None, **kwargs):
    paths = _sources().get(sender._meta.label_lower)
    if paths is None:
        return
    ids = _org_ids(instance, paths)
    bump(*([FEATURES] if ids is None else [f"{FEATURES}:{i}" for i in ids]))


def _m2m(sender, instance=None, action="", reverse=False, pk_set=None, **kwargs):
    if sender._meta.label_lower not in _sources():
        return
    if action.startswith("pre_"):
        _covered.set(sender._meta.db_table)
        return
    if not reverse:
        bump(f"{FEATURES}:{instance.pk}")
    elif pk_set:
        bump(*(f"{FEATURES}:{pk}" for pk in pk_set))
    else:
        bump(FEATURES)


def connect() -> None:
    from django.db.backends.signals import connection_created
    from django.db.models import signals

    connection_created.connect(install, dispatch_uid="jinfu-dataversion")
    signals.pre_save.connect(_before_write, dispatch_uid="jinfu-dataversion-pre-save")
    signals.pre_delete.connect(_before_write, dispatch_uid="jinfu-dataversion-pre-delete")
    signals.post_save.connect(_after_write, dispatch_uid="jinfu-dataversion-post-save")
    signals.post_delete.connect(_after_write, dispatch_uid="jinfu-dataversion-post-delete")
    signals.m2m_changed.connect(_m2m, dispatch_uid="jinfu-dataversion-m2m")

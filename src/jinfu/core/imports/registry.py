"""The importer registry and the one dry-run/commit path every import goes through.

A module declares its importers in ``<module>/imports.py`` (columns, natural key, its own rule messages,
and three callables given as dotted paths: ``prepare`` builds the run's :class:`~.engine.Lookups` for the
principal — reference tables, the per-chunk loader of existing records and the row checks of the matching
form (jurisdiction, ownership, references) —, ``apply`` writes the clean records, ``can_import`` says who
may import at all) and lists them in its AppConfig contract (``ModuleContract.importers``). Core names no
module: :func:`importers` discovers them like the rest of the contract (core/modules.py).

:func:`dry_run` reads and validates (streaming, chunk by chunk; nothing written); :func:`commit` writes the
records of a valid run all-or-nothing in one transaction and records a security event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from ..audit import record_event
from ..errors import Forbidden, NotFound
from ..models import SecurityEvent
from ..modules import contracts, resolve
from ..principal import Principal, as_principal
from . import engine


@dataclass(frozen=True)
class Importer(engine.ImportSpec):
    prepare: str = ""  # "pkg.mod:fn": (principal) -> engine.Lookups
    apply: str = ""  # "pkg.mod:fn": (records, *, actor, **context) -> counts (dict or .as_dict())
    can_import: str = ""  # "pkg.mod:fn": (principal) -> bool; empty: the row checks decide alone
    # offered as an import job on the kernel's pages and API (/imports/, /api/v1/imports/{key}); such an
    # importer must declare ``can_import`` (who may start a job) and may return any counts from ``apply``
    jobs: bool = False


def importers() -> dict[str, Importer]:
    """Every importer declared by an installed app's contract, by key."""
    out: dict[str, Importer] = {}
    for _label, contract in contracts():
        for path in contract.importers:
            found = resolve(path)
            for imp in found if isinstance(found, list | tuple) else (found,):
                out[imp.key] = imp
    return out


def job_kinds() -> list[str]:
    """The importers offered as import jobs (the kernel's pages and API), by key."""
    return [key for key, imp in importers().items() if imp.jobs]


def label(key: str) -> str:
    """An importer's name as users read it (a kind no longer installed: its key)."""
    imp = importers().get(key)
    return gettext(imp.label_zh) if imp is not None else key


def get(key: str) -> Importer:
    imp = importers().get(key)
    if imp is None:
        raise NotFound(f"未知的导入类型：{key}", f"unknown import kind: {key}")
    return imp


def may_import(importer: Importer, actor) -> bool:
    if not importer.can_import:
        return True
    return bool(resolve(importer.can_import)(as_principal(actor)))


def require(importer: Importer, actor) -> None:
    if not may_import(importer, actor):
        raise Forbidden("无权导入此类数据", "not allowed to import this kind of data")


def read_limits() -> engine.Limits:
    """The explicit limits a file must stay within (settings JINFU_IMPORT_MAX_*)."""
    return engine.Limits(
        max_rows=settings.JINFU_IMPORT_MAX_ROWS,
        max_cells=settings.JINFU_IMPORT_MAX_CELLS,
        max_uncompressed=settings.JINFU_IMPORT_XLSX_MAX_UNCOMPRESSED,
        max_ratio=settings.JINFU_IMPORT_XLSX_MAX_RATIO,
    )


def dry_run(
    importer: Importer,
    source: engine.Source | engine.Sheet,
    filename: str = "",
    *,
    actor,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
    keep_records: bool = True,
    diff_limits: Mapping[str, int] | None = None,
) -> engine.Result:
    """Validate a file (bytes or a binary file) or a ready sheet (records of a REST pull) as ``actor``
    may write it. Writes nothing but what the row checks record (reads of protected values)."""
    p: Principal | None = as_principal(actor) if actor is not None else None
    if p is not None:
        require(importer, p)
    lookups = resolve(importer.prepare)(p)
    kw: dict[str, Any] = {
        "progress": progress,
        "progress_every": progress_every,
        "keep_records": keep_records,
        "diff_limits": diff_limits,
    }
    if isinstance(source, engine.Sheet):
        try:
            return engine.validate_sheet(importer, source, lookups, **kw)
        except engine.FileRejected as exc:
            res = engine.Result(kind=importer.key, format=source.format)
            for e in exc.errors:
                res.add(e)
            return res
    return engine.validate_source(importer, source, filename, lookups, limits=read_limits(), **kw)


def counts_of(result: Any) -> dict[str, int]:
    """What an importer's ``apply`` returned, as a plain dict of counts."""
    return result.as_dict() if hasattr(result, "as_dict") else dict(result)


def commit(
    importer: Importer,
    result: engine.Result,
    *,
    actor,
    user=None,
    event: Mapping[str, Any] | None = None,
    **context,
):
    """Write the records of a valid run in one transaction (all or nothing) and record the import as a
    security event (by ``user``, else the actor's user). Returns what the importer's ``apply`` returns."""
    if not result.ok:
        raise ValueError("only a run without problems is committed")
    p = as_principal(actor) if actor is not None else None
    if p is not None:
        require(importer, p)
    user = user if user is not None else (p.user if p is not None else None)
    records = [{k: v for k, v in r.items() if k != "_row"} for r in result.records]
    with transaction.atomic():
        out = resolve(importer.apply)(records, actor=user, **context)
        record_event(
            SecurityEvent.Kind.IMPORT,
            user=user,
            import_kind=importer.key,
            rows=result.total_rows,
            **(dict(event or {})),
            **counts_of(out),
        )
    return out


def import_file(
    importer: Importer,
    data: engine.Source,
    filename: str,
    *,
    actor,
    counts: tuple[str, ...],
    check_only=False,
) -> dict:
    """A module's one-call import of a file as ``actor``: validate every row, then (unless ``check_only``)
    commit when there is no problem. Returns {rows, <each of counts>, problems}; with any problem nothing is
    written and the counts stay 0. The security event names the file."""
    res = dry_run(importer, data, filename, actor=actor)
    out: dict[str, Any] = {"rows": res.total_rows, **dict.fromkeys(counts, 0), "problems": res.errors}
    if res.errors or check_only:
        return out
    out.update(counts_of(commit(importer, res, actor=actor, event={"file": filename[:200]})))
    return out

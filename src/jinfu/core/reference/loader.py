"""Load the reference data files in ``core/data/`` into the database (idempotent).

``load_reference_data()`` syncs divisions (GB/T 2260), zones, industries (GB/T 4754-2017) and records the size
standards file, each as a :class:`~jinfu.core.models.ReferenceDataset` keyed by ``(key, version)`` where the version
carries the file's sha256 prefix. Running it twice changes nothing; a changed file creates a new dataset version
row and updates/creates the affected rows (rows that disappeared from a file are kept — they may be referenced —
and reported as ``stale``). Everything runs in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import yaml
from django.db import transaction

from jinfu.core.models import Division, Industry, ReferenceDataset, Zone

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

DIVISIONS_FILE = DATA_DIR / "divisions_gbt2260.csv"
ZONES_FILE = DATA_DIR / "zones.yaml"
INDUSTRIES_FILE = DATA_DIR / "industries_gbt4754_2017.csv"
SIZE_FILE = DATA_DIR / "size_standards.yaml"

DATASETS = {
    "gbt2260": {
        "file": DIVISIONS_FILE,
        "version": "GB/T 2260 (2024 code list)",
        "title": "GB/T 2260 中华人民共和国行政区划代码（重庆市）",
        "effective_date": dt.date(2024, 1, 1),
    },
    "zones": {"file": ZONES_FILE},  # version/title/effective date from the YAML
    "gbt4754-2017": {
        "file": INDUSTRIES_FILE,
        "version": "GB/T 4754-2017+XG1-2019",
        "title": "GB/T 4754-2017 国民经济行业分类（含2019年第1号修改单）",
        "effective_date": dt.date(2017, 10, 1),
    },
    "size-standards": {"file": SIZE_FILE},
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _csv_rows(path: Path) -> tuple[list[dict], str]:
    """Rows of a CSV whose leading '#' lines are the provenance header (returned as text)."""
    text = path.read_text(encoding="utf-8")
    header = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("#")]
    body = "\n".join(ln for ln in text.splitlines() if ln and not ln.startswith("#"))
    return list(csv.DictReader(io.StringIO(body))), "\n".join(header)


def _dataset(key: str, version: str, title: str, effective_date, source: str, checksum: str, rows: int):
    versioned = f"{version}@{checksum[:12]}"[:64]
    ds, created = ReferenceDataset.objects.get_or_create(
        key=key,
        version=versioned,
        defaults={
            "title": title,
            "effective_date": effective_date,
            "source": source,
            "checksum": checksum,
            "row_count": rows,
        },
    )
    if not created and (ds.row_count, ds.title, ds.source) != (rows, title, source):
        ds.row_count, ds.title, ds.source = rows, title, source
        ds.save(update_fields=["row_count", "title", "source", "loaded_at"])
    return ds, created


def _sync(model, wanted: dict[str, dict], fields: list[str]) -> dict[str, int]:
    """Create missing rows and update changed ones (by primary key ``code``); return counts."""
    existing = {obj.pk: obj for obj in model.objects.filter(pk__in=list(wanted))}
    to_create, to_update = [], []
    for code, values in wanted.items():
        obj = existing.get(code)
        if obj is None:
            to_create.append(model(code=code, **values))
        elif any(getattr(obj, f) != values[f] for f in fields):
            for f in fields:
                setattr(obj, f, values[f])
            to_update.append(obj)
    model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=500)
    stale = model.objects.exclude(pk__in=list(wanted)).count()
    return {
        "created": len(to_create),
        "updated": len(to_update),
        "unchanged": len(wanted) - len(to_create) - len(to_update),
        "stale": stale,
    }


def _load_divisions() -> dict:
    meta = DATASETS["gbt2260"]
    rows, header = _csv_rows(meta["file"])
    checksum = _sha256(meta["file"])
    ds, new = _dataset(
        "gbt2260", meta["version"], meta["title"], meta["effective_date"], header, checksum, len(rows)
    )
    wanted = {
        r["code"]: {
            "name": r["name"],
            "level": r["level"],
            "parent_id": r["parent"] or None,
            "dataset_id": ds.pk,
        }
        for r in rows
    }
    stats = _sync(Division, wanted, ["name", "level", "parent_id", "dataset_id"])
    return {"version": ds.version, "new_version": new, "rows": len(rows), **stats}


def _load_industries() -> dict:
    meta = DATASETS["gbt4754-2017"]
    rows, header = _csv_rows(meta["file"])
    checksum = _sha256(meta["file"])
    ds, new = _dataset(
        "gbt4754-2017", meta["version"], meta["title"], meta["effective_date"], header, checksum, len(rows)
    )
    wanted = {
        r["code"]: {
            "name": r["name"],
            "level": r["level"],
            "section": r["section"],
            "parent_id": r["parent"] or None,
            "dataset_id": ds.pk,
        }
        for r in rows
    }
    stats = _sync(Industry, wanted, ["name", "level", "section", "parent_id", "dataset_id"])
    levels = {
        lvl: sum(1 for r in rows if r["level"] == lvl) for lvl in ("section", "division", "group", "class")
    }
    return {"version": ds.version, "new_version": new, "rows": len(rows), "levels": levels, **stats}


def _load_zones() -> dict:
    path = DATASETS["zones"]["file"]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    checksum = _sha256(path)
    zones = data["zones"]
    ds, new = _dataset(
        "zones",
        str(data["version"]),
        data["title"],
        dt.date.fromisoformat(str(data["effective_date"])),
        data["source"],
        checksum,
        len(zones),
    )
    wanted = {
        z["code"]: {
            "name": z["name"],
            "kind": z["kind"],
            "description": " ".join(str(z.get("description", "")).split()),
            "source": " ".join(str(z.get("source", "")).split()),
            "dataset_id": ds.pk,
        }
        for z in zones
    }
    stats = _sync(Zone, wanted, ["name", "kind", "description", "source", "dataset_id"])
    m2m_changed = 0
    for z in zones:
        zone = Zone.objects.get(pk=z["code"])
        want = {str(c) for c in z["divisions"]}
        have = set(zone.divisions.values_list("code", flat=True))
        if want != have:
            zone.divisions.set(sorted(want))
            m2m_changed += 1
    return {
        "version": ds.version,
        "new_version": new,
        "rows": len(zones),
        "m2m_changed": m2m_changed,
        **stats,
    }


def _load_size_standards() -> dict:
    path = DATASETS["size-standards"]["file"]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    checksum = _sha256(path)
    default = data["default"]
    std = data["standards"][default]
    sectors = sum(len(s["sectors"]) for s in data["standards"].values())
    source = "; ".join(
        f"{k}: {v['title']} {v['document_number']} ({v['issuer']})" for k, v in data["standards"].items()
    )
    ds, new = _dataset(
        "size-standards",
        f"default={default}",
        f"企业规模划型标准（默认：{std['title']} {std['document_number']}）",
        dt.date.fromisoformat(str(std["effective_date"])),
        source,
        checksum,
        sectors,
    )
    return {
        "version": ds.version,
        "new_version": new,
        "rows": sectors,
        "standards": sorted(data["standards"]),
    }


def load_reference_data(stdout=None) -> dict:
    """Sync all reference datasets into the database; returns per-dataset statistics."""
    out = {}
    with transaction.atomic():
        out["gbt2260"] = _load_divisions()
        out["zones"] = _load_zones()
        out["gbt4754-2017"] = _load_industries()
        out["size-standards"] = _load_size_standards()
    if stdout is not None:
        for key, stats in out.items():
            detail = ", ".join(f"{k}={v}" for k, v in stats.items() if k != "version")
            stdout.write(f"{key} [{stats['version']}]: {detail}\n")
    return out


def division_codes() -> dict[str, str]:
    """All loaded GB/T 2260 divisions: code → name."""
    return dict(Division.objects.order_by("code").values_list("code", "name"))


def industry_codes() -> dict[str, tuple[str, str]]:
    """All loaded GB/T 4754-2017 industries: code → (name, level)."""
    return {
        code: (name, level) for code, name, level in Industry.objects.values_list("code", "name", "level")
    }

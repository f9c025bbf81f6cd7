"""Load the versioned catalogues (``data/catalogues.yaml``) into the database; idempotent (matched by
code, updated in place), so `make demo` and `jinfu load-reference` can run any number of times."""

from __future__ import annotations

from django.db import transaction

from . import engine
from .models import Catalogue, CatalogueItem


def load_catalogues(*, stdout=None) -> dict:
    data = engine.catalogues()
    version = data["_version"]
    counts = {"catalogues": 0, "items": 0}
    with transaction.atomic():
        for code, c in data.items():
            if code.startswith("_"):
                continue
            cat, _ = Catalogue.objects.update_or_create(
                code=code,
                defaults={
                    "title": c["title"],
                    "document": c["document"],
                    "issuer": c["issuer"],
                    "issued_on": c["issued_on"],
                    "effective_on": c["effective_on"],
                    "published_counts": c.get("published_counts", {}),
                    "sources": c.get("sources", []),
                    "data_version": version,
                },
            )
            counts["catalogues"] += 1
            for position, it in enumerate(c["items"]):
                CatalogueItem.objects.update_or_create(
                    catalogue=cat,
                    code=str(it["code"]),
                    defaults={
                        "level": it["level"],
                        "name": it["name"],
                        "criteria": it.get("criteria", ""),
                        "verification": it["verification"],
                        "maps_from": it.get("maps_from", {}),
                        "parent_code": str(it.get("parent", "")),
                        "position": position,
                        "source": it.get("source", {}),
                    },
                )
                counts["items"] += 1
    if stdout is not None:
        stdout.write(f"green catalogues: {counts['catalogues']} versions, {counts['items']} items\n")
    return counts

"""Load the versioned policy data (``data/policies.yaml``) into the database; idempotent: policies and
items are matched by code and updated in place, so `make demo` can run any number of times."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone

from jinfu.core.models import Division

from . import services
from .models import Policy, PolicyItem

DATA = Path(__file__).resolve().parent / "data" / "policies.yaml"


def read(path: Path | None = None) -> dict:
    return yaml.safe_load((path or DATA).read_text(encoding="utf-8"))


def load_policies(path: Path | None = None, *, stdout=None) -> dict:
    data = read(path)
    version = str(data.get("version", ""))
    counts = {"policies": 0, "items": 0}
    with transaction.atomic():
        for entry in data["policies"]:
            entry = dict(entry)
            items = entry.pop("items", []) or []
            status = entry.pop("status", Policy.Status.PUBLISHED)
            entry["data_version"] = version
            if entry.get("division_id") and not Division.objects.filter(code=entry["division_id"]).exists():
                entry["division_id"] = None  # reference data not loaded: keep the jurisdiction text only
            existing = Policy.objects.filter(code=entry["code"]).first()
            policy = services.save_policy(None, entry, policy=existing, system=True)
            if policy.status != status:
                policy.status = status
                policy.published_at = policy.published_at or timezone.now()
                policy.save(update_fields=["status", "published_at", "updated_at"])
            counts["policies"] += 1
            for it in items:
                it = dict(it)
                current = PolicyItem.objects.filter(code=it["code"]).first()
                services.save_item(None, policy.pk, it, item=current, system=True)
                counts["items"] += 1
            services.reindex(policy)
    if stdout:
        stdout.write(
            f"  政策 policies: {counts['policies']}，兑现事项 items: {counts['items']}（数据版本 {version}）\n"
        )
    return counts

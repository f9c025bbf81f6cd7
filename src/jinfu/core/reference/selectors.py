"""Read-only lookups of reference data (divisions, zones, industries) for the API and forms."""

from __future__ import annotations

from django.db.models import Q

from jinfu.core.models import Division, EnterpriseProfile, Industry, Zone

# Municipality pseudo-levels in GB/T 2260 (500100 市辖区, 500200 县): not part of a human-readable full name.
_PSEUDO_PREFECTURES = {"市辖区", "县"}


def division_info(code: str) -> dict | None:
    """``{code, name, level, full_name}`` for a GB/T 2260 code, or None if unknown (e.g. 500103 → 重庆市渝中区)."""
    div = Division.objects.filter(pk=code).select_related("parent__parent").first()
    if div is None:
        return None
    names, node = [], div
    while node is not None:
        if not (node.level == Division.Level.PREFECTURE and node.name in _PSEUDO_PREFECTURES):
            names.append(node.name)
        node = node.parent
    return {"code": div.code, "name": div.name, "level": div.level, "full_name": "".join(reversed(names))}


def list_divisions(parent: str | None = None) -> list[Division]:
    qs = Division.objects.order_by("code")
    if parent:
        qs = qs.filter(parent_id=parent)
    return list(qs)


def list_zones() -> list[Zone]:
    return list(Zone.objects.order_by("code").prefetch_related("divisions"))


def search_industries(
    q: str = "", level: str | None = None, parent: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[Industry]]:
    qs = Industry.objects.order_by("code")
    if q:
        qs = qs.filter(Q(code__istartswith=q.strip()) | Q(name__icontains=q.strip()))
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent_id=parent)
    return qs.count(), list(qs[offset : offset + limit])


_VALUE_LABELS: dict | None = None


def rule_value_labels() -> dict[str, dict[str, str]]:
    """Code → name for the catalog fields that hold codes (industry, size, division, zone), so that rules and
    explanations show 制造业 rather than C. Read once per process (reference data changes by release)."""
    global _VALUE_LABELS
    if _VALUE_LABELS is None or not _VALUE_LABELS["industry_section"]:
        by_level: dict[str, dict[str, str]] = {}
        for code, name, level in Industry.objects.values_list("code", "name", "level"):
            by_level.setdefault(level, {})[code] = name
        _VALUE_LABELS = {
            "industry_section": by_level.get(Industry.Level.SECTION, {}),
            "industry_division": by_level.get(Industry.Level.DIVISION, {}),
            "industry_code": by_level.get(Industry.Level.CLASS, {}),
            "size_class": {k: str(v) for k, v in EnterpriseProfile.SizeClass.choices},
            "division_code": dict(Division.objects.values_list("code", "name")),
            "zone_code": dict(Zone.objects.values_list("code", "name")),
        }
    return _VALUE_LABELS

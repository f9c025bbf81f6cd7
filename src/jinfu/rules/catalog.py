"""The field catalog: the documented contract between the enterprise feature table and the rules.

A rule may only name fields of its catalog. Each field has a type (what the validator checks), a
Chinese label and a unit (what explanations print), a source (where the value comes from) and the grant
scope that reads it. The enterprise fields are not declared here: each module declares them with the
feature set that computes them and registers it in :mod:`jinfu.core.featureregistry`;
:data:`ENTERPRISE_FIELDS` lists whatever is registered (Django's app loading registers every installed
module's sets; a process without Django — a Spark worker — gets a :meth:`Catalog.snapshot` broadcast).
Rule languages of a module add their own fields with ``ENTERPRISE_FIELDS.extend([...])``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator

from jinfu.core import featureregistry
from jinfu.core.featureregistry import TYPES, Field

__all__ = ["ENTERPRISE_FIELDS", "TYPES", "Catalog", "Field", "named_catalog", "register_catalog"]


class Catalog:
    """An ordered set of fields; ``extend`` returns a new catalog. A catalog extending a live one (the
    registry's) follows it: its fields are the base's current fields, then its own."""

    def __init__(self, fields: Iterable[Field], *, base: Catalog | None = None):
        self._base = base
        self._own = self._index(fields)
        self._seen: object = None
        self._merged: dict[str, Field] = {}
        if base is not None:
            self._fields  # noqa: B018 - a clash with the base's current fields fails now, not at first use

    @staticmethod
    def _index(fields: Iterable[Field], into: dict[str, Field] | None = None) -> dict[str, Field]:
        out = dict(into or {})
        for f in fields:
            if f.name in out:
                raise ValueError(f"duplicate field {f.name!r}")
            out[f.name] = f
        return out

    def state(self) -> object:
        """Changes whenever the fields do (a fixed catalog: never)."""
        return None if self._base is None else self._base.state()

    @property
    def _fields(self) -> dict[str, Field]:
        if self._base is None:
            return self._own
        state = self.state()
        if self._seen != state or not self._merged:
            self._merged = self._index(self._own.values(), into=self._base._fields)
            self._seen = state
        return self._merged

    def extend(self, fields: Iterable[Field]) -> Catalog:
        return Catalog(fields, base=self)

    def snapshot(self) -> Catalog:
        """A fixed copy of the current fields (picklable: what a batch driver broadcasts to workers)."""
        return Catalog(list(self._fields.values()))

    def get(self, name: str) -> Field | None:
        return self._fields.get(name) or self._fields.get(name.lower())

    def __getitem__(self, name: str) -> Field:
        f = self.get(name)
        if f is None:
            raise KeyError(name)
        return f

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[Field]:
        return iter(self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)

    @property
    def names(self) -> list[str]:
        return list(self._fields)

    def suggest(self, name: str) -> str | None:
        """The closest field name (for 'did you mean …?')."""
        m = difflib.get_close_matches(name.lower(), self.names, n=1, cutoff=0.6)
        return m[0] if m else None

    def to_markdown(self) -> str:
        rows = [
            "| 字段 field | 类型 type | 中文名 label | 单位 unit | 来源 source | 说明 description | 授权范围 scope |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in self:
            desc = f.description + ("" if f.nullable else "（不为空 never null）")
            rows.append(
                f"| `{f.name}` | {f.type} | {f.label_zh} | {f.unit} | {f.source} | {desc} | {f.scope} |"
            )
        return "\n".join(rows) + "\n"


class RegistryCatalog(Catalog):
    """The fields of the registered feature sets (:mod:`jinfu.core.featureregistry`), in set order."""

    def __init__(self, fields_of: Callable[[], Iterable[Field]], state: Callable[[], object]):
        super().__init__(())
        self._fields_of, self._state = fields_of, state

    def state(self) -> object:
        return self._state()

    @property
    def _fields(self) -> dict[str, Field]:
        state = self.state()
        if self._seen != state:
            self._merged = self._index(self._fields_of())
            self._seen = state
        return self._merged


ENTERPRISE_FIELDS: Catalog = RegistryCatalog(featureregistry.fields, featureregistry.version)


# Named catalogs: each module registers the catalog its rules are written against (e.g. "policy" adds the
# values an enterprise declares when it applies), so kernel pieces that read rules (describe, the rule
# sentences on pages) find it by name without importing the module.
_NAMED: dict[str, Catalog] = {"enterprise": ENTERPRISE_FIELDS}


def register_catalog(name: str, catalog: Catalog) -> None:
    _NAMED[name] = catalog


def named_catalog(name: str) -> Catalog:
    return _NAMED.get(name, ENTERPRISE_FIELDS)

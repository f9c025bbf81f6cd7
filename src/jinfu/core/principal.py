"""Who is asking: a web user or an institution's system with an API key.

Every selector takes a Principal (or a User, which `as_principal` wraps) and filters by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from . import jurisdiction as _jurisdiction
from .models import ApiKey, Organization, Role, User


@dataclass(frozen=True)
class Principal:
    organization: Organization | None
    role: str
    user: User | None = None
    api_key: ApiKey | None = None

    @property
    def channel(self) -> str:
        return "api" if self.api_key is not None else "web"

    @property
    def org_id(self) -> int | None:
        return self.organization.pk if self.organization is not None else None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or bool(self.user and self.user.is_superuser)

    @cached_property
    def jurisdiction(self) -> _jurisdiction.Jurisdiction:
        """Which places this principal governs (core/jurisdiction.py: the one rule)."""
        return _jurisdiction.of(self)

    def has_api_scope(self, scope: str) -> bool:
        """Web users act with their role; API keys are further limited to the scopes they were issued."""
        return self.api_key is None or scope in (self.api_key.scopes or [])


def as_principal(actor) -> Principal:
    if isinstance(actor, Principal):
        return actor
    if isinstance(actor, ApiKey):
        org = actor.organization
        role = Role.INSTITUTION if org.kind == Organization.Kind.INSTITUTION else org.kind
        return Principal(organization=org, role=role, api_key=actor)
    if isinstance(actor, User):
        role = Role.ADMIN if actor.is_superuser else actor.role
        return Principal(organization=actor.organization, role=role, user=actor)
    raise TypeError(f"not an actor: {actor!r}")

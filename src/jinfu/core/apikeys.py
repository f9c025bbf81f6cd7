"""API keys for institutions' systems (API直连): issue, verify, revoke. Keys are stored hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .audit import record_event
from .models import ApiKey, SecurityEvent
from .modules import module_api_scopes

# The kernel's scopes; each module declares its own in its contract (ModuleContract.api_scopes).
CORE_SCOPES = {
    "orgs:read": "读取组织信息 / read organizations",
    "enterprise_data:read": "在授权范围内读取企业数据、查看授权与访问记录 / read enterprise data under a live grant, grants and access records",
    "imports:write": "提交导入任务 / submit imports",
}


def api_scopes() -> dict[str, str]:
    """Scopes an API key can carry (the kernel's, then each installed module's); each endpoint names the
    scope it needs."""
    return {**CORE_SCOPES, **module_api_scopes()}


LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(*, organization, name: str, scopes: list[str], created_by=None, expires_at=None):
    """Create a key; returns (ApiKey, plaintext). The plaintext is shown once and never stored."""
    unknown = sorted(set(scopes) - set(api_scopes()))
    if unknown:
        raise ValueError(f"未知的权限范围 / unknown scopes: {', '.join(unknown)}")
    prefix = secrets.token_hex(4)
    plaintext = f"jf_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=prefix,
        key_hash=_hash(plaintext),
        scopes=sorted(set(scopes)),
        created_by=created_by,
        expires_at=expires_at,
    )
    record_event(SecurityEvent.Kind.API_KEY, user=created_by, action="issued", key=prefix, scopes=key.scopes)
    return key, plaintext


def revoke_key(key: ApiKey, *, by=None) -> ApiKey:
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    record_event(SecurityEvent.Kind.API_KEY, user=by, action="revoked", key=key.prefix)
    return key


def verify_key(plaintext: str) -> ApiKey | None:
    parts = plaintext.split("_")
    if len(parts) < 3 or parts[0] != "jf":
        return None
    key = ApiKey.objects.select_related("organization").filter(prefix=parts[1]).first()
    if key is None or not key.is_live() or not secrets.compare_digest(key.key_hash, _hash(plaintext)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        # one write a minute at most: a busy integration must not turn every read into a write
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer jf_<prefix>_<secret>`; request.auth becomes the ApiKey."""

    def authenticate(self, request, token):
        return verify_key(token)


class SessionAuthCSRF(SessionAuth):
    """Browser session; unsafe methods need the CSRF token (django-ninja checks it).

    Without a logged-in user there is no session to protect: the request is unauthenticated (401), not a
    CSRF failure (403), so a client learns to log in or send its API key rather than to fetch a token."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

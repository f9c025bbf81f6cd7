"""Files on a policy claim (kernel: jinfu.core.attachments; declared in apps.py, so this module imports no
model at load time).

Who sees them: the claim's parties, as in the claims list (the claimant enterprise and the government
offices whose jurisdiction covers the policy, the platform operator). Not the public: a claim under
publicity (公示) shows its decision to everyone, never the enterprise's documents. Who uploads: the
claimant, while the claim is being decided."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KINDS = (
    ("application_form", _("申请表")),
    ("proof", _("证明材料")),
    ("invoice", _("票据凭证")),
)
OPEN = {"submitted", "approved", "publicity", "objection"}


def parent(principal, pk: int):
    from jinfu.core.errors import NotFound

    from . import selectors

    claim = selectors.claims_for(principal).filter(pk=pk).first()
    if claim is None:
        raise NotFound("兑现申请不存在", "Claim not found")
    return claim


def uploads(principal, claim) -> list[str]:
    if principal.role != "enterprise" or principal.org_id != claim.enterprise_id or claim.status not in OPEN:
        return []
    return [kind for kind, _label in KINDS]

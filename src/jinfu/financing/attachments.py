"""Files on a financing application (kernel: jinfu.core.attachments; declared in apps.py, so this module
imports no model at load time).

Who sees them: the application's parties, as on its page (the applicant enterprise, the institution it was
made to, the platform operator). Who uploads: the institution handling it, each kind from the stage it
belongs to."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KINDS = (
    ("due_diligence", _("尽职调查材料")),
    ("contract", _("借款合同")),
    ("disbursement", _("放款凭证")),
)
# the application statuses from which each kind can be uploaded
KIND_STAGES = {
    "due_diligence": {"accepted", "due_diligence", "approved", "disbursed"},
    "contract": {"approved", "disbursed"},
    "disbursement": {"approved", "disbursed"},
}


def parent(principal, pk: int):
    from . import selectors

    return selectors.get_application(principal, pk)


def uploads(principal, app) -> list[str]:
    if principal.org_id is None or principal.org_id != app.institution_id:
        return []
    return [kind for kind, stages in KIND_STAGES.items() if app.status in stages]

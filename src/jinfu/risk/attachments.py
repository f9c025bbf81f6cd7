"""Files on a risk case (kernel: jinfu.core.attachments; declared in apps.py, so this module imports no model
at load time): evidence, verification records and handling documents.

Who sees them: the case's parties, as on its page — the regulators whose jurisdiction covers the case's
division and the platform operator (``cases.get_case``); never the enterprise, institutions or the public.
Who uploads: the same regulators, while the case is open."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KINDS = (
    ("evidence", _("证据材料")),
    ("verification", _("核查记录")),
    ("handling", _("处置文书")),
)


def parent(principal, pk: int):
    from . import cases

    return cases.get_case(principal, pk)


def uploads(principal, case) -> list[str]:
    from . import cases

    if principal.user is None or case.status == "closed" or not cases.may_work(principal, case):
        return []
    return [kind for kind, _label in KINDS]

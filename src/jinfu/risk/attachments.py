"""Files on a risk case (kernel: jinfu.core.attachments; declared in apps.py, so this module imports no model
at load time): evidence, verification records and handling documents.

Who sees them: the case's parties, as on its page — the regulators whose jurisdiction covers the case's
division, the platform operator and the 行业主管 / 街镇 offices the routing named (``cases.get_case``); never
the enterprise, institutions or the public. Who uploads, while the case is open: the regulators every kind;
an office evidence and verification records (处置文书 are the regulator's)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KINDS = (
    ("evidence", _("证据材料")),
    ("verification", _("核查记录")),
    ("handling", _("处置文书")),
)


OFFICE_KINDS = ("evidence", "verification")


def parent(principal, pk: int):
    from . import cases

    return cases.get_case(principal, pk)


def uploads(principal, case) -> list[str]:
    from . import cases

    if principal.user is None or case.status == "closed":
        return []
    if cases.may_work(principal, case):
        return [kind for kind, _label in KINDS]
    if cases.party_of(principal, case):
        return [kind for kind, _label in KINDS if kind in OFFICE_KINDS]
    return []

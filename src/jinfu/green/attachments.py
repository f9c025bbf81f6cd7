"""Documents on a green project (kernel: jinfu.core.attachments; declared in apps.py, so this module imports
no model at load time).

Who sees them: the enterprise that submitted the project, the platform's assessor (operator) who decides
its identification, and an institution that claimed it (it has a GreenLoan row on the project). Not an
institution browsing the hall, not a government office: the pool pages show them the project, not its
documents. Who uploads: the enterprise, while the project is under review (submitted, not yet decided)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KINDS = (
    ("feasibility", _("可行性研究报告")),
    ("approval", _("项目备案或核准文件")),
    ("eia", _("环境影响评价批复")),
    ("evidence", _("其他证明材料")),
)
UNDER_REVIEW = {"submitted"}


def parent(principal, pk: int):
    from jinfu.core.errors import NotFound
    from jinfu.core.models import Role

    from .models import GreenProject

    project = GreenProject.objects.filter(pk=pk).first()
    if project is not None:
        if principal.is_admin:
            return project
        if principal.role == Role.ENTERPRISE and principal.org_id == project.enterprise_id:
            return project
        if (
            principal.role == Role.INSTITUTION
            and project.loans.filter(institution_id=principal.org_id).exists()
        ):
            return project
    raise NotFound("项目不存在或无权查看其材料", "Project not found, or its documents are not yours to read")


def uploads(principal, project) -> list[str]:
    if principal.role != "enterprise" or principal.org_id != project.enterprise_id:
        return []
    if project.status not in UNDER_REVIEW:
        return []
    return [kind for kind, _label in KINDS]


# Attachments of a green notice (附件 of a 通知公告): readers of the notice read them (every signed-in user
# once it is published; its office and the operator before); its office or the operator upload while the
# notice is a draft, so a published text and its files stay as readers saw them.
NOTICE_KINDS = (("attachment", _("附件")),)


def notice_parent(principal, pk: int):
    from . import selectors

    return selectors.get_notice(principal, pk)


def notice_uploads(principal, notice) -> list[str]:
    from . import selectors

    if notice.status != "draft" or not selectors.managed_notices(principal).filter(pk=notice.pk).exists():
        return []
    return [kind for kind, _label in NOTICE_KINDS]

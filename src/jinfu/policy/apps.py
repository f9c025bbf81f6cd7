from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import AttachmentOwner, MenuEntry, ModuleContract

from .attachments import KINDS as ATTACHMENT_KINDS


class PolicyConfig(AppConfig):
    name = "jinfu.policy"
    label = "policy"
    verbose_name = "政策兑现"
    contract = ModuleContract(
        api_scopes=(
            (
                "policy:read",
                "读取政策库、可享政策、兑现申请与拨付台账 / read policies, eligible policies, claims and the payout ledger",
            ),
            (
                "policy:write",
                "申报/确认政策兑现、审核与拨付、主动推送 / claim policies, review and pay claims, run pushes",
            ),
        ),
        url_prefix="policy/",
        urls="jinfu.policy.urls",
        api_prefix="/policy/",
        api_router="jinfu.policy.api:router",
        menus=(
            MenuEntry(
                "policy:mine",
                _("政策兑现"),
                ("enterprise",),
                order=20,
                tour={"enterprise": _("您可能符合的惠企政策和测算金额，在线申请兑现。")},
            ),
            MenuEntry(
                "policy:review",
                _("政策兑现"),
                ("government", "admin"),
                order=20,
                tour={"government": _("审核企业的政策兑现申请，查看拨付台账。")},
            ),
        ),
        attachment_owners=(
            AttachmentOwner(
                model="policy.claim",
                label=_("政策兑现申请"),
                kinds=ATTACHMENT_KINDS,
                parent="jinfu.policy.attachments:parent",
                uploads="jinfu.policy.attachments:uploads",
                read_scope="policy:read",
                write_scope="policy:write",
                url_name="policy:claim-detail",
            ),
        ),
        demo="jinfu.policy.demo:demo_step",
        demo_order=30,
        screen_panels=("jinfu.policy.screen:panel",),
    )

    def ready(self):
        from auditlog.registry import auditlog

        from . import models, receivers  # noqa: F401  (kernel signals: working-day calendar)

        for model in (
            models.Policy,
            models.PolicyItem,
            models.Budget,
            models.Claim,
            models.Objection,
            models.Payout,
        ):
            auditlog.register(model)

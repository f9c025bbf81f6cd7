from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import AttachmentOwner, MenuEntry, ModuleContract

from .attachments import KINDS as ATTACHMENT_KINDS


class RiskConfig(AppConfig):
    name = "jinfu.risk"
    label = "risk"
    verbose_name = _("风险监测预警")
    default_auto_field = "django.db.models.BigAutoField"
    contract = ModuleContract(
        pure_modules=("reference", "supervision_engine"),  # import no Django (make lint)
        api_scopes=(
            (
                "risk:read",
                "读取涉众风险指数、预警、团伙与案件 / read risk indices, warnings, clusters and cases",
            ),
            ("risk:import", "导入风险信号 / import risk signals"),
            ("risk:write", "办理风险案件：任务、意见与附件 / work risk cases: tasks, notes and files"),
        ),
        url_prefix="risk/",
        urls="jinfu.risk.urls",
        api_prefix="/risk/",
        api_router="jinfu.risk.api:router",
        menus=(
            MenuEntry("risk:overview", _("风险监测"), ("regulator", "admin"), order=45),
            MenuEntry("risk:warnings", _("预警名单"), ("regulator", "admin"), order=46),
            MenuEntry(
                "risk:cases",
                _("风险案件"),
                ("regulator", "admin", "sector", "street"),
                order=47,
                labels={"sector": _("承办案件"), "street": _("承办案件")},
                tour={
                    "sector": _("金融办分派给本单位的涉众风险案件：办结协查任务，记录办理结果。"),
                    "street": _("分派到本街镇的涉众风险案件：上门核查、上传核查记录、办结任务。"),
                },
            ),
            MenuEntry("risk:local_finance", _("地方金融组织"), ("regulator", "admin"), order=48),
        ),
        importers=("jinfu.risk.imports:IMPORTERS",),
        attachment_owners=(
            AttachmentOwner(
                model="risk.case",
                label=_("涉众风险案件"),
                kinds=ATTACHMENT_KINDS,
                parent="jinfu.risk.attachments:parent",
                uploads="jinfu.risk.attachments:uploads",
                read_scope="risk:read",
                write_scope="risk:write",
                url_name="risk:case",
            ),
        ),
        demo="jinfu.risk.demo:demo_step",
        demo_order=60,
        cli=("jinfu.risk.cli:add_verbs",),
    )

    def ready(self):
        from auditlog.registry import auditlog

        from . import models
        from .featuresets import register_risk_set

        register_risk_set()
        for model in (
            models.ColourOverride,
            models.SignalBatch,
            models.Case,
            models.RoutingRule,
            models.TipOff,
            models.CaseTask,
            models.CaseNote,
            models.LocalFinanceOrg,
            models.OrgReport,
        ):
            auditlog.register(model)

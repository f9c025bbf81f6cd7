from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import MenuEntry, ModuleContract


class RiskConfig(AppConfig):
    name = "jinfu.risk"
    label = "risk"
    verbose_name = _("风险监测预警")
    default_auto_field = "django.db.models.BigAutoField"
    contract = ModuleContract(
        pure_modules=("reference", "imports"),  # import no Django (make lint)
        api_scopes=(
            (
                "risk:read",
                "读取涉众风险指数、预警、团伙与案件 / read risk indices, warnings, clusters and cases",
            ),
            ("risk:import", "导入风险信号 / import risk signals"),
        ),
        url_prefix="risk/",
        urls="jinfu.risk.urls",
        api_prefix="/risk/",
        api_router="jinfu.risk.api:router",
        menus=(
            MenuEntry("risk:overview", _("风险监测"), ("regulator", "admin"), order=45),
            MenuEntry("risk:warnings", _("预警名单"), ("regulator", "admin"), order=46),
            MenuEntry("risk:cases", _("风险案件"), ("regulator", "admin"), order=47),
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
        ):
            auditlog.register(model)

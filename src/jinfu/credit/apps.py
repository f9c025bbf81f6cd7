from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import MenuEntry, ModuleContract, Schedule


class CreditConfig(AppConfig):
    name = "jinfu.credit"
    label = "credit"
    verbose_name = _("企业画像与信用")
    default_auto_field = "django.db.models.BigAutoField"
    contract = ModuleContract(
        url_prefix="credit/",
        urls="jinfu.credit.urls",
        api_prefix="/credit/",
        api_router="jinfu.credit.api:router",
        menus=(
            MenuEntry("credit:profile", _("企业画像"), ("enterprise",), order=40),
            MenuEntry("credit:distribution", _("信用分布"), ("government", "regulator", "admin"), order=40),
        ),
        demo="jinfu.credit.demo:demo_step",
        demo_order=50,
        importers=("jinfu.credit.imports:IMPORTERS",),
        schedules=(
            Schedule(
                "credit.nightly_refresh",
                "0 2 * * *",
                "jinfu.credit.jobs:nightly_refresh",
                _("信用特征与评分夜间刷新"),
            ),
            Schedule(
                "credit.monthly_psi", "0 4 1 * *", "jinfu.credit.jobs:monthly_psi", _("评分卡 PSI 月度监测")
            ),
        ),
    )

    def ready(self):
        from .featuresets import register_credit_sets

        register_credit_sets()
        from jinfu.core import dataversion

        from .selectors import DISTRIBUTION_TABLES

        dataversion.watch(*DISTRIBUTION_TABLES)  # the distribution page's cache

        from .scoring.batch import register_batch_jobs

        register_batch_jobs()

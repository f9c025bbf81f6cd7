from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import MenuEntry, ModuleContract, OrgLink, Schedule


class CreditConfig(AppConfig):
    name = "jinfu.credit"
    label = "credit"
    verbose_name = _("企业画像与信用")
    default_auto_field = "django.db.models.BigAutoField"
    contract = ModuleContract(
        pure_modules=("features",),  # import no Django (make lint)
        org_links=(
            OrgLink(
                "credit:enterprise_profile",
                _("企业画像（按授权查看信用数据）"),
                ("institution", "admin"),
                own=True,
                data_link="credit-profile",
            ),
        ),
        api_scopes=(
            (
                "credit:read",
                "读取企业画像（授权范围内的信用数据来源记录、特征与标签）与分布 / read enterprise credit profiles under a live grant and distributions",
            ),
        ),
        url_prefix="credit/",
        urls="jinfu.credit.urls",
        api_prefix="/credit/",
        api_router="jinfu.credit.api:router",
        menus=(
            MenuEntry(
                "credit:profile",
                _("企业画像"),
                ("enterprise",),
                order=40,
                tour={"enterprise": _("平台汇集的企业画像和信用评分，以及每项得分的原因。")},
            ),
            MenuEntry(
                "credit:distribution",
                _("信用分布"),
                ("government", "regulator", "admin"),
                order=40,
                tour={"regulator": _("辖区企业信用评分的分布。")},
            ),
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

        from .selectors import DISTRIBUTION_TABLES, PROFILE_TABLES

        dataversion.watch(*DISTRIBUTION_TABLES)  # the distribution page's cache
        dataversion.watch(*PROFILE_TABLES, "credit.ScoreRecord")  # the profile's sections and score

        from .scoring.batch import register_batch_jobs

        register_batch_jobs()

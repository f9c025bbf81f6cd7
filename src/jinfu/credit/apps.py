from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import MenuEntry, ModuleContract


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
    )

    def ready(self):
        from .featuresets import register_credit_sets

        register_credit_sets()

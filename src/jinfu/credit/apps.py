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
            MenuEntry("credit:profile", _("企业画像"), ("enterprise",), order=40),
            MenuEntry("credit:distribution", _("信用分布"), ("government", "regulator", "admin"), order=40),
        ),
        demo="jinfu.credit.demo:demo_step",
        demo_order=50,
    )

    def ready(self):
        from django.db import transaction
        from django.db.models.signals import post_save

        from jinfu.financing.models import Application

        def _loan_changed(sender, instance, **kw):
            # platform loans feed platform_loans_* and is_first_loan: refresh that enterprise on disbursement
            if instance.status == Application.Status.DISBURSED:
                from .services import refresh_features

                transaction.on_commit(lambda: refresh_features([instance.enterprise_id]))

        post_save.connect(_loan_changed, sender=Application, dispatch_uid="credit_loan_refresh")

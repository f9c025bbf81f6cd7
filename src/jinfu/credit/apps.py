from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "jinfu.credit"
    label = "credit"
    verbose_name = "企业画像与信用 / enterprise profile and credit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .featuresets import register_credit_sets

        register_credit_sets()

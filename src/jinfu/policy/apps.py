from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "jinfu.policy"
    label = "policy"
    verbose_name = "政策兑现"

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

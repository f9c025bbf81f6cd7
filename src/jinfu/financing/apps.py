from django.apps import AppConfig


class FinancingConfig(AppConfig):
    name = "jinfu.financing"
    label = "financing"
    verbose_name = "融资服务"

    def ready(self):
        from auditlog.registry import auditlog

        from . import models, receivers  # noqa: F401  (kernel signals: working-day calendar)

        for model in (models.Product, models.Demand, models.Application, models.Fund, models.RoadshowProject):
            auditlog.register(model)

from django.apps import AppConfig


class FinancingConfig(AppConfig):
    name = "jinfu.financing"
    label = "financing"
    verbose_name = "融资服务"

    def ready(self):
        from auditlog.registry import auditlog

        from . import models
        from .featuresets import register_financing_sets

        register_financing_sets()

        for model in (models.Product, models.Demand, models.Application, models.Fund, models.RoadshowProject):
            auditlog.register(model)

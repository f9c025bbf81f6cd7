from django.apps import AppConfig


class BrainConfig(AppConfig):
    name = "jinfu.brain"
    label = "brain"
    verbose_name = "金融产业大脑"

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        for model in (models.Plan, models.Indicator, models.Task):
            auditlog.register(model)

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jinfu.core"
    label = "core"
    verbose_name = "基础平台"

    def ready(self):
        from . import signals  # noqa: F401  (login audit, auditlog registration)
        from .features import register_core_sets

        register_core_sets()

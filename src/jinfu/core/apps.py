from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jinfu.core"
    label = "core"
    verbose_name = "基础平台"

    def ready(self):
        from . import signals  # noqa: F401  (login audit, auditlog registration)
        from .reference import workdays
        from .selectors_calendar import current_schedule

        workdays.set_schedule_provider(current_schedule)  # entered holiday notices (工作日历)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import ModuleContract, Schedule


class SchedulerConfig(AppConfig):
    name = "jinfu.scheduler"
    label = "scheduler"
    verbose_name = _("定时任务")
    default_auto_field = "django.db.models.BigAutoField"
    contract = ModuleContract(
        cli=("jinfu.scheduler.cli:add_verbs",),
        schedules=(
            Schedule(
                "core.calendar_next_year",
                "0 9 * * *",
                "jinfu.scheduler.kerneljobs:calendar_next_year",
                _("下一年工作日历提醒"),
            ),
            Schedule(
                "core.risk_signal_feeds",
                "40 * * * *",
                "jinfu.scheduler.kerneljobs:deliver_risk_signals",
                _("各模块风险信号汇入风险监测"),
            ),
        ),
    )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import MenuEntry, ModuleContract, Schedule


class BrainConfig(AppConfig):
    name = "jinfu.brain"
    label = "brain"
    verbose_name = "金融产业大脑"
    contract = ModuleContract(
        api_scopes=(
            ("brain:read", "读取金融产业大脑规划、指标与分析 / read the finance brain"),
            ("brain:write", "填报实际值、报送任务进展 / write actuals and task progress"),
        ),
        url_prefix="brain/",
        urls="jinfu.brain.urls",
        api_prefix="/brain/",
        api_router="jinfu.brain.api:router",
        menus=(
            MenuEntry(
                "brain:overview",
                _("金融产业大脑"),
                ("government", "regulator", "admin"),
                order=5,
                tour={
                    "government": _(
                        "规划目标的红黄绿灯：哪些指标已实现、符合序时进度或滞后，点开看原文和测算。"
                    ),
                    "regulator": _("全市和各区县规划目标的进展，可对比区县、查看发展指数。"),
                },
            ),
            MenuEntry(
                "brain:tasks",
                _("督办任务"),
                ("government",),
                order=6,
                tour={"government": _("滞后指标生成的督办任务：指派责任人、跟踪办理时限。")},
            ),
        ),
        demo="jinfu.brain.demo:demo_step",
        demo_order=90,  # after the modules whose platform data its indicator feeds read
        reference_loaders=("jinfu.brain.loader:load_plans",),
        cli=("jinfu.brain.cli:add_verbs",),
        importers=("jinfu.brain.imports:IMPORTERS",),
        schedules=(
            Schedule(
                "brain.daily_task_check",
                "30 6 * * *",
                "jinfu.brain.jobs:daily_task_check",
                _("督办任务每日检查"),
            ),
            Schedule(
                "brain.daily_feed_refresh",
                "20 0 * * *",
                "jinfu.brain.jobs:daily_feed_refresh",
                _("规划指标从平台数据更新"),
            ),
        ),
        screen_panels=("jinfu.brain.screen:panel",),
    )

    def ready(self):
        from auditlog.registry import auditlog

        from jinfu.core import dataversion

        from . import models

        dataversion.watch(*dataversion.app_models("brain"), "core.Division", "core.Zone")  # overview cache
        for model in (models.Plan, models.Indicator, models.Task, models.FeedBinding):
            auditlog.register(model)

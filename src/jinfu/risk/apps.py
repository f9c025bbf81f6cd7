from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import AttachmentOwner, IndicatorFeed, MenuEntry, ModuleContract

from .attachments import KINDS as ATTACHMENT_KINDS


def _feed(code: str, name: str, unit: str, func: str, what: str) -> IndicatorFeed:
    return IndicatorFeed(
        f"risk.{code}", name, unit, f"jinfu.risk.selectors:feed_{func}", f"平台数据：{what}", _("风险监测")
    )


INDICATOR_FEEDS = (
    _feed("cases_opened", "风险案件立案数", "件", "cases_opened", "风险案件立案数（立案日期在统计期内）"),
    _feed("cases_closed", "风险案件结案数", "件", "cases_closed", "风险案件结案数（结案日期在统计期内）"),
    _feed(
        "disposal_rate",
        "风险案件处置率",
        "%",
        "disposal_rate",
        "统计期内立案的风险案件中截至期末已结案的比例",
    ),
    _feed("red_warnings", "红色预警企业数", "家", "red_warnings", "当前红色预警企业数（最近一次计算）"),
    *(
        _feed(
            f"lfo_grade_{g.lower()}",
            f"地方金融组织（{g} 级）",
            "家",
            f"lfo_grade_{g.lower()}",
            f"当前分类评级为 {g} 级的地方金融组织数",
        )
        for g in "ABCD"
    ),
    _feed(
        "lfo_shell_missing",
        "“空壳”“失联”地方金融组织",
        "家",
        "lfo_shell_missing",
        "当前识别为“空壳”或“失联”的地方金融组织数",
    ),
)


class RiskConfig(AppConfig):
    name = "jinfu.risk"
    label = "risk"
    verbose_name = _("风险监测预警")
    default_auto_field = "django.db.models.BigAutoField"
    contract = ModuleContract(
        pure_modules=("reference", "supervision_engine"),  # import no Django (make lint)
        api_scopes=(
            (
                "risk:read",
                "读取涉众风险指数、预警、团伙与案件 / read risk indices, warnings, clusters and cases",
            ),
            ("risk:import", "导入风险信号 / import risk signals"),
            ("risk:write", "办理风险案件：任务、意见与附件 / work risk cases: tasks, notes and files"),
        ),
        url_prefix="risk/",
        urls="jinfu.risk.urls",
        api_prefix="/risk/",
        api_router="jinfu.risk.api:router",
        menus=(
            MenuEntry("risk:overview", _("风险监测"), ("regulator", "admin"), order=45),
            MenuEntry("risk:warnings", _("预警名单"), ("regulator", "admin"), order=46),
            MenuEntry(
                "risk:cases",
                _("风险案件"),
                ("regulator", "admin", "sector", "street"),
                order=47,
                labels={"sector": _("承办案件"), "street": _("承办案件")},
                tour={
                    "sector": _("金融办分派给本单位的涉众风险案件：办结协查任务，记录办理结果。"),
                    "street": _("分派到本街镇的涉众风险案件：上门核查、上传核查记录、办结任务。"),
                },
            ),
            MenuEntry("risk:local_finance", _("地方金融组织"), ("regulator", "admin"), order=48),
        ),
        importers=("jinfu.risk.imports:IMPORTERS",),
        attachment_owners=(
            AttachmentOwner(
                model="risk.case",
                label=_("涉众风险案件"),
                kinds=ATTACHMENT_KINDS,
                parent="jinfu.risk.attachments:parent",
                uploads="jinfu.risk.attachments:uploads",
                read_scope="risk:read",
                write_scope="risk:write",
                url_name="risk:case",
            ),
        ),
        demo="jinfu.risk.demo:demo_step",
        demo_order=60,
        cli=("jinfu.risk.cli:add_verbs",),
        indicator_feeds=INDICATOR_FEEDS,
        signal_sinks=("jinfu.risk.services:receive_signals",),
    )

    def ready(self):
        from auditlog.registry import auditlog

        from jinfu.core import dataversion

        from . import models
        from .batch import register_batch_jobs
        from .featuresets import register_risk_set
        from .selectors import OVERVIEW_TABLES

        dataversion.watch(*OVERVIEW_TABLES)  # the overview's and the cluster list's cache

        register_risk_set()
        register_batch_jobs()
        for model in (
            models.ColourOverride,
            models.SignalBatch,
            models.Case,
            models.RoutingRule,
            models.TipOff,
            models.CaseTask,
            models.CaseNote,
            models.LocalFinanceOrg,
            models.OrgReport,
        ):
            auditlog.register(model)

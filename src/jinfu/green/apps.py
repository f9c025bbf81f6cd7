from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import (
    AttachmentOwner,
    IndicatorFeed,
    MenuEntry,
    ModuleContract,
    Schedule,
    SignalSource,
)

from .attachments import KINDS as ATTACHMENT_KINDS
from .attachments import NOTICE_KINDS


def _feed(code: str, name: str, unit: str, what: str) -> IndicatorFeed:
    return IndicatorFeed(
        f"green.{code}", name, unit, f"jinfu.green.selectors:feed_{code}", f"平台数据：{what}", _("绿色金融")
    )


INDICATOR_FEEDS = (
    _feed(
        "loan_balance",
        "绿色贷款余额（平台登记）",
        "万元",
        "金融机构在本平台登记的绿色项目贷款余额（不含未经平台的绿色贷款）",
    ),
    _feed("pool_reserve", "绿色项目库储备项目数", "个", "已认定绿色项目中层级为“储备”的项目数"),
    _feed("pool_pool", "绿色项目库入库项目数", "个", "已认定绿色项目中层级为“入库”的项目数"),
    _feed("pool_recommended", "绿色项目库推荐项目数", "个", "已认定绿色项目中层级为“推荐”的项目数"),
    _feed("financing", "绿色项目撮合融资金额", "万元", "统计期内放款的平台登记绿色贷款金额"),
    _feed("carbon", "绿色贷款碳减排量", "tCO2/年", "平台登记绿色贷款按碳减排支持工具方法归属的年碳减排量"),
)


class GreenConfig(AppConfig):
    name = "jinfu.green"
    label = "green"
    verbose_name = "绿色金融"
    contract = ModuleContract(
        api_scopes=(
            (
                "green:read",
                "读取绿色目录、绿色项目库、识别结果与碳减排 / read green catalogues, the project pool, identifications and carbon",
            ),
            (
                "green:write",
                "提交绿色项目、认定、分层发布、认领与登记贷款 / submit, decide, tier, claim projects and record loans",
            ),
        ),
        url_prefix="green/",
        urls="jinfu.green.urls",
        api_prefix="/green/",
        api_router="jinfu.green.api:router",
        menus=(
            MenuEntry("green:mine", _("绿色项目"), ("enterprise",), order=50),
            MenuEntry("green:hall", _("绿色项目大厅"), ("institution",), order=50),
            MenuEntry("green:overview", _("绿色项目库"), ("government", "admin"), order=50),
            MenuEntry("green:reports", _("绿色金融评价报送"), ("institution",), order=51),
            MenuEntry("green:evaluation", _("绿色金融评价"), ("government", "admin"), order=51),
            MenuEntry(
                "green:home",
                _("绿色金融资讯"),
                ("enterprise", "institution", "government", "regulator", "admin"),
                order=49,
            ),
        ),
        attachment_owners=(
            AttachmentOwner(
                model="green.greenproject",
                label=_("绿色项目"),
                kinds=ATTACHMENT_KINDS,
                parent="jinfu.green.attachments:parent",
                uploads="jinfu.green.attachments:uploads",
                read_scope="green:read",
                write_scope="green:write",
                url_name="green:project",
            ),
            AttachmentOwner(
                model="green.greennotice",
                label=_("绿色资讯与通知公告"),
                kinds=NOTICE_KINDS,
                parent="jinfu.green.attachments:notice_parent",
                uploads="jinfu.green.attachments:notice_uploads",
                read_scope="green:read",
                write_scope="green:write",
                url_name="green:notice",
            ),
        ),
        schedules=(
            Schedule(
                "green.risk_scan", "30 * * * *", "jinfu.green.jobs:risk_scan", _("绿色贷款企业环境处罚预警")
            ),
        ),
        demo="jinfu.green.demo:demo_step",
        demo_order=70,
        reference_loaders=("jinfu.green.loader:load_catalogues",),
        importers=("jinfu.green.imports:IMPORTERS",),
        indicator_feeds=INDICATOR_FEEDS,
        signal_sources=(
            SignalSource("green.risk_warnings", "jinfu.green.selectors:risk_signals", _("绿色金融风险预警")),
        ),
    )

    def ready(self):
        from auditlog.registry import auditlog

        from . import models
        from .batch import register_batch_jobs
        from .featuresets import register_green_sets

        register_green_sets()
        register_batch_jobs()
        for model in (models.GreenProject, models.Identification, models.GreenLoan, models.GreenNotice):
            auditlog.register(model)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import AttachmentOwner, MenuEntry, ModuleContract, Schedule

from .attachments import KINDS as ATTACHMENT_KINDS


class FinancingConfig(AppConfig):
    name = "jinfu.financing"
    label = "financing"
    verbose_name = "融资服务"
    contract = ModuleContract(
        api_scopes=(
            ("financing:read", "读取产品、需求、申请队列与指标 / read products, demands, the queue and KPIs"),
            (
                "financing:write",
                "发布产品、揭榜、办理申请 / publish products, claim demands, decide applications",
            ),
        ),
        url_prefix="financing/",
        urls="jinfu.financing.urls",
        api_prefix="/financing/",
        api_router="jinfu.financing.api:router",
        menus=(
            MenuEntry(
                "financing:market",
                _("融资服务"),
                ("enterprise",),
                order=10,
                tour={
                    "enterprise": _(
                        "产品超市：按利率、额度、期限筛选贷款产品，看自己是否符合条件并在线申请。"
                    )
                },
            ),
            MenuEntry(
                "financing:applications",
                _("我的申请"),
                ("enterprise",),
                order=11,
                tour={"enterprise": _("已提交的融资申请和每一步的办理进度。")},
            ),
            MenuEntry(
                "financing:workbench",
                _("产品与申请"),
                ("institution",),
                order=10,
                tour={"institution": _("发布和维护本机构的金融产品，受理企业的融资申请。")},
            ),
            MenuEntry(
                "financing:hall",
                _("揭榜大厅"),
                ("institution",),
                order=11,
                tour={"institution": _("企业发布的融资需求，可揭榜对接。")},
            ),
            MenuEntry(
                "financing:kpis",
                _("融资服务指标"),
                ("government", "admin"),
                order=12,
                tour={"government": _("本辖区融资服务指标：申请、审批、放款和首贷户。")},
            ),
        ),
        attachment_owners=(
            AttachmentOwner(
                model="financing.application",
                label=_("融资申请"),
                kinds=ATTACHMENT_KINDS,
                parent="jinfu.financing.attachments:parent",
                uploads="jinfu.financing.attachments:uploads",
                read_scope="financing:read",
                write_scope="financing:write",
                url_name="financing:application",
            ),
        ),
        demo="jinfu.financing.demo:demo_step",
        demo_order=20,
        schedules=(
            Schedule(
                "financing.claim_sla", "*/15 * * * *", "jinfu.financing.jobs:claim_sla", _("揭榜时限到期释放")
            ),
        ),
        screen_panels=("jinfu.financing.screen:panel",),
    )

    def ready(self):
        from auditlog.registry import auditlog

        from . import models, receivers  # noqa: F401  (kernel signals: working-day calendar)
        from .featuresets import register_financing_sets

        register_financing_sets()
        from jinfu.core import dataversion

        from .selectors import KPI_TABLES, MARKET_TABLES, MATCH_TABLES

        dataversion.watch(*MATCH_TABLES)  # the online match cache (selectors.matches_for)
        dataversion.watch(*MARKET_TABLES)  # the market's rendered grid (selectors.market_version)
        dataversion.watch(*KPI_TABLES)  # the KPI page's cache (selectors.kpis)

        from .batch import register_batch_jobs

        register_batch_jobs()

        for model in (models.Product, models.Demand, models.Application, models.Fund, models.RoadshowProject):
            auditlog.register(model)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import AttachmentOwner, MenuEntry, ModuleContract, Schedule

from .attachments import KINDS as ATTACHMENT_KINDS
from .attachments import NOTICE_KINDS


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

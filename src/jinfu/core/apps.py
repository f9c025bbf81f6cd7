from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.rules.explain import set_value_labels_provider

from .modules import MenuEntry, ModuleContract


class CoreConfig(AppConfig):
    name = "jinfu.core"
    label = "core"
    verbose_name = "基础平台"
    # The kernel's own pages (its URLs and API are wired in jinfu/urls.py and jinfu/api.py).
    contract = ModuleContract(
        menus=(
            MenuEntry(
                "consent",
                _("数据授权"),
                ("enterprise",),
                order=80,
                tour={"enterprise": _("谁能查看您的哪些数据由您授权：随时查看、撤销授权。")},
            ),
            MenuEntry(
                "screen",
                _("数据大屏"),
                ("government", "admin"),
                order=81,
                tour={
                    "government": _("一屏看本辖区规划进展、促成融资和政策兑现，每分钟自动刷新，适合投屏。"),
                    "admin": _("一屏看全市规划进展、促成融资和政策兑现，每分钟自动刷新。"),
                },
            ),
            MenuEntry(
                "imports:list",
                _("数据导入"),
                ("government", "admin"),
                order=85,
                tour={"admin": _("批量导入企业、规划实际值等数据：先预检，再确认写入。")},
            ),
            MenuEntry(
                "org-list",
                _("主体名录"),
                ("enterprise", "institution", "government", "regulator", "sector", "street", "admin"),
                order=90,
                labels={"enterprise": _("机构名录"), "institution": _("企业名录"), "admin": _("组织")},
                tour={
                    "institution": _("已授权企业的名录和画像，按授权范围查看。"),
                    "regulator": _("辖区金融机构和企业名录。"),
                    "sector": _("本区县主管行业的企业和金融机构名录。"),
                    "street": _("本街镇所在区县的企业和金融机构名录。"),
                    "admin": _("平台上的企业、金融机构和政府部门。"),
                },
            ),
            MenuEntry(
                "access-log",
                _("数据访问记录"),
                ("institution",),
                order=91,
                tour={"institution": _("本机构每次查看企业数据都有记录，企业也能看到。")},
            ),
            MenuEntry(
                "api-keys",
                _("API 密钥"),
                ("institution", "admin"),
                order=92,
                tour={"institution": _("为本机构系统申请 API 密钥，直连平台接口。")},
            ),
            MenuEntry(
                "audit",
                _("审计日志"),
                ("admin",),
                order=93,
                tour={"admin": _("登录、授权和数据变更的审计日志。")},
            ),
            MenuEntry(
                "admin:index",
                _("后台管理"),
                ("admin",),
                order=99,
                tour={"admin": _("后台管理：用户、参考数据和各模块记录。")},
            ),
        ),
        importers=("jinfu.core.imports.organizations:IMPORTERS",),
    )

    def ready(self):
        from django.db.backends.signals import connection_created

        from . import deploychecks, signals  # noqa: F401  (deploy checks; login audit, auditlog registration)
        from .observability import install_slow_query_log

        connection_created.connect(install_slow_query_log, dispatch_uid="jinfu-slow-query-log")
        from . import dataversion

        dataversion.connect()  # writes give cached results (match, dashboards) new data versions
        from .reference import workdays
        from .selectors_calendar import current_schedule

        workdays.set_schedule_provider(current_schedule)  # entered holiday notices (工作日历)

        from .reference.selectors import rule_value_labels

        set_value_labels_provider(rule_value_labels)  # explanations name codes (制造业, not C)
        from .features import register_core_sets

        register_core_sets()

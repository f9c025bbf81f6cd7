from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from .modules import MenuEntry, ModuleContract


class CoreConfig(AppConfig):
    name = "jinfu.core"
    label = "core"
    verbose_name = "基础平台"
    # The kernel's own pages (its URLs and API are wired in jinfu/urls.py and jinfu/api.py).
    contract = ModuleContract(
        menus=(
            MenuEntry("consent", _("数据授权"), ("enterprise",), order=80),
            MenuEntry("imports:list", _("数据导入"), ("government", "admin"), order=85),
            MenuEntry(
                "org-list",
                _("主体名录"),
                ("enterprise", "institution", "government", "regulator", "admin"),
                order=90,
                labels={"enterprise": _("机构名录"), "institution": _("企业名录"), "admin": _("组织")},
            ),
            MenuEntry("access-log", _("数据访问记录"), ("institution",), order=91),
            MenuEntry("api-keys", _("API 密钥"), ("institution", "admin"), order=92),
            MenuEntry("audit", _("审计日志"), ("admin",), order=93),
            MenuEntry("admin:index", _("后台管理"), ("admin",), order=99),
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
        from jinfu.rules.explain import set_value_labels_provider

        from .reference.selectors import rule_value_labels

        set_value_labels_provider(rule_value_labels)  # explanations name codes (制造业, not C)
        from .features import register_core_sets

        register_core_sets()

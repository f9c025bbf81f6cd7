"""Third-party apps under Chinese names in the back office (/admin/).

django-axes and django-tasks-db give their apps plain English names (``Axes``, ``Tasks Database Backend``)
that no catalogue can translate, and django-auditlog's ``Audit log`` has no Chinese translation: settings
INSTALLED_APPS installs these subclasses instead. Only the name changes; label, models and ``ready()`` are
the packages' own. Their model and field names are translated in locale/zh_Hans (English msgids).
"""

from auditlog.apps import AuditlogConfig as BaseAuditlogConfig
from axes.apps import AppConfig as BaseAxesConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig as BaseTasksConfig


class AuditlogConfig(BaseAuditlogConfig):
    verbose_name = _("数据变更记录")


class AxesConfig(BaseAxesConfig):
    verbose_name = _("登录防护")


class TasksConfig(BaseTasksConfig):
    verbose_name = _("后台任务")

"""Navigation per role: each role sees the menu made for it."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Role

# The menu of each role: (URL name, label). Admins get the operator menu.
MENUS = {
    Role.ENTERPRISE: [
        ("financing:market", _("融资服务")),
        ("financing:applications", _("我的申请")),
        ("policy:mine", _("政策兑现")),
        ("listing:readiness", _("上市培育")),
        ("credit:profile", _("企业画像")),
        ("consent", _("数据授权")),
        ("org-list", _("机构名录")),
    ],
    Role.INSTITUTION: [
        ("financing:workbench", _("产品与申请")),
        ("financing:hall", _("揭榜大厅")),
        ("org-list", _("企业名录")),
        ("access-log", _("数据访问记录")),
        ("api-keys", _("API 密钥")),
    ],
    Role.GOVERNMENT: [
        ("brain:overview", _("金融产业大脑")),
        ("brain:tasks", _("督办任务")),
        ("financing:kpis", _("融资服务指标")),
        ("listing:reserve", _("上市培育")),
        ("policy:review", _("政策兑现")),
        ("credit:distribution", _("信用分布")),
        ("org-list", _("主体名录")),
        ("imports:list", _("数据导入")),
    ],
    Role.REGULATOR: [
        ("brain:overview", _("金融产业大脑")),
        ("credit:distribution", _("信用分布")),
        ("org-list", _("主体名录")),
    ],
    Role.ADMIN: [
        ("brain:overview", _("金融产业大脑")),
        ("financing:kpis", _("融资服务指标")),
        ("listing:funnel", _("上市培育")),
        ("policy:review", _("政策兑现")),
        ("credit:distribution", _("信用分布")),
        ("org-list", _("组织")),
        ("imports:list", _("数据导入")),
        ("audit", _("审计日志")),
        ("api-keys", _("API 密钥")),
        ("admin:index", _("后台管理")),
    ],
}


def _items(role: str, is_admin: bool):
    return [("home", _("首页")), *MENUS.get(Role.ADMIN if is_admin else role, [])]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_admin = user.role == Role.ADMIN or user.is_superuser
    path = request.path
    nav = []
    for name, label in _items(user.role, is_admin):
        try:
            url = reverse(name)
        except NoReverseMatch:  # a module whose pages are not installed in this deployment
            continue
        nav.append({"url": url, "label": label, "active": False})
    # the active item is the longest menu URL that the current path starts with
    matches = [
        item for item in nav if path == item["url"] or (item["url"] != "/" and path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    from .models import Notification

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {
        "nav_items": nav,
        "role_label": Role(Role.ADMIN if is_admin else user.role).label,
        "unread": unread,
    }

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from jinfu.core.modules import MenuEntry, ModuleContract


class ListingConfig(AppConfig):
    name = "jinfu.listing"
    label = "listing"
    verbose_name = "上市培育"
    contract = ModuleContract(
        api_scopes=(
            (
                "listing:read",
                "读取上市标准、准备度、储备库与上市进程 / read listing standards, readiness, reserve and milestones",
            ),
            (
                "listing:write",
                "填报报表、提名与审核储备库、登记上市进程 / enter statements, nominate and review, record milestones",
            ),
        ),
        url_prefix="listing/",
        urls="jinfu.listing.urls",
        api_prefix="/listing/",
        api_router="jinfu.listing.api:router",
        menus=(
            MenuEntry("listing:readiness", _("上市培育"), ("enterprise",), order=30),
            MenuEntry("listing:reserve", _("上市培育"), ("government",), order=30),
            MenuEntry("listing:funnel", _("上市培育"), ("admin",), order=30),
        ),
        demo="jinfu.listing.demo:demo_step",
        demo_order=40,
        importers=("jinfu.listing.imports:IMPORTERS",),  # annual statements (docs/imports.md)
    )

    def ready(self):
        from auditlog.registry import auditlog

        from . import models
        from .featuresets import register_listing_sets

        register_listing_sets()

        for model in (
            models.FinancialStatement,
            models.ListingProfile,
            models.ReserveEntry,
            models.Milestone,
        ):
            auditlog.register(model)

from django.apps import AppConfig


class ListingConfig(AppConfig):
    name = "jinfu.listing"
    label = "listing"
    verbose_name = "上市培育"

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

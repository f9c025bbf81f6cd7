from django.apps import AppConfig


class ListingConfig(AppConfig):
    name = "jinfu.listing"
    label = "listing"
    verbose_name = "上市培育"

from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "jinfu.policy"
    label = "policy"
    verbose_name = "政策兑现"

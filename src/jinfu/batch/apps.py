from django.apps import AppConfig

from jinfu.core.modules import ModuleContract


class BatchConfig(AppConfig):
    name = "jinfu.batch"
    label = "batch"
    verbose_name = "批处理"
    contract = ModuleContract(cli=("jinfu.batch.cli:add_verbs",))

"""`manage.py credit export-features PATH | refresh | apply-tags | seed-tags | import SOURCE FILE | pull SOURCE`."""

from django.core.management.base import BaseCommand, CommandError

from jinfu.credit import services


class Command(BaseCommand):
    help = "企业画像与信用 / credit: export-features PATH, refresh, apply-tags, seed-tags, import SOURCE FILE, pull SOURCE"

    def add_arguments(self, parser):
        parser.add_argument(
            "verb", choices=["export-features", "refresh", "apply-tags", "seed-tags", "import", "pull"]
        )
        parser.add_argument("args", nargs="*")
        parser.add_argument("--source-system", default="文件导入")

    def handle(self, verb, *args, **opts):

        if verb == "export-features":
            if not args:
                raise CommandError("PATH required")
            n = services.export_features(args[0])
            self.stdout.write(f"wrote {n} rows to {args[0]}")
        elif verb == "refresh":
            self.stdout.write(f"refreshed {services.refresh_features()} enterprises")
        elif verb == "seed-tags":
            self.stdout.write(f"seeded {services.seed_tag_rules()} tag rules")
        elif verb == "apply-tags":
            self.stdout.write(str(services.apply_tags()))
        elif verb == "import":
            if len(args) != 2:
                raise CommandError("import SOURCE FILE")
            with open(args[1], "rb") as fh:
                b = services.import_file(args[0], fh.read(), args[1], source_system=opts["source_system"])
            self._report(b)
        elif verb == "pull":
            if len(args) != 1:
                raise CommandError("pull SOURCE")
            self._report(services.pull_configured(args[0]))

    def _report(self, b):
        self.stdout.write(f"batch {b.pk}: {b.status}, {b.rows} rows")
        for e in b.errors[:50]:
            self.stdout.write(f"  {e['message_zh']} / {e['message_en']}")
        if b.status != "applied":
            raise CommandError("batch failed, nothing applied")

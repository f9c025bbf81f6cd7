from django.core.management.base import BaseCommand

from jinfu.listing.services import reevaluate_reserve


class Command(BaseCommand):
    help = "储备库定期复核：标记不再符合入库标准的企业并通知金融办 / re-evaluate the listing reserve and flag firms"

    def handle(self, *args, **options):
        reevaluate_reserve(stdout=self.stdout)

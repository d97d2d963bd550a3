from django.core.management.base import BaseCommand

from firstline.market.services.campaigns import market_tick


class Command(BaseCommand):
    help = "助农团购到期截单并生成采购单（与定时作业 market_tick 相同）"

    def handle(self, *args, **options):
        self.stdout.write(str({"closed": market_tick()}))

from django.core.management.base import BaseCommand

from firstline.consultations.services.sla import sla_flag


class Command(BaseCommand):
    help = "咨询超时标记与提醒（与定时作业 consultations_tick 相同）"

    def handle(self, *args, **options):
        self.stdout.write(str(sla_flag()))

from django.core.management.base import BaseCommand

from firstline.volunteers.services.support import overdue_raise


class Command(BaseCommand):
    help = "保障任务超时告警（与定时作业 volunteers_tick 相同）"

    def handle(self, *args, **options):
        self.stdout.write(f"overdue alerts raised: {overdue_raise()}")

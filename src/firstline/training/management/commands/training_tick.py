from django.core.management.base import BaseCommand

from firstline.training.services.sessions import reminders_send


class Command(BaseCommand):
    help = "直播课开课前一天提醒已报名学员（与定时作业 training_tick 相同）"

    def handle(self, *args, **options):
        self.stdout.write(str(reminders_send()))

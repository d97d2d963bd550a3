"""`manage worker`: the task worker with the periodic jobs' scheduler inside it.

`./firstline worker` and `./firstline demo` run this. The scheduler
(core/scheduler.py) is a thread beside the task backend's own worker loop, which
runs in the main thread and keeps its signal handling:

- database backend: django-tasks-db's `db_worker`;
- REDIS_URL set (the RQ backend): django-rq's `rqworker` with django-tasks-rq's job
  class. RQ forks a work horse per job from the main thread; the scheduler thread is
  not copied into it.

Every worker runs the scheduler: the claimed slot rows make each slot run once
however many workers run, so there is no extra process to remember. `--no-scheduler`
leaves it out (a worker that should only run queued tasks). On SIGTERM or SIGINT the
backend's loop ends its current task and returns; the scheduler then stops, waiting
for a run under way up to `--grace` seconds (a run cut short is retried later).
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from firstline.core import scheduler


class Command(BaseCommand):
    help = "Run the task worker (db_worker, or rqworker when REDIS_URL is set) and the scheduler."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-scheduler",
            dest="with_scheduler",
            action="store_false",
            help="run queued tasks only, not the periodic jobs",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=30.0,
            help="seconds to wait on stop for a periodic job under way (default 30)",
        )

    def handle(self, *args, with_scheduler: bool, grace: float, **options):
        thread = stop = None
        if with_scheduler:
            thread, stop = scheduler.start()
        try:
            if "RQ" in settings.TASKS["default"]["BACKEND"]:
                # RQ must build jobs with django-tasks-rq's Job class to run Django Tasks;
                # --with-scheduler is RQ's own, for jobs queued to run later.
                call_command(
                    "rqworker",
                    "default",
                    "--with-scheduler",
                    "--job-class",
                    "django_tasks_rq.backend.Job",
                )
            else:
                # No autoreloader: it would run this command twice (and two schedulers).
                call_command("db_worker", "--interval", "1", "--no-reload")
        finally:
            if thread is not None:
                stop.set()
                thread.join(grace)

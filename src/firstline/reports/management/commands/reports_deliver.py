"""`manage reports_deliver`: send the webhook deliveries that are due, by hand. The
worker's scheduler runs the same function every minute (firstline/schedule.py).

Each delivery is claimed with a conditional update before it is sent
(webhooks.delivery_attempt), so two runs (or a run and a worker) at once never send
the same attempt twice."""

from django.core.management.base import BaseCommand

from firstline.reports.services import webhooks
from firstline.reports.tasks import reports_deliver


class Command(BaseCommand):
    help = "Send the webhook deliveries of daily reports that are due (retries with backoff)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=webhooks.DUE_BATCH, help="at most this many per run"
        )

    def handle(self, *args, limit: int, **options):
        outcomes = reports_deliver.call(limit=limit)
        summary = ", ".join(f"{k}={v}" for k, v in outcomes.items()) or "nothing due"
        self.stdout.write(f"webhook deliveries: {summary}")

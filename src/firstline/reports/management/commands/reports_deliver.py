"""`manage reports_deliver`: send the webhook deliveries that are due (a periodic job).

Each delivery is claimed with a conditional update before it is sent
(webhooks.delivery_attempt), so two runs (or a run and a worker) at once never send
the same attempt twice."""

from django.core.management.base import BaseCommand

from firstline.reports.services import webhooks


class Command(BaseCommand):
    help = "Send the webhook deliveries of daily reports that are due (retries with backoff)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=webhooks.DUE_BATCH, help="at most this many per run"
        )

    def handle(self, *args, limit: int, **options):
        outcomes: dict[str, int] = {}
        for pk in webhooks.deliveries_due(limit=limit):
            outcome = str(webhooks.delivery_attempt(delivery_id=pk))
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        summary = ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())) or "nothing due"
        self.stdout.write(f"webhook deliveries: {summary}")

"""The webhook against a real HTTP server on 127.0.0.1: signed POSTs, retries with
backoff, giving up after MAX_ATTEMPTS, one sender per attempt, and the pages."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from firstline.core.models import AuditEvent
from firstline.orgs.models import Association, Membership
from firstline.reports.models import FIGURES, AuditAction, Webhook, WebhookDelivery
from firstline.reports.services import webhooks
from firstline.reports.tests.test_rollup import add_report
from firstline.testing.world import PASSWORD, make_user


class Receiver:
    """A local endpoint answering with the statuses given, in order (the last repeats),
    and keeping every request it received."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                index = min(len(receiver.requests), len(receiver.statuses)) - 1
                self.send_response(receiver.statuses[index])
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=(200,)):
        r = Receiver(statuses)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def unreachable_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    return f"http://127.0.0.1:{port}/hook"


def make_webhook(world, url: str, division_code: str = ""):
    return webhooks.webhook_create(
        actor=world.users["association_admin"],
        association_id=world.association.pk,
        name=f"hook-{division_code or 'all'}-{Webhook.objects.count()}",
        url=url,
        division_code=division_code,
    )


def submit(world, django_capture_on_commit_callbacks, site=None):
    """What the submit service does: the report row, then deliveries_create in its
    transaction; the commit queues (and, in tests, runs) the sends."""
    with django_capture_on_commit_callbacks(execute=True):
        report = add_report(site or world.a.site, notes="消毒液不足")
        deliveries = webhooks.deliveries_create(report=report)
    return report, deliveries


def verify(secret: str, request: dict) -> bool:
    headers = request["headers"]
    mac = hmac.new(
        secret.encode(),
        headers["X-Firstline-Timestamp"].encode() + b"." + request["body"],
        hashlib.sha256,
    )
    return hmac.compare_digest(headers["X-Firstline-Signature"], f"sha256={mac.hexdigest()}")


def test_a_submission_is_posted_signed(world, receiver, django_capture_on_commit_callbacks):
    server = receiver()
    webhook, secret = make_webhook(world, server.url)
    report, [delivery] = submit(world, django_capture_on_commit_callbacks)
    [request] = server.requests
    assert verify(secret, request)
    assert not verify("wrong secret", request)
    headers = request["headers"]
    assert headers["X-Firstline-Event"] == "report.submitted"
    assert headers["X-Firstline-Delivery"] == str(delivery.pk)
    payload = json.loads(request["body"])
    assert payload["site"] == {"id": world.a.site.pk, "name": "a花园"}
    assert payload["company"] == {"name": world.a.company.name}
    assert payload["division_code"] == "420103001001"
    assert payload["day"] == report.day.isoformat()
    assert payload["notes"] == "消毒液不足"
    assert payload["figures"] == {name: getattr(report, name) for name in FIGURES}
    # No personal data: no resident or user appears in it.
    text = request["body"].decode()
    assert "张伟" not in text and "13800" not in text and "submitted_by" not in text
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert (delivery.attempts, delivery.last_status) == (1, 200)
    # The secret is stored sealed, never in clear.
    stored = bytes(Webhook.objects.get(pk=webhook.pk).secret_enc)
    assert secret.encode() not in stored
    assert webhooks.secret_unseal(stored) == secret


def test_only_matching_active_webhooks_of_the_members_association_get_it(
    world, receiver, django_capture_on_commit_callbacks
):
    server = receiver()
    make_webhook(world, server.url, "420103")  # a's district: yes
    make_webhook(world, server.url, "420106")  # b's district: no
    make_webhook(world, server.url)  # all: yes
    off, _secret = make_webhook(world, server.url)
    webhooks.webhook_deactivate(actor=world.users["association_admin"], webhook=off)
    other = Association.objects.create(name="别的协会", short_name="别的")
    Webhook.objects.create(
        association=other, name="x", url=server.url, secret_enc=webhooks.secret_seal("s")
    )
    _report, deliveries = submit(world, django_capture_on_commit_callbacks)
    assert len(deliveries) == 2
    assert len(server.requests) == 2
    # Company b left the association: nothing for its reports.
    Membership.objects.filter(company=world.b.company).update(status=Membership.Status.LAPSED)
    assert submit(world, django_capture_on_commit_callbacks, site=world.b.site)[1] == []


def test_a_500_is_retried_with_backoff_and_then_delivered(
    world, receiver, django_capture_on_commit_callbacks
):
    server = receiver(statuses=(500, 200))
    make_webhook(world, server.url)
    _report, [delivery] = submit(world, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.PENDING
    assert (delivery.attempts, delivery.last_status) == (1, 500)
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(minutes=1)
    # Not due yet: the periodic job leaves it alone.
    call_command("reports_deliver")
    assert len(server.requests) == 1
    webhooks.delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert (delivery.attempts, delivery.last_status) == (2, 200)
    assert len(server.requests) == 2


def test_unreachable_backs_off_and_gives_up_after_max_attempts(
    world, django_capture_on_commit_callbacks
):
    make_webhook(world, unreachable_url())
    _report, [delivery] = submit(world, django_capture_on_commit_callbacks)
    waits = []
    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        delivery.refresh_from_db()
        if attempt > 1:
            WebhookDelivery.all_tenants.filter(pk=delivery.pk).update(
                next_attempt_at=timezone.now() - timedelta(seconds=1)
            )
            call_command("reports_deliver")
            delivery.refresh_from_db()
        assert delivery.attempts == attempt
        assert delivery.last_status is None and delivery.last_error
        if delivery.next_attempt_at:
            waits.append(round((delivery.next_attempt_at - timezone.now()).total_seconds() / 60))
    assert waits == [1, 2, 4, 8, 16, 32, 60]
    assert delivery.state == WebhookDelivery.State.FAILED
    assert delivery.next_attempt_at is None
    assert webhooks.deliveries_due() == []


def test_an_attempt_is_sent_once_even_if_two_workers_try(
    world, receiver, django_capture_on_commit_callbacks
):
    server = receiver(statuses=(500, 200))
    make_webhook(world, server.url)
    _report, [delivery] = submit(world, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    later = delivery.next_attempt_at + timedelta(seconds=1)
    # The second worker read the row before the first claimed it: its claim must fail.
    first = webhooks.delivery_attempt(delivery_id=delivery.pk, now=later)
    second = webhooks.delivery_attempt(delivery_id=delivery.pk, now=later)
    assert (first, second) == (WebhookDelivery.State.DELIVERED, "skipped")
    assert len(server.requests) == 2


def test_a_claimed_attempt_is_not_due_for_others(
    world, receiver, django_capture_on_commit_callbacks
):
    server = receiver(statuses=(500,))
    make_webhook(world, server.url)
    _report, [delivery] = submit(world, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    stale_due = delivery.next_attempt_at
    # Another worker claims this attempt (the lease moves next_attempt_at on) …
    WebhookDelivery.all_tenants.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + webhooks.LEASE
    )
    # … so one that read the old due time does not send it.
    assert webhooks.delivery_attempt(delivery_id=delivery.pk, now=stale_due) == "skipped"
    assert len(server.requests) == 1


def test_create_validates_and_shows_the_secret_once(client, world):
    admin = world.users["association_admin"]
    with pytest.raises(ValidationError) as exc:
        webhooks.webhook_create(
            actor=admin,
            association_id=world.association.pk,
            name="",
            url="ftp://x",
            division_code="9",
        )
    assert set(exc.value.message_dict) == {"name", "url", "division_code"}
    assert client.login(username=admin.username, password=PASSWORD)
    response = client.post(
        reverse("reports:webhook_create"),
        {"name": "江汉区指挥部", "url": "https://example.org/in", "division_code": "420103"},
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    webhook = Webhook.objects.get(name="江汉区指挥部")
    assert webhooks.secret_unseal(webhook.secret_enc) == secret
    audit = AuditEvent.objects.get(object_type="reports.webhook", object_id=str(webhook.pk))
    assert secret not in json.dumps(audit.changes)
    listing = client.get(reverse("reports:webhook_list")).content.decode()
    assert "江汉区指挥部" in listing and secret not in listing
    bad = client.post(
        reverse("reports:webhook_create"), {"name": "江汉区指挥部", "url": "https://example.org/b"}
    )
    assert bad.status_code == 400, bad.context["form"].errors
    assert bad.context["form"].errors == {"name": ["已有同名的推送地址。"]}, bad.context[
        "form"
    ].errors


def test_deactivate_and_retry_pages(client, world, receiver, django_capture_on_commit_callbacks):
    server = receiver(statuses=(503, 200))
    webhook, _secret = make_webhook(world, server.url)
    _report, [delivery] = submit(world, django_capture_on_commit_callbacks)
    admin = world.users["association_admin"]
    assert client.login(username=admin.username, password=PASSWORD)
    page = client.get(reverse("reports:webhook_deliveries", args=[webhook.pk]))
    assert "HTTP 503" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:delivery_retry", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert len(server.requests) == 2
    assert AuditEvent.objects.filter(
        action=AuditAction.WEBHOOK_RETRY, object_id=str(delivery.pk)
    ).exists()
    response = client.post(reverse("reports:webhook_deactivate", args=[webhook.pk]))
    assert response.status_code == 302
    assert not Webhook.objects.get(pk=webhook.pk).active


def test_webhook_pages_are_the_association_admins_only(client, world, receiver):
    server = receiver()
    other = Association.objects.create(name="别的协会", short_name="别的")
    theirs = Webhook.objects.create(
        association=other, name="x", url=server.url, secret_enc=webhooks.secret_seal("s")
    )
    admin = world.users["association_admin"]
    assert client.login(username=admin.username, password=PASSWORD)
    assert client.get(reverse("reports:webhook_deliveries", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("reports:webhook_deactivate", args=[theirs.pk])).status_code == 404
    assert Webhook.objects.get(pk=theirs.pk).active
    assert "x" not in [
        w["name"] for w in client.get(reverse("reports:webhook_list")).context["webhooks"]
    ]
    client.logout()
    other_admin = make_user("other_admin", "association_admin", association=other)
    assert client.login(username=other_admin.username, password=PASSWORD)
    mine, _secret = make_webhook(world, server.url)
    assert client.get(reverse("reports:webhook_deliveries", args=[mine.pk])).status_code == 404
    client.logout()
    for role in ("company_admin", "site_manager"):
        user = world.a.users[role]
        assert client.login(username=user.username, password=PASSWORD)
        assert client.get(reverse("reports:webhook_list")).status_code == 403
        client.logout()

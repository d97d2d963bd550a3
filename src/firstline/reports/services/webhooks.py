"""The signed, retried webhook that hands each submitted report to an authority's own
system.

- `deliveries_create` runs inside the submit transaction (reports/services/daily.py calls
  it): one WebhookDelivery per active webhook of an association the report's company
  is an active member of, whose division code prefixes the report's ('' = all). The
  payload is the report without personal data. Once committed, a task sends each.
- `delivery_attempt` sends one attempt: it first claims the attempt with a
  conditional UPDATE (same attempt number, due, not leased), so two workers never
  send the same attempt twice; then POSTs the JSON signed with HMAC-SHA256 of
  "<timestamp>.<body>" under the webhook's secret; then records the outcome with
  another conditional UPDATE. 2xx = delivered; anything else backs off 1, 2, 4 …
  minutes (capped at an hour) and gives up after MAX_ATTEMPTS.
- `manage reports_deliver` (a periodic job) retries the deliveries that are due.
- The secret is generated here, sealed with the data key ring (core.crypto.keyring)
  bound to this purpose, and shown once.
Uses urllib from the standard library: httpx is not a dependency.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.personal.crypto import keyring
from firstline.core.services import audit_record
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.orgs.models import Membership
from firstline.reports.models import FIGURES, AuditAction, DailyReport, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

EVENT = "report.submitted"
TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 8
BACKOFF_CAP = timedelta(hours=1)
# A claimed attempt is leased for longer than a request can take; a worker that died
# mid-attempt leaves it due again after the lease.
LEASE = timedelta(seconds=TIMEOUT_SECONDS * 6)
SECRET_CONTEXT = b"reports.webhook.secret"
DUE_BATCH = 200


# --- the secret ------------------------------------------------------------------------------


def secret_seal(secret: str) -> bytes:
    return keyring().encrypt(secret, SECRET_CONTEXT)


def secret_unseal(blob: bytes) -> str:
    return keyring().decrypt(bytes(blob), SECRET_CONTEXT)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


# --- webhooks (association admin) ------------------------------------------------------------


def webhook_create(
    *, actor, association_id: int, name: str, url: str, division_code: str = ""
) -> tuple[Webhook, str]:
    """A new active webhook and its secret (returned once, stored only sealed)."""
    name, url, division_code = name.strip(), url.strip(), division_code.strip()
    errors = {}
    if not name:
        errors["name"] = _("请填写名称。")
    elif Webhook.objects.filter(association_id=association_id, name=name).exists():
        errors["name"] = _("已有同名的推送地址。")
    if not url.startswith(("http://", "https://")):
        errors["url"] = _("接收地址必须以 http:// 或 https:// 开头。")
    if division_code and not Division.objects.filter(code=division_code).exists():
        errors["division_code"] = _("行政区划代码不存在。")
    if errors:
        raise ValidationError(errors)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        webhook = Webhook.objects.create(
            association_id=association_id,
            name=name,
            url=url,
            division_code=division_code,
            secret_enc=secret_seal(secret),
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.WEBHOOK_CREATE,
            obj=webhook,
            changes={"name": name, "url": url, "division_code": division_code},
        )
    return webhook, secret


def webhook_deactivate(*, actor, webhook: Webhook) -> bool:
    """Stop sending to it; pending deliveries to it are not sent any more either."""
    with transaction.atomic():
        changed = Webhook.objects.filter(pk=webhook.pk, active=True).update(
            active=False, updated_at=timezone.now()
        )
        if changed:
            audit_record(
                actor=actor,
                company_id=None,
                action=AuditAction.WEBHOOK_DEACTIVATE,
                obj=webhook,
                changes={"active": False},
            )
    return bool(changed)


# --- deliveries --------------------------------------------------------------------------------


def payload_of(report: DailyReport, *, site_name: str, company_name: str) -> dict:
    """The report as the authorities receive it: figures and the site, no person."""
    return {
        "event": EVENT,
        "report_id": report.pk,
        "site": {"id": report.site_id, "name": site_name},
        "company": {"name": company_name},
        "division_code": report.division_code,
        "day": report.day.isoformat(),
        "state": report.state,
        "version": report.version,
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "late": report.late,
        "figures": {name: getattr(report, name) for name in FIGURES},
        "stock": report.stock or {},
        "notes": report.notes,
        "help_needed": report.help_needed,
    }


def _prefixes(code: str) -> list[str]:
    return [code[:n] for n in range(1, len(code) + 1)]


def deliveries_create(*, report: DailyReport) -> list[WebhookDelivery]:
    """Inside the caller's (submit) transaction: the deliveries of this report's
    version, queued to send once the transaction commits."""
    members = Membership.objects.filter(
        company_id=report.company_id, status=Membership.Status.ACTIVE
    ).values("association_id")
    webhooks = list(
        Webhook.objects.filter(active=True, association_id__in=members)
        .filter(Q(division_code="") | Q(division_code__in=_prefixes(report.division_code)))
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not webhooks:
        return []
    site = Site.all_tenants.filter(pk=report.site_id).values("name", "company__name").get()
    payload = payload_of(report, site_name=site["name"], company_name=site["company__name"])
    now = timezone.now()
    deliveries = WebhookDelivery.all_tenants.bulk_create(
        [
            WebhookDelivery(
                company_id=report.company_id,
                webhook_id=webhook_id,
                report_id=report.pk,
                version=report.version,
                payload=payload,
                next_attempt_at=now,
            )
            for webhook_id in webhooks
        ]
    )
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))
    return deliveries


def _enqueue(ids: list[int]) -> None:
    for pk in ids:
        try:
            deliver_task.enqueue(delivery_id=pk)
        except Exception:
            # Still pending and due: the periodic `reports_deliver` picks it up.
            logger.exception("could not queue webhook delivery %s", pk)


@task()
def deliver_task(*, delivery_id: int) -> str:
    return delivery_attempt(delivery_id=delivery_id)


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send one attempt if it is due and nobody else is sending it. Returns the
    state afterwards ("skipped" when there was nothing to do)."""
    now = now or timezone.now()
    row = (
        WebhookDelivery.all_tenants.filter(pk=delivery_id, state=WebhookDelivery.State.PENDING)
        .values(
            "attempts",
            "next_attempt_at",
            "payload",
            "webhook__url",
            "webhook__secret_enc",
            "webhook__active",
        )
        .first()
    )
    if row is None or not row["webhook__active"]:
        return "skipped"
    if row["next_attempt_at"] is not None and row["next_attempt_at"] > now:
        return "skipped"
    attempts = row["attempts"]
    # The claim: only the worker whose UPDATE matches this attempt number and due
    # time sends it; the lease keeps it from being due for the others meanwhile.
    claimed = WebhookDelivery.all_tenants.filter(
        pk=delivery_id,
        state=WebhookDelivery.State.PENDING,
        attempts=attempts,
        next_attempt_at=row["next_attempt_at"],
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return "skipped"
    status, error = _post(
        url=row["webhook__url"],
        secret=secret_unseal(row["webhook__secret_enc"]),
        delivery_id=delivery_id,
        payload=row["payload"],
    )
    done = timezone.now()
    attempts += 1
    fields = {"attempts": attempts, "last_status": status, "last_error": error[:300]}
    if status is not None and 200 <= status < 300:
        fields.update(
            state=WebhookDelivery.State.DELIVERED, delivered_at=done, next_attempt_at=None
        )
    elif attempts >= MAX_ATTEMPTS:
        fields.update(state=WebhookDelivery.State.FAILED, next_attempt_at=None)
    else:
        fields.update(next_attempt_at=done + backoff(attempts))
    WebhookDelivery.all_tenants.filter(
        pk=delivery_id, state=WebhookDelivery.State.PENDING, attempts=attempts - 1
    ).update(updated_at=done, **fields)
    return fields.get("state", WebhookDelivery.State.PENDING)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: urllib would re-send a POST as a GET
    elsewhere and call that success."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(*, url: str, secret: str, delivery_id: int, payload: dict) -> tuple[int | None, str]:
    """(HTTP status or None, error text)."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    if not url.startswith(("http://", "https://")):
        return None, "unsupported URL scheme"
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Firstline-Webhook/1",
            "X-Firstline-Event": EVENT,
            "X-Firstline-Delivery": str(delivery_id),
            "X-Firstline-Timestamp": timestamp,
            "X-Firstline-Signature": signature(secret, timestamp, body),
        },
    )
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"


def deliveries_due(*, now: datetime | None = None, limit: int = DUE_BATCH) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.all_tenants.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now, webhook__active=True
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def delivery_retry(*, actor, delivery: WebhookDelivery) -> None:
    """ "Retry now": due at once (a delivery that gave up gets one more attempt), and
    queued once committed."""
    with transaction.atomic():
        WebhookDelivery.all_tenants.filter(pk=delivery.pk).exclude(
            state=WebhookDelivery.State.DELIVERED
        ).update(
            state=WebhookDelivery.State.PENDING,
            next_attempt_at=timezone.now(),
            attempts=min(delivery.attempts, MAX_ATTEMPTS - 1),
            updated_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            company_id=delivery.company_id,
            action=AuditAction.WEBHOOK_RETRY,
            obj=delivery,
            changes={"webhook": delivery.webhook_id, "attempts": delivery.attempts},
        )
        transaction.on_commit(lambda: _enqueue([delivery.pk]))

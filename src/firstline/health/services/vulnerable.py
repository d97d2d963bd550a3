"""Vulnerable residents (elderly living alone, disabled, chronically ill, pregnant:
flags on the resident) and the proactive check calls made to them."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record, stored_actor
from firstline.estates.models import Resident
from firstline.health.models import AuditAction, VulnerableCheck

DUE_AFTER_DAYS = 7  # a vulnerable resident not called for a week is due a call

VULNERABLE_Q = (
    Q(lives_alone_elderly=True) | Q(disabled=True) | Q(chronic_illness=True) | Q(pregnant=True)
)


def vulnerable_list(residents, *, now=None):
    """The vulnerable residents of a scoped Resident queryset, each with its last call
    (time, outcome) and whether a call is due: one query, subqueries per row."""
    now = now or timezone.now()
    last = VulnerableCheck.all_tenants.filter(resident_id=OuterRef("pk")).order_by(
        "-called_at", "-id"
    )
    return (
        residents.filter(VULNERABLE_Q)
        .select_related("site", "household", "household__building")
        .annotate(
            last_called_at=Subquery(last.values("called_at")[:1]),
            last_outcome=Subquery(last.values("outcome")[:1]),
        )
        .annotate(
            due=Case(
                When(last_called_at__isnull=True, then=Value(True)),
                When(last_called_at__lt=now - timedelta(days=DUE_AFTER_DAYS), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-due", "last_called_at", "site_id", "household_id", "id")
    )


def check_record(*, actor, resident: Resident, outcome: str, notes: str = "", now=None):
    """One check call. The page offers a support request when the outcome is
    needs_help (the household is the request's)."""
    if outcome not in VulnerableCheck.Outcome.values:
        raise ValidationError({"outcome": _("请选择回访结果。")})
    if not any(getattr(resident, f) for f in Resident.VULNERABILITY_FIELDS):
        raise ValidationError(_("该居民不在关爱名单中。"))
    notes = (notes or "").strip()
    if outcome == VulnerableCheck.Outcome.NEEDS_HELP and not notes:
        raise ValidationError({"notes": _("请说明需要什么帮助。")})
    with transaction.atomic():
        check = VulnerableCheck.all_tenants.create(
            company_id=resident.company_id,
            site_id=resident.site_id,
            resident=resident,
            called_at=now or timezone.now(),
            outcome=outcome,
            notes=notes[:500],
            caller=stored_actor(actor),
        )
        audit_record(
            actor=actor,
            company_id=check.company_id,
            action=AuditAction.VULNERABLE_CALL,
            obj=resident,
            changes={"vulnerable_check": [None, f"{check.get_outcome_display()} {notes}".strip()]},
        )
    return check

"""Support requests: validation, urgent alert, assignment within the site, delivery,
cancel, and the time-to-fulfil figures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from firstline.health.models import HealthAlert, SupportRequest
from firstline.health.services import support
from firstline.health.services.support import fulfil_figures, percentile

ZONE = timezone.get_default_timezone()
DAY = date(2020, 2, 10)


def create(tenant, **kw):
    kw.setdefault("kind", "groceries")
    kw.setdefault("details", "米面油")
    return support.request_create(actor=None, household=tenant.household, **kw)


def test_create_validates_and_names_fields(world):
    with pytest.raises(ValidationError) as exc:
        support.request_create(
            actor=None,
            household=world.a.household,
            kind="pizza",
            details=" ",
            resident=world.b.residents[0],
        )
    assert set(exc.value.message_dict) == {"kind", "details", "resident"}


def test_urgent_request_raises_one_alert(world):
    normal = create(world.a)
    urgent = create(world.a, urgency="urgent", kind="transport", details="透析转运")
    alerts = HealthAlert.all_tenants.filter(kind="urgent_support")
    assert [a.key for a in alerts] == [str(urgent.pk)]
    assert "透析转运" in alerts[0].message and normal.state == "open"


def test_assign_only_to_staff_of_the_same_site(world):
    req = create(world.a)
    with pytest.raises(ValidationError) as exc:
        support.request_assign(actor=None, req=req, staff=world.b.staff)
    assert "assigned_to" in exc.value.message_dict
    support.request_assign(actor=None, req=req, staff=world.a.staff)
    req.refresh_from_db()
    assert req.state == "assigned" and req.assigned_to_id == world.a.staff.pk and req.assigned_at


def test_complete_needs_a_note_and_closes(world):
    req = create(world.a)
    with pytest.raises(ValidationError) as exc:
        support.request_complete(actor=None, req=req, proof_note="")
    assert "proof_note" in exc.value.message_dict
    support.request_complete(actor=None, req=req, proof_note="已放门口")
    req.refresh_from_db()
    assert req.state == "done" and req.done_at
    with pytest.raises(ValidationError):
        support.request_cancel(actor=None, req=req, reason="重复")


def test_cancel_needs_a_reason(world):
    req = create(world.a)
    with pytest.raises(ValidationError) as exc:
        support.request_cancel(actor=None, req=req, reason="")
    assert "reason" in exc.value.message_dict
    support.request_cancel(actor=None, req=req, reason="家属已送")
    assert SupportRequest.all_tenants.get(pk=req.pk).state == "cancelled"


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 0.5, None),
        ([2.0], 0.9, 2.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1),
    ],
)
def test_percentile(values, p, expected):
    result = percentile(values, p)
    assert result == expected if expected is None else abs(result - expected) < 1e-9


def test_fulfil_figures_per_kind_in_the_period(world):
    def done(kind, hours, day=DAY):
        requested = datetime.combine(day, time(8), tzinfo=ZONE)
        with time_machine.travel(requested, tick=False):
            req = create(world.a, kind=kind)
        support.request_complete(
            actor=None, req=req, proof_note="ok", now=requested + timedelta(hours=hours)
        )

    for hours in (1, 2, 3, 10):
        done("groceries", hours)
    done("medicine", 5)
    done("medicine", 50, day=DAY - timedelta(days=30))  # delivered outside the period
    create(world.a, kind="garbage")  # not delivered
    qs = SupportRequest.all_tenants.all()
    figures = {f.kind: f for f in fulfil_figures(qs, first=DAY, last=DAY)}
    assert figures["groceries"].count == 4
    assert figures["groceries"].median_hours == pytest.approx(2.5)
    assert figures["groceries"].p90_hours == pytest.approx(7.9)
    assert (figures["medicine"].count, figures["medicine"].median_hours) == (1, 5.0)
    assert figures["garbage"].count == 0 and figures["garbage"].median_hours is None

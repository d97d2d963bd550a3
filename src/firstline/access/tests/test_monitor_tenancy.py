"""Every monitoring page of the gate, through the shared tenancy checks."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from firstline.access.models import Alert, FollowUp
from firstline.access.services import gate
from firstline.access.services.gate import GateInput
from firstline.access.urls import monitor
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import World


def fever_at(site, resident, housemate) -> None:
    """A closed policy (one outing per household) and one resident at 38.2 ℃: an alert
    and a follow-up; then the housemate goes out (admitted) and the resident tries to
    (denied: the household's outing is used)."""
    now = timezone.now()
    gate.policy_publish(
        actor=None,
        site=site,
        data={
            "mode": "closed",
            "outing_quota": 1,
            "outing_period_days": 2,
            "effective_from": now - timedelta(days=1),
        },
    )
    gate.events_record(
        site=site,
        inputs=[
            GateInput(
                client_uuid=uuid.uuid4(),
                direction=direction,
                device_time=now - timedelta(minutes=minutes),
                resident_id=who.pk,
                temperature=Decimal("38.2") if direction == "in" else None,
            )
            for who, direction, minutes in (
                (resident, "in", 3),
                (housemate, "out", 2),
                (resident, "out", 1),
            )
        ],
    )


@pytest.fixture
def world(world: World) -> World:
    for tenant in (*world.a.corners, world.b):
        fever_at(tenant.site, *tenant.residents)
    return world


def alert_of(tenant):
    return Alert.all_tenants.get(site=tenant.site)


def followup_of(tenant):
    return FollowUp.all_tenants.get(site=tenant.site)


class TestAccessMonitorTenancy(TenancyCases):
    routes = [
        Page("access:log"),
        Page("access:denied"),
        Page("access:log_export"),
        Page("access:stats"),
        Page("access:alert_list"),
        Page("access:alert_badge"),
        Page("access:alert_ack", obj=alert_of, method="post", write={}),
        Page("access:followup_list", viewer="health_officer"),
        Page(
            "access:followup_done",
            obj=followup_of,
            method="post",
            write={"outcome": "已复测 36.6℃，电话随访"},
        ),
    ]


def test_every_monitor_route_is_covered():
    """A new monitoring page must join the tenancy checks above."""
    declared = {f"access:{pattern.name}" for pattern in monitor.urlpatterns}
    assert declared == {page.name for page in TestAccessMonitorTenancy.routes}

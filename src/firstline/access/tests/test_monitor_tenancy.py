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


def fever_at(site, resident) -> None:
    """A closed policy and one resident at 38.2 ℃: an alert and a follow-up."""
    gate.policy_publish(
        actor=None,
        site=site,
        data={"mode": "closed", "effective_from": timezone.now() - timedelta(days=1)},
    )
    gate.events_record(
        site=site,
        inputs=[
            GateInput(
                client_uuid=uuid.uuid4(),
                direction="in",
                device_time=timezone.now(),
                resident_id=resident.pk,
                temperature=Decimal("38.2"),
            )
        ],
    )


@pytest.fixture
def world(world: World) -> World:
    for tenant in (world.a, world.b):
        fever_at(tenant.site, tenant.residents[0])
    return world


def alert_of(tenant):
    return Alert.all_tenants.get(company=tenant.company)


def followup_of(tenant):
    return FollowUp.all_tenants.get(company=tenant.company)


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

"""Every access administration page through the shared tenancy checks: anonymous →
login, another company's object → 404, the permitted user → 200, a denied write
changes nothing."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from firstline.access.models import (
    AccessPolicy,
    Checkpoint,
    Delivery,
    Device,
    Pass,
    Vehicle,
    Visitor,
)
from firstline.access.services import administration as administration_services
from firstline.access.services import devices, gate
from firstline.access.urls import administration as administration_urls
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import Tenant


@dataclass
class AccessRows:
    policy: AccessPolicy
    pass_: Pass
    checkpoint: Checkpoint
    device: Device
    visitor: Visitor
    delivery: Delivery
    vehicle: Vehicle


def make_access_rows(tenant: Tenant, plate: str = "鄂A12345") -> AccessRows:
    """One row of each access table for the tenant, made through the gate."""
    now = timezone.now()
    checkpoint = administration_services.checkpoint_create(
        actor=None, site=tenant.site, data={"name": "东门", "kind": "pedestrian"}
    )
    return AccessRows(
        policy=gate.policy_publish(
            actor=None, site=tenant.site, data={"effective_from": now - timedelta(days=1)}
        ),
        pass_=gate.pass_issue(actor=None, resident=tenant.residents[0]),
        checkpoint=checkpoint,
        device=devices.device_register(
            actor=None, checkpoint=checkpoint, name="东门测温门", kind="temperature"
        )[0],
        visitor=administration_services.visitor_register(
            actor=None,
            household=tenant.household,
            name="王访客",
            phone="13812345678",
            expected_on=timezone.localdate(),
        ),
        delivery=administration_services.delivery_log(
            actor=None, site=tenant.site, carrier="顺丰", household=tenant.household
        ),
        vehicle=administration_services.vehicle_register(
            actor=None, household=tenant.household, plate=plate
        ),
    )


@pytest.fixture
def world(world):
    for tenant in (*world.a.corners, world.b):  # a's two sites and b's first
        tenant.access = make_access_rows(tenant)
    return world


class TestAccessAdminTenancy(TenancyCases):
    routes = [
        Page("access:policy_list"),
        Page("access:policy_create"),
        Page("access:policy_detail", obj=lambda t: t.access.policy),
        Page("access:pass_list"),
        Page("access:pass_issue"),
        Page("access:pass_detail", obj=lambda t: t.access.pass_),
        Page("access:pass_revoke", obj=lambda t: t.access.pass_, write={"reason": "已搬离"}),
        Page("access:pass_sheet", obj=lambda t: t.building),
        Page("access:my_passes", viewer="resident", site_role="resident"),
        Page(
            "access:my_pass", obj=lambda t: t.access.pass_, viewer="resident", site_role="resident"
        ),
        Page("access:checkpoint_list"),
        Page("access:checkpoint_create"),
        Page(
            "access:checkpoint_edit",
            obj=lambda t: t.access.checkpoint,
            write={"name": "西门", "kind": "vehicle"},
        ),
        Page("access:device_list"),
        Page("access:device_create"),
        Page("access:device_rotate", obj=lambda t: t.access.device, write={}),
        Page("access:device_deactivate", obj=lambda t: t.access.device, write={}),
        Page("access:visitor_list"),
        Page("access:visitor_create"),
        Page("access:visitor_detail", obj=lambda t: t.access.visitor),
        Page("access:delivery_list"),
        Page("access:delivery_create"),
        # The guard may mark deliveries collected; the cleaner may not.
        Page(
            "access:delivery_collect",
            obj=lambda t: t.access.delivery,
            write={},
            denied_writer="cleaner",
        ),
        Page("access:vehicle_list"),
        Page("access:vehicle_create"),
        Page("access:vehicle_remove", obj=lambda t: t.access.vehicle, write={}),
    ]


def test_every_admin_route_is_covered():
    """A new administration page must join the tenancy checks above."""
    names = {f"access:{p.name}" for p in administration_urls.urlpatterns}
    assert names - {page.name for page in TestAccessAdminTenancy.routes} == set()

"""The demo's offices and shops back at work (issue #21): two buildings under office
gate rules, tenants in every state, staff with passes up to the approved headcount,
the suspended tenant's passes revoked, gate history with refusals naming the hours;
the demo logins tenant_1 and building_1 reach their pages."""

import pytest
from django.test import Client
from django.urls import reverse

from firstline.access.models import AccessEvent, AccessPolicy, Pass
from firstline.estates.models import Resident
from firstline.resumption.models import Application, Tenant
from firstline.scenario.tests.shared_world import module_world
from firstline.scenario.world import DEMO_PASSWORD, ScaleOverride

TINY = ScaleOverride(companies=3, sites=30, residents=600, staff=150, batch=300)

pytestmark = pytest.mark.django_db(transaction=False)


world = module_world(TINY, on_commit=True)  # one world for the module's tests


def test_the_resumption_world(world):
    rows = next(s for s in world.steps if s.name == "resumption").rows
    assert rows["buildings"] == 2 and rows["tenants"] == Tenant.all_tenants.count() == 15
    states = set(Application.all_tenants.values_list("state", flat=True))
    assert states == {"draft", "submitted", "approved", "refused", "suspended"}
    for policy in AccessPolicy.all_tenants.filter(mode="office"):
        assert policy.floor_cap == 40 and policy.office_hours_start is not None
    # Passes only for approved tenants, never more than the approved headcount.
    for application in Application.all_tenants.select_related("tenant"):
        live = Pass.all_tenants.filter(
            household_id=application.tenant.household_id, revoked_at__isnull=True
        ).count()
        if application.state == "approved":
            assert 0 < live <= application.approved_headcount
        else:
            assert live == 0, application.state
    suspended = Application.all_tenants.get(state="suspended")
    assert Pass.all_tenants.filter(
        household_id=suspended.tenant.household_id, revoked_at__isnull=False
    ).exists()
    assert (
        rows["staff"]
        == Resident.all_tenants.filter(
            household_id__in=Tenant.all_tenants.values("household_id")
        ).count()
    )
    events = AccessEvent.all_tenants.filter(
        household_id__in=Tenant.all_tenants.values("household_id")
    )
    assert events.filter(decision="admit").exists()
    refused = events.filter(decision="deny")
    assert refused.exists()
    assert all(any("不在办公时间（08:30–18:30）" in r for r in e.reasons) for e in refused)


def test_the_demo_logins_reach_their_pages(world):
    client = Client()
    assert client.login(username="tenant_1", password=DEMO_PASSWORD)
    response = client.get(reverse("resumption:mine"), follow=True)
    assert response.status_code == 200
    assert response.context["application"].state == "approved"
    assert response.context["passes_active"] > 0
    client.logout()
    assert client.login(username="building_1", password=DEMO_PASSWORD)
    response = client.get(reverse("resumption:tenant_list"))
    assert response.status_code == 200
    assert len(response.context["object_list"]) == 10
    assert client.get(reverse("resumption:building_figures")).status_code == 200
    assert client.get(reverse("resumption:tenant_list") + "?export=xlsx").status_code == 200
    client.logout()
    assert client.login(username="assoc_admin", password=DEMO_PASSWORD)
    figures = client.get(reverse("resumption:association_figures")).context["figures"]
    assert figures["tenants"] == 7  # six approved and one suspended: they came back

"""Every care page through the shared tenancy checks; the authority's flagged page,
which reads across companies by division, is checked explicitly below."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from firstline.core.models import AccessLog
from firstline.health.models import (
    HealthAlert,
    IsolationCase,
    IsolationFacility,
    SupportRequest,
)
from firstline.health.services import isolation, support
from firstline.health.urls import care
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import PASSWORD, World


def jpeg_bytes(size=(64, 48), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def furnish(tenant) -> None:
    """A facility, an open case with one check, an urgent support request with a proof
    photo, and its alert: one of each for the tenant."""
    point = IsolationFacility.all_tenants.create(
        company=tenant.company, name=f"{tenant.site.name}隔离点", capacity=10
    )
    case = isolation.isolation_open(
        actor=None,
        resident=tenant.residents[0],
        kind="central",
        facility=point,
        reason="武汉返回",
        start_date=timezone.localdate(),
    )
    isolation.check_record(
        case=case, day=case.start_date, slot="am", temperature="36.6", by="staff"
    )
    req = support.request_create(
        actor=None,
        household=tenant.household,
        case=case,
        kind="medicine",
        urgency="urgent",
        details="降压药两盒",
    )
    req.proof_photo.save(f"{req.pk}.jpg", ContentFile(jpeg_bytes()), save=True)


def furnished(world: World, settings) -> World:
    """The shared world with proof photos kept in memory, and each of company a's
    sites and b's first furnished."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    for tenant in (*world.a.corners, world.b):
        furnish(tenant)
    return world


@pytest.fixture
def world(world: World, settings) -> World:
    return furnished(world, settings)


def case_of(t):
    return IsolationCase.all_tenants.get(site=t.site)


def facility_of(t):
    return IsolationFacility.all_tenants.get(company=t.company, name=f"{t.site.name}隔离点")


def request_of(t):
    return SupportRequest.all_tenants.get(site=t.site)


def alert_of(t):
    return HealthAlert.all_tenants.get(site=t.site, kind="urgent_support")


FACILITIES = "isolation points are the company's: every site of it sees them"


class TestCareTenancy(TenancyCases):
    routes = [
        Page("health:isolation_list", viewer="health_officer"),
        Page("health:isolation_create", viewer="site_manager"),
        Page("health:isolation_detail", obj=case_of),
        Page(
            "health:isolation_extend",
            obj=case_of,
            write={"planned_end": "2099-01-01", "reason": "密接延长"},
        ),
        Page(
            "health:isolation_check",
            obj=case_of,
            viewer="health_officer",
            write={"day": "2020-01-01", "slot": "pm", "temperature": "36.5"},
        ),
        Page("health:isolation_release", obj=case_of, write={"note": "期满解除"}),
        Page("health:facility_list", viewer="site_manager", company_level=FACILITIES),
        Page("health:facility_create"),
        Page(
            "health:facility_edit",
            obj=facility_of,
            write={"name": "改名", "capacity": "20"},
            company_level=FACILITIES,
        ),
        Page("health:isolation_my", viewer="resident", site_role="resident"),
        Page(
            "health:isolation_my_check",
            obj=case_of,
            viewer="resident",
            write={"temperature": "36.5"},
            site_role="resident",
        ),
        Page("health:support_list", viewer="health_officer"),
        Page("health:support_create", viewer="health_officer"),
        Page("health:support_detail", obj=request_of),
        Page("health:support_assign", obj=request_of, write={"assigned_to": "1"}),
        Page("health:support_complete", obj=request_of, write={"proof_note": "已送达"}),
        Page("health:support_cancel", obj=request_of, write={"reason": "重复登记"}),
        Page("health:support_photo", obj=request_of),
        Page("health:support_my", viewer="resident", site_role="resident"),
        Page("health:vulnerable_list", viewer="health_officer"),
        Page(
            "health:vulnerable_call",
            obj=lambda t: t.residents[1],
            viewer="health_officer",
            write={"outcome": "well"},
        ),
        Page("health:alert_list", viewer="health_officer"),
        Page("health:alert_ack", obj=alert_of, method="post", write={}),
    ]
    explicit = {"health:flagged_list": "test_flagged_shows_own_division_masked_and_logs_each_view"}


EXPLICIT = {"health:flagged_list"}  # cross-company by division: test_flagged_* below


def test_every_care_route_is_covered():
    """A new care page must join the tenancy checks above."""
    declared = {f"health:{pattern.name}" for pattern in care.urlpatterns}
    assert declared == {page.name for page in TestCareTenancy.routes} | EXPLICIT


# --- the authority's flagged cases --------------------------------------------------------


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_flagged_shows_own_division_masked_and_logs_each_view(client, world):
    """The authority (江汉区) sees company a's case (its site is in 江汉区), not b's
    (武昌区); names and phones masked; each view logged in a's access log."""
    login(client, world.users["authority_viewer"])
    response = client.get(reverse("health:flagged_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "a*" in body and "a张伟" not in body
    assert "138****0101" in body
    assert world.b.site.name not in body
    assert "13800000101" not in body
    logs = AccessLog.all_tenants.filter(object_type="flagged_cases")
    assert [(log.company_id, log.actor_id) for log in logs] == [
        (world.a.company.pk, world.users["authority_viewer"].pk)
    ]
    client.get(reverse("health:flagged_list"))
    assert AccessLog.all_tenants.filter(object_type="flagged_cases").count() == 2


@pytest.mark.parametrize("role", ["company_admin", "site_manager", "health_officer", "resident"])
def test_flagged_refused_to_other_roles(client, world, role):
    login(client, world.a.users[role])
    assert client.get(reverse("health:flagged_list")).status_code == 403
    assert not AccessLog.all_tenants.filter(object_type="flagged_cases").exists()


def test_flagged_anonymous_goes_to_login(client, world):
    response = client.get(reverse("health:flagged_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

"""The care pages end to end: opening a case from the page, the resident's check-in on
the phone, support delivery with a photo whose metadata is stripped, vulnerable
check calls, alerts; who may see what; and the pinned query counts of the lists."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from firstline.health.models import (
    HealthAlert,
    IsolationCase,
    IsolationCheck,
    SupportRequest,
    VulnerableCheck,
)
from firstline.health.services import isolation, support
from firstline.health.tests.helpers import another_household_resident, count_queries, login
from firstline.health.tests.test_care_tenancy import case_of, furnished, request_of


@pytest.fixture
def world(world, settings):
    return furnished(world, settings)


def test_open_case_from_the_page_with_prefill(client, world):
    login(client, world.a.users["health_officer"])
    url = reverse("health:isolation_create")
    found = client.get(url, {"q": "李娜"})
    assert "a李娜" in found.content.decode() and "b李娜" not in found.content.decode()
    resident = world.a.residents[1]
    page = client.get(url, {"resident": resident.pk})
    assert page.status_code == 200 and "a李娜" in page.content.decode()
    assert client.get(url, {"resident": world.b.residents[1].pk}).status_code == 404
    refused = client.post(
        f"{url}?resident={resident.pk}",
        {"kind": "central", "reason": "密接", "start_date": timezone.localdate().isoformat()},
    )
    assert refused.status_code == 200 and "集中隔离需要选择隔离点" in refused.content.decode()
    response = client.post(
        f"{url}?resident={resident.pk}",
        {"kind": "home", "reason": "密接", "start_date": timezone.localdate().isoformat()},
    )
    case = IsolationCase.all_tenants.get(resident=resident)
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.opened_by == world.a.users["health_officer"]


def test_detail_shows_checks_and_chart(client, world):
    login(client, world.a.users["health_officer"])
    body = client.get(
        reverse("health:isolation_detail", args=[case_of(world.a).pk])
    ).content.decode()
    assert 'data-chart="temperature-chart"' in body and "36.6℃" in body
    assert "vendor/echarts/echarts.min.js" in body


def test_list_shows_todays_check_status(client, world):
    login(client, world.a.users["health_officer"])
    body = client.get(reverse("health:isolation_list")).content.decode()
    assert "a张伟" in body and "b张伟" not in body
    assert body.count('data-testid="isolation-row"') == 1
    assert "bi-check-lg" in body  # the morning check of the fixture


def test_resident_checks_in_on_the_phone(client, world):
    case = case_of(world.a)
    IsolationCheck.all_tenants.filter(case=case).delete()
    login(client, world.a.users["resident"])
    page = client.get(reverse("health:isolation_my"))
    assert page.status_code == 200 and 'data-testid="my-case"' in page.content.decode()
    now = timezone.now()
    prefix = f"c{case.pk}"
    data = {
        f"{prefix}-day": timezone.localdate(now).isoformat(),
        f"{prefix}-slot": isolation.current_slot(now),
        f"{prefix}-temperature": "44.0",
    }
    bad = client.post(reverse("health:isolation_my_check", args=[case.pk]), data)
    assert bad.status_code == 422 and "体温" in bad.content.decode()
    data[f"{prefix}-temperature"] = "36.4"
    ok = client.post(reverse("health:isolation_my_check", args=[case.pk]), data)
    assert ok.status_code == 302
    assert IsolationCheck.all_tenants.get(case=case).by == "self"
    assert 'data-testid="slot-done"' in client.get(reverse("health:isolation_my")).content.decode()


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (120, 90), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (30.0, 35.0, 0.0), 4: (114.0, 17.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_support_assign_and_complete_with_photo_without_metadata(client, world):
    req = request_of(world.a)
    SupportRequest.all_tenants.filter(pk=req.pk).update(proof_photo="")
    login(client, world.a.users["site_manager"])
    detail = reverse("health:support_detail", args=[req.pk])
    wrong = client.post(
        reverse("health:support_assign", args=[req.pk]), {"assigned_to": world.b.staff.pk}
    )
    assert wrong.status_code == 422 and 'data-testid="proof"' not in wrong.content.decode()
    assert "invalid-feedback" in wrong.content.decode()
    assert (
        client.post(
            reverse("health:support_assign", args=[req.pk]), {"assigned_to": world.a.staff.pk}
        )["Location"]
        == detail
    )
    not_image = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    refused = client.post(
        reverse("health:support_complete", args=[req.pk]),
        {"proof_note": "已送达", "proof_photo": not_image},
    )
    assert refused.status_code == 422 and "无法识别的图片" in refused.content.decode()
    photo = SimpleUploadedFile("p.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    assert Image.open(io.BytesIO(_jpeg_with_gps())).getexif()
    done = client.post(
        reverse("health:support_complete", args=[req.pk]),
        {"proof_note": "已送达门口", "proof_photo": photo},
    )
    assert done.status_code == 302
    req = SupportRequest.all_tenants.get(pk=req.pk)
    assert req.state == "done" and req.done_at and req.proof_note == "已送达门口"
    served = client.get(reverse("health:support_photo", args=[req.pk]))
    stored = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert stored.format == "JPEG" and not stored.getexif() and "exif" not in stored.info


def test_support_photo_over_5_mb_is_refused(world):
    big = SimpleUploadedFile("big.jpg", b"\xff" * (5 * 1024 * 1024 + 1))
    with pytest.raises(Exception) as exc:
        support.request_complete(actor=None, req=request_of(world.a), proof_note="x", photo=big)
    assert "5 MB" in str(exc.value)


def test_support_list_shows_fulfil_figures(client, world):
    req = request_of(world.a)
    now = timezone.now()
    SupportRequest.all_tenants.filter(pk=req.pk).update(
        state="done", requested_at=now - timedelta(hours=3), done_at=now
    )
    login(client, world.a.users["health_officer"])
    body = client.get(reverse("health:support_list"), {"state": "all"}).content.decode()
    assert 'data-testid="fulfil-figures"' in body and ">3.0<" in body


def test_resident_asks_for_support(client, world):
    login(client, world.a.users["resident"])
    url = reverse("health:support_my")
    assert (
        client.post(url, {"kind": "groceries", "urgency": "normal", "details": ""}).status_code
        == 200
    )
    response = client.post(url, {"kind": "groceries", "urgency": "urgent", "details": "蔬菜和米"})
    assert response.status_code == 302
    req = SupportRequest.all_tenants.get(details="蔬菜和米")
    assert req.household_id == world.a.household.pk and req.case_id == case_of(world.a).pk
    assert HealthAlert.all_tenants.filter(kind="urgent_support", key=str(req.pk)).exists()
    assert "蔬菜和米" in client.get(url).content.decode()


def test_vulnerable_list_and_call_needing_help_leads_to_a_request(client, world):
    login(client, world.a.users["health_officer"])
    body = client.get(reverse("health:vulnerable_list")).content.decode()
    assert "a李娜" in body and "a张伟" not in body and 'data-testid="due"' in body
    url = reverse("health:vulnerable_call", args=[world.a.residents[1].pk])
    assert client.post(url, {"outcome": "needs_help", "notes": ""}).status_code == 200
    response = client.post(url, {"outcome": "needs_help", "notes": "缺降压药"})
    assert (
        response["Location"]
        == f"{reverse('health:support_create')}?resident={world.a.residents[1].pk}"
    )
    assert VulnerableCheck.all_tenants.get().outcome == "needs_help"
    body = client.get(reverse("health:vulnerable_list")).content.decode()
    assert 'data-testid="due"' not in body
    assert (
        client.get(reverse("health:vulnerable_call", args=[world.a.residents[0].pk])).status_code
        == 404
    )


def test_alert_acknowledge(client, world):
    alert = HealthAlert.all_tenants.get(site=world.a.site)
    login(client, world.a.users["health_officer"])
    assert "降压药" in client.get(reverse("health:alert_list")).content.decode()
    response = client.post(reverse("health:alert_ack", args=[alert.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Trigger"] == "fl:health-alerts-changed"
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.a.users["health_officer"]
    assert "降压药" not in client.get(reverse("health:alert_list")).content.decode()


@pytest.mark.parametrize(
    ("role", "name", "status"),
    [
        ("guard", "health:isolation_list", 403),
        ("cleaner", "health:support_list", 403),
        ("resident", "health:isolation_list", 403),
        ("resident", "health:alert_list", 403),
        ("guard", "health:isolation_my", 403),
        ("health_officer", "health:facility_create", 403),
        ("health_officer", "health:facility_list", 200),
        ("site_manager", "health:vulnerable_list", 200),
    ],
)
def test_pages_by_role(client, world, role, name, status):
    login(client, world.a.users[role])
    assert client.get(reverse(name)).status_code == status


def test_facility_list_shows_occupancy_to_site_roles(client, world):
    login(client, world.a.users["site_manager"])
    body = client.get(reverse("health:facility_list")).content.decode()
    assert "a花园隔离点" in body and "b花园隔离点" not in body
    assert 'data-testid="occupied">1<' in body


# --- query counts ---------------------------------------------------------------------------

# session, user, role assignments, the site filter's choices, COUNT, the page, and
# per page: today's checks (isolation), the figures (support).
EXPECTED = {
    "health:isolation_list": 7,
    "health:support_list": 7,
    "health:vulnerable_list": 6,
    "health:alert_list": 6,
}


def grow(tenant, n: int) -> None:
    """n more households with a vulnerable resident, an open case and a request each."""
    for i in range(n):
        resident = another_household_resident(tenant, i, id_seed=500, disabled=True)
        household = resident.household
        case = isolation.isolation_open(
            actor=None,
            resident=resident,
            kind="home",
            reason="返汉",
            start_date=timezone.localdate(),
        )
        support.request_create(
            actor=None,
            household=household,
            case=case,
            kind="groceries",
            details="米",
            urgency="urgent",
        )


@pytest.mark.parametrize("name", list(EXPECTED))
def test_list_query_count_is_pinned(client, world, name):
    login(client, world.a.users["company_admin"])
    url = reverse(name)
    assert count_queries(client, url) == EXPECTED[name]
    grow(world.a, 12)
    assert count_queries(client, url) == EXPECTED[name]

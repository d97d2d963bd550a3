"""Residents through the pages and the API: create, edit, search, reveal."""

import pytest
from django.urls import reverse

from firstline.core.models import AccessLog, AuditEvent
from firstline.core.personal.fields import get_personal
from firstline.estates.models import AuditAction, Resident
from firstline.testing.world import PASSWORD, make_id_number


@pytest.fixture
def admin_client(client, world):
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    return client


def form_data(world, **over):
    data = {
        "site": world.a.site.pk,
        "building": "1栋",
        "unit": "1",
        "room": "301",
        "name": "王芳",
        "phone": "13912345678",
        "id_number": make_id_number(77),
        "birth_year": 1990,
        "relation": "tenant",
    }
    return {**data, **over}


def test_create_resident_seals_and_audits(admin_client, world):
    response = admin_client.post(reverse("estates:resident_create"), form_data(world))
    resident = Resident.all_tenants.get(name="王芳")
    assert response.status_code == 302 and response["Location"] == resident.get_absolute_url()
    assert (resident.phone_masked, resident.phone_last4, resident.name_initials) == (
        "139****5678",
        "5678",
        "wf",
    )
    assert get_personal(resident, "id_number") == make_id_number(77)
    event = AuditEvent.objects.get(object_type="estates.resident", object_id=str(resident.pk))
    assert event.action == AuditAction.RESIDENT_CREATE and event.changes["phone"] == [
        None,
        "139****5678",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("id_number", "420102198001010010"), ("phone", "2391234567"), ("room", "999")],
)
def test_bad_input_names_the_field_and_saves_nothing(admin_client, world, field, value):
    before = Resident.all_tenants.count()
    response = admin_client.post(
        reverse("estates:resident_create"), form_data(world, **{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Resident.all_tenants.count() == before


def test_edit_with_blank_personal_fields_keeps_them(admin_client, world):
    resident = world.a.residents[0]
    phone = get_personal(resident, "phone")
    response = admin_client.post(
        reverse("estates:resident_edit", args=[resident.pk]),
        form_data(world, name="张伟新", phone="", id_number=""),
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert (resident.name, get_personal(resident, "phone")) == ("张伟新", phone)


@pytest.mark.parametrize("term", ["0101", "13800000101", "azw", "a张伟", "1栋-1-301"])
def test_search_finds_by_phone_last_four_full_phone_initials_name_room(admin_client, world, term):
    response = admin_client.get(reverse("estates:resident_list"), {"q": term})
    names = [r.name for r in response.context["object_list"]]
    assert "a张伟" in names
    assert all(r.company_id == world.a.company.pk for r in response.context["object_list"])


def test_htmx_search_returns_only_the_table(admin_client, world):
    response = admin_client.get(
        reverse("estates:resident_list"),
        {"q": "0101"},
        headers={"HX-Request": "true", "HX-Target": "list-table"},
    )
    assert response.templates[0].name == "estates/_resident_table.html"


def test_api_reveal_logs_and_lists_are_masked(client, world):
    token = client.post(
        "/api/v1/auth/token",
        {"username": world.a.users["site_manager"].username, "password": PASSWORD},
        content_type="application/json",
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    resident = world.a.residents[0]
    listing = client.get("/api/v1/residents", {"q": resident.phone_last4}, headers=auth).json()
    assert [r["phone_masked"] for r in listing["items"]] == [resident.phone_masked]
    assert get_personal(resident, "phone") not in str(listing)
    response = client.post(
        f"/api/v1/residents/{resident.pk}/reveal",
        {"field": "phone", "purpose": "联系核实行程"},
        content_type="application/json",
        headers=auth,
    )
    assert response.json() == {"value": get_personal(resident, "phone")}
    assert AccessLog.all_tenants.get().channel == "api"
    short = client.post(
        f"/api/v1/residents/{resident.pk}/reveal",
        {"field": "phone", "purpose": "x"},
        content_type="application/json",
        headers=auth,
    )
    assert short.status_code == 422 and AccessLog.all_tenants.count() == 1
    assert short.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "payload", "purpose"],
            "msg": "请说明查看用途（至少 4 个字）。",
        }
    ]


def test_change_history_reads_in_words(admin_client, world):
    """Field names become their labels, choices their labels, booleans 是/否, and a
    phone stays masked: never "disabled: — → True"."""
    resident = world.a.residents[0]
    admin_client.post(
        reverse("estates:resident_edit", args=[resident.pk]),
        form_data(world, name="张伟", relation="tenant", disabled="on", phone="13912345678"),
    )
    page = admin_client.get(reverse("estates:resident_detail", args=[resident.pk]))
    lines = {line["label"]: line for line in page.context["history"][0].lines}
    assert (lines["关系"]["old"], lines["关系"]["new"]) == ("业主", "租户")
    assert (lines["残障"]["old"], lines["残障"]["new"]) == ("否", "是")
    assert "13912345678" not in page.content.decode()
    assert "disabled" not in page.content.decode() and "relation:" not in page.content.decode()
    english = admin_client.get(
        reverse("estates:resident_detail", args=[resident.pk]), headers={"accept-language": "en"}
    )
    labels = {line["label"] for line in english.context["history"][0].lines}
    assert "关系" not in labels and "phone" not in labels, labels

"""Home isolation of a whole household: the default for a close contact of a confirmed
case, a choice per case (service, page, API), never for a centralised case; the
housemates appear on the isolation list and the case's page, and a housemate's name
finds the case. (The gate's refusal is tested in access/tests/test_gate_status.py.)"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from firstline.health.models import IsolationCase, IsolationFacility
from firstline.health.services import isolation
from firstline.health.tests.helpers import login, staff_declare

BASE = "/api/v1/health"


def open_case(resident, **kw) -> IsolationCase:
    kw.setdefault("kind", "home")
    kw.setdefault("reason", "密切接触者")
    kw.setdefault("start_date", timezone.localdate())
    return isolation.isolation_open(actor=None, resident=resident, **kw)


def test_a_close_contact_of_a_confirmed_case_isolates_with_the_household_by_default(world):
    contact, other = world.a.residents
    staff_declare(contact, contact_confirmed=True)
    assert open_case(contact).whole_household
    assert not open_case(other).whole_household  # no such contact declared


def test_the_choice_per_case_wins_over_the_default(world):
    contact, other = world.a.residents
    staff_declare(contact, contact_confirmed=True)
    assert not open_case(contact, whole_household=False).whole_household
    assert open_case(other, whole_household=True).whole_household


def test_a_centralised_case_never_covers_the_household(world):
    contact, other = world.a.residents
    staff_declare(contact, contact_confirmed=True)
    point = IsolationFacility.all_tenants.create(
        company=world.a.company, name="集中隔离点", capacity=5
    )
    with pytest.raises(ValidationError) as exc:
        open_case(other, kind="central", facility=point, whole_household=True)
    assert "whole_household" in exc.value.message_dict
    assert not open_case(contact, kind="central", facility=point).whole_household


def test_the_housemate_is_on_the_list_and_the_case_page(client, world):
    isolated, housemate = world.a.residents
    case = open_case(isolated, whole_household=True)
    login(client, world.a.users["health_officer"])

    body = client.get(reverse("health:isolation_list")).content.decode()
    assert body.count('data-testid="isolation-row"') == 1
    assert "全户隔离：" + housemate.name in body

    found = client.get(reverse("health:isolation_list"), {"q": housemate.name}).content.decode()
    assert found.count('data-testid="isolation-row"') == 1 and isolated.name in found

    detail = client.get(reverse("health:isolation_detail", args=[case.pk])).content.decode()
    assert f"全户隔离（{housemate.name}）" in detail


def test_an_individual_case_lists_only_its_resident(client, world):
    isolated, housemate = world.a.residents
    case = open_case(isolated, whole_household=False)
    login(client, world.a.users["health_officer"])

    found = client.get(reverse("health:isolation_list"), {"q": housemate.name}).content.decode()
    assert 'data-testid="isolation-row"' not in found
    detail = client.get(reverse("health:isolation_detail", args=[case.pk])).content.decode()
    assert "仅本人" in detail


def test_the_open_form_offers_the_household_ticked_for_a_close_contact(client, world):
    contact, other = world.a.residents
    staff_declare(contact, contact_confirmed=True)
    login(client, world.a.users["health_officer"])
    url = reverse("health:isolation_create")

    page = client.get(url, {"resident": contact.pk})
    assert page.context["form"]["whole_household"].value() is True
    assert client.get(url, {"resident": other.pk}).context["form"]["whole_household"].value() in (
        False,
        None,
    )

    # A browser leaves an unticked box out: the housemate's case is individual.
    today = timezone.localdate().isoformat()
    client.post(
        f"{url}?resident={other.pk}", {"kind": "home", "reason": "返汉", "start_date": today}
    )
    assert not IsolationCase.all_tenants.get(resident=other).whole_household
    client.post(
        f"{url}?resident={contact.pk}",
        {"kind": "home", "reason": "密接", "start_date": today, "whole_household": "on"},
    )
    assert IsolationCase.all_tenants.get(resident=contact).whole_household


def test_the_api_opens_a_household_case_and_says_so(client, world):
    isolated, housemate = world.a.residents
    login(client, world.a.users["health_officer"])
    response = client.post(
        f"{BASE}/isolation-cases",
        {
            "resident_id": isolated.pk,
            "reason": "密接",
            "start_date": timezone.localdate().isoformat(),
            "whole_household": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["whole_household"] is True

    # The status the gate reads, as the health API shows it: the housemate is isolated.
    status = client.get(f"{BASE}/residents/{housemate.pk}/status").json()
    assert status["isolated"] is True

    refused = client.post(
        f"{BASE}/isolation-cases",
        {
            "resident_id": housemate.pk,
            "kind": "central",
            "reason": "密接",
            "start_date": timezone.localdate().isoformat(),
            "whole_household": True,
        },
        content_type="application/json",
    )
    assert refused.status_code == 422
    fields = {item["loc"][-1] for item in refused.json()["detail"]}
    assert "whole_household" in fields or "facility_id" in fields

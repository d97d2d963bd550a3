"""The health status feeds the gate: isolated and red residents are refused with the
reason, a green one is admitted (through access.services.events_record)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from firstline.access.services import fastpath, gate
from firstline.access.services.decision import Health, Person
from firstline.access.services.gate import GateInput
from firstline.estates.models import Household, Resident
from firstline.health.models import IsolationCase
from firstline.health.services.declarations import (
    DeclarationInput,
    consent_record,
    declaration_submit,
)
from firstline.health.services.isolation import isolation_release
from firstline.testing.world import PASSWORD


@pytest.fixture
def policy(world):
    return gate.policy_publish(
        actor=None,
        site=world.a.site,
        data={"mode": "closed", "effective_from": timezone.now() - timedelta(days=1)},
    )


def isolate(resident: Resident, *, start: date, state: str = "active") -> IsolationCase:
    return IsolationCase.all_tenants.create(
        company_id=resident.company_id,
        site_id=resident.site_id,
        resident=resident,
        household_id=resident.household_id,
        reason="密切接触者",
        start_date=start,
        planned_end=start + timedelta(days=14),
        state=state,
    )


def declare(resident: Resident, **data):
    consent = consent_record(resident=resident, channel="staff")
    return declaration_submit(
        resident=resident, data=DeclarationInput(**data), channel="staff", consent=consent
    )


def enter(site, resident: Resident):
    [result] = gate.events_record(
        site=site,
        inputs=[
            GateInput(
                client_uuid=uuid.uuid4(),
                direction="in",
                device_time=timezone.now(),
                resident_id=resident.pk,
                temperature=Decimal("36.5"),
            )
        ],
    )
    return result


def test_isolated_and_red_are_refused_with_the_reason_green_admitted(world, policy):
    site = world.a.site
    isolated, red = world.a.residents
    isolate(isolated, start=timezone.localdate())
    declare(red, contact_confirmed=True)

    refused = enter(site, isolated)
    assert refused.decision == "deny"
    assert "居家隔离期间不得出入" in refused.reasons

    refused = enter(site, red)
    assert refused.decision == "deny"
    assert "健康状态为红码" in refused.reasons

    green = Resident.all_tenants.create(
        company=world.a.company, site=site, household=world.a.household, name="a王芳"
    )
    declare(green)  # a green declaration
    admitted = enter(site, green)
    assert admitted.decision == "admit", admitted.reasons


def statuses(site, ids) -> dict:
    """The status the gate's resident lookup reads for each resident of the site."""
    return {rid: row["person"] for rid, row in fastpath.residents(site.pk, ids).get().items()}


def test_the_gate_lookup_reads_current_declaration_and_open_isolation(world):
    r1, r2 = world.a.residents
    r3, _ = world.b.residents
    today = timezone.localdate()
    declare(r1, symptoms=("cough",))
    isolate(r2, start=today + timedelta(days=1))  # not started yet
    isolate(r3, start=today - timedelta(days=20), state="released")
    assert statuses(world.a.site, [r1.pk, r2.pk, r3.pk, 10**9]) == {
        r1.pk: Person(health=Health.YELLOW, isolated=False),
        r2.pk: Person(health=Health.GREEN, isolated=False),
    }  # another site's resident and an unknown id are not found
    assert statuses(world.b.site, [r3.pk]) == {r3.pk: Person()}
    IsolationCase.all_tenants.filter(resident=r2).update(start_date=today, state="escalated")
    assert statuses(world.a.site, [r2.pk])[r2.pk].isolated


def test_the_gate_lookup_reads_status_in_the_same_statement(world, django_assert_num_queries):
    ids = [r.pk for r in world.a.residents]
    with django_assert_num_queries(1):
        assert len(statuses(world.a.site, ids)) == len(ids)


def scan(site, token: str, *, batch_with: Resident | None = None):
    """A scanned pass, alone or in a batch after a looked-up resident."""
    items = [
        GateInput(
            client_uuid=uuid.uuid4(),
            direction="in",
            device_time=timezone.now(),
            token=token,
            temperature=Decimal("36.5"),
        )
    ]
    if batch_with is not None:
        items.insert(
            0, items[0]._replace(client_uuid=uuid.uuid4(), token="", resident_id=batch_with.pk)
        )
    return gate.events_record(site=site, inputs=items)[-1]


def test_a_scanned_pass_carries_its_holders_status_alone_and_in_a_batch(world, policy):
    """The pass lookup reads the holder's status in the same statement (status_columns)."""
    site = world.a.site
    isolated, red = world.a.residents
    isolate(isolated, start=timezone.localdate())
    declare(red, contact_confirmed=True)
    tokens = {
        r.pk: gate.pass_token(gate.pass_issue(actor=None, resident=r)) for r in (isolated, red)
    }
    for batch_with in (None, red):
        refused = scan(site, tokens[isolated.pk], batch_with=batch_with)
        assert refused.decision == "deny"
        assert "居家隔离期间不得出入" in refused.reasons
        refused = scan(site, tokens[red.pk], batch_with=batch_with)
        assert refused.decision == "deny"
        assert "健康状态为红码" in refused.reasons
    IsolationCase.all_tenants.filter(resident=isolated).update(state="released")
    assert scan(site, tokens[isolated.pk]).decision == "admit"


# --- a whole household in home isolation ------------------------------------------------------

HOUSEHOLD_REASON = "本户全户居家隔离期间不得出入"


def isolate_household(resident: Resident, *, start: date) -> IsolationCase:
    case = isolate(resident, start=start)
    IsolationCase.all_tenants.filter(pk=case.pk).update(whole_household=True)
    return case


def test_the_housemate_of_a_household_case_is_refused_with_the_reason(world, policy):
    site = world.a.site
    isolated, housemate = world.a.residents
    isolate_household(isolated, start=timezone.localdate())

    refused = enter(site, housemate)
    assert refused.decision == "deny"
    assert HOUSEHOLD_REASON in refused.reasons
    # the isolated resident has their own reason, not both
    own = enter(site, isolated)
    assert "居家隔离期间不得出入" in own.reasons and HOUSEHOLD_REASON not in own.reasons

    # by a scanned pass too, alone and in a batch (the pass lookup's status columns)
    token = gate.pass_token(gate.pass_issue(actor=None, resident=housemate))
    for batch_with in (None, isolated):
        refused = scan(site, token, batch_with=batch_with)
        assert refused.decision == "deny" and HOUSEHOLD_REASON in refused.reasons


def test_another_household_of_the_site_is_not_held(world, policy):
    site = world.a.site
    isolated, _ = world.a.residents
    isolate_household(isolated, start=timezone.localdate())
    household = Household.all_tenants.create(
        company=world.a.company, site=site, building=world.a.building, unit="2", room="502"
    )
    neighbour = Resident.all_tenants.create(
        company=world.a.company, site=site, household=household, name="a邻居"
    )
    declare(neighbour)
    assert enter(site, neighbour).decision == "admit"


def test_an_individual_case_still_admits_the_housemate(world, policy):
    isolated, housemate = world.a.residents
    isolate(isolated, start=timezone.localdate())  # whole_household left False
    declare(housemate)
    admitted = enter(world.a.site, housemate)
    assert admitted.decision == "admit", admitted.reasons


def test_release_lifts_the_household_case_for_all(world, policy):
    isolated, housemate = world.a.residents
    case = isolate_household(isolated, start=timezone.localdate())
    for r in (isolated, housemate):
        declare(r)
    assert statuses(world.a.site, [housemate.pk])[housemate.pk].household_isolated
    case.refresh_from_db()
    isolation_release(actor=None, case=case, note="两次核酸阴性")
    for r in (isolated, housemate):
        admitted = enter(world.a.site, r)
        assert admitted.decision == "admit", admitted.reasons


def test_a_household_case_not_yet_started_does_not_hold(world):
    isolated, housemate = world.a.residents
    isolate_household(isolated, start=timezone.localdate() + timedelta(days=1))
    assert statuses(world.a.site, [housemate.pk]) == {housemate.pk: Person()}


def test_the_guard_looks_up_the_housemate_and_the_gate_api_refuses(client, world, policy):
    """As the guard's page does it: search the residents API, then post the event."""
    isolated, housemate = world.a.residents
    isolate_household(isolated, start=timezone.localdate())
    assert client.login(username=world.a.users["guard"].username, password=PASSWORD)

    page = client.get(
        "/api/v1/residents", {"q": housemate.name, "site_id": world.a.site.pk, "page_size": 8}
    )
    assert page.status_code == 200, page.content
    [match] = page.json()["items"]
    assert match["id"] == housemate.pk

    response = client.post(
        "/api/v1/access/events",
        {
            "client_uuid": str(uuid.uuid4()),
            "direction": "in",
            "device_time": timezone.now().isoformat(),
            "site_id": world.a.site.pk,
            "resident_id": match["id"],
            "temperature": 36.5,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision"] == "deny"
    assert HOUSEHOLD_REASON in body["reasons"]
    assert body["resident_name"] == housemate.name

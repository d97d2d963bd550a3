"""Office mode (办公模式): working hours and a headcount per floor, in the pure decision
and through the recording path; the other modes decide as before."""

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from firstline.access.forms import PolicyForm
from firstline.access.models import AccessEvent, Mode
from firstline.access.services import gate as gate_services
from firstline.access.services.decision import CredentialStatus as C
from firstline.access.services.decision import (
    Decider,
    GateRequest,
    Health,
    Person,
    Rules,
    decide,
    in_office_hours,
)
from firstline.access.services.gate import GateInput
from firstline.estates.models import Household
from firstline.orgs.selectors import scope_for_user
from firstline.testing.world import make_id_number, make_resident

TZ = ZoneInfo("Asia/Shanghai")
OFFICE = Rules(mode=Mode.OFFICE, office_start=time(8, 30), office_end=time(18), floor_cap=2)


def req(**kw):
    base = {
        "direction": "in",
        "at": datetime(2020, 3, 16, 9, 0, tzinfo=TZ),
        "credential": C.VALID,
        "person": Person(),
        "temperature": Decimal("36.5"),
        "floor_occupancy": 0,
    }
    return GateRequest(**{**base, **kw})


@pytest.mark.parametrize(
    ("request_", "decision", "reason"),
    [
        (req(), "admit", "核验通过"),
        (req(at=datetime(2020, 3, 16, 8, 30, tzinfo=TZ)), "admit", "核验通过"),
        (
            req(at=datetime(2020, 3, 16, 8, 29, tzinfo=TZ)),
            "deny",
            "不在办公时间（08:30–18:00）",
        ),
        (
            req(at=datetime(2020, 3, 16, 18, 0, tzinfo=TZ)),
            "deny",
            "不在办公时间（08:30–18:00）",
        ),
        (req(floor_occupancy=1), "admit", "核验通过"),
        (req(floor_occupancy=2), "deny", "本楼层今日在场人数已达上限（2/2）"),
        (req(credential=C.NONE), "deny", "未出示通行证"),
        (req(credential=C.REVOKED), "deny", "通行证已注销"),
        (req(temperature=None), "refer", "未测量体温"),
        (req(temperature=Decimal("37.5")), "refer", "体温 37.5℃，达到或超过 37.3℃"),
        (req(person=Person(health=Health.RED)), "deny", "健康状态为红码"),
        # Leaving is never held back by the hours or the floor.
        (
            req(direction="out", at=datetime(2020, 3, 16, 21, 0, tzinfo=TZ), floor_occupancy=9),
            "admit",
            "核验通过",
        ),
    ],
)
def test_office_decision(request_, decision, reason):
    outcome = decide(OFFICE, request_)
    assert outcome.decision == decision
    assert reason in [str(r) for r in outcome.reasons]


def test_both_office_reasons_are_given_together():
    outcome = decide(OFFICE, req(at=datetime(2020, 3, 16, 7, 0, tzinfo=TZ), floor_occupancy=5))
    assert [str(r) for r in outcome.reasons] == [
        "不在办公时间（08:30–18:00）",
        "本楼层今日在场人数已达上限（5/2）",
    ]


def test_hours_across_midnight_and_none_set():
    night = Rules(mode=Mode.OFFICE, office_start=time(22), office_end=time(6))
    assert in_office_hours(night, time(23)) and in_office_hours(night, time(5, 59))
    assert not in_office_hours(night, time(6)) and not in_office_hours(night, time(12))
    assert in_office_hours(Rules(mode=Mode.OFFICE), time(3))


def test_other_modes_ignore_the_office_fields():
    """The office fields on a closed, registered or open policy change nothing."""
    for mode in (Mode.CLOSED, Mode.REGISTERED, Mode.OPEN):
        plain = Rules(mode=mode)
        with_office = Rules(mode=mode, office_start=time(8), office_end=time(9), floor_cap=1)
        for request_ in (
            req(at=datetime(2020, 3, 16, 23, 0, tzinfo=TZ), floor_occupancy=4),
            req(direction="out", floor_occupancy=None),
        ):
            assert decide(plain, request_) == decide(with_office, request_)


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2020, 12, 31), timezones=st.just(TZ)
)


@given(
    cases=st.lists(
        st.tuples(
            st.sampled_from(
                [OFFICE, Rules(mode=Mode.OFFICE, office_start=time(22), office_end=time(2))]
            ),
            st.builds(
                GateRequest,
                direction=st.sampled_from(["in", "out"]),
                at=moments,
                credential=st.sampled_from(list(C)),
                person=st.one_of(st.none(), st.builds(Person, st.sampled_from(list(Health)))),
                temperature=st.one_of(st.none(), st.sampled_from([Decimal("36.5"), Decimal("38")])),
                vehicle=st.booleans(),
                floor_occupancy=st.one_of(st.none(), st.integers(min_value=0, max_value=4)),
            ),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_the_decider_answers_office_cases_as_decide_does(cases):
    decider = Decider()
    for rules, request in cases:
        expected = decide(rules, request)
        outcome, decision, reasons = decider(
            rules,
            direction=request.direction,
            at=request.at,
            credential=request.credential,
            person=request.person,
            temperature=request.temperature,
            household_outings=request.household_outings,
            vehicle=request.vehicle,
            floor_occupancy=request.floor_occupancy,
        )
        assert outcome == expected
        assert (decision, reasons) == (
            str(expected.decision),
            tuple(str(r) for r in expected.reasons),
        )


# --- through the recording path -----------------------------------------------------------


@pytest.fixture
def office(world):
    """world.a's site as an office building under office rules: hours around now (so
    the test holds at any hour) and two people per floor. Household 1/301 is floor 1;
    a second unit on floor 1 and one on floor 2 hold one employee each."""
    site = world.a.site
    now = timezone.localtime()
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    policy = gate_services.policy_publish(
        actor=None,
        site=site,
        data={
            "mode": Mode.OFFICE,
            "office_hours_start": start,
            "office_hours_end": end,
            "floor_cap": 2,
            "effective_from": now - timedelta(days=1),
        },
    )
    same_floor = Household.all_tenants.create(
        company=site.company, site=site, building=world.a.building, unit="1", room="302"
    )
    other_floor = Household.all_tenants.create(
        company=site.company, site=site, building=world.a.building, unit="2", room="201"
    )
    third = make_resident(
        household=same_floor, name="王芳", phone="13700000001", id_number=make_id_number(901)
    )
    upstairs = make_resident(
        household=other_floor, name="赵强", phone="13700000002", id_number=make_id_number(902)
    )
    return policy, [*world.a.residents, third], upstairs


def today_moments(n: int) -> list[datetime]:
    """`n` increasing moments of the last three minutes, none before local midnight
    (the floor counts since then) and none in the future: the test holds at 00:01."""
    now = timezone.now()
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    start = max(now - timedelta(minutes=3), midnight)
    step = (now - start) / (n + 1)
    return [start + step * (i + 1) for i in range(n)]


def event(resident, *, direction="in", at=None, **kw):
    return GateInput(
        client_uuid=uuid.uuid4(),
        direction=direction,
        device_time=at or timezone.now(),
        resident_id=resident.pk,
        temperature=Decimal("36.4"),
        **kw,
    )


def test_the_floor_cap_counts_entries_less_exits_today(world, office):
    _, (first, second, third), upstairs = office
    site = world.a.site
    moments = today_moments(4)
    results = gate_services.events_record(
        site=site,
        inputs=[
            event(first, at=moments[0]),
            event(second, at=moments[1]),
            event(third, at=moments[2]),
            event(upstairs, at=moments[3]),
        ],
    )
    assert [r.decision for r in results] == ["admit", "admit", "deny", "admit"]
    assert results[2].reasons == ["本楼层今日在场人数已达上限（2/2）"]
    # One leaves (a single event, stored on its own): the third now gets in.
    (out,) = gate_services.events_record(site=site, inputs=[event(first, direction="out")])
    assert out.decision == "admit"
    (again,) = gate_services.events_record(site=site, inputs=[event(third)])
    assert (again.decision, again.reasons) == ("admit", ["核验通过"])
    (full,) = gate_services.events_record(site=site, inputs=[event(first)])
    assert full.decision == "deny"
    assert AccessEvent.all_tenants.filter(site=site, decision="deny").count() == 2


def test_yesterdays_entries_do_not_fill_today(world, office):
    _, (first, second, third), _ = office
    site = world.a.site
    yesterday = timezone.localtime() - timedelta(days=1)
    gate_services.events_record(
        site=site,
        inputs=[event(first, at=yesterday), event(second, at=yesterday + timedelta(minutes=1))],
    )
    (today,) = gate_services.events_record(site=site, inputs=[event(third)])
    assert today.decision == "admit"


def test_entering_outside_the_hours_is_refused_with_them(world, office):
    policy, (first, *_), _ = office
    hours = f"{policy.office_hours_start:%H:%M}–{policy.office_hours_end:%H:%M}"
    late = timezone.now() - timedelta(hours=2)
    (result,) = gate_services.events_record(site=world.a.site, inputs=[event(first, at=late)])
    assert (result.decision, result.reasons) == ("deny", [f"不在办公时间（{hours}）"])
    (leaving,) = gate_services.events_record(
        site=world.a.site, inputs=[event(first, direction="out", at=late)]
    )
    assert leaving.decision == "admit"


def test_a_pass_scanned_in_office_mode(world, office):
    _, (first, *_), _ = office
    token = gate_services.pass_token(
        gate_services.pass_issue(
            actor=None, resident=first, now=timezone.now() - timedelta(hours=1)
        )
    )
    (result,) = gate_services.events_record(
        site=world.a.site,
        inputs=[
            GateInput(
                client_uuid=uuid.uuid4(),
                direction="in",
                device_time=timezone.now(),
                token=token,
                temperature=Decimal("36.5"),
            )
        ],
    )
    assert result.decision == "admit"
    (nothing,) = gate_services.events_record(
        site=world.a.site,
        inputs=[
            GateInput(
                client_uuid=uuid.uuid4(),
                direction="in",
                device_time=timezone.now(),
                temperature=Decimal("36.5"),
            )
        ],
    )
    assert (nothing.decision, nothing.reasons) == ("deny", ["未出示通行证"])


def test_policy_form_takes_the_office_fields(world):
    scope = scope_for_user(world.a.users["company_admin"])
    base = {
        "site": world.a.site.pk,
        "effective_from": "2020-03-16T08:00",
        "mode": "office",
        "temperature_threshold": "37.3",
        "outing_period_days": "1",
        "visitor_rule": "forbidden",
        "delivery_rule": "drop_off",
    }
    form = PolicyForm(
        data=base | {"office_hours_start": "08:30", "office_hours_end": "18:00", "floor_cap": "30"},
        scope=scope,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["floor_cap"] == 30
    half = PolicyForm(data=base | {"office_hours_start": "08:30", "floor_cap": "0"}, scope=scope)
    assert not half.is_valid()
    assert "office_hours_end" in half.errors and "floor_cap" in half.errors

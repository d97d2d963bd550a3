"""The gate decision, table-driven and property-based."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firstline.access.services.decision import (
    CredentialStatus as C,
)
from firstline.access.services.decision import (
    Decider,
    GateRequest,
    Health,
    Person,
    Rules,
    decide,
    in_window,
    period_start,
)

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2020, 2, 10, 9, 30, tzinfo=TZ)
CLOSED = Rules(
    mode="closed",
    outing_quota=1,
    outing_period_days=2,
    window_start=time(8),
    window_end=time(18),
    period_anchor=date(2020, 2, 1),
)
GREEN = Person()


def req(**kw):
    base = {
        "direction": "in",
        "at": AT,
        "credential": C.VALID,
        "person": GREEN,
        "temperature": Decimal("36.5"),
    }
    return GateRequest(**{**base, **kw})


@pytest.mark.parametrize(
    ("rules", "request_", "decision", "reason"),
    [
        (CLOSED, req(), "admit", "核验通过"),
        (CLOSED, req(temperature=Decimal("37.2")), "admit", "核验通过"),
        (CLOSED, req(temperature=Decimal("37.3")), "refer", "体温 37.3℃，达到或超过 37.3℃"),
        (CLOSED, req(temperature=Decimal("38.6")), "refer", "体温 38.6℃，达到或超过 37.3℃"),
        (CLOSED, req(temperature=None), "refer", "未测量体温"),
        (CLOSED, req(credential=C.REVOKED), "deny", "通行证已注销"),
        (CLOSED, req(credential=C.EXPIRED), "deny", "通行证已过期"),
        (CLOSED, req(credential=C.OTHER_SITE), "deny", "不是本项目的通行证"),
        (CLOSED, req(credential=C.NONE, person=None), "deny", "未出示通行证"),
        (Rules(mode="registered"), req(credential=C.NONE, person=None), "refer", "未出示通行证"),
        (
            Rules(mode="open"),
            req(credential=C.NONE, person=None, temperature=None),
            "admit",
            "核验通过",
        ),
        (
            Rules(mode="open"),
            req(temperature=Decimal("37.5")),
            "refer",
            "体温 37.5℃，达到或超过 37.3℃",
        ),
        (CLOSED, req(person=Person(health=Health.RED)), "deny", "健康状态为红码"),
        (CLOSED, req(person=Person(health=Health.YELLOW)), "refer", "健康状态为黄码，需核查"),
        (
            Rules(mode="closed", require_green=False),
            req(person=Person(health=Health.RED)),
            "admit",
            "核验通过",
        ),
        (CLOSED, req(person=Person(isolated=True)), "deny", "居家隔离期间不得出入"),
        (CLOSED, req(direction="out", temperature=None), "admit", "核验通过"),
        (
            CLOSED,
            req(direction="out", household_outings=1),
            "deny",
            "本户本周期外出次数已用完（1/1，每 2 天）",
        ),
        (
            CLOSED,
            req(direction="out", at=AT.replace(hour=7, minute=59)),
            "deny",
            "不在外出时段（08:00–18:00）",
        ),
        (
            CLOSED,
            req(direction="out", at=AT.replace(hour=18, minute=0)),
            "deny",
            "不在外出时段（08:00–18:00）",
        ),
        (CLOSED, req(credential=C.UNKNOWN, vehicle=True, temperature=None), "deny", "车辆未登记"),
        (
            CLOSED,
            req(vehicle=True, temperature=None, direction="out", household_outings=5),
            "admit",
            "核验通过",
        ),
    ],
)
def test_decision_table(rules, request_, decision, reason):
    outcome = decide(rules, request_)
    assert (outcome.decision, outcome.reasons[0]) == (decision, reason)


def test_every_reason_is_reported_and_deny_wins():
    outcome = decide(
        CLOSED, req(credential=C.REVOKED, temperature=Decimal("38.0"), person=Person(isolated=True))
    )
    assert outcome.decision == "deny"
    assert outcome.reasons == (
        "通行证已注销",
        "居家隔离期间不得出入",
        "体温 38.0℃，达到或超过 37.3℃",
    )
    assert outcome.fever is True


def test_window_across_midnight():
    night = Rules(window_start=time(22), window_end=time(2))
    assert [in_window(night, time(h)) for h in (21, 22, 23, 0, 1, 2, 3)] == [
        False,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_periods_turn_over_at_midnight_on_the_n_day_boundary():
    rules = Rules(outing_period_days=3, period_anchor=date(2020, 2, 1))
    assert period_start(rules, datetime(2020, 2, 3, 23, 59, tzinfo=TZ)) == datetime(
        2020, 2, 1, tzinfo=TZ
    )
    assert period_start(rules, datetime(2020, 2, 4, 0, 0, tzinfo=TZ)) == datetime(
        2020, 2, 4, tzinfo=TZ
    )
    assert period_start(rules, datetime(2020, 1, 31, 12, tzinfo=TZ)) == datetime(
        2020, 1, 29, tzinfo=TZ
    )


temperatures = st.decimals(min_value=Decimal("34.0"), max_value=Decimal("42.0"), places=1)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2021, 1, 1)).map(
    lambda d: d.replace(tzinfo=TZ)
)


@given(
    t=temperatures, threshold=st.sampled_from([Decimal("37.0"), Decimal("37.3"), Decimal("37.5")])
)
def test_fever_is_never_admitted(t, threshold):
    outcome = decide(Rules(mode="open", temperature_threshold=threshold), req(temperature=t))
    assert (outcome.decision != "admit") == (t >= threshold)


@given(at=moments, days=st.integers(min_value=1, max_value=14))
def test_period_start_properties(at, days):
    rules = Rules(outing_period_days=days, period_anchor=date(2020, 2, 1))
    start = period_start(rules, at)
    assert start <= at < start + timedelta(days=days)
    assert start.time() == time(0) and (start.date() - rules.period_anchor).days % days == 0


@given(
    used=st.integers(min_value=0, max_value=10),
    quota=st.integers(min_value=0, max_value=10),
    at=moments,
)
def test_quota_admits_exactly_until_used_up(used, quota, at):
    rules = Rules(mode="closed", outing_quota=quota)
    outcome = decide(rules, req(direction="out", at=at, household_outings=used))
    assert (outcome.decision == "admit") == (used < quota)


@given(
    credential=st.sampled_from(list(C)),
    health=st.sampled_from(list(Health)),
    isolated=st.booleans(),
    t=temperatures,
)
def test_closed_mode_admits_only_valid_green_free_and_well(credential, health, isolated, t):
    outcome = decide(
        CLOSED, req(credential=credential, person=Person(health, isolated), temperature=t)
    )
    admitted = outcome.decision == "admit"
    assert admitted == (
        credential == C.VALID and health == Health.GREEN and not isolated and t < Decimal("37.3")
    )


# --- Decider: a batch's memo of decide() ---------------------------------------------------

rules_cases = st.sampled_from(
    [
        CLOSED,
        Rules(mode="closed", outing_quota=2, window_start=time(22), window_end=time(2)),
        Rules(mode="registered", temperature_threshold=Decimal("37.0")),
        Rules(mode="open", require_green=False),
    ]
)
requests = st.builds(
    GateRequest,
    direction=st.sampled_from(["in", "out"]),
    at=moments,
    credential=st.sampled_from(list(C)),
    person=st.one_of(st.none(), st.builds(Person, st.sampled_from(list(Health)), st.booleans())),
    temperature=st.one_of(st.none(), temperatures),
    household_outings=st.integers(min_value=0, max_value=3),
    vehicle=st.booleans(),
)


@given(cases=st.lists(st.tuples(rules_cases, requests), min_size=1, max_size=30))
def test_the_decider_answers_as_decide_does(cases):
    """One Decider over a whole sequence (as over a batch): every answer, remembered
    or not, is decide()'s own."""
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
        )
        assert outcome == expected
        assert (decision, reasons) == (str(expected.decision), tuple(map(str, expected.reasons)))

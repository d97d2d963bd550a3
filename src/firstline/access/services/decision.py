"""The gate decision: a pure function of the policy, the credential, the person's
status, the temperature and the household's recent outings → ADMIT / DENY / REFER
with its reasons in words. No database, no clock: everything comes in as values,
so the rules are tested exhaustively (tests/test_decision.py).

Office mode (办公模式, office and commercial buildings back at work): a pass is
needed as in a closed compound, temperatures are taken on entry, and entering is
denied outside the working hours or when the person's floor already holds the
policy's headcount today (the count comes in as a value: gate.py looks it up).
Leaving is never held back.

Precedence: any DENY reason denies; otherwise any REFER reason refers (a person
at the gate needs staff: a fever, no temperature taken, an unregistered visitor);
otherwise ADMIT. All reasons found are reported, not only the first.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstline.access.models import Decision, Direction, Mode


class CredentialStatus(enum.StrEnum):
    VALID = "valid"
    NONE = "none"  # nothing presented or found
    UNKNOWN = "unknown"  # a token that does not verify, or a plate not registered
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    USED = "used"  # a one-time visitor pass already used
    OTHER_SITE = "other_site"


class Health(enum.StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class Rules:
    """The parts of an AccessPolicy the decision reads."""

    mode: str = Mode.CLOSED
    version: int = 1
    temperature_threshold: Decimal = Decimal("37.3")
    outing_quota: int | None = None
    outing_period_days: int = 1
    window_start: time | None = None
    window_end: time | None = None
    require_green: bool = True
    vehicles_registered_only: bool = True
    period_anchor: date = date(2020, 1, 23)  # outing periods count from here, in whole days
    office_start: time | None = None  # office mode: working hours
    office_end: time | None = None
    floor_cap: int | None = None  # office mode: people on one floor at once

    @classmethod
    def from_policy(cls, policy) -> Rules:
        from django.utils import timezone

        return cls(
            mode=policy.mode,
            version=policy.version,
            temperature_threshold=policy.temperature_threshold,
            outing_quota=policy.outing_quota,
            outing_period_days=policy.outing_period_days,
            window_start=policy.outing_window_start,
            window_end=policy.outing_window_end,
            require_green=policy.require_green,
            vehicles_registered_only=policy.vehicles_registered_only,
            period_anchor=timezone.localtime(policy.effective_from).date(),
            office_start=policy.office_hours_start,
            office_end=policy.office_hours_end,
            floor_cap=policy.floor_cap,
        )


@dataclass(frozen=True)
class Person:
    health: Health = Health.GREEN
    isolated: bool = False
    household_isolated: bool = False  # a whole-household case of a housemate holds them


@dataclass(frozen=True)
class GateRequest:
    direction: str
    at: datetime  # local time at the site
    credential: CredentialStatus
    person: Person | None = None
    temperature: Decimal | None = None
    household_outings: int = 0  # exits by the household in the current period, before this one
    vehicle: bool = False
    floor_occupancy: int | None = None  # office mode: people on the person's floor now


@dataclass(frozen=True)
class Outcome:
    decision: str
    reasons: tuple[str, ...]
    fever: bool = False


def is_fever(temperature, rules: Rules) -> bool:
    """A temperature at or over the threshold: REFER, an alert and a follow-up."""
    return temperature is not None and temperature >= rules.temperature_threshold


def period_start(rules: Rules, at: datetime) -> datetime:
    """Start of the outing period containing `at`: periods are whole local days of
    length N counted from the policy's anchor date, so they turn over at midnight."""
    days = (at.date() - rules.period_anchor).days
    start_day = rules.period_anchor + timedelta(
        days=(days // rules.outing_period_days) * rules.outing_period_days
    )
    return datetime.combine(start_day, time.min, tzinfo=at.tzinfo)


def in_window(rules: Rules, moment: time) -> bool:
    """Whether `moment` falls in the outing window; a window may cross midnight (22:00–02:00)."""
    start, end = rules.window_start, rules.window_end
    if start is None or end is None or start == end:
        return True
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def in_office_hours(rules: Rules, moment: time) -> bool:
    """Whether `moment` falls in the working hours; none set (or start = end): always."""
    start, end = rules.office_start, rules.office_end
    if start is None or end is None or start == end:
        return True
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def counts_floor(rules: Rules, *, direction: str, vehicle: bool) -> bool:
    """Whether the decision of such an event reads its floor's occupancy."""
    return (
        rules.mode == Mode.OFFICE
        and rules.floor_cap is not None
        and direction == Direction.IN
        and not vehicle
    )


CREDENTIAL_REASONS = {
    CredentialStatus.NONE: gettext_lazy("未出示通行证"),
    CredentialStatus.UNKNOWN: gettext_lazy("通行证无效或无法识别"),
    CredentialStatus.EXPIRED: gettext_lazy("通行证已过期"),
    CredentialStatus.NOT_YET_VALID: gettext_lazy("通行证尚未生效"),
    CredentialStatus.REVOKED: gettext_lazy("通行证已注销"),
    CredentialStatus.USED: gettext_lazy("一次性通行证已使用"),
    CredentialStatus.OTHER_SITE: gettext_lazy("不是本项目的通行证"),
}


def decide(rules: Rules, request: GateRequest) -> Outcome:
    """The decision. It reads the moment (`request.at`) only through in_window() and
    in_office_hours(): Decider below relies on that."""
    deny: list[str] = []
    refer: list[str] = []
    closed = rules.mode == Mode.CLOSED
    office = rules.mode == Mode.OFFICE
    entering = request.direction == Direction.IN

    # Temperature: a fever is referred in every mode; closed compounds take everyone's on entry.
    if request.temperature is not None:
        if request.temperature >= rules.temperature_threshold:
            refer.append(
                _("体温 %(t)s℃，达到或超过 %(limit)s℃")
                % {"t": request.temperature, "limit": rules.temperature_threshold}
            )
    elif (closed or office) and entering and not request.vehicle:
        refer.append(_("未测量体温"))

    if rules.mode != Mode.OPEN:
        if request.vehicle:
            if rules.vehicles_registered_only and request.credential != CredentialStatus.VALID:
                deny.append(_("车辆未登记"))
        elif request.credential != CredentialStatus.VALID:
            reason = str(CREDENTIAL_REASONS[request.credential])
            # Registered entry: staff can register someone at the gate; closed: no pass, no entry.
            # Office: a tenant's staff member shows the pass the building issued.
            (deny if closed or office else refer).append(reason)

    person = request.person
    if person is not None:
        if person.isolated:
            deny.append(_("居家隔离期间不得出入"))
        elif person.household_isolated:
            deny.append(_("本户全户居家隔离期间不得出入"))
        if rules.require_green and rules.mode != Mode.OPEN:
            if person.health == Health.RED:
                deny.append(_("健康状态为红码"))
            elif person.health == Health.YELLOW:
                refer.append(_("健康状态为黄码，需核查"))

    if closed and not entering and not request.vehicle:
        if not in_window(rules, request.at.time()):
            deny.append(
                _("不在外出时段（%(start)s–%(end)s）")
                % {
                    "start": rules.window_start.strftime("%H:%M"),
                    "end": rules.window_end.strftime("%H:%M"),
                }
            )
        if rules.outing_quota is not None and request.household_outings >= rules.outing_quota:
            deny.append(
                _("本户本周期外出次数已用完（%(used)d/%(quota)d，每 %(days)d 天）")
                % {
                    "used": request.household_outings,
                    "quota": rules.outing_quota,
                    "days": rules.outing_period_days,
                }
            )

    if office and entering and not request.vehicle:
        if not in_office_hours(rules, request.at.time()):
            deny.append(
                _("不在办公时间（%(start)s–%(end)s）")
                % {
                    "start": rules.office_start.strftime("%H:%M"),
                    "end": rules.office_end.strftime("%H:%M"),
                }
            )
        if (
            counts_floor(rules, direction=request.direction, vehicle=request.vehicle)
            and request.floor_occupancy is not None
            and request.floor_occupancy >= rules.floor_cap
        ):
            deny.append(
                _("本楼层今日在场人数已达上限（%(n)d/%(cap)d）")
                % {"n": request.floor_occupancy, "cap": rules.floor_cap}
            )

    fever = is_fever(request.temperature, rules)
    if deny:
        return Outcome(Decision.DENY, tuple(deny + refer), fever)
    if refer:
        return Outcome(Decision.REFER, tuple(refer), fever)
    return Outcome(Decision.ADMIT, (_("核验通过"),), fever)


class Decider:
    """decide() over the many events of one batch, each distinct case decided once.

    A batch of 1,000 check-ins holds a few dozen distinct cases (the same rules,
    valid passes, green residents, a handful of temperatures), and deciding one
    costs more than looking it up. The key is every input of decide(), except that
    the moment stands as in_window()'s and in_office_hours()' answers, the only ways
    decide() reads it. Its
    reasons are turned into text once, in the language active when a case is first
    seen; keep one Decider to one language (services._decide makes one a batch)."""

    def __init__(self) -> None:
        self._cases: dict[tuple, tuple[Outcome, str, tuple[str, ...]]] = {}

    def __call__(
        self,
        rules: Rules,
        *,
        direction: str,
        at: datetime,
        credential: CredentialStatus,
        person: Person | None,
        temperature: Decimal | None,
        household_outings: int,
        vehicle: bool,
        floor_occupancy: int | None = None,
    ) -> tuple[Outcome, str, tuple[str, ...]]:
        """(outcome, its decision as text, its reasons as text)."""
        key = (
            rules,
            direction,
            in_window(rules, at.time()),
            credential,
            person,
            None if temperature is None else str(temperature),  # as the reasons show it
            household_outings,
            vehicle,
            in_office_hours(rules, at.time()),
            floor_occupancy,
        )
        case = self._cases.get(key)
        if case is None:
            outcome = decide(
                rules,
                GateRequest(
                    direction=direction,
                    at=at,
                    credential=credential,
                    person=person,
                    temperature=temperature,
                    household_outings=household_outings,
                    vehicle=vehicle,
                    floor_occupancy=floor_occupancy,
                ),
            )
            case = self._cases[key] = (
                outcome,
                str(outcome.decision),
                tuple(str(r) for r in outcome.reasons),
            )
        return case

"""Demo data of closed-compound access control: a policy per site, a pass per
resident, checkpoints, and a week of gate events with their fevers and denials.

Events go through `access.services.events_record`, the one path the guard's page
and the devices use, in one batch per site per day: the decisions, quota counts,
alerts and follow-ups are the real ones, not invented. What is invented is who
goes out when: each household sends someone out about every other day, mostly in
the morning and late afternoon, and they come back one to four hours later with
their temperature taken. A few try again before their quota allows, a few try
outside the outing hours, a few carry a pass revoked during the week, and about
2% come back with a fever.

This is a system job across tenants: it uses the `all_tenants` managers.

    report = build_access(rng=rng, now=timezone.now(), sites=sites,
                          residents_by_site=residents_by_site_of(sites), quick=False)
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from firstline.access.models import (
    AccessEvent,
    Alert,
    Checkpoint,
    Decision,
    FollowUp,
    Mode,
    Pass,
    SiteKey,
)
from firstline.access.services import gate
from firstline.access.services.gate import GateInput
from firstline.estates.models import Resident, Site
from firstline.orgs.models import RoleAssignment
from firstline.scenario.health import DEMO_RESIDENT

DAYS = 7
QUICK_DAYS = 2
QUICK_SITES = 6  # sites with passes and events in a quick world
PASS_DAYS_AHEAD = 30

OUT_CHANCE = 0.3  # a household with its quota left sends someone out that day (many relied on group-buy deliveries)
RETRY_CHANCE = 0.12  # a household whose quota is used tries again anyway (and is denied)
OFF_HOURS_CHANCE = 0.03  # an outing tried outside the window (denied)
LOOKUP_CHANCE = 0.2  # the guard looks the resident up instead of scanning the pass
FEVER_CHANCE = 0.02
REVOKED_SHARE = 0.01  # passes revoked during the week (moved out, lost, misused)

CLOSED_POLICY = {
    "mode": Mode.CLOSED,
    "outing_quota": 1,
    "outing_period_days": 2,
    "outing_window_start": time(6),
    "outing_window_end": time(20),
    "temperature_threshold": Decimal("37.3"),
}
OPEN_SITE_POLICY = {"mode": Mode.REGISTERED, "temperature_threshold": Decimal("37.3")}
GATES = {Site.Type.RESIDENTIAL: ("东门", "南门"), "other": ("正门",)}
REVOKE_REASONS = ("已搬离本小区", "通行证遗失，已补办", "违反封闭管理规定")
OUTCOMES = (
    "复测体温正常，已电话随访",
    "已由社区医生上门复查，居家观察",
    "已送发热门诊，排除感染",
    "已转定点医院，通知社区",
)


class ResidentRef(NamedTuple):
    pk: int
    household_id: int
    name: str


@dataclass
class AccessReport:
    policies: int = 0
    checkpoints: int = 0
    passes: int = 0
    revoked: int = 0
    events: int = 0
    decisions: dict[str, int] = field(default_factory=lambda: {d: 0 for d in Decision.values})
    alerts: int = 0

    def rows(self) -> dict[str, int]:
        """Figures for the world builder's step report."""
        return {
            "policies": self.policies,
            "checkpoints": self.checkpoints,
            "passes": self.passes,
            "revoked_passes": self.revoked,
            "access_events": self.events,
            "alerts": self.alerts,
            **{f"events_{d}": n for d, n in self.decisions.items()},
        }


def residents_by_site_of(sites: Sequence[Site]) -> dict[int, list[ResidentRef]]:
    """The residents of these sites, in one query: what `build_access` needs of them."""
    out: dict[int, list[ResidentRef]] = defaultdict(list)
    rows = (
        Resident.all_tenants.filter(site__in=[s.pk for s in sites])
        .order_by("site_id", "household_id", "id")
        .values_list("site_id", "pk", "household_id", "name")
    )
    for site_id, pk, household_id, name in rows:
        out[site_id].append(ResidentRef(pk, household_id, name))
    return out


def build_access(
    *,
    rng: random.Random,
    now: datetime,
    sites: Sequence[Site],
    residents_by_site: Mapping[int, Sequence[ResidentRef | Resident]],
    quick: bool,
) -> AccessReport:
    """Policies and checkpoints for every site; passes and gate events for the
    residential sites with residents. `sites` come in the builder's order: the first
    site's company is the demo logins' company, and its sites get the whole week (two
    days if `quick`); the other companies' sites get the last 24 hours, so every
    compound's live log and today's figures have something in them (none if `quick`).
    Deterministic for a given rng state and `now`."""
    report = AccessReport()
    days = QUICK_DAYS if quick else DAYS
    today = timezone.localdate(now)
    first_day = today - timedelta(days=days - 1)
    # In force from the day before the first event, so every day of the week has it.
    since = datetime.combine(
        first_day - timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )
    busy = [
        s for s in sites if s.site_type == Site.Type.RESIDENTIAL and residents_by_site.get(s.pk)
    ]
    focus = sites[0].company_id if sites else None
    if quick:
        busy = [s for s in busy if s.company_id == focus][:QUICK_SITES]

    for site in sites:
        data = CLOSED_POLICY if site.site_type == Site.Type.RESIDENTIAL else OPEN_SITE_POLICY
        gate.policy_publish(actor=None, site=site, data={**data, "effective_from": since})
        report.policies += 1
    gates = _checkpoints(sites, report)
    # The demo resident's household is isolated at home in the health step: it stays
    # in all week, whatever the hour the world is built.
    stay_home = set(
        RoleAssignment.objects.filter(
            user__username=DEMO_RESIDENT, household__isnull=False
        ).values_list("household_id", flat=True)
    )
    for site in busy:
        residents = [_ref(r) for r in residents_by_site[site.pk]]
        # Recording costs a few milliseconds an event: a week everywhere would take minutes.
        events_from = since if site.company_id == focus else now - timedelta(days=1)
        with transaction.atomic():
            passes = _passes(
                rng=rng, site=site, residents=residents, since=since, now=now, report=report
            )
            _site_week(
                rng=rng,
                site=site,
                residents=[r for r in residents if r.household_id not in stay_home],
                passes=passes,
                gates=gates[site.pk],
                anchor=since.date(),
                days=[d for d in _days(first_day, today) if d >= timezone.localdate(events_from)],
                events_from=events_from,
                now=now,
                report=report,
                # The demo logins' site ends each of its last two days on a fever: its
                # manager and health officer find an open alert and follow-up whatever
                # the hour the demo was built.
                fever_last=site == sites[0],
            )
    _settle_history(rng=rng, sites=busy, now=now, report=report)
    return report


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _ref(resident: ResidentRef | Resident) -> ResidentRef:
    return ResidentRef(resident.pk, resident.household_id, resident.name)


def _checkpoints(sites: Sequence[Site], report: AccessReport) -> dict[int, list[int]]:
    rows = [
        Checkpoint(company_id=s.company_id, site_id=s.pk, name=name)
        for s in sites
        for name in GATES.get(s.site_type, GATES["other"])
    ]
    Checkpoint.all_tenants.bulk_create(rows, batch_size=2_000)
    report.checkpoints += len(rows)
    out: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        out[row.site_id].append(row.pk)
    return out


@dataclass
class _Holder:
    """A resident at the gate: the pass they carry and when it stopped working."""

    resident: ResidentRef
    pass_row: Pass
    key: SiteKey
    token: str = ""

    @property
    def revoked_at(self) -> datetime | None:
        return self.pass_row.revoked_at

    def scan(self) -> str:
        """The pass's QR content, signed the first time it is shown."""
        if not self.token:
            self.token = gate.pass_token(self.pass_row, self.key)
        return self.token


def _passes(
    *,
    rng: random.Random,
    site: Site,
    residents: list[ResidentRef],
    since: datetime,
    now: datetime,
    report: AccessReport,
) -> dict[int, _Holder]:
    key: SiteKey = gate.site_key_active(site=site)
    week = (now - since).total_seconds()
    rows = []
    for r in residents:
        revoked = (
            since + timedelta(seconds=rng.uniform(0.2, 0.9) * week)
            if rng.random() < REVOKED_SHARE
            else None
        )
        rows.append(
            Pass(
                company_id=site.company_id,
                site_id=site.pk,
                household_id=r.household_id,
                resident_id=r.pk,
                holder_name=r.name,
                valid_from=since,
                valid_until=now + timedelta(days=PASS_DAYS_AHEAD),
                revoked_at=revoked,
                revoked_reason=rng.choice(REVOKE_REASONS) if revoked else "",
            )
        )
    Pass.all_tenants.bulk_create(rows, batch_size=2_000)
    report.passes += len(rows)
    report.revoked += sum(1 for p in rows if p.revoked_at)
    return {r.pk: _Holder(r, p, key) for r, p in zip(residents, rows, strict=True)}


def _site_week(
    *,
    rng: random.Random,
    site: Site,
    residents: list[ResidentRef],
    passes: dict[int, _Holder],
    gates: list[int],
    anchor: date,
    days: list[date],
    events_from: datetime,
    now: datetime,
    report: AccessReport,
    fever_last: bool = False,
) -> None:
    households: dict[int, list[ResidentRef]] = defaultdict(list)
    for r in residents:
        households[r.household_id].append(r)
    zone = timezone.get_current_timezone()
    period_of: dict[int, int] = {}  # household → index of the last period it went out in
    for day in days:
        # Periods counted from the policy's first day, as decision.period_start counts them.
        period = (day - anchor).days // CLOSED_POLICY["outing_period_days"]
        inputs = []
        for household_id, members in households.items():
            used = period_of.get(household_id) == period
            if rng.random() >= (RETRY_CHANCE if used else OUT_CHANCE):
                continue
            who = passes[rng.choice(members).pk]
            leave = datetime.combine(day, _outing_time(rng), tzinfo=zone)
            if not events_from <= leave < now:
                continue
            inputs.append(_gate(rng, who, "out", leave, gates))
            if used or not _in_window(leave) or (who.revoked_at and who.revoked_at <= leave):
                continue  # denied at the gate: nobody to come back
            period_of[household_id] = period
            back = leave + timedelta(minutes=rng.randint(50, 240))
            if back < now:
                inputs.append(_gate(rng, who, "in", back, gates, temperature=_temperature(rng)))
        if fever_last and day in days[-2:]:  # the last day may have no returns yet (before ~7:00)
            entries = [n for n, item in enumerate(inputs) if item.direction == "in"]
            if entries:
                last = max(entries, key=lambda n: inputs[n].device_time)
                inputs[last] = inputs[last]._replace(temperature=Decimal("38.3"))
        if inputs:
            for result in gate.events_record(site=site, inputs=inputs):
                report.decisions[result.decision] += 1
            report.events += len(inputs)


def _outing_time(rng: random.Random) -> time:
    """Mostly a morning or a late-afternoon peak; now and then outside the outing hours."""
    if rng.random() < OFF_HOURS_CHANCE:
        minutes = rng.choice((rng.randint(5 * 60, 6 * 60 - 1), rng.randint(20 * 60, 21 * 60 + 30)))
    else:
        centre, spread = (8.5 * 60, 55) if rng.random() < 0.55 else (16 * 60, 80)
        minutes = int(min(19 * 60 + 50, max(6 * 60, rng.gauss(centre, spread))))
    return time(minutes // 60, minutes % 60, rng.randint(0, 59))


def _in_window(at: datetime) -> bool:
    moment = timezone.localtime(at).time()
    return CLOSED_POLICY["outing_window_start"] <= moment < CLOSED_POLICY["outing_window_end"]


def _temperature(rng: random.Random) -> Decimal:
    if rng.random() < FEVER_CHANCE:
        return Decimal(f"{rng.uniform(37.3, 39.2):.1f}")
    return Decimal(f"{min(37.2, max(35.9, rng.gauss(36.5, 0.25))):.1f}")


def _gate(
    rng: random.Random,
    who: _Holder,
    direction: str,
    at: datetime,
    gates: list[int],
    temperature: Decimal | None = None,
) -> GateInput:
    scanned = rng.random() >= LOOKUP_CHANCE or who.revoked_at is not None
    return GateInput(
        client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
        direction=direction,
        device_time=at,
        token=who.scan() if scanned else "",
        resident_id=None if scanned else who.resident.pk,
        temperature=temperature,
        checkpoint_id=rng.choice(gates),
    )


def _settle_history(
    *, rng: random.Random, sites: list[Site], now: datetime, report: AccessReport
) -> None:
    """Alerts and follow-ups dated at their event; those older than a day were dealt
    with (acknowledged, an outcome recorded), the recent ones are still open."""
    site_ids = [s.pk for s in sites]
    event_time = Subquery(
        AccessEvent.all_tenants.filter(pk=OuterRef("event_id")).values("device_time")[:1]
    )
    with transaction.atomic():
        Alert.all_tenants.filter(site_id__in=site_ids).update(created_at=event_time)
        FollowUp.all_tenants.filter(site_id__in=site_ids).update(created_at=event_time)
        alerts = list(
            Alert.all_tenants.filter(
                site_id__in=site_ids, created_at__lt=now - timedelta(days=1)
            ).order_by("id")
        )
        for alert in alerts:
            alert.acknowledged_at = alert.created_at + timedelta(minutes=rng.randint(3, 40))
        Alert.all_tenants.bulk_update(alerts, ["acknowledged_at"], batch_size=1_000)
        followups = list(
            FollowUp.all_tenants.filter(
                site_id__in=site_ids, created_at__lt=now - timedelta(days=2)
            )
            .order_by("id")
            .only("id")
        )
        for item in followups:
            item.status, item.outcome = FollowUp.Status.DONE, rng.choice(OUTCOMES)
        FollowUp.all_tenants.bulk_update(followups, ["status", "outcome"], batch_size=1_000)
    report.alerts = Alert.all_tenants.filter(site_id__in=site_ids).count()

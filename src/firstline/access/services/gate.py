"""Writes of the access app: policies, keys, passes, and recording gate decisions.

Recording is one path for everything: the guard's page, a device's single event
and a device batch all go through `events_record`, which loads what the
decisions need in a fixed number of queries, decides each event in device-time
order (so quotas count earlier events of the same batch), and inserts the events,
alerts and follow-ups in one transaction. A client UUID already stored is not
stored again: its original result is returned, so a retried batch duplicates nothing.

The statements themselves are in fastpath.py (plain SQL, COPY for batches on
PostgreSQL). Each process keeps a site's decoded policy timeline and public keys
and checks them against a stamp read with every recording (no staleness). Only
the households whose exits count against a quota are locked; a single event
that needs no lock and raises no alert is one INSERT … ON CONFLICT DO NOTHING,
committed on its own.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from firstline.access.models import (
    AccessEvent,
    AccessPolicy,
    Alert,
    AuditAction,
    Checkpoint,
    Decision,
    Direction,
    FollowUp,
    Mode,
    Pass,
    SiteKey,
    VisitorRule,
)
from firstline.access.services import fastpath, passes
from firstline.access.services.decision import (
    CredentialStatus,
    Decider,
    Outcome,
    Person,
    Rules,
    counts_floor,
    is_fever,
    period_start,
)
from firstline.core.personal.crypto import keyring
from firstline.core.personal.normalise import normalise_plate
from firstline.core.services import audit_record
from firstline.estates.models import Household, Resident, Site

KEY_CONTEXT = b"site-key"
DEFAULT_PASS_DAYS = 30


# --- policies -------------------------------------------------------------------------


POLICY_FIELDS = [
    "effective_from",
    "mode",
    "temperature_threshold",
    "outing_quota",
    "outing_period_days",
    "outing_window_start",
    "outing_window_end",
    "require_green",
    "visitor_rule",
    "delivery_rule",
    "vehicles_registered_only",
    "office_hours_start",
    "office_hours_end",
    "floor_cap",
]


@transaction.atomic
def policy_publish(*, actor, site: Site, data: dict) -> AccessPolicy:
    """A new version of the site's policy. The site row is locked so two publishers
    cannot take the same version number."""
    Site.all_tenants.select_for_update().filter(pk=site.pk).first()
    latest = AccessPolicy.all_tenants.filter(site=site).aggregate(v=Max("version"))["v"] or 0
    policy = AccessPolicy(
        company_id=site.company_id,
        site=site,
        version=latest + 1,
        created_by=actor,
        **{k: data[k] for k in POLICY_FIELDS if k in data},
    )
    if policy.effective_from is None:
        policy.effective_from = timezone.now()
    policy.full_clean(exclude=["company", "site", "created_by"])
    policy.save()
    audit_record(
        actor=actor,
        company_id=site.company_id,
        action=AuditAction.POLICY_PUBLISH,
        obj=policy,
        changes={k: [None, str(getattr(policy, k))] for k in POLICY_FIELDS},
    )
    return policy


def policy_in_force(*, site_id: int, at: datetime) -> AccessPolicy | None:
    return (
        AccessPolicy.all_tenants.filter(site_id=site_id, effective_from__lte=at)
        .order_by("-effective_from", "-version")
        .first()
    )


def sites_refusing_visitors(*, site_ids, at: datetime) -> set[int]:
    """Of `site_ids` (read by the caller in its scope), those whose policy in force at
    `at` turns visitors away (谢绝来访): one query. A site with no policy admits them."""
    latest = (
        AccessPolicy.all_tenants.filter(site_id=OuterRef("site_id"), effective_from__lte=at)
        .order_by("-effective_from", "-version")
        .values("pk")[:1]
    )
    return set(
        AccessPolicy.all_tenants.filter(
            site_id__in=list(site_ids),
            pk=Subquery(latest),
            visitor_rule=VisitorRule.FORBIDDEN,
        ).values_list("site_id", flat=True)
    )


# No policy yet: registered entry, the mildest mode that still takes temperatures.
NO_POLICY = Rules(mode="registered", version=0)


def rules_for(*, site_id: int, at: datetime) -> Rules:
    policy = policy_in_force(site_id=site_id, at=at)
    return Rules.from_policy(policy) if policy else NO_POLICY


# --- keys and passes ------------------------------------------------------------------


@transaction.atomic
def site_key_active(*, site: Site) -> SiteKey:
    key = SiteKey.all_tenants.filter(site=site, active=True).order_by("-id").first()
    if key is None:
        Site.all_tenants.select_for_update().filter(pk=site.pk).first()
        key = SiteKey.all_tenants.filter(site=site, active=True).order_by("-id").first()
    if key is None:
        private_raw, public = passes.new_keypair()
        count = SiteKey.all_tenants.filter(site=site).count()
        key = SiteKey.all_tenants.create(
            company_id=site.company_id,
            site=site,
            kid=f"s{site.pk}k{count + 1}",
            public_key=public,
            private_key_enc=keyring().encrypt(private_raw.hex(), KEY_CONTEXT),
        )
    return key


def site_key_signing(*, site_id: int) -> SiteKey | None:
    """The key that signs the site's passes now (None before its first pass). The pass
    was read through the caller's scope; the key is the gate's, never shown."""
    return SiteKey.all_tenants.filter(site_id=site_id, active=True).order_by("-id").first()


# The gate's device path: a device has no user scope, it acts for its own site. The
# gate API admits the site first (`_gate_site`: the device's own, or one where the
# user holds the permission); these read that one site's rows for it.


def site_checkpoint_ids(*, site_id: int, ids) -> set[int]:
    """Which of `ids` are checkpoints of the admitted site."""
    rows = Checkpoint.all_tenants.filter(site_id=site_id, pk__in=ids)
    return set(rows.values_list("pk", flat=True))


def site_revoked_passes(*, site_id: int, now: datetime) -> list[tuple[int, datetime]]:
    """(pass id, revoked at) of the admitted site's revoked passes not yet expired."""
    return list(
        Pass.all_tenants.filter(site_id=site_id, revoked_at__isnull=False, valid_until__gt=now)
        .order_by("pk")
        .values_list("pk", "revoked_at")
    )


def site_pass(*, site_id: int, pass_id: int) -> Pass | None:
    """A pass of the admitted site by id (a scanned token's or a provisioned card's)."""
    return Pass.all_tenants.filter(site_id=site_id, pk=pass_id).first()


def site_public_keys(site_id: int) -> dict[str, str]:
    return dict(SiteKey.all_tenants.filter(site_id=site_id).values_list("kid", "public_key"))


def pass_token(pass_: Pass, key: SiteKey | None = None) -> str:
    """The QR content of a pass (Ed25519 signatures are deterministic: same pass, same token)."""
    key = (
        key
        or SiteKey.all_tenants.filter(site_id=pass_.site_id, active=True).order_by("-id").first()
    )
    private_raw = bytes.fromhex(keyring().decrypt(key.private_key_enc, KEY_CONTEXT))
    claims = passes.PassClaims(
        pass_.pk,
        pass_.site_id,
        key.kid,
        int(pass_.valid_from.timestamp()),
        int(pass_.valid_until.timestamp()),
    )
    return passes.sign(private_raw, claims)


@transaction.atomic
def pass_issue(
    *, actor, resident: Resident, days: int = DEFAULT_PASS_DAYS, now: datetime | None = None
) -> Pass:
    """A resident's pass; an earlier valid pass of the same resident is revoked, so each
    person holds one."""
    now = now or timezone.now()
    site_key_active(site=resident.site)
    Pass.all_tenants.filter(resident=resident, revoked_at__isnull=True, valid_until__gt=now).update(
        revoked_at=now, revoked_reason=_("已换发新证")
    )
    pass_ = Pass.all_tenants.create(
        company_id=resident.company_id,
        site_id=resident.site_id,
        household_id=resident.household_id,
        resident=resident,
        holder_name=resident.name,
        valid_from=now,
        valid_until=now + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        company_id=resident.company_id,
        action=AuditAction.PASS_ISSUE,
        obj=pass_,
        changes={"resident": [None, resident.pk]},
    )
    return pass_


@transaction.atomic
def pass_issue_visitor(
    *, actor, household: Household, name: str, day_start: datetime, hours: int = 24
) -> Pass:
    site_key_active(site=household.site)
    pass_ = Pass.all_tenants.create(
        company_id=household.company_id,
        site_id=household.site_id,
        household=household,
        kind=Pass.Kind.VISITOR,
        holder_name=name,
        valid_from=day_start,
        valid_until=day_start + timedelta(hours=hours),
    )
    audit_record(
        actor=actor,
        company_id=household.company_id,
        action=AuditAction.PASS_ISSUE,
        obj=pass_,
        changes={"visitor": [None, name]},
    )
    return pass_


@transaction.atomic
def pass_revoke(*, actor, pass_: Pass, reason: str) -> Pass:
    if not reason.strip():
        raise ValidationError({"reason": _("请填写注销原因。")})
    updated = Pass.all_tenants.filter(pk=pass_.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:200]
    )
    pass_.refresh_from_db()
    if updated:
        audit_record(
            actor=actor,
            company_id=pass_.company_id,
            action=AuditAction.PASS_REVOKE,
            obj=pass_,
            changes={"reason": [None, reason]},
        )
    return pass_


# --- recording gate events ----------------------------------------------------------------


class GateInput(NamedTuple):
    """One thing that happened at a gate, as a device or the guard's page reports it.
    (A named tuple: a batch makes 1,000 of them, and a frozen dataclass costs three
    times as much to make.)"""

    client_uuid: uuid.UUID
    direction: str
    device_time: datetime
    token: str = ""  # a scanned pass
    resident_id: int | None = None  # the guard looked the resident up
    plate: str = ""  # a plate camera
    temperature: Decimal | None = None
    checkpoint_id: int | None = None


def device_time_window(now: datetime) -> tuple[datetime, datetime]:
    """The device times a gate event may have, `now` on the server's clock: from the
    retention period ago (settings.GATE_RETENTION_DAYS; the purge would take an older
    one at once) to the allowed clock skew ahead (settings.DEVICE_CLOCK_SKEW_MINUTES; a
    later one would count in future quota windows and outlive the purge)."""
    return (
        now - timedelta(days=settings.GATE_RETENTION_DAYS),
        now + timedelta(minutes=settings.DEVICE_CLOCK_SKEW_MINUTES),
    )


def device_time_refusal(at: datetime, window: tuple[datetime, datetime]) -> str | None:
    """Why a device time cannot be recorded, or None. The edges (the API, the Hikvision
    adapter) ask before recording; comparing aware times never overflows, whatever
    year and offset a device sent."""
    earliest, latest = window
    if at > latest:
        now = latest - timedelta(minutes=settings.DEVICE_CLOCK_SKEW_MINUTES)
        return (
            f"more than {settings.DEVICE_CLOCK_SKEW_MINUTES} minutes ahead of the server's "
            f"clock ({now.astimezone(UTC).isoformat(timespec='seconds')}): not recorded, "
            "check the device's clock"
        )
    if at < earliest:
        return (
            f"older than the {settings.GATE_RETENTION_DAYS}-day retention period of gate "
            "events: not recorded"
        )
    return None


@dataclass(slots=True)
class GateResult:
    client_uuid: uuid.UUID
    event_id: int
    decision: str
    reasons: list[str]
    duplicate: bool = False
    resident_name: str = ""
    household_label: str = ""


@dataclass(slots=True)
class _Resolved:
    credential: CredentialStatus
    pass_id: int | None = None
    pass_kind: str = ""
    resident_id: int | None = None
    resident_name: str = ""
    household_id: int | None = None
    vehicle_id: int | None = None
    holder: str = ""
    household: str = ""
    person: Person | None = None  # the resident's status at the gate (status.py)


@lru_cache(maxsize=8192)
def _verify_signature(token: str, keys: tuple[tuple[str, str], ...], site_id: int):
    """Signature checks cost ~0.1 ms; a pass scanned again reuses the result. The
    validity window is checked per event, against its own device time."""
    try:
        return passes.verify(token, public_keys=dict(keys), site_id=site_id, now=None), None
    except passes.InvalidPass as exc:
        return None, exc.status


def _verify(token: str, keys, site_id: int, at: datetime):
    claims, status = _verify_signature(token, keys, site_id)
    if claims is not None:
        try:
            passes.check_validity(claims, at)
        except passes.InvalidPass as exc:
            return None, exc.status
    return claims, status


class PolicyTimeline:
    """All policy versions of a site (one query): the rules in force at any moment
    are then found without the database."""

    def __init__(self, site_id: int, policies: list[AccessPolicy] | None = None):
        if policies is None:
            policies = fastpath.policies(site_id)
        self._versions = [(p.effective_from, Rules.from_policy(p)) for p in policies]
        self._starts = [start for start, _ in self._versions]

    def at(self, moment: datetime) -> Rules:
        index = bisect_right(self._starts, moment)
        return self._versions[index - 1][1] if index else NO_POLICY


# Per process: site → (stamp, decoded policy timeline) and (stamp, public keys). Each
# recording reads the stamps (fastpath.site_state: count, largest id and latest change
# of the site's policies and keys) and reloads on any difference, so a policy
# published or a key made in any process is used from the next event on.
CACHED_SITES = 10_000
_timelines: dict[int, tuple[tuple, PolicyTimeline]] = {}
_site_keys: dict[int, tuple[tuple, tuple[tuple[str, str], ...]]] = {}


def _cached(cache: dict, site_id: int, stamp: tuple, load):
    hit = cache.get(site_id)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    value = load()
    if len(cache) >= CACHED_SITES:
        cache.clear()
    cache[site_id] = (stamp, value)  # loaded after the stamp was read: never older than it
    return value


def policy_timeline(site_id: int, stamp: tuple) -> PolicyTimeline:
    return _cached(_timelines, site_id, stamp, lambda: PolicyTimeline(site_id))


def _public_keys(site_id: int, stamp: tuple) -> tuple[tuple[str, str], ...]:
    return _cached(
        _site_keys, site_id, stamp, lambda: tuple(sorted(fastpath.public_keys(site_id).items()))
    )


def events_record(
    *, site: Site, inputs: list[GateInput], device=None, actor=None
) -> list[GateResult]:
    """Decide and store a list of gate events of one site; see the module docstring."""
    if not inputs:
        return []
    for attempt in range(2):
        try:
            return _events_record(site=site, inputs=inputs, device=device, actor=actor)
        except IntegrityError:
            if attempt:  # a concurrent writer stored the same uuids twice in a row: give up loudly
                raise
    raise AssertionError("unreachable")


@dataclass
class _Batch:
    """One recording between reading and writing: lists aligned with `fresh`."""

    site: Site
    fresh: list[GateInput]
    resolved: list[_Resolved]
    rules: list[Rules]
    local: list[datetime]  # device times in the site's zone
    device_id: int | None
    actor_id: int | None
    now: datetime
    ids: list[int]
    decided: list[tuple[str, list[str]]] = field(default_factory=list)
    # Office mode with a floor cap: household → its floor, and (floor, day) → people on it.
    floor_of: dict[int, tuple[int, str]] = field(default_factory=dict)
    on_floor: dict[tuple, int] = field(default_factory=dict)


def _events_record(*, site: Site, inputs: list[GateInput], device, actor) -> list[GateResult]:
    """Reads first, outside any transaction (each statement sees what is committed,
    as each statement of a READ COMMITTED transaction did); then one transaction
    locks the households whose exits count against a quota, counts their outings,
    decides and inserts. A single event that needs no lock and raises no alert is
    one INSERT, committed on its own.

    A replay (a uuid already stored) is answered with its stored result: the uuids
    are looked up in the first round trip, with the site's stamps and the
    credentials. The lookup spans every device time a stored event can have
    (`replay_window`): the unique index holds the device time too (the table is
    partitioned by it on PostgreSQL), so a uuid sent again with another time is
    found here, not by the index. A replay racing its first sending is stopped by the
    unique index: ON CONFLICT for one event, an IntegrityError for a batch, which
    events_record records again."""
    now = timezone.now()
    # One event on PostgreSQL: its INSERT … ON CONFLICT DO NOTHING finds a racing replay.
    at_insert = len(inputs) == 1 and fastpath.postgres()
    # In device-time order; one uuid twice in the same batch: the first one counts.
    first_of: dict[uuid.UUID, GateInput] = {}
    for item in sorted(inputs, key=lambda i: i.device_time):
        first_of.setdefault(item.client_uuid, item)
    candidates = list(first_of.values())

    # The stored uuids, the site's stamps and the credentials' rows (with each
    # resident's status) are read in one round trip; the tokens are verified once the
    # keys are known. Ids are reserved for every candidate: a replay's go unused.
    with fastpath.together():
        stored_before = fastpath.existing(site.company_id, first_of.keys(), replay_window(now))
        state = fastpath.site_state(site.pk, reserve=len(candidates) if len(candidates) > 1 else 0)
        found = _Lookups(site, candidates)
    existing = stored_before.get()
    fresh = [item for item in candidates if item.client_uuid not in existing]
    if not fresh:
        return _results(inputs, existing, None, [])
    policy_stamp, key_stamp, ids = state.get()
    timeline = policy_timeline(site.pk, policy_stamp)
    zone = timezone.get_current_timezone()
    resolved = _resolve(site=site, inputs=fresh, key_stamp=key_stamp, found=found)
    batch = _Batch(
        site=site,
        fresh=fresh,
        resolved=resolved,
        rules=[timeline.at(i.device_time) for i in fresh],
        local=[i.device_time.astimezone(zone) for i in fresh],
        device_id=device.pk if device is not None else None,
        actor_id=actor.pk if actor is not None else None,
        now=now,
        ids=ids,
    )
    _floor_occupancy(batch)
    # Households whose exits count against a quota: locked in a fixed order, so two
    # exits of one household cannot both take its last outing (PostgreSQL row locks;
    # SQLite serialises writers anyway).
    counted = sorted(
        {
            res.household_id
            for item, res, rules in zip(fresh, resolved, batch.rules, strict=True)
            if _counts_outings(item, rules, res)
        }
    )
    if (
        at_insert
        and counted
        and not _may_have_side_effects(batch)
        and fastpath.can_send_transaction()
    ):
        rows, outcomes, stored = _record_exit(batch, counted)
    elif counted or len(fresh) > 1:
        with transaction.atomic():
            outings = {}
            if counted:
                fastpath.lock_households(counted).get()
                outings = _outings(site=site, households=counted, batch=batch)
            rows, outcomes = _decide(batch, outings)
            stored = _store(batch, rows, outcomes, at_insert=at_insert)
    else:
        rows, outcomes = _decide(batch, {})
        if _side_effects(rows[0], outcomes[0]):
            with transaction.atomic():
                stored = _store(batch, rows, outcomes, at_insert=at_insert)
        else:
            stored = _store(batch, rows, outcomes, at_insert=at_insert)
    if at_insert and stored[0] is None:  # a replay stored meanwhile
        meanwhile = fastpath.existing(site.company_id, first_of.keys(), replay_window(now))
        return _results(inputs, meanwhile.get(), None, [])
    return _results(inputs, existing, batch, stored)


def replay_window(now: datetime) -> tuple[datetime, datetime]:
    """The device times a stored event can have: the window events are accepted in
    (device_time_window), and a day more before it, the daily purge's lag."""
    earliest, latest = device_time_window(now)
    return earliest - timedelta(days=1), latest


def _record_exit(batch: _Batch, counted: list[int]) -> tuple[list, list, list]:
    """One exit on foot against a quota, on PostgreSQL, in two round trips: BEGIN,
    the household's lock and its outings count; then the INSERT and COMMIT. Through
    Django's atomic() the same took five (BEGIN, lock, count, INSERT, COMMIT)."""
    with fastpath.transaction_sent_together():
        locked = fastpath.lock_households(counted)
        outings = _outings(site=batch.site, households=counted, batch=batch)
        locked.get()
        rows, outcomes = _decide(batch, outings)
        inserted = fastpath.insert_one(rows[0])
    return rows, outcomes, [inserted.get()]


def _office_floor(rules: Rules) -> bool:
    return rules.mode == Mode.OFFICE and rules.floor_cap is not None


def _day_start(local: datetime) -> datetime:
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _floor_occupancy(batch: _Batch) -> None:
    """Office mode with a floor cap: who is on each floor the batch's people belong to,
    today (admitted entries less admitted exits since the local midnight of each
    event's day, never below zero). A person's floor is their unit's: in an office
    or commercial building a tenant leases a room of a floor, written as the
    household's unit (层), in its building. Two queries, only when some event is
    under such a policy; every other mode reads nothing here."""
    households = {
        res.household_id
        for item, res, rules in zip(batch.fresh, batch.resolved, batch.rules, strict=True)
        if res.household_id is not None and not item.plate and _office_floor(rules)
    }
    if not households:
        return
    batch.floor_of = {
        pk: (building_id, unit)
        for pk, building_id, unit in Household.all_tenants.filter(
            company_id=batch.site.company_id, site_id=batch.site.pk, pk__in=households
        ).values_list("pk", "building_id", "unit")
    }
    days = sorted({_day_start(local) for local in batch.local})
    floors = set(batch.floor_of.values())
    for start in days:
        events = AccessEvent.all_tenants.filter(
            company_id=batch.site.company_id,
            site_id=batch.site.pk,
            decision=Decision.ADMIT,
            device_time__gte=start,
            device_time__lt=start + timedelta(days=1),
            household__building_id__in={b for b, _ in floors},
            household__unit__in={u for _, u in floors},
        )
        counts: dict[tuple[int, str], int] = {}
        for building_id, unit, direction, n_events in (
            events.values_list("household__building_id", "household__unit", "direction")
            .annotate(n=Count("id"))
            .order_by()
        ):
            step = n_events if direction == Direction.IN else -n_events
            counts[(building_id, unit)] = counts.get((building_id, unit), 0) + step
        for floor in floors:
            batch.on_floor[(floor, start)] = max(0, counts.get(floor, 0))


def _may_have_side_effects(batch: _Batch) -> bool:
    """Whether recording these events may write more than the events (_side_effects),
    known before deciding: a fever, or a visitor pass that an admission uses up."""
    return any(
        is_fever(item.temperature, rules) or res.pass_kind == Pass.Kind.VISITOR
        for item, res, rules in zip(batch.fresh, batch.resolved, batch.rules, strict=True)
    )


def _counts_outings(item: GateInput, rules: Rules, res: _Resolved) -> bool:
    """Whether the decision of this event reads its household's outings (decide())."""
    return (
        item.direction == Direction.OUT
        and not item.plate
        and res.household_id is not None
        and rules.mode == Mode.CLOSED
        and rules.outing_quota is not None
    )


def _decide(batch: _Batch, outings: dict) -> tuple[list[tuple], list[Outcome]]:
    """Each event in device-time order: admitted exits count for the later ones."""
    site, rows, outcomes = batch.site, [], []
    company_id, site_id, now = site.company_id, site.pk, batch.now
    device_id, actor_id = batch.device_id, batch.actor_id
    with translation.override("zh-hans"):  # stored reasons are in the records' language
        decider = Decider()
        for item, res, rules, local in zip(
            batch.fresh, batch.resolved, batch.rules, batch.local, strict=True
        ):
            # Only an exit on foot of a known household reads (and adds to) its outings.
            on_foot_out = item.direction == Direction.OUT and not item.plate and res.household_id
            key = (res.household_id, period_start(rules, local)) if on_foot_out else None
            floor = batch.floor_of.get(res.household_id) if batch.floor_of else None
            floor_key = (floor, _day_start(local)) if floor is not None else None
            reads_floor = floor_key is not None and counts_floor(
                rules, direction=item.direction, vehicle=bool(item.plate)
            )
            outcome, decision, reasons = decider(
                rules,
                direction=item.direction,
                at=local,
                credential=res.credential,
                person=res.person if res.resident_id else None,
                temperature=item.temperature,
                household_outings=outings.get(key, 0) if on_foot_out else 0,
                vehicle=bool(item.plate),
                floor_occupancy=batch.on_floor.get(floor_key, 0) if reads_floor else None,
            )
            if on_foot_out and decision == Decision.ADMIT:
                outings[key] = outings.get(key, 0) + 1
            if floor_key is not None and decision == Decision.ADMIT and not item.plate:
                step = 1 if item.direction == Direction.IN else -1
                batch.on_floor[floor_key] = max(0, batch.on_floor.get(floor_key, 0) + step)
            reasons = list(reasons)
            outcomes.append(outcome)
            batch.decided.append((decision, reasons))
            rows.append(
                (  # in fastpath.COLUMNS order
                    company_id,
                    now,
                    now,
                    site_id,
                    item.client_uuid,
                    item.checkpoint_id,
                    device_id,
                    actor_id,
                    str(item.direction),
                    _credential_kind(item, res),
                    res.pass_id,
                    res.resident_id,
                    res.household_id,
                    res.vehicle_id,
                    item.plate,
                    item.temperature,
                    decision,
                    reasons,
                    rules.version or None,
                    item.device_time,
                    now,
                )
            )
    return rows, outcomes


CREDENTIAL_AT = fastpath.COLUMNS.index("credential")


def _side_effects(row: tuple, outcome: Outcome) -> bool:
    """A fever (alert and follow-up) or an admitted visitor pass (used up)."""
    return outcome.fever or (
        outcome.decision == Decision.ADMIT and row[CREDENTIAL_AT] == AccessEvent.Credential.VISITOR
    )


def _store(
    batch: _Batch, rows: list[tuple], outcomes: list[Outcome], *, at_insert: bool
) -> list[int | None]:
    """Insert the events, then their alerts, follow-ups and used visitor passes. The
    event ids, aligned with batch.fresh (None: a replay found by the one-event INSERT)."""
    ids = (
        [fastpath.insert_one(rows[0]).get()]
        if at_insert
        else fastpath.insert_many(rows, ids=batch.ids)
    )
    _after_decisions(batch, outcomes, ids)
    return ids


def _results(
    inputs: list[GateInput], existing: dict, batch: _Batch | None, ids: list[int | None]
) -> list[GateResult]:
    at = {item.client_uuid: n for n, item in enumerate(batch.fresh)} if batch else {}
    results, answered = [], set()
    for item in inputs:
        found = existing.get(item.client_uuid)
        if found is not None:
            pk, decision, reasons = found
            results.append(GateResult(item.client_uuid, pk, decision, reasons, duplicate=True))
            continue
        n = at[item.client_uuid]
        res = batch.resolved[n]
        decision, reasons = batch.decided[n]
        results.append(
            GateResult(
                item.client_uuid,
                ids[n],
                decision,
                reasons,
                duplicate=item.client_uuid in answered,
                resident_name=res.resident_name if res.resident_id else res.holder,
                household_label=res.household,
            )
        )
        answered.add(item.client_uuid)
    return results


def _credential_kind(item: GateInput, res: _Resolved) -> str:
    if item.plate:
        return AccessEvent.Credential.PLATE.value
    if item.token:
        return (
            AccessEvent.Credential.VISITOR.value
            if res.pass_kind == Pass.Kind.VISITOR
            else AccessEvent.Credential.PASS.value
        )
    return AccessEvent.Credential.LOOKUP.value


class _Lookups:
    """The rows the inputs' credentials name, one statement per kind present (sent,
    to be read later: fastpath.Later). A pass is looked up by the id its token
    claims, before the token is verified; _resolve uses the row only for a verified
    token."""

    def __init__(self, site: Site, inputs: list[GateInput]):
        pass_ids = {
            pk for i in inputs if i.token and (pk := passes.claimed_pass_id(i.token)) is not None
        }
        resident_ids = {i.resident_id for i in inputs if i.resident_id and not i.token}
        plates = {normalise_plate(i.plate) for i in inputs if i.plate and not i.token}
        self.passes = fastpath.passes(site.pk, pass_ids) if pass_ids else None
        self.residents = fastpath.residents(site.pk, resident_ids) if resident_ids else None
        self.vehicles = fastpath.vehicles(site.pk, plates) if plates else None

    def get(self) -> tuple[dict, dict, dict]:
        return tuple(
            found.get() if found else {} for found in (self.passes, self.residents, self.vehicles)
        )


def _resolve(
    *, site: Site, inputs: list[GateInput], key_stamp: tuple, found: _Lookups
) -> list[_Resolved]:
    """What the decision needs of each input's token, resident id or plate (aligned
    with `inputs`), from the rows looked up (no model instances)."""
    pass_rows, residents, vehicles = found.get()
    keys = _public_keys(site.pk, key_stamp) if any(i.token for i in inputs) else ()
    out: list[_Resolved | None] = [None] * len(inputs)
    claims_at: dict[int, object] = {}
    for n, item in enumerate(inputs):
        if item.token:
            claims, status = _verify(item.token.strip(), keys, site.pk, item.device_time)
            if claims is None:
                out[n] = _Resolved(CredentialStatus(status))
            else:
                claims_at[n] = claims

    for n, item in enumerate(inputs):
        if out[n] is not None:
            continue
        if n in claims_at:
            p = pass_rows.get(claims_at[n].pass_id)
            if p is None:
                out[n] = _Resolved(CredentialStatus.UNKNOWN)
                continue
            status = CredentialStatus.VALID
            if p["revoked_at"] and p["revoked_at"] <= item.device_time:
                status = CredentialStatus.REVOKED
            elif p["kind"] == Pass.Kind.VISITOR and p["used_at"]:
                status = CredentialStatus.USED
            elif item.device_time >= p["valid_until"]:
                status = CredentialStatus.EXPIRED
            out[n] = _Resolved(
                status,
                pass_id=p["id"],
                pass_kind=p["kind"],
                resident_id=p["resident_id"],
                resident_name=p["resident_name"] or "",
                household_id=p["household_id"],
                holder=p["holder_name"],
                household=p["household"],
                person=p["person"],
            )
        elif item.resident_id:
            r = residents.get(item.resident_id)
            out[n] = (
                _Resolved(
                    CredentialStatus.VALID,
                    resident_id=r["id"],
                    resident_name=r["name"],
                    household_id=r["household_id"],
                    household=r["household"],
                    person=r["person"],
                )
                if r
                else _Resolved(CredentialStatus.UNKNOWN)
            )
        elif item.plate:
            v = vehicles.get(normalise_plate(item.plate))
            out[n] = (
                _Resolved(
                    CredentialStatus.VALID,
                    vehicle_id=v["id"],
                    household_id=v["household_id"],
                    holder=v["plate"],
                    household=v["household"],
                )
                if v
                else _Resolved(CredentialStatus.UNKNOWN, holder=item.plate)
            )
        else:
            out[n] = _Resolved(CredentialStatus.NONE)
    return out


def _outings(*, site: Site, households: list[int], batch: _Batch) -> dict:
    """Admitted exits per (household, period start) already stored, for the periods
    this batch touches: one query (counted by the database when there is one period)."""
    starts = sorted(
        {period_start(rules, local) for rules, local in zip(batch.rules, batch.local, strict=True)}
    )
    if len(starts) == 1:
        return {
            (household_id, starts[0]): n
            for household_id, n in fastpath.outings_count(
                site.company_id, site.pk, households, starts[0]
            )
        }
    counts: dict = {}
    for household_id, at in fastpath.outings(site.company_id, site.pk, households, starts[0]):
        index = bisect_right(starts, at)  # aware datetimes compare across zones
        if index:
            key = (household_id, starts[index - 1])
            counts[key] = counts.get(key, 0) + 1
    return counts


def _after_decisions(batch: _Batch, outcomes: list[Outcome], ids: list[int | None]) -> None:
    """Fevers alert the manager and open a follow-up for the health officer; admitted
    visitor passes are used up. Nothing for a replay (id None)."""
    site = batch.site
    alerts, followups, used = [], [], []
    for item, res, outcome, pk in zip(batch.fresh, batch.resolved, outcomes, ids, strict=True):
        if pk is None:
            continue
        if outcome.fever:
            who = res.resident_name if res.resident_id else (res.holder or "访客")
            alerts.append(
                Alert(
                    company_id=site.company_id,
                    site_id=site.pk,
                    kind=Alert.Kind.FEVER,
                    event_id=pk,
                    message=f"{who} {item.temperature}℃",
                )
            )
            followups.append(
                FollowUp(
                    company_id=site.company_id,
                    site_id=site.pk,
                    event_id=pk,
                    resident_id=res.resident_id,
                    reason=f"门岗测温 {item.temperature}℃",
                )
            )
        if (
            outcome.decision == Decision.ADMIT
            and res.pass_id
            and res.pass_kind == Pass.Kind.VISITOR
        ):
            used.append(res.pass_id)
    if alerts:
        Alert.all_tenants.bulk_create(alerts)
        FollowUp.all_tenants.bulk_create(followups)
    if used:
        Pass.all_tenants.filter(pk__in=used, used_at__isnull=True).update(used_at=batch.now)


def household_outings_today(*, site: Site, at: datetime) -> dict[int, int]:
    rules = rules_for(site_id=site.pk, at=at)
    start = period_start(rules, timezone.localtime(at))
    return dict(
        AccessEvent.all_tenants.filter(
            site=site, direction=Direction.OUT, decision=Decision.ADMIT, device_time__gte=start
        )
        .exclude(household_id=None)
        .values_list("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n")
    )

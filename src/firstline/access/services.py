"""Writes of the access app: policies, keys, passes, and recording gate decisions.

Recording is one path for everything: the guard's page, a device's single event
and a device batch all go through `events_record`, which loads what the
decisions need in a fixed number of queries, decides each event in device-time
order (so quotas count earlier events of the same batch), and inserts the events,
alerts and follow-ups in one transaction. A client UUID already stored is not
stored again: its original result is returned, so a retried batch duplicates nothing.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from firstline.core.crypto import keyring
from firstline.core.services import audit_record
from firstline.estates.models import Household, Resident, Site

from . import passes
from .decision import CredentialStatus, GateRequest, Outcome, Rules, decide, period_start
from .models import (
    AccessEvent,
    AccessPolicy,
    Alert,
    Decision,
    Direction,
    FollowUp,
    Pass,
    SiteKey,
    Vehicle,
)
from .status import person_status

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
        action="publish",
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
        action="issue",
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
        action="issue",
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
            action="revoke",
            obj=pass_,
            changes={"reason": [None, reason]},
        )
    return pass_


# --- recording gate events ----------------------------------------------------------------


@dataclass(frozen=True)
class GateInput:
    """One thing that happened at a gate, as a device or the guard's page reports it."""

    client_uuid: uuid.UUID
    direction: str
    device_time: datetime
    token: str = ""  # a scanned pass
    resident_id: int | None = None  # the guard looked the resident up
    plate: str = ""  # a plate camera
    temperature: Decimal | None = None
    checkpoint_id: int | None = None


@dataclass
class GateResult:
    client_uuid: uuid.UUID
    event_id: int
    decision: str
    reasons: list[str]
    duplicate: bool = False
    resident_name: str = ""
    household_label: str = ""


@dataclass
class _Resolved:
    credential: CredentialStatus
    pass_row: Pass | None = None
    resident: Resident | None = None
    household_id: int | None = None
    vehicle: Vehicle | None = None
    extra: dict = field(default_factory=dict)


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


@transaction.atomic
def _events_record(*, site: Site, inputs: list[GateInput], device, actor) -> list[GateResult]:
    now = timezone.now()
    uuids = [i.client_uuid for i in inputs]
    existing = {
        e.client_uuid: e
        for e in AccessEvent.all_tenants.filter(company_id=site.company_id, client_uuid__in=uuids)
        .order_by()
        .only("pk", "client_uuid", "decision", "reasons")
    }
    fresh = sorted(
        (i for i in inputs if i.client_uuid not in existing), key=lambda i: i.device_time
    )
    # One uuid twice in the same batch: the first one counts.
    first_of: dict[uuid.UUID, GateInput] = {}
    for item in fresh:
        first_of.setdefault(item.client_uuid, item)
    fresh = list(first_of.values())

    resolved = _resolve(site=site, inputs=fresh, now=now)
    households = sorted({r.household_id for r in resolved.values() if r.household_id})
    if any(i.direction == Direction.OUT for i in fresh) and households:
        # Lock the households in a fixed order: two exits of one household cannot both
        # take its last outing (PostgreSQL row locks; SQLite serialises writers anyway).
        list(
            Household.all_tenants.select_for_update()
            .filter(pk__in=households)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    timeline = PolicyTimeline(site.pk)
    outings = _outings(site=site, households=households, inputs=fresh, timeline=timeline)
    statuses = person_status([r.resident.pk for r in resolved.values() if r.resident])

    events, outcomes = [], []
    with translation.override("zh-hans"):  # stored reasons are in the records' language
        for item in fresh:
            res = resolved[item.client_uuid]
            rules = timeline.at(item.device_time)
            local = timezone.localtime(item.device_time)
            key = (res.household_id, period_start(rules, local))
            outcome = decide(
                rules,
                GateRequest(
                    direction=item.direction,
                    at=local,
                    credential=res.credential,
                    person=statuses.get(res.resident.pk) if res.resident else None,
                    temperature=item.temperature,
                    household_outings=outings.get(key, 0),
                    vehicle=bool(item.plate),
                ),
            )
            if (
                outcome.decision == Decision.ADMIT
                and item.direction == Direction.OUT
                and res.household_id
                and not item.plate
            ):
                outings[key] = outings.get(key, 0) + 1
            outcomes.append(outcome)
            events.append(
                AccessEvent(
                    company_id=site.company_id,
                    site_id=site.pk,
                    client_uuid=item.client_uuid,
                    checkpoint_id=item.checkpoint_id,
                    device=device,
                    recorded_by=actor,
                    direction=item.direction,
                    credential=_credential_kind(item, res),
                    pass_ref=res.pass_row,
                    resident=res.resident,
                    household_id=res.household_id,
                    vehicle=res.vehicle,
                    plate=item.plate,
                    temperature=item.temperature,
                    decision=outcome.decision,
                    reasons=list(outcome.reasons),
                    policy_version=rules.version or None,
                    device_time=item.device_time,
                )
            )
    AccessEvent.all_tenants.bulk_create(events, batch_size=1000)
    _after_decisions(site=site, events=events, outcomes=outcomes, resolved=resolved, now=now)

    by_uuid = {e.client_uuid: e for e in events}
    results, answered = [], set()
    for item in inputs:
        if item.client_uuid in existing:
            e = existing[item.client_uuid]
            results.append(
                GateResult(item.client_uuid, e.pk, e.decision, e.reasons, duplicate=True)
            )
            continue
        e, res = by_uuid[item.client_uuid], resolved[item.client_uuid]
        results.append(
            GateResult(
                item.client_uuid,
                e.pk,
                e.decision,
                e.reasons,
                duplicate=item.client_uuid in answered,
                resident_name=res.resident.name if res.resident else res.extra.get("holder", ""),
                household_label=res.extra.get("household", ""),
            )
        )
        answered.add(item.client_uuid)
    return results


def _credential_kind(item: GateInput, res: _Resolved) -> str:
    if item.plate:
        return AccessEvent.Credential.PLATE
    if item.token:
        return (
            AccessEvent.Credential.VISITOR
            if res.pass_row and res.pass_row.kind == Pass.Kind.VISITOR
            else AccessEvent.Credential.PASS
        )
    return AccessEvent.Credential.LOOKUP


class PolicyTimeline:
    """All policy versions of a site, loaded once per batch (one query): the rules
    in force at any moment are then found without the database."""

    def __init__(self, site_id: int):
        policies = AccessPolicy.all_tenants.filter(site_id=site_id).order_by(
            "effective_from", "version"
        )
        self._versions = [(p.effective_from, Rules.from_policy(p)) for p in policies]
        self._starts = [start for start, _ in self._versions]

    def at(self, moment: datetime) -> Rules:
        index = bisect_right(self._starts, moment)
        return self._versions[index - 1][1] if index else NO_POLICY


def _resolve(*, site: Site, inputs: list[GateInput], now: datetime) -> dict[uuid.UUID, _Resolved]:
    """Turn tokens, resident ids and plates into rows: a fixed number of queries."""
    keys = tuple(sorted(site_public_keys(site.pk).items())) if any(i.token for i in inputs) else ()
    claims_of: dict[uuid.UUID, object] = {}
    out: dict[uuid.UUID, _Resolved] = {}
    for item in inputs:
        if item.token:
            claims, status = _verify(item.token.strip(), keys, site.pk, item.device_time)
            if claims is None:
                out[item.client_uuid] = _Resolved(CredentialStatus(status))
            else:
                claims_of[item.client_uuid] = claims
    pass_ids = {c.pass_id for c in claims_of.values()}
    # Each lookup runs only when the batch has something of its kind; no ORDER BY.
    pass_rows = (
        {
            p.pk: p
            for p in Pass.all_tenants.filter(site=site, pk__in=pass_ids)
            .order_by()
            .select_related("resident", "household__building")
        }
        if pass_ids
        else {}
    )
    resident_ids = {i.resident_id for i in inputs if i.resident_id}
    residents = (
        {
            r.pk: r
            for r in Resident.all_tenants.filter(site=site, pk__in=resident_ids)
            .order_by()
            .select_related("household__building")
        }
        if resident_ids
        else {}
    )
    plates = {i.plate.strip().upper() for i in inputs if i.plate}
    vehicles = (
        {
            v.plate: v
            for v in Vehicle.all_tenants.filter(site=site, plate__in=plates)
            .order_by()
            .select_related("household__building")
        }
        if plates
        else {}
    )

    for item in inputs:
        if item.client_uuid in out:
            continue
        if item.client_uuid in claims_of:
            p = pass_rows.get(claims_of[item.client_uuid].pass_id)
            if p is None:
                out[item.client_uuid] = _Resolved(CredentialStatus.UNKNOWN)
                continue
            status = CredentialStatus.VALID
            if p.revoked_at and p.revoked_at <= item.device_time:
                status = CredentialStatus.REVOKED
            elif p.kind == Pass.Kind.VISITOR and p.used_at:
                status = CredentialStatus.USED
            elif item.device_time >= p.valid_until:
                status = CredentialStatus.EXPIRED
            out[item.client_uuid] = _Resolved(
                status,
                pass_row=p,
                resident=p.resident,
                household_id=p.household_id,
                extra={"holder": p.holder_name, "household": p.household.label},
            )
        elif item.resident_id:
            r = residents.get(item.resident_id)
            if r is None:
                out[item.client_uuid] = _Resolved(CredentialStatus.UNKNOWN)
            else:
                out[item.client_uuid] = _Resolved(
                    CredentialStatus.VALID,
                    resident=r,
                    household_id=r.household_id,
                    extra={"household": r.household.label},
                )
        elif item.plate:
            v = vehicles.get(item.plate.strip().upper())
            out[item.client_uuid] = (
                _Resolved(
                    CredentialStatus.VALID,
                    vehicle=v,
                    household_id=v.household_id,
                    extra={"household": v.household.label, "holder": v.plate},
                )
                if v
                else _Resolved(CredentialStatus.UNKNOWN, extra={"holder": item.plate})
            )
        else:
            out[item.client_uuid] = _Resolved(CredentialStatus.NONE)
    return out


def _outings(
    *, site: Site, households: list[int], inputs: list[GateInput], timeline: PolicyTimeline
) -> dict:
    """Admitted exits per (household, period start) already stored, for the periods
    this batch touches: one query."""
    if not households or not any(i.direction == Direction.OUT for i in inputs):
        return {}
    starts = set()
    for item in inputs:
        rules = timeline.at(item.device_time)
        starts.add(period_start(rules, timezone.localtime(item.device_time)))
    earliest = min(starts)
    rows = (
        AccessEvent.all_tenants.filter(
            company_id=site.company_id,
            site=site,
            household_id__in=households,
            direction=Direction.OUT,
            decision=Decision.ADMIT,
            device_time__gte=earliest,
        )
        .exclude(credential=AccessEvent.Credential.PLATE)
        .values_list("household_id", "device_time")
    )
    counts: dict = {}
    ordered = sorted(starts)
    for household_id, at in rows:
        start = max((s for s in ordered if s <= timezone.localtime(at)), default=None)
        if start is not None:
            counts[(household_id, start)] = counts.get((household_id, start), 0) + 1
    return counts


def _after_decisions(
    *, site: Site, events: list[AccessEvent], outcomes: list[Outcome], resolved, now: datetime
) -> None:
    """Fevers alert the manager and open a follow-up for the health officer; admitted
    visitor passes are used up."""
    alerts, followups, used = [], [], []
    for event, outcome in zip(events, outcomes, strict=True):
        if outcome.fever:
            who = (
                event.resident.name
                if event.resident
                else (resolved[event.client_uuid].extra.get("holder") or "访客")
            )
            message = f"{who} {event.temperature}℃"
            alerts.append(
                Alert(
                    company_id=site.company_id,
                    site_id=site.pk,
                    kind=Alert.Kind.FEVER,
                    event=event,
                    message=message,
                )
            )
            followups.append(
                FollowUp(
                    company_id=site.company_id,
                    site_id=site.pk,
                    event=event,
                    resident=event.resident,
                    reason=f"门岗测温 {event.temperature}℃",
                )
            )
        if (
            event.decision == Decision.ADMIT
            and event.pass_ref
            and event.pass_ref.kind == Pass.Kind.VISITOR
        ):
            used.append(event.pass_ref.pk)
    Alert.all_tenants.bulk_create(alerts)
    FollowUp.all_tenants.bulk_create(followups)
    if used:
        Pass.all_tenants.filter(pk__in=used, used_at__isnull=True).update(used_at=now)


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

"""Isolation cases: open (at home or at a centralised point with its capacity),
extend, the twice-daily temperature checks with escalation on fever or symptoms,
release, and the periodic job that raises an alert for every check not reported
by its deadline.

Deadlines are local (settings.TIME_ZONE, Asia/Shanghai): the morning check is due
by 12:00 and the evening check by 20:00 of each day from the start date to the
planned end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record, changes_of, stored_actor
from firstline.estates.models import Resident
from firstline.health.models import (
    AuditAction,
    Declaration,
    HealthAlert,
    IsolationCase,
    IsolationCheck,
    IsolationFacility,
    ScreeningConfig,
    Symptom,
)
from firstline.health.services.alerts import alerts_raise

OPEN_STATES = (IsolationCase.State.ACTIVE, IsolationCase.State.ESCALATED)
SLOT_DEADLINES = {IsolationCheck.Slot.AM: time(12), IsolationCheck.Slot.PM: time(20)}
SLOT_LABELS = {IsolationCheck.Slot.AM: "上午", IsolationCheck.Slot.PM: "下午"}
TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")
DEFAULT_FEVER = Decimal("37.3")
CASE_FIELDS = [
    "kind",
    "whole_household",
    "facility",
    "reason",
    "start_date",
    "planned_end",
    "state",
]


def zone():
    return timezone.get_default_timezone()


def slot_deadline(day: date, slot: str) -> datetime:
    return datetime.combine(day, SLOT_DEADLINES[slot], tzinfo=zone())


def current_slot(now: datetime) -> str:
    """The slot a check taken now belongs to: morning until noon, evening after."""
    local = timezone.localtime(now, zone())
    return IsolationCheck.Slot.AM if local.time() < SLOT_DEADLINES["am"] else IsolationCheck.Slot.PM


def fever_threshold(company_id: int) -> Decimal:
    """The company's configured fever threshold (screening rules), 37.3 ℃ by default."""
    value = (
        ScreeningConfig.all_tenants.filter(company_id=company_id)
        .values_list("fever_threshold", flat=True)
        .first()
    )
    return value if value is not None else DEFAULT_FEVER


# --- open, extend, release ------------------------------------------------------------------


def isolation_open(
    *,
    actor,
    resident,
    kind: str,
    reason: str,
    start_date: date,
    facility: IsolationFacility | None = None,
    planned_end: date | None = None,
    whole_household: bool | None = None,
) -> IsolationCase:
    """Open a case. One open case per resident; a centralised case needs a facility of
    the same company with a free bed, counted under a lock on the facility's row so
    that two openings at once cannot both take the last bed.

    A home case may cover the whole household (every member is then refused at the
    gate and listed under the case); left unsaid (None) it does when the resident is
    a close contact of a confirmed case (`household_by_default`)."""
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if kind not in IsolationCase.Kind.values:
        errors["kind"] = _("请选择隔离方式。")
    if whole_household is None:
        whole_household = kind == IsolationCase.Kind.HOME and household_by_default(resident)
    elif whole_household and kind != IsolationCase.Kind.HOME:
        errors["whole_household"] = _("全户隔离仅适用于居家隔离。")
    if not reason:
        errors["reason"] = _("请填写隔离原因。")
    if kind == IsolationCase.Kind.CENTRAL and facility is None:
        errors["facility"] = _("集中隔离需要选择隔离点。")
    if kind == IsolationCase.Kind.HOME:
        facility = None
    if facility is not None and facility.company_id != resident.company_id:
        errors["facility"] = _("隔离点不属于该居民所在企业。")
    planned_end = planned_end or IsolationCase.default_end(start_date)
    if planned_end < start_date:
        errors["planned_end"] = _("计划解除日期不能早于开始日期。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if facility is not None:
            locked = IsolationFacility.all_tenants.select_for_update().get(pk=facility.pk)
            occupied = IsolationCase.all_tenants.filter(
                facility_id=locked.pk, state__in=OPEN_STATES
            ).count()
            if occupied >= locked.capacity:
                raise ValidationError(
                    {
                        "facility": _("隔离点“%(name)s”已满（床位 %(n)d 张）。")
                        % {"name": locked.name, "n": locked.capacity}
                    }
                )
        if IsolationCase.all_tenants.filter(
            resident_id=resident.pk, state__in=OPEN_STATES
        ).exists():
            raise ValidationError({"resident": _("该居民已有未解除的隔离观察。")})
        case = IsolationCase(
            company_id=resident.company_id,
            site_id=resident.site_id,
            resident=resident,
            household_id=resident.household_id,
            kind=kind,
            whole_household=bool(whole_household),
            facility=facility,
            reason=reason[:200],
            start_date=start_date,
            planned_end=planned_end,
            opened_by=stored_actor(actor),
        )
        try:
            with transaction.atomic():  # a concurrent opening for the same resident
                case.save()
        except IntegrityError:
            raise ValidationError({"resident": _("该居民已有未解除的隔离观察。")}) from None
        audit_record(
            actor=actor,
            company_id=case.company_id,
            action=AuditAction.ISOLATION_OPEN,
            obj=case,
            changes=changes_of(case, CASE_FIELDS),
        )
    return case


def household_by_default(resident) -> bool:
    """Whether a home case for `resident` covers the household unless chosen otherwise:
    their current declaration says they were in contact with a confirmed case."""
    return Declaration.all_tenants.filter(
        resident_id=resident.pk, current=True, contact_confirmed=True
    ).exists()


def _refuse_released(case: IsolationCase) -> None:
    if case.state == IsolationCase.State.RELEASED:
        raise ValidationError(_("该隔离观察已解除。"))


def isolation_extend(*, actor, case: IsolationCase, new_end: date, reason: str) -> IsolationCase:
    """Move the planned end later, with the reason in the audit trail."""
    _refuse_released(case)
    reason = (reason or "").strip()
    errors = {}
    if new_end is None or new_end <= case.planned_end:
        errors["planned_end"] = _("延期后的解除日期须晚于原计划 %(d)s。") % {
            "d": case.planned_end.isoformat()
        }
    if not reason:
        errors["reason"] = _("请填写延期原因。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        old = case.planned_end
        case.planned_end = new_end
        case.save(update_fields=["planned_end", "updated_at"])
        audit_record(
            actor=actor,
            company_id=case.company_id,
            action=AuditAction.ISOLATION_EXTEND,
            obj=case,
            changes={
                "planned_end": [old.isoformat(), new_end.isoformat()],
                "reason": [None, reason[:200]],
            },
        )
    return case


def isolation_release(*, actor, case: IsolationCase, note: str, now=None) -> IsolationCase:
    """Close the case with what was found (e.g. 两次核酸阴性，体温正常)."""
    _refuse_released(case)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写解除说明。")})
    now = now or timezone.now()
    with transaction.atomic():
        before = case.state
        case.state = IsolationCase.State.RELEASED
        case.released_at = now
        case.release_note = note[:500]
        case.released_by = stored_actor(actor)
        case.save(
            update_fields=["state", "released_at", "release_note", "released_by", "updated_at"]
        )
        audit_record(
            actor=actor,
            company_id=case.company_id,
            action=AuditAction.ISOLATION_RELEASE,
            obj=case,
            changes={"state": [before, case.state], "release_note": [None, case.release_note]},
        )
    return case


# --- checks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    check: IsolationCheck
    escalated: bool  # fever or symptoms: the case was escalated and an alert raised


def _clean_temperature(value) -> Decimal:
    try:
        temperature = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"temperature": _("请填写体温。")}) from None
    if not TEMPERATURE_MIN <= temperature <= TEMPERATURE_MAX:
        raise ValidationError(
            {
                "temperature": _("体温须在 %(lo)s–%(hi)s ℃ 之间。")
                % {"lo": TEMPERATURE_MIN, "hi": TEMPERATURE_MAX}
            }
        )
    return temperature


def check_record(
    *,
    case: IsolationCase,
    day: date,
    slot: str,
    temperature,
    symptoms: list[str] | None = None,
    by: str,
    actor=None,
    now=None,
) -> CheckResult:
    """Record one of the day's two checks. A fever (at or above the company's
    threshold) or any symptom escalates the case and raises an alert for the health
    officer. The case must be loaded with its resident (the alert names them)."""
    now = now or timezone.now()
    _refuse_released(case)
    errors = {}
    if slot not in IsolationCheck.Slot.values:
        errors["slot"] = _("请选择时段（上午/下午）。")
    if by not in IsolationCheck.By.values:
        errors["by"] = _("请选择上报方式。")
    today = timezone.localdate(now, zone())
    if day is None or day < case.start_date or day > min(today, case.planned_end):
        errors["day"] = _("日期须在隔离期内且不晚于今天。")
    symptoms = list(dict.fromkeys(symptoms or []))
    if unknown := [s for s in symptoms if s not in Symptom.values]:
        errors["symptoms"] = _("未知症状：%(s)s") % {"s": "、".join(unknown)}
    try:
        temperature = _clean_temperature(temperature)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    duplicate = ValidationError({"slot": _("该时段已上报。")})
    with transaction.atomic():
        if IsolationCheck.all_tenants.filter(case_id=case.pk, day=day, slot=slot).exists():
            raise duplicate
        check = IsolationCheck(
            company_id=case.company_id,
            site_id=case.site_id,
            case=case,
            day=day,
            slot=slot,
            taken_at=now,
            temperature=temperature,
            symptoms=symptoms,
            by=by,
            recorded_by=stored_actor(actor),
        )
        try:
            with transaction.atomic():
                check.save()
        except IntegrityError:
            raise duplicate from None
        fever = temperature >= fever_threshold(case.company_id)
        escalated = fever or bool(symptoms)
        if escalated:
            _escalate(case, check, fever=fever, actor=actor)
        audit_record(
            actor=actor,
            company_id=case.company_id,
            action=AuditAction.CHECK_RECORD,
            obj=case,
            changes={
                "check": [
                    None,
                    f"{day.isoformat()} {SLOT_LABELS[slot]} {temperature}℃"
                    + (
                        f" {'、'.join(str(Symptom(s).label) for s in symptoms)}" if symptoms else ""
                    ),
                ]
            },
        )
    return CheckResult(check=check, escalated=escalated)


def resident_name(case: IsolationCase) -> str:
    """The resident's name, from the loaded relation when the caller joined it."""
    if IsolationCase._meta.get_field("resident").is_cached(case):
        return case.resident.name
    return (
        Resident.all_tenants.filter(pk=case.resident_id).values_list("name", flat=True).first()
        or ""
    )


def _escalate(case: IsolationCase, check: IsolationCheck, *, fever: bool, actor) -> None:
    if case.state == IsolationCase.State.ACTIVE:
        IsolationCase.all_tenants.filter(pk=case.pk, state=IsolationCase.State.ACTIVE).update(
            state=IsolationCase.State.ESCALATED, updated_at=timezone.now()
        )
        case.state = IsolationCase.State.ESCALATED
    named = [str(Symptom(s).label) for s in check.symptoms]
    what = f"体温 {check.temperature}℃" + (f"，{'、'.join(named)}" if named else "")
    alerts_raise(
        [
            HealthAlert(
                company_id=case.company_id,
                site_id=case.site_id,
                kind=HealthAlert.Kind.FEVER if fever else HealthAlert.Kind.SYMPTOMS,
                key=f"{case.pk}:{check.day.isoformat()}:{check.slot}",
                case=case,
                resident_id=case.resident_id,
                message=(
                    f"{resident_name(case)} {check.day:%m-%d}{SLOT_LABELS[check.slot]}：{what}"
                )[:200],
                due_at=check.taken_at,
            )
        ]
    )


# --- missed checks --------------------------------------------------------------------------


def due_slots(case_start: date, case_end: date, opened_at: datetime, now: datetime):
    """(day, slot, deadline) of every slot of a case whose deadline has passed by `now`
    — from the start date to the planned end, and not before the case was opened
    (a case opened at 15:00 owes no morning check that day)."""
    today = timezone.localdate(now, zone())
    day = case_start
    last = min(today, case_end)
    while day <= last:
        for slot in SLOT_DEADLINES:
            deadline = slot_deadline(day, slot)
            if opened_at < deadline <= now:
                yield day, slot, deadline
        day += timedelta(days=1)


def missed_checks_raise(now: datetime | None = None) -> int:
    """Raise a missed-check alert for every past-deadline slot of every open case that
    has no check. Three reads (open cases, their checks, the alerts already raised)
    and one insert that ignores duplicates: idempotent, safe to run every few minutes."""
    now = now or timezone.now()
    cases = list(
        IsolationCase.all_tenants.filter(state__in=OPEN_STATES)
        .order_by("id")
        .values(
            "id",
            "company_id",
            "site_id",
            "resident_id",
            "resident__name",
            "start_date",
            "planned_end",
            "created_at",
        )
    )
    if not cases:
        return 0
    done = set(
        IsolationCheck.all_tenants.filter(case__state__in=OPEN_STATES).values_list(
            "case_id", "day", "slot"
        )
    )
    raised = set(
        HealthAlert.all_tenants.filter(
            kind=HealthAlert.Kind.MISSED_CHECK, case__state__in=OPEN_STATES
        ).values_list("key", flat=True)
    )
    alerts = []
    for c in cases:
        for day, slot, deadline in due_slots(
            c["start_date"], c["planned_end"], c["created_at"], now
        ):
            key = f"{c['id']}:{day.isoformat()}:{slot}"
            if (c["id"], day, slot) in done or key in raised:
                continue
            alerts.append(
                HealthAlert(
                    company_id=c["company_id"],
                    site_id=c["site_id"],
                    kind=HealthAlert.Kind.MISSED_CHECK,
                    key=key,
                    case_id=c["id"],
                    resident_id=c["resident_id"],
                    message=f"{c['resident__name']} {day:%m-%d}{SLOT_LABELS[slot]}体温检测未上报"[
                        :200
                    ],
                    due_at=deadline,
                )
            )
    return alerts_raise(alerts)


# --- reads ----------------------------------------------------------------------------------


def case_list(qs):
    return qs.select_related("site", "resident", "household", "household__building", "facility")


def today_status(case_ids: list[int], today: date) -> dict[int, set[str]]:
    """The slots checked today for each case: one query for a page of cases."""
    out: dict[int, set[str]] = {pk: set() for pk in case_ids}
    for case_id, slot in IsolationCheck.all_tenants.filter(
        case_id__in=case_ids, day=today
    ).values_list("case_id", "slot"):
        out[case_id].add(slot)
    return out


def housemates(scope, cases) -> dict[int, list[Resident]]:
    """For each whole-household case, the other members of the household it covers
    (read in `scope`): one query for a page of cases."""
    wide = {c.pk: c for c in cases if c.whole_household}
    out: dict[int, list[Resident]] = {pk: [] for pk in wide}
    if not wide:
        return out
    by_household: dict[int, list[Resident]] = {}
    for resident in (
        Resident.objects.for_scope(scope)
        .filter(household_id__in={c.household_id for c in wide.values()})
        .only("id", "name", "household_id")
        .order_by("id")
    ):
        by_household.setdefault(resident.household_id, []).append(resident)
    for pk, case in wide.items():
        out[pk] = [r for r in by_household.get(case.household_id, []) if r.pk != case.resident_id]
    return out


def facility_occupancy(facility_ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    rows = (
        IsolationCase.all_tenants.filter(facility_id__in=facility_ids, state__in=OPEN_STATES)
        .order_by()
        .values("facility_id")
        .annotate(n=Count("id"))
    )
    return {row["facility_id"]: row["n"] for row in rows}


def facility_save(*, actor, company_id: int, data: dict, facility=None) -> IsolationFacility:
    """Create or edit a centralised isolation point."""
    name = (data.get("name") or "").strip()
    capacity = data.get("capacity")
    errors = {}
    if not name:
        errors["name"] = _("请填写隔离点名称。")
    if capacity is None or capacity < 1:
        errors["capacity"] = _("床位数须至少为 1。")
    if errors:
        raise ValidationError(errors)
    fields = ["name", "address", "capacity"]
    with transaction.atomic():
        creating = facility is None
        if creating:
            facility = IsolationFacility(company_id=company_id)
            before = None
        else:
            before = {f: getattr(facility, f) for f in fields}
            occupied = facility_occupancy([facility.pk]).get(facility.pk, 0)
            if capacity < occupied:
                raise ValidationError(
                    {"capacity": _("床位数不能少于在住人数 %(n)d。") % {"n": occupied}}
                )
        facility.name = name[:100]
        facility.address = (data.get("address") or "").strip()[:200]
        facility.capacity = capacity
        facility.save()
        audit_record(
            actor=actor,
            company_id=company_id,
            action=AuditAction.FACILITY_CREATE if creating else AuditAction.FACILITY_UPDATE,
            obj=facility,
            changes=changes_of(facility, fields, before),
        )
    return facility

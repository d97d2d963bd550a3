"""Deployments, shifts, check-in and check-out by the site's QR code, certificates.

The site's check-in code is a signed token of (company, site): printed once, it
cannot be forged for another site. A scan is stored once by the phone's client UUID
(`Scan`), so the offline queue (core/static/firstline/offline-queue.js) may replay it
any number of times: the replay gets the original answer, and the attendance keeps
the time the phone scanned, not the time the server heard of it."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.scope import Scope
from firstline.core.services import audit_record, stored_actor
from firstline.estates.models import Site, Staff
from firstline.orgs.models import Association
from firstline.volunteers.models import (
    Attendance,
    AuditAction,
    Certificate,
    Deployment,
    HealthCheck,
    Scan,
    Shift,
    Volunteer,
)

CHECKIN_SALT = "volunteers.checkin"
OWN_PERMS = ("volunteers.view_own", "volunteers.do_task")
EARLY = timedelta(hours=2)  # a check-in this long before a shift counts for it
MAX_STRETCH = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=10)
OLDEST_SCAN = timedelta(days=7)
MAX_SHIFT_DAYS = 62


# --- the site's check-in code --------------------------------------------------------------


def site_token(site: Site) -> str:
    return signing.Signer(salt=CHECKIN_SALT).sign(f"{site.company_id}.{site.pk}")


def site_id_for_token(token: str) -> int | None:
    try:
        _company, site_id = signing.Signer(salt=CHECKIN_SALT).unsign(token or "").split(".")
        return int(site_id)
    except (signing.BadSignature, ValueError):
        return None


# --- deployments and shifts ----------------------------------------------------------------


def deployment_create(
    *,
    actor,
    site: Site,
    starts_on: date,
    ends_on: date,
    volunteer: Volunteer | None = None,
    staff: Staff | None = None,
    duty: str = "",
) -> Deployment:
    """Put one person on duty at `site` (both read in the caller's scope)."""
    errors = {}
    if (volunteer is None) == (staff is None):
        errors["volunteer"] = _("请选择一名志愿者或一名员工。")
    if volunteer is not None and volunteer.state != Volunteer.State.APPROVED:
        errors["volunteer"] = _("只能派驻已通过审核的志愿者。")
    if staff is not None and staff.company_id != site.company_id:
        errors["staff"] = _("只能派驻本企业的员工。")
    if not starts_on or not ends_on:
        errors["starts_on"] = _("请填写派驻日期。")
    elif ends_on < starts_on:
        errors["ends_on"] = _("结束日期不能早于开始日期。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        deployment = Deployment.objects.create(
            company_id=site.company_id,
            site=site,
            association_id=volunteer.association_id if volunteer else None,
            volunteer=volunteer,
            staff=staff,
            person_name=(volunteer or staff).name,
            starts_on=starts_on,
            ends_on=ends_on,
            duty=(duty or "").strip()[:64],
        )
        audit_record(
            actor=actor,
            company_id=site.company_id,
            action=AuditAction.DEPLOYMENT_CREATE,
            obj=deployment,
            changes={
                "site": site.pk,
                "volunteer": volunteer.pk if volunteer else None,
                "staff": staff.pk if staff else None,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
        )
    return deployment


def _aware(day: date, at: time) -> datetime:
    """`at` o'clock of `day` in the site's (the platform's) time zone; an offset the
    client sent with the time is ignored: shifts are local wall-clock times."""
    return timezone.make_aware(datetime.combine(day, at.replace(tzinfo=None)))


def shifts_create(
    *, actor, deployment: Deployment, first_day: date, last_day: date, start: time, end: time
) -> list[Shift]:
    """One shift a day from `first_day` to `last_day` (within the deployment's dates);
    an end at or before the start is the next morning (a night shift)."""
    errors = {}
    if not first_day or not last_day or last_day < first_day:
        errors["last_day"] = _("请填写正确的起止日期。")
    elif first_day < deployment.starts_on or last_day > deployment.ends_on:
        errors["first_day"] = _("班次须在派驻日期 %(a)s 至 %(b)s 之内。") % {
            "a": deployment.starts_on,
            "b": deployment.ends_on,
        }
    elif (last_day - first_day).days >= MAX_SHIFT_DAYS:
        errors["last_day"] = _("一次最多排 %(n)d 天。") % {"n": MAX_SHIFT_DAYS}
    if start is None or end is None:
        errors["start"] = _("请填写上下班时间。")
    if errors:
        raise ValidationError(errors)
    rows = []
    day = first_day
    while day <= last_day:
        starts = _aware(day, start)
        ends = _aware(
            day + timedelta(days=1)
            if end.replace(tzinfo=None) <= start.replace(tzinfo=None)
            else day,
            end,
        )
        rows.append(
            Shift(
                company_id=deployment.company_id,
                site_id=deployment.site_id,
                deployment=deployment,
                starts_at=starts,
                ends_at=ends,
            )
        )
        day += timedelta(days=1)
    with transaction.atomic():
        created = Shift.objects.bulk_create(rows)
        audit_record(
            actor=actor,
            company_id=deployment.company_id,
            action=AuditAction.SHIFT_CREATE,
            obj=deployment,
            changes={
                "shifts": len(created),
                "from": first_day.isoformat(),
                "to": last_day.isoformat(),
            },
        )
    return created


# --- scans -----------------------------------------------------------------------------------


@dataclass
class ScanResult:
    scan: Scan
    attendance: Attendance | None
    duplicate: bool
    message: str


def own_deployments(scope: Scope, user) -> Q:
    """The deployments of the person signed in (a volunteer's, or a staff member's)."""
    return Deployment.objects.for_scope(scope.for_any_perm(*OWN_PERMS)).filter(
        Q(volunteer__user_id=user.pk) | Q(staff__user_id=user.pk)
    )


def _replay(scan: Scan, user) -> ScanResult:
    if scan.user_id != user.pk:
        raise ValidationError({"client_uuid": _("该记录编号已被使用。")})
    attendance = (
        Attendance.all_tenants.filter(pk=scan.attendance_id).first() if scan.attendance_id else None
    )
    return ScanResult(scan, attendance, True, scan.message)


def scan_record(
    *, user, scope: Scope, token: str, kind: str, client_uuid: uuid.UUID, at: datetime | None
) -> ScanResult:
    """Check in or out at the site whose code was scanned, at the time the phone
    scanned it. Refuses (ValidationError) a bad code, a person not deployed there that
    day, a check-in after a red daily check or off the roster, a check-out without a
    check-in; a replayed client UUID answers the original result."""
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if kind not in Scan.Kind.values:
        raise ValidationError({"kind": _("请选择签到或签退。")})
    if client_uuid is None:
        client_uuid = uuid.uuid4()
    if (existing := Scan.objects.filter(client_uuid=client_uuid).first()) is not None:
        return _replay(existing, user)
    site_id = site_id_for_token(token)
    if site_id is None:
        raise ValidationError({"token": _("二维码无效，请扫描项目张贴的签到二维码。")})
    if at > now + CLOCK_SKEW or at < now - OLDEST_SCAN:
        raise ValidationError({"at": _("扫码时间不正确，请检查手机时间。")})
    day = timezone.localdate(at)
    deployment = (
        own_deployments(scope, user)
        .filter(
            site_id=site_id,
            state=Deployment.State.ACTIVE,
            starts_on__lte=day,
            ends_on__gte=day,
        )
        .select_related("site")
        .order_by("-starts_on", "-id")
        .first()
    )
    if deployment is None:
        raise ValidationError({"token": _("您在这一天没有派驻到该项目。")})
    with transaction.atomic():
        Deployment.all_tenants.select_for_update().filter(pk=deployment.pk).first()
        open_ = Attendance.all_tenants.filter(
            deployment=deployment, check_out_at__isnull=True
        ).first()
        if kind == Scan.Kind.IN:
            attendance, message = _check_in(deployment, open_, at, day)
        else:
            attendance, message = _check_out(open_, at)
        try:
            with transaction.atomic():
                scan = Scan.objects.create(
                    client_uuid=client_uuid,
                    user=user,
                    kind=kind,
                    at=at,
                    attendance=attendance,
                    message=message,
                )
        except IntegrityError:
            # The same UUID arrived twice at once: the other request stored it.
            transaction.set_rollback(True)
            existing = Scan.objects.filter(client_uuid=client_uuid).first()
            if existing is None:
                raise
            return _replay(existing, user)
        audit_record(
            actor=user,
            company_id=deployment.company_id,
            action=AuditAction.ATTENDANCE_SCAN,
            obj=attendance,
            changes={"kind": kind, "at": at.isoformat(), "site": site_id},
        )
    return ScanResult(scan, attendance, False, message)


def _check_in(deployment, open_, at, day) -> tuple[Attendance, str]:
    red = HealthCheck.all_tenants.filter(
        deployment__in=_same_person(deployment), day=day, result=HealthCheck.Result.RED
    ).exists()
    if red:
        raise ValidationError({"token": _("今日健康检查结果异常，不能上岗，请联系项目负责人。")})
    if open_ is not None:
        return open_, _("已签到（%(t)s），无需重复签到。") % {
            "t": timezone.localtime(open_.check_in_at).strftime("%H:%M")
        }
    shifts = Shift.all_tenants.filter(
        deployment=deployment, starts_at__lte=at + EARLY, ends_at__gt=at
    ).order_by("starts_at")
    shift = shifts.filter(state=Shift.State.PLANNED).first()
    if shift is None and shifts.filter(state=Shift.State.REMOVED).exists():
        raise ValidationError({"token": _("您已被撤下本班次，不能签到。")})
    attendance = Attendance.objects.create(
        company_id=deployment.company_id,
        site_id=deployment.site_id,
        deployment=deployment,
        shift=shift,
        check_in_at=at,
    )
    return attendance, _("签到成功：%(site)s %(t)s") % {
        "site": deployment.site.name,
        "t": timezone.localtime(at).strftime("%H:%M"),
    }


def _check_out(open_, at) -> tuple[Attendance, str]:
    if open_ is None:
        raise ValidationError({"kind": _("尚未签到，不能签退。")})
    out = max(at, open_.check_in_at)
    out = min(out, open_.check_in_at + MAX_STRETCH)
    open_.check_out_at = out
    open_.minutes = int((out - open_.check_in_at).total_seconds() // 60)
    open_.save(update_fields=["check_out_at", "minutes", "updated_at"])
    return open_, _("签退成功：本次 %(h)s 小时") % {"h": open_.hours}


def _same_person(deployment: Deployment) -> Q:
    if deployment.volunteer_id:
        return Deployment.all_tenants.filter(volunteer_id=deployment.volunteer_id)
    return Deployment.all_tenants.filter(staff_id=deployment.staff_id)


# --- certificates ----------------------------------------------------------------------------

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def certificate_issue(*, actor, volunteer: Volunteer) -> Certificate:
    """A certificate of the volunteer's closed hours to date (the same one again when
    nothing was added since the last)."""
    if volunteer.state != Volunteer.State.APPROVED:
        raise ValidationError(_("志愿者尚未通过审核。"))
    totals = Attendance.all_tenants.filter(
        deployment__volunteer_id=volunteer.pk, check_out_at__isnull=False
    ).aggregate(
        minutes=Sum("minutes"),
        first=Min("check_in_at"),
        last=Max("check_out_at"),
    )
    minutes = totals["minutes"] or 0
    if minutes <= 0:
        raise ValidationError(_("还没有已签退的服务时长，暂不能开具证明。"))
    last = Certificate.objects.filter(volunteer=volunteer).order_by("-issued_at", "-id").first()
    if last is not None and last.minutes == minutes:
        return last
    sites = (
        Attendance.all_tenants.filter(deployment__volunteer_id=volunteer.pk)
        .values("site_id")
        .distinct()
        .count()
    )
    association = Association.objects.get(pk=volunteer.association_id)
    with transaction.atomic():
        certificate = Certificate.objects.create(
            code=_code(),
            volunteer=volunteer,
            association_name=association.name,
            name_masked=volunteer.name_masked,
            minutes=minutes,
            first_day=timezone.localdate(totals["first"]),
            last_day=timezone.localdate(totals["last"]),
            sites=sites,
        )
        audit_record(
            actor=stored_actor(actor),
            company_id=volunteer.company_id,
            action=AuditAction.CERTIFICATE_ISSUE,
            obj=volunteer,
            changes={"certificate": certificate.code, "minutes": minutes},
        )
    return certificate

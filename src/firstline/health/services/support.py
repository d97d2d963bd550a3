"""Support requests of isolated and vulnerable households: create (by staff, or by
the resident for their own household), assign to a staff member of the site,
complete with proof of delivery, cancel; and the time-to-fulfil figures."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from firstline.core.services import audit_record, changes_of, stored_actor
from firstline.estates.models import Household
from firstline.health.models import AuditAction, HealthAlert, SupportRequest
from firstline.health.services.alerts import alerts_raise
from firstline.health.services.daily import start_of

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 2048  # enough to read a receipt; keeps stored files small
OPEN_STATES = (SupportRequest.State.OPEN, SupportRequest.State.ASSIGNED)
FIELDS = ["household_id", "resident_id", "case_id", "kind", "urgency", "details", "state"]


def request_create(
    *,
    actor,
    household,
    kind: str,
    details: str,
    urgency: str = SupportRequest.Urgency.NORMAL,
    resident=None,
    case=None,
    now=None,
) -> SupportRequest:
    """A new request. The resident and the case, when given, must be of the household;
    an urgent request raises an alert for the health officer."""
    details = (details or "").strip()
    errors = {}
    if kind not in SupportRequest.Kind.values:
        errors["kind"] = _("请选择需求类型。")
    if urgency not in SupportRequest.Urgency.values:
        errors["urgency"] = _("请选择紧急程度。")
    if not details:
        errors["details"] = _("请说明需要什么帮助。")
    if resident is not None and resident.household_id != household.pk:
        errors["resident"] = _("该居民不属于此住户。")
    if case is not None and case.household_id != household.pk:
        errors["case"] = _("该隔离观察不属于此住户。")
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with transaction.atomic():
        req = SupportRequest.all_tenants.create(
            company_id=household.company_id,
            site_id=household.site_id,
            household=household,
            resident=resident,
            case=case,
            kind=kind,
            urgency=urgency,
            details=details[:500],
            requested_at=now,
            requested_by=stored_actor(actor),
        )
        audit_record(
            actor=actor,
            company_id=req.company_id,
            action=AuditAction.SUPPORT_CREATE,
            obj=req,
            changes=changes_of(req, FIELDS),
        )
        if urgency == SupportRequest.Urgency.URGENT:
            alerts_raise(
                [
                    HealthAlert(
                        company_id=req.company_id,
                        site_id=req.site_id,
                        kind=HealthAlert.Kind.URGENT_SUPPORT,
                        key=str(req.pk),
                        resident=resident,
                        message=f"{household_label(household)} 紧急求助（{req.get_kind_display()}）：{details}"[
                            :200
                        ],
                        due_at=now,
                    )
                ]
            )
    return req


def household_label(household) -> str:
    """1栋1单元301 when the caller joined the building, else the room alone."""
    if Household._meta.get_field("building").is_cached(household):
        return household.label
    return household.room


def _refuse_closed(req: SupportRequest) -> None:
    if req.state not in OPEN_STATES:
        raise ValidationError(_("该需求已%(state)s。") % {"state": req.get_state_display()})


def request_assign(*, actor, req: SupportRequest, staff, now=None) -> SupportRequest:
    """Give the request to a staff member on duty at the request's site."""
    _refuse_closed(req)
    if staff is None or staff.site_id != req.site_id or staff.company_id != req.company_id:
        raise ValidationError({"assigned_to": _("请选择本项目的工作人员。")})
    now = now or timezone.now()
    with transaction.atomic():
        before = {"assigned_to": str(req.assigned_to) if req.assigned_to_id else None}
        req.assigned_to = staff
        req.assigned_at = now
        before["state"] = req.state
        req.state = SupportRequest.State.ASSIGNED
        req.save(update_fields=["assigned_to", "assigned_at", "state", "updated_at"])
        audit_record(
            actor=actor,
            company_id=req.company_id,
            action=AuditAction.SUPPORT_ASSIGN,
            obj=req,
            changes={
                "assigned_to": [before["assigned_to"], staff.name],
                "state": [before["state"], req.state],
            },
        )
    return req


def photo_clean(upload) -> ContentFile:
    """The uploaded proof photo, verified as an image and re-encoded as JPEG: the
    re-encoding drops EXIF (GPS position, device, time) and anything hidden in the
    file. Raises a ValidationError naming the field."""
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({"proof_photo": _("照片不能超过 5 MB。")})
    try:
        upload.seek(0)
        Image.open(upload).verify()  # checks the file's structure; the image is unusable after
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            {"proof_photo": _("无法识别的图片，请上传 JPEG 或 PNG 照片。")}
        ) from None
    image = ImageOps.exif_transpose(image)  # keep the photo upright once the EXIF is gone
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)  # no exif= → none written
    return ContentFile(out.getvalue())


def request_complete(
    *, actor, req: SupportRequest, proof_note: str, photo=None, now=None
) -> SupportRequest:
    """Close the request as delivered, with a note and optionally a photo."""
    _refuse_closed(req)
    proof_note = (proof_note or "").strip()
    if not proof_note:
        raise ValidationError({"proof_note": _("请填写送达说明。")})
    content = photo_clean(photo) if photo else None
    now = now or timezone.now()
    with transaction.atomic():
        before = req.state
        req.state = SupportRequest.State.DONE
        req.done_at = now
        req.proof_note = proof_note[:500]
        if content is not None:
            req.proof_photo.save(f"{req.pk}.jpg", content, save=False)
        req.save(update_fields=["state", "done_at", "proof_note", "proof_photo", "updated_at"])
        audit_record(
            actor=actor,
            company_id=req.company_id,
            action=AuditAction.SUPPORT_COMPLETE,
            obj=req,
            changes={
                "state": [before, req.state],
                "proof_note": [None, req.proof_note],
                **({"proof_photo": [None, req.proof_photo.name]} if content else {}),
            },
        )
    return req


def request_cancel(*, actor, req: SupportRequest, reason: str) -> SupportRequest:
    _refuse_closed(req)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写取消原因。")})
    with transaction.atomic():
        before = req.state
        req.state = SupportRequest.State.CANCELLED
        req.save(update_fields=["state", "updated_at"])
        audit_record(
            actor=actor,
            company_id=req.company_id,
            action=AuditAction.SUPPORT_CANCEL,
            obj=req,
            changes={"state": [before, req.state], "reason": [None, reason[:200]]},
        )
    return req


# --- reads ----------------------------------------------------------------------------------


def request_list(qs):
    return qs.select_related("site", "household", "household__building", "resident", "assigned_to")


@dataclass(frozen=True)
class FulfilFigure:
    kind: str
    label: str
    count: int
    median_hours: float | None
    p90_hours: float | None


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return None
    rank = (len(sorted_values) - 1) * p
    low, high = math.floor(rank), math.ceil(rank)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def fulfil_figures(qs, *, first: date, last: date) -> list[FulfilFigure]:
    """Median and 90th percentile hours from request to delivery, per kind, of the
    requests delivered between `first` and `last` (local days). One query."""
    rows = (
        qs.filter(
            state=SupportRequest.State.DONE,
            done_at__gte=start_of(first),
            done_at__lt=start_of(last + timedelta(days=1)),
        )
        .order_by()
        .values_list("kind", "requested_at", "done_at")
    )
    hours: dict[str, list[float]] = {}
    for kind, requested, done in rows:
        hours.setdefault(kind, []).append(max((done - requested).total_seconds(), 0) / 3600)
    out = []
    for kind, label in SupportRequest.Kind.choices:
        values = sorted(hours.get(kind, []))
        out.append(
            FulfilFigure(
                kind=kind,
                label=str(label),
                count=len(values),
                median_hours=percentile(values, 0.5),
                p90_hours=percentile(values, 0.9),
            )
        )
    return out

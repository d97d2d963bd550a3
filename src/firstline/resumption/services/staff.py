"""A tenant's returning staff: residents of its unit (so they declare health, hold a
resident pass and pass the gate as residents do), registered one by one or from a
workbook (all rows or none, every problem named by row), and their passes, issued
only while the tenant's application is approved and up to its approved headcount."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firstline.access.models import Pass
from firstline.access.services import gate as access_gate
from firstline.core.importing import (
    Column,
    RowError,
    SheetSpec,
    cell_text,
    read_sheet,
    rejected,
    template_workbook,
)
from firstline.core.personal.crypto import lookup_digest
from firstline.core.services import audit_record
from firstline.estates.models import Household, Resident
from firstline.estates.services import records
from firstline.resumption.models import Application, AuditAction, Tenant
from firstline.resumption.services.applications import latest_for

MAX_ROWS = 2_000
PASS_DAYS = 30
SHEET = SheetSpec(
    name="返岗员工",
    columns=(
        Column("姓名", "name", "Name", 12),
        Column("手机号", "phone", "Mobile phone, 11 digits", 16, True),
        Column("身份证号", "id_number", "National ID number, 18 characters", 22, True),
    ),
    notes={
        "name": gettext_lazy("必填"),
        "phone": gettext_lazy("必填，11 位手机号，用于健康申报登录"),
        "id_number": gettext_lazy("必填，18 位，校验位须正确；本企业已登记的不能重复"),
    },
)


def template() -> bytes:
    return template_workbook([SHEET], max_rows=MAX_ROWS)


def birth_year(id_number: str | None) -> int | None:
    """The year of birth an 18-character national ID number states (validated before)."""
    digits = (id_number or "")[6:10]
    return int(digits) if len(digits) == 4 and digits.isdigit() else None


def staff_of(tenant: Tenant):
    """The tenant's staff (the caller read the tenant in its scope)."""
    return Resident.all_tenants.filter(
        company_id=tenant.company_id, household_id=tenant.household_id
    )


@transaction.atomic
def staff_register(*, actor, tenant: Tenant, name: str, phone: str, id_number: str) -> Resident:
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = [_("必填。")]
    if not (phone or "").strip():
        errors["phone"] = [_("必填：员工用手机号登录健康申报。")]
    if not (id_number or "").strip():
        errors["id_number"] = [_("必填。")]
    if errors:
        raise ValidationError(errors)
    personal = records.clean_personal(phone=phone, id_number=id_number)
    resident = records.resident_create(
        actor=actor,
        household=Household.all_tenants.get(pk=tenant.household_id),
        data={
            "name": name[:64],
            "relation": Resident.Relation.TENANT,
            "birth_year": birth_year(personal.get("id_number")),
        },
        phone=phone,
        id_number=id_number,
    )
    audit_record(
        actor=actor,
        company_id=tenant.company_id,
        action=AuditAction.STAFF_REGISTER,
        obj=tenant,
        changes={"name": [None, name]},
    )
    return resident


@transaction.atomic
def staff_import(*, actor, tenant: Tenant, path: Path | str) -> int:
    """Every row checked first (name, phone, ID number, duplicates in the file and in
    the company); one bad row and nothing is written. Returns the rows added."""
    rows = read_sheet(path, SHEET, max_rows=MAX_ROWS)
    errors: list[RowError] = []
    cleaned = []
    seen: dict[str, int] = {}
    for number, raw in rows:
        text = {k: cell_text(v) for k, v in raw.items()}
        row_errors = []
        if not text["name"]:
            row_errors.append(RowError(number, "姓名", _("必填")))
        try:
            personal = records.clean_personal(phone=text["phone"], id_number=text["id_number"])
        except ValidationError as exc:
            personal = {}
            for field, messages in exc.message_dict.items():
                header = SHEET.header_of[field]
                row_errors.extend(RowError(number, header, m) for m in messages)
        if not text["phone"]:
            row_errors.append(RowError(number, "手机号", _("必填")))
        id_number = personal.get("id_number")
        if not text["id_number"]:
            row_errors.append(RowError(number, "身份证号", _("必填")))
        elif id_number:
            digest = lookup_digest("id_number", id_number)
            if digest in seen:
                row_errors.append(
                    RowError(number, "身份证号", _("与第 %(n)d 行重复") % {"n": seen[digest]})
                )
            elif Resident.all_tenants.filter(
                company_id=tenant.company_id, id_number_hmac=digest
            ).exists():
                row_errors.append(
                    RowError(number, "身份证号", _("该身份证号已登记在本企业的居民中"))
                )
            seen.setdefault(digest, number)
        if row_errors:
            errors.extend(row_errors)
        else:
            cleaned.append((text["name"][:64], personal["phone"], id_number))
    if errors:
        raise rejected(errors, [SHEET])
    if not cleaned:
        raise ValidationError({"file": _("文件中没有员工。")})
    household = Household.all_tenants.get(pk=tenant.household_id)
    for name, phone, id_number in cleaned:
        records.resident_create(
            actor=actor,
            household=household,
            data={
                "name": name,
                "relation": Resident.Relation.TENANT,
                "birth_year": birth_year(id_number),
            },
            phone=phone,
            id_number=id_number,
        )
    audit_record(
        actor=actor,
        company_id=tenant.company_id,
        action=AuditAction.STAFF_IMPORT,
        obj=tenant,
        changes={"rows": [None, len(cleaned)]},
    )
    return len(cleaned)


def active_passes(tenant: Tenant, now=None):
    now = now or timezone.now()
    return Pass.all_tenants.filter(
        company_id=tenant.company_id,
        household_id=tenant.household_id,
        kind=Pass.Kind.RESIDENT,
        revoked_at__isnull=True,
        valid_until__gt=now,
    )


@dataclass(frozen=True)
class Issued:
    issued: int
    already: int
    over_cap: int  # staff left without a pass: the approved headcount was reached


@transaction.atomic
def passes_issue(*, actor, tenant: Tenant, residents: list[Resident] | None = None) -> Issued:
    """Passes for the tenant's staff who hold none (or `residents`, the tenant's own),
    in the order they were registered, up to the approved headcount."""
    Tenant.all_tenants.select_for_update().filter(pk=tenant.pk).first()  # one issuer at a time
    application = latest_for(tenant)
    if application is None or application.state != Application.State.APPROVED:
        raise ValidationError(_("复工申请获批后才能发放通行证。"))
    now = timezone.now()
    holding = set(active_passes(tenant, now).values_list("resident_id", flat=True))
    people = residents if residents is not None else list(staff_of(tenant).order_by("id"))
    people = [r for r in people if r.household_id == tenant.household_id]
    room = max(0, (application.approved_headcount or 0) - len(holding))
    issued = already = over = 0
    for resident in people:
        if resident.pk in holding:
            already += 1
        elif room > 0:
            access_gate.pass_issue(actor=actor, resident=resident, days=PASS_DAYS, now=now)
            room -= 1
            issued += 1
        else:
            over += 1
    if residents is not None and over and not issued:
        raise ValidationError(
            _("已达到核准返岗人数（%(n)d 人），不能再发放通行证。")
            % {"n": application.approved_headcount}
        )
    if issued:
        audit_record(
            actor=actor,
            company_id=tenant.company_id,
            action=AuditAction.PASSES_ISSUE,
            obj=tenant,
            changes={"rows": [None, issued]},
        )
    return Issued(issued, already, over)

"""A site's staff from a workbook (sheet 员工): name, phone, position, on duty.

Phones are sealed like residents' (core.personal); a phone twice in the file or
already on the site's staff is an error, so uploading the list twice does not
double the roster. Accounts are not created here: a manager gives a login to the
staff who need one from the staff page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from firstline.core.importing import (
    Column,
    ImportRejected,
    RowError,
    SheetSpec,
    cell_text,
    read_sheet,
    rejected,
    yes_no,
)
from firstline.core.importing import (
    template_workbook as spec_workbook,
)
from firstline.core.personal.crypto import lookup_digest
from firstline.core.personal.identity import validate_phone
from firstline.core.personal.normalise import normalise_phone
from firstline.core.services import audit_record
from firstline.estates.models import AuditAction, Site, Staff
from firstline.estates.services.importing import sealed_columns
from firstline.estates.services.records import name_initials
from firstline.orgs.models import Company

PERMISSION = "estates.change_staff"
MAX_ROWS = 5_000
SHEET_NAME = "员工"
POSITIONS = {
    **{str(label): value for value, label in Staff.Position.choices},
    **{value: value for value in Staff.Position.values},
}


def _spec() -> SheetSpec:
    labels = tuple(str(label) for label in Staff.Position.labels)
    return SheetSpec(
        SHEET_NAME,
        (
            Column("姓名", "name", "必填 name", 12),
            Column("手机号", "phone", "可空 11-digit mobile phone", 16, text=True),
            Column("岗位", "position", "必填 position", 12, choices=labels),
            Column("在岗", "on_duty", "是/否 on duty (空=是)", 8, choices=("是", "否")),
        ),
        {
            "name": _("必填，不超过 64 字"),
            "phone": _("11 位手机号，可留空；同一项目不能重复"),
            "position": "、".join(labels),
            "on_duty": _("是或否，空为是"),
        },
    )


def template_workbook() -> bytes:
    return spec_workbook([_spec()], max_rows=MAX_ROWS)


def staff_import(
    *,
    actor,
    site: Site,
    path: Path | str,
    file_name: str = "",
    set_total: Callable[[int], None] = lambda n: None,
    advance: Callable[[int], None] = lambda n: None,
) -> int:
    """Add the workbook's staff to the site: how many, or ImportRejected."""
    spec = _spec()
    header = spec.header_of
    rows = read_sheet(path, spec, max_rows=MAX_ROWS)
    if not rows:
        raise ImportRejected(
            _("文件中没有工作人员数据。"), [RowError(2, header["name"], _("没有数据行"))]
        )
    set_total(len(rows) + 1)
    errors: list[RowError] = []
    phones: dict[str, int] = {}  # digest → first row
    staff: list[Staff] = []
    for number, cells in rows:
        text = {name: cell_text(value) for name, value in cells.items()}
        before = len(errors)

        def error(name, message, number=number):
            errors.append(RowError(number, header[name], message))

        name = text["name"]
        if not name:
            error("name", _("姓名不能为空"))
        elif len(name) > 64:
            error("name", _("姓名不能超过 64 个字"))
        phone = normalise_phone(text["phone"]) if text["phone"] else ""
        if phone:
            try:
                validate_phone(phone)
            except ValidationError as exc:
                error("phone", " ".join(exc.messages))
                phone = ""
            else:
                first = phones.setdefault(lookup_digest("phone", phone), number)
                if first != number:
                    error("phone", _("与第 %(n)d 行的手机号重复") % {"n": first})
        position = POSITIONS.get(text["position"])
        if position is None:
            error(
                "position",
                _("岗位应为 %(p)s 之一，而不是“%(v)s”")
                % {
                    "p": "、".join(str(label) for label in Staff.Position.labels),
                    "v": text["position"],
                },
            )
        on_duty = yes_no(text["on_duty"]) if text["on_duty"] else True
        if on_duty is None:
            error("on_duty", _("应填“是”或“否”，而不是“%(v)s”") % {"v": text["on_duty"]})
        if len(errors) == before:
            staff.append(
                Staff(
                    company_id=site.company_id,
                    site_id=site.pk,
                    name=name,
                    name_initials=name_initials(name),
                    position=position,
                    on_duty=on_duty,
                    **sealed_columns("phone", phone),
                )
            )
    advance(len(rows))
    for digest in _registered(site, phones):
        errors.append(
            RowError(phones[digest], header["phone"], _("该手机号已在本项目的工作人员中"))
        )
    if errors:
        raise rejected(errors, [spec])
    with transaction.atomic():
        # One import at a time per company (PostgreSQL), then the phones again.
        list(Company.objects.select_for_update().filter(pk=site.company_id).values_list("pk"))
        if _registered(site, phones):
            raise ImportRejected(
                _("导入期间本项目登记了相同手机号的工作人员，未导入任何数据，请重新上传。")
            )
        Staff.all_tenants.bulk_create(staff, batch_size=1_000)
        audit_record(
            actor=actor,
            company_id=site.company_id,
            action=AuditAction.STAFF_IMPORT,
            obj=site,
            changes={"rows": len(staff), "file": file_name},
        )
    advance(1)
    return len(staff)


def _registered(site: Site, phones: dict[str, int]) -> set[str]:
    return set(
        Staff.all_tenants.filter(
            company_id=site.company_id, site_id=site.pk, phone_hmac__in=list(phones)
        ).values_list("phone_hmac", flat=True)
    )

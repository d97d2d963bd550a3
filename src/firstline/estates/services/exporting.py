"""Exporting residents to Excel: masked by default, in full only with the reveal
permission and a stated purpose (each site's reveal is access-logged), and every
export audited.

Memory stays flat whatever the size: rows come from the database in chunks
(`iterator`) and go straight into a write-only workbook backed by a temporary
file, which the view streams back and which disappears when closed.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core import exporting
from firstline.core.personal.access_log import Read, access_log_record
from firstline.core.personal.fields import get_personal
from firstline.core.services import PURPOSE_MIN_LENGTH, audit_record
from firstline.estates.models import AuditAction, Resident, Site
from firstline.estates.services.importing import COLUMNS
from firstline.orgs.models import Company

CHUNK_SIZE = 2_000
HEADERS = ("项目", *(c.header for c in COLUMNS))
WIDTHS = (18, *(c.width + 4 for c in COLUMNS))
PLAIN_FIELDS = ("name", "birth_year", "relation", *Resident.VULNERABILITY_FIELDS)
JOINED_FIELDS = ("site__name", "household__unit", "household__room", "household__building__name")


@dataclass
class ExportFile:
    """A finished workbook, open at its start, with the name to offer for download."""

    file: IO[bytes]
    filename: str


def export_queryset(residents: models.QuerySet, *, full: bool) -> models.QuerySet:
    """The columns an export reads, joined in the one query; sealed blobs only in full."""
    fields = ["company_id", "site_id", "household_id", *PLAIN_FIELDS, *JOINED_FIELDS]
    fields += ["phone_enc", "id_number_enc"] if full else ["phone_masked", "id_number_masked"]
    return (
        residents.select_related("site", "household", "household__building")
        .only(*fields)
        .order_by("site_id", "household_id", "id")
    )


def _row(resident: Resident, *, full: bool) -> list:
    household = resident.household
    if full:
        phone = get_personal(resident, "phone") if resident.phone_enc else ""
        id_number = get_personal(resident, "id_number") if resident.id_number_enc else ""
    else:
        phone, id_number = resident.phone_masked, resident.id_number_masked
    return [
        resident.site.name,
        household.building.name,
        household.unit,
        household.room,
        resident.name,
        phone,
        id_number,
        resident.birth_year,
        str(Resident.Relation(resident.relation).label),
        *(_("是") if getattr(resident, f) else _("否") for f in Resident.VULNERABILITY_FIELDS),
    ]


def residents_export(
    *,
    actor,
    residents: models.QuerySet,
    site: Site | None,
    company_ids,
    full: bool = False,
    purpose: str = "",
    ip: str | None = None,
) -> ExportFile:
    """Write the given (already scoped) residents to a workbook.

    `full` writes plaintext phone and ID numbers; the caller has checked the reveal
    permission over every row of `residents` and the purpose. The access-log and
    audit rows commit with the read, never after it: if they fail, no file.
    """
    purpose = purpose.strip()
    if full and len(purpose) < PURPOSE_MIN_LENGTH:
        raise ValidationError(
            {"purpose": _("请说明导出用途（至少 %(n)d 个字）。") % {"n": PURPOSE_MIN_LENGTH}}
        )
    per_company: Counter[int] = Counter()
    per_site: Counter[int] = Counter()
    site_names: dict[int, tuple[int, str]] = {}
    # Handed to the response, which closes (and so deletes) it once sent.
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        with transaction.atomic():

            def rows():
                for resident in export_queryset(residents, full=full).iterator(
                    chunk_size=CHUNK_SIZE
                ):
                    per_company[resident.company_id] += 1
                    per_site[resident.site_id] += 1
                    site_names.setdefault(
                        resident.site_id, (resident.company_id, resident.site.name)
                    )
                    yield _row(resident, full=full)

            # Names are free text: the shared writer keeps `=HYPERLINK(…)` a string.
            exporting.xlsx_write(rows(), out, sheet=_("居民"), header=HEADERS, widths=WIDTHS)
            if full:
                access_log_record(
                    actor=actor,
                    reads=[
                        Read(
                            company_id=company_id,
                            site_id=site_id,
                            object_type="estates.site",
                            object_id=str(site_id),
                            object_label=f"{name}（{per_site[site_id]}）",
                        )
                        for site_id, (company_id, name) in site_names.items()
                    ],
                    field="export",
                    purpose=purpose,
                    ip=ip,
                )
            _audit(
                actor=actor, site=site, company_ids=company_ids, per_company=per_company, full=full
            )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    label = site.name if site else _("全部项目")
    suffix = "" if full else _("（脱敏）")
    return ExportFile(file=out, filename=f"{_('居民名单')}-{label}-{stamp}{suffix}.xlsx")


def _audit(*, actor, site: Site | None, company_ids, per_company: Counter, full: bool) -> None:
    """One audit row per company the export could touch, even when it found no one."""
    if site is not None:
        audit_record(
            actor=actor,
            company_id=site.company_id,
            action=AuditAction.RESIDENTS_EXPORT,
            obj=site,
            changes={"rows": per_company[site.company_id], "full": full},
        )
        return
    for company_id in sorted(set(company_ids) | set(per_company)):
        audit_record(
            actor=actor,
            company_id=company_id,
            action=AuditAction.RESIDENTS_EXPORT,
            obj=Company(pk=company_id),
            changes={"rows": per_company[company_id], "full": full},
        )

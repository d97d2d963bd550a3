"""The one writer of the personal-data access log (`core.models.AccessLog`).

Every read of personal data in full, or of a person's health flags by someone
outside the company, leaves one row per object (or per company, for a page that
shows many) with who, why and from where. Callers write it in the same transaction
as the read, so a read that happened is always logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from firstline.core.models import AccessLog


@dataclass(frozen=True)
class Read:
    """What was read: whose company it belongs to, and which object."""

    company_id: int
    object_type: str
    object_id: str
    object_label: str = ""
    site_id: int | None = None


def access_log_record(
    *,
    actor,
    reads: Iterable[Read],
    field: str,
    purpose: str,
    channel: str = "web",
    ip: str | None = None,
) -> list[AccessLog]:
    """Append one access-log row per read (bulk, one statement)."""
    return AccessLog.objects.bulk_create(
        [
            AccessLog(
                company_id=read.company_id,
                site_id=read.site_id,
                actor=actor,
                object_type=read.object_type[:64],
                object_id=str(read.object_id)[:64],
                object_label=read.object_label[:200],
                field=field,
                purpose=(purpose or "")[:200],
                channel=channel,
                ip=ip,
            )
            for read in reads
        ]
    )

"""Reads without a login, across tenants by design, each by an unguessable key:

- `task_for_handover_public(token)`: the support task whose handover QR code the
  receiving party scanned (a 24-character random token); only what the receiver
  must confirm (type, site, weight). The number and six-digit code typed in instead
  are checked, with a limit of wrong tries, by services.support.handover_code_check.
"""

from __future__ import annotations

from firstline.volunteers.models import SupportTask

FIELDS = (
    "id",
    "company_id",
    "site_id",
    "site__name",
    "task_type_id",
    "task_type__name",
    "task_type__kind",
    "title",
    "location",
    "state",
    "weight_kg",
    "handover_token",
    "handover_code",
    "receiver_name",
    "done_at",
    "due_at",
)


def task_for_handover_public(*, token: str):
    if not token:
        return None
    qs = SupportTask.all_tenants.select_related("site", "task_type").only(*FIELDS)
    return qs.filter(handover_token=token).first()

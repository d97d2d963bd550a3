"""Writes of the screening worklist: follow-up calls, referral to the community
health station, closing an item.

Each service locks its work item (`SELECT … FOR UPDATE`) before reading its state,
so two officers acting at once cannot call a closed item or close it twice. The
notes are health information: they stay on their rows (under the retention rule);
the audit trail records only what was done.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record, stored_actor
from firstline.health.models import AuditAction, FollowUpCall, WorkItem

NOTES_MAX = FollowUpCall._meta.get_field("notes").max_length
REFERRED_TO_MAX = WorkItem._meta.get_field("referred_to").max_length
State = WorkItem.State
Outcome = FollowUpCall.Outcome
# A referral has its own form (it needs the station's name): not an outcome to pick.
CALL_OUTCOMES = tuple(o for o in Outcome if o != Outcome.REFERRED)


def _locked_open(item: WorkItem) -> WorkItem:
    locked = WorkItem.all_tenants.select_for_update().get(pk=item.pk)
    if locked.state == State.CLOSED:
        raise ValidationError(_("该跟进事项已关闭。"))
    return locked


def _clean_notes(notes: str) -> str:
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise ValidationError({"notes": _("备注不能超过 %(n)d 个字。") % {"n": NOTES_MAX}})
    return notes


def _add_call(*, actor, item: WorkItem, outcome: str, notes: str, now) -> FollowUpCall:
    return FollowUpCall.all_tenants.create(
        company_id=item.company_id,
        site_id=item.site_id,
        work_item=item,
        called_at=now,
        outcome=outcome,
        notes=notes,
        caller=stored_actor(actor),
    )


def _set_state(*, actor, item: WorkItem, state: str, action: AuditAction, **fields) -> None:
    before = item.state
    WorkItem.all_tenants.filter(pk=item.pk).update(state=state, updated_at=timezone.now(), **fields)
    item.state = state
    for name, value in fields.items():
        setattr(item, name, value)
    changes = {"state": [before, state]} if before != state else {}
    audit_record(actor=actor, company_id=item.company_id, action=action, obj=item, changes=changes)


@transaction.atomic
def call_record(*, actor, item: WorkItem, outcome: str, notes: str = "", now=None) -> FollowUpCall:
    """Record one follow-up call; an open item becomes "following"."""
    if outcome not in CALL_OUTCOMES:
        raise ValidationError({"outcome": _("请选择通话结果。")})
    notes = _clean_notes(notes)
    now = now or timezone.now()
    item = _locked_open(item)
    call = _add_call(actor=actor, item=item, outcome=outcome, notes=notes, now=now)
    state = State.FOLLOWING if item.state == State.OPEN else item.state
    _set_state(actor=actor, item=item, state=state, action=AuditAction.WORK_ITEM_CALL)
    return call


@transaction.atomic
def refer(*, actor, item: WorkItem, to: str, notes: str = "", now=None) -> WorkItem:
    """Refer the resident to a community health station (recorded as a call too)."""
    to = (to or "").strip()
    if not to:
        raise ValidationError({"to": _("请填写转介的社区卫生服务站。")})
    if len(to) > REFERRED_TO_MAX:
        raise ValidationError({"to": _("名称不能超过 %(n)d 个字。") % {"n": REFERRED_TO_MAX}})
    notes = _clean_notes(notes)
    now = now or timezone.now()
    item = _locked_open(item)
    call_notes = _("转介至 %(to)s") % {"to": to} + (f"；{notes}" if notes else "")
    _add_call(
        actor=actor, item=item, outcome=Outcome.REFERRED, notes=call_notes[:NOTES_MAX], now=now
    )
    _set_state(
        actor=actor,
        item=item,
        state=State.REFERRED,
        action=AuditAction.WORK_ITEM_REFER,
        referred_to=to,
    )
    return item


@transaction.atomic
def close(*, actor, item: WorkItem, now=None) -> WorkItem:
    """Close the item; a later yellow or red screening may open a new one."""
    now = now or timezone.now()
    item = _locked_open(item)
    _set_state(
        actor=actor,
        item=item,
        state=State.CLOSED,
        action=AuditAction.WORK_ITEM_CLOSE,
        closed_at=now,
    )
    return item

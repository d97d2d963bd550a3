"""A site's areas and its plan: the current guide of its type applied to its areas,
each item resolved with the company's override.

`plan_apply` is idempotent and set-based per site (a few queries whatever the number
of areas): an entry whose resolved fields changed gets the new values and a new
revision, which tells the generator to replace its not-yet-due slots; an entry whose
item left the guide, was disabled by an override, or whose area was switched off is
deactivated (the generator cancels its future tasks). Edits a manager makes to one
entry (`plan_entry_edit`) last until the guide is applied again.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record, changes_of, snapshot
from firstline.sanitation.models import Area, AuditAction, GuideItem, ItemOverride, PlanEntry
from firstline.sanitation.services.guides import current_guide, frequency_errors, site_type_label

RESOLVED_FIELDS = (
    "title",
    "method",
    "disinfectant",
    "concentration",
    "times_per_day",
    "every_hours",
    "precautions",
)
AREA_FIELDS = ("name", "kind", "building", "device", "active")
ENTRY_EDIT_FIELDS = (
    "method",
    "disinfectant",
    "concentration",
    "times_per_day",
    "every_hours",
    "precautions",
    "active",
)


def new_qr_token() -> str:
    """Unguessable: the token alone opens the area's task page for a signed-in cleaner."""
    return secrets.token_urlsafe(18)[:24]


def _area_check(site, fields: dict, exclude_pk=None) -> None:
    name = (fields.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写区域名称。")})
    building = fields.get("building")
    if building is not None and building.site_id != site.pk:
        raise ValidationError({"building": _("楼栋不属于该项目。")})
    device = fields.get("device")
    if device is not None and device.site_id != site.pk:
        raise ValidationError({"device": _("设备不属于该项目。")})
    taken = Area.all_tenants.filter(site_id=site.pk, name=name)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": _("该项目已有同名区域。")})


def area_create(*, actor, site, name: str, kind: str, building=None, device=None) -> Area:
    fields = {"name": name, "kind": kind, "building": building, "device": device}
    _area_check(site, fields)
    with transaction.atomic():
        area = Area.objects.create(
            company_id=site.company_id,
            site_id=site.pk,
            name=name.strip(),
            kind=kind,
            building=building,
            device=device,
            qr_token=new_qr_token(),
        )
        audit_record(
            actor=actor,
            company_id=site.company_id,
            action=AuditAction.AREA_CREATE,
            obj=area,
            changes=changes_of(area, ["name", "kind", "building_id", "device_id"]),
        )
    return area


def area_edit(*, actor, area: Area, site, **fields) -> Area:
    """Change an area; switching it off deactivates its entries at the next apply."""
    unknown = set(fields) - set(AREA_FIELDS)
    if unknown:
        raise TypeError(f"area_edit: unknown fields {sorted(unknown)}")
    merged = {"name": area.name} | fields  # building/device checked only when given
    _area_check(site, merged, exclude_pk=area.pk)
    watched = ["name", "kind", "building_id", "device_id", "active"]
    with transaction.atomic():
        before = snapshot(area, watched)
        for name, value in fields.items():
            setattr(area, name, value.strip() if name == "name" else value)
        try:
            area.save()
        except IntegrityError as exc:  # a concurrent create took the name
            raise ValidationError({"name": _("该项目已有同名区域。")}) from exc
        audit_record(
            actor=actor,
            company_id=area.company_id,
            action=AuditAction.AREA_EDIT,
            obj=area,
            changes=changes_of(area, watched, before),
        )
    return area


def resolve(item: GuideItem, override: ItemOverride | None) -> dict | None:
    """The item's fields after the company's override; None when the override disables it.
    An override's frequency replaces both of the item's (they are one setting)."""
    values = {name: getattr(item, name) for name in RESOLVED_FIELDS}
    if override is None:
        return values
    if override.disabled:
        return None
    for name in ("method", "disinfectant", "concentration"):
        if getattr(override, name):
            values[name] = getattr(override, name)
    if override.times_per_day or override.every_hours:
        values["times_per_day"] = override.times_per_day
        values["every_hours"] = override.every_hours
    return values


def plan_apply(*, actor, site) -> dict[str, int]:
    """Apply the current guide of the site's type to its areas. Returns counts of
    entries created, updated (new revision), deactivated and unchanged."""
    guide = current_guide(site.site_type)
    if guide is None:
        raise ValidationError(
            _("“%(type)s”类型还没有操作指引。") % {"type": site_type_label(site.site_type)}
        )
    items = list(GuideItem.objects.filter(guide=guide).order_by("order", "id"))
    overrides = {
        o.code: o
        for o in ItemOverride.all_tenants.filter(
            company_id=site.company_id, site_type=site.site_type
        )
    }
    by_kind: dict[str, list[tuple[GuideItem, dict]]] = {}
    for item in items:
        resolved = resolve(item, overrides.get(item.code))
        if resolved is not None:
            by_kind.setdefault(item.area_kind, []).append((item, resolved))
    counts = {"created": 0, "updated": 0, "deactivated": 0, "unchanged": 0}
    with transaction.atomic():
        areas = list(
            Area.all_tenants.filter(site_id=site.pk, active=True).only("id", "kind").order_by("id")
        )
        existing = {
            (e.area_id, e.code): e
            for e in PlanEntry.all_tenants.select_for_update().filter(site_id=site.pk)
        }
        wanted: set[tuple[int, str]] = set()
        new, changed = [], []
        for area in areas:
            for item, resolved in by_kind.get(area.kind, ()):
                key = (area.pk, item.code)
                wanted.add(key)
                entry = existing.get(key)
                if entry is None:
                    new.append(
                        PlanEntry(
                            company_id=site.company_id,
                            site_id=site.pk,
                            area_id=area.pk,
                            code=item.code,
                            guide_version=guide.version,
                            **resolved,
                        )
                    )
                elif entry.active and all(getattr(entry, k) == v for k, v in resolved.items()):
                    if entry.guide_version != guide.version:
                        entry.guide_version = guide.version  # same content, newer source
                        changed.append(entry)
                    counts["unchanged"] += 1
                else:
                    for name, value in resolved.items():
                        setattr(entry, name, value)
                    entry.guide_version = guide.version
                    entry.active = True
                    entry.revision += 1
                    changed.append(entry)
                    counts["updated"] += 1
        gone = [e for key, e in existing.items() if key not in wanted and e.active]
        for entry in gone:
            entry.active = False
            changed.append(entry)
        counts["created"] = len(new)
        counts["deactivated"] = len(gone)
        _touch(changed)
        PlanEntry.objects.bulk_create(new, batch_size=1000)
        PlanEntry.all_tenants.bulk_update(
            changed,
            [*RESOLVED_FIELDS, "guide_version", "active", "revision", "updated_at"],
            batch_size=500,
        )
        audit_record(
            actor=actor,
            company_id=site.company_id,
            action=AuditAction.PLAN_APPLY,
            obj=site,
            changes={"guide": f"{guide.site_type} v{guide.version}", **counts},
        )
    return counts


def _touch(entries) -> None:
    """bulk_update does not run auto_now."""
    now = timezone.now()
    for entry in entries:
        entry.updated_at = now


def plan_entry_edit(*, actor, entry: PlanEntry, fields: dict) -> PlanEntry:
    """Change one entry; any change bumps its revision so the generator replaces the
    rest of today's slots (done tasks are kept)."""
    unknown = set(fields) - set(ENTRY_EDIT_FIELDS)
    if unknown:
        raise TypeError(f"plan_entry_edit: unknown fields {sorted(unknown)}")
    merged = {name: getattr(entry, name) for name in ENTRY_EDIT_FIELDS} | fields
    for name in ("method", "disinfectant", "concentration", "precautions"):
        merged[name] = (merged[name] or "").strip()
    merged["times_per_day"] = merged["times_per_day"] or None
    merged["every_hours"] = merged["every_hours"] or None
    if not merged["method"]:
        raise ValidationError({"method": _("请填写方法。")})
    if errors := frequency_errors(merged["times_per_day"], merged["every_hours"]):
        raise ValidationError(errors)
    watched = [*ENTRY_EDIT_FIELDS, "revision"]
    with transaction.atomic():
        locked = PlanEntry.all_tenants.select_for_update().get(pk=entry.pk)
        before = snapshot(locked, watched)
        if all(getattr(locked, k) == v for k, v in merged.items()):
            return locked
        for name, value in merged.items():
            setattr(locked, name, value)
        locked.revision += 1
        locked.save()
        audit_record(
            actor=actor,
            company_id=locked.company_id,
            action=AuditAction.PLAN_ENTRY_EDIT,
            obj=locked,
            changes=changes_of(locked, watched, before),
        )
    return locked

"""Writes to the guide library: the association publishes a new version of a site
type's checklist; a company overrides items of it for its own sites.

Guides are shared reference data (no company); overrides are the company's. Each
service validates everything first and writes in one transaction with its audit row,
so a rejected version or override leaves nothing behind.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.services import audit_record
from firstline.estates.models import Site
from firstline.sanitation.models import AreaKind, AuditAction, Guide, GuideItem, ItemOverride

GUIDE_SITE_TYPES = ("residential", "office", "industrial", "campus", "hospital")
ITEM_FIELDS = (
    "code",
    "area_kind",
    "title",
    "method",
    "disinfectant",
    "concentration",
    "times_per_day",
    "every_hours",
    "precautions",
)
OVERRIDE_FIELDS = (
    "disabled",
    "method",
    "disinfectant",
    "concentration",
    "times_per_day",
    "every_hours",
    "reason",
)
MAX_TIMES_PER_DAY = 24
MAX_EVERY_HOURS = 12  # the working day the generator spreads slots over


def site_type_label(site_type: str) -> str:
    return str(dict(Site.Type.choices).get(site_type, site_type))


def frequency_errors(times_per_day, every_hours, *, required: bool = True) -> dict[str, str]:
    """One of the two, in range: the generator needs exactly one way to make slots."""
    if times_per_day and every_hours:
        return {"every_hours": _("每日次数和间隔小时只填一项。")}
    if required and not times_per_day and not every_hours:
        return {"times_per_day": _("请填写每日次数或间隔小时。")}
    if times_per_day and not 1 <= times_per_day <= MAX_TIMES_PER_DAY:
        return {"times_per_day": _("每日次数应在 1 到 %(n)d 之间。") % {"n": MAX_TIMES_PER_DAY}}
    if every_hours and not 1 <= every_hours <= MAX_EVERY_HOURS:
        return {"every_hours": _("间隔小时应在 1 到 %(n)d 之间。") % {"n": MAX_EVERY_HOURS}}
    return {}


def _check_items(items: list[dict]) -> list[dict]:
    if not items:
        raise ValidationError({"items": _("指引至少要有一个条目。")})
    seen: set[str] = set()
    clean = []
    for n, raw in enumerate(items, start=1):
        item = {name: raw.get(name) for name in ITEM_FIELDS}
        for name in ("title", "method", "disinfectant", "concentration", "precautions", "code"):
            item[name] = (item[name] or "").strip()
        where = _("第 %(n)d 条（%(code)s）") % {"n": n, "code": item["code"] or "?"}
        problems = {}
        if not item["code"]:
            problems["code"] = _("请填写条目代码。")
        elif item["code"] in seen:
            problems["code"] = _("条目代码重复。")
        if item["area_kind"] not in AreaKind.values:
            problems["area_kind"] = _("区域类型无效。")
        if not item["title"]:
            problems["title"] = _("请填写条目名称。")
        if not item["method"]:
            problems["method"] = _("请填写方法。")
        problems.update(frequency_errors(item["times_per_day"], item["every_hours"]))
        if problems:
            raise ValidationError(
                {field: f"{where}：{message}" for field, message in problems.items()}
            )
        seen.add(item["code"])
        item["times_per_day"] = item["times_per_day"] or None
        item["every_hours"] = item["every_hours"] or None
        clean.append(item)
    return clean


def guide_publish_version(
    *, actor, site_type: str, items: list[dict], title: str | None = None, source: str | None = None
) -> Guide:
    """A new current version of the site type's guide; the previous one stays as
    history (current=False). Plans pick it up when the guide is applied again."""
    if site_type not in GUIDE_SITE_TYPES:
        raise ValidationError({"site_type": _("该项目类型没有操作指引。")})
    clean = _check_items(items)
    with transaction.atomic():
        # Lock the current row so two publishers cannot both make version n+1.
        current = (
            Guide.objects.select_for_update().filter(site_type=site_type, current=True).first()
        )
        last = Guide.objects.filter(site_type=site_type).aggregate(v=Max("version"))["v"] or 0
        if current is not None:
            Guide.objects.filter(pk=current.pk).update(current=False)
        guide = Guide.objects.create(
            site_type=site_type,
            version=last + 1,
            title=(title or (current.title if current else "") or site_type_label(site_type))[:200],
            source=(source if source is not None else (current.source if current else ""))[:300],
            published_at=timezone.now(),
            published_by=actor if getattr(actor, "is_authenticated", False) else None,
            current=True,
        )
        GuideItem.objects.bulk_create(
            GuideItem(guide=guide, order=n, **item) for n, item in enumerate(clean)
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.GUIDE_PUBLISH,
            obj=guide,
            changes={"site_type": site_type, "version": guide.version, "items": len(clean)},
        )
    return guide


def guide_items(guide: Guide) -> list[dict]:
    """A version's items as the dicts guide_publish_version takes (to copy and edit)."""
    return list(guide.items.order_by("order", "id").values(*ITEM_FIELDS))


def guide_item_revise(
    *, actor, guide: Guide, code: str, fields: dict | None = None, remove: bool = False
) -> Guide:
    """Publish the next version: the current one's items with one item changed, added
    (a new code) or removed. The simple way the pages edit a guide."""
    if not guide.current:
        raise ValidationError(_("只能在现行版本的基础上修订。"))
    items = guide_items(guide)
    codes = [item["code"] for item in items]
    if remove:
        if code not in codes:
            raise ValidationError({"code": _("没有这个条目。")})
        items = [item for item in items if item["code"] != code]
    elif code in codes:
        items[codes.index(code)].update(fields or {})
    else:
        items.append({**(fields or {}), "code": code})
    return guide_publish_version(actor=actor, site_type=guide.site_type, items=items)


def current_guide(site_type: str) -> Guide | None:
    return Guide.objects.filter(site_type=site_type, current=True).first()


def override_set(*, actor, company_id: int, site_type: str, code: str, **fields) -> ItemOverride:
    """Create or change the company's override of one item of a site type's guide.
    Empty text fields and frequencies mean "as the guide says"."""
    unknown = set(fields) - set(OVERRIDE_FIELDS)
    if unknown:
        raise TypeError(f"override_set: unknown fields {sorted(unknown)}")
    if site_type not in GUIDE_SITE_TYPES:
        raise ValidationError({"site_type": _("该项目类型没有操作指引。")})
    guide = current_guide(site_type)
    if guide is None or not guide.items.filter(code=code).exists():
        raise ValidationError({"code": _("现行指引中没有这个条目。")})
    values = {
        "disabled": bool(fields.get("disabled")),
        "method": (fields.get("method") or "").strip(),
        "disinfectant": (fields.get("disinfectant") or "").strip(),
        "concentration": (fields.get("concentration") or "").strip(),
        "times_per_day": fields.get("times_per_day") or None,
        "every_hours": fields.get("every_hours") or None,
        "reason": (fields.get("reason") or "").strip(),
    }
    if not values["reason"]:
        raise ValidationError({"reason": _("请说明调整原因。")})
    if errors := frequency_errors(values["times_per_day"], values["every_hours"], required=False):
        raise ValidationError(errors)
    with transaction.atomic():
        override = (
            ItemOverride.all_tenants.select_for_update()
            .filter(company_id=company_id, site_type=site_type, code=code)
            .first()
        )
        if override is None:
            override = ItemOverride(company_id=company_id, site_type=site_type, code=code)
            before = {}
        else:
            before = {name: getattr(override, name) for name in values}
        for name, value in values.items():
            setattr(override, name, value)
        override.save()
        audit_record(
            actor=actor,
            company_id=company_id,
            action=AuditAction.OVERRIDE_SET,
            obj=override,
            changes={
                name: [before.get(name), value]
                for name, value in values.items()
                if before.get(name) != value
            },
        )
    return override


def override_delete(*, actor, override: ItemOverride) -> None:
    """Back to the guide as published for that item."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            company_id=override.company_id,
            action=AuditAction.OVERRIDE_DELETE,
            obj=override,
            changes={"code": override.code, "site_type": override.site_type},
        )
        ItemOverride.all_tenants.filter(pk=override.pk).delete()

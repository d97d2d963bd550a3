"""The association's side of donations, as services: donors, campaigns, warehouses,
pledges, receiving an inbound batch (donor → warehouse entries), its quality
documents, stock-count adjustments, and a company moving stock from its store to
one of its sites.

Every service is keyword-only, runs in one transaction with its audit row, and
raises ValidationError naming the field or line with nothing written. Stock moves
only through `ledger.post` (which locks the chain head and the balances)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.core.roles import Target
from firstline.core.services import audit_record
from firstline.orgs.models import Membership
from firstline.supplies.models import (
    AuditAction,
    BatchLine,
    Campaign,
    Donor,
    InboundBatch,
    Item,
    LedgerEntry,
    LedgerHead,
    Location,
    Lot,
    Pledge,
    QualityDocument,
    Warehouse,
)
from firstline.supplies.services import ledger
from firstline.supplies.services.locations import (
    donor_location,
    system_location,
    warehouse_location,
)

PERSON_PUBLIC_NAME = "爱心人士"
DOCUMENT_TYPES = {
    "application/pdf": b"%PDF",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG",
}
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
TRANSFER_PERMISSION = "supplies.receive_shipment"


# --- donors, campaigns, warehouses ------------------------------------------------------------


def _public_name(kind: str, name: str, public_name: str) -> str:
    """A person's name is personal data: the public sees "爱心人士" unless told otherwise."""
    public_name = (public_name or "").strip()
    if public_name:
        return public_name
    return PERSON_PUBLIC_NAME if kind == Donor.Kind.INDIVIDUAL else name


def _unique(model, association_id: int, name: str, field: str, exclude_pk=None) -> None:
    qs = model.all_tenants.filter(association_id=association_id, name=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({field: _("已有同名记录：%(name)s。") % {"name": name}})


def donor_create(
    *, actor, association_id: int, kind: str, name: str, public_name: str = "", account=None
) -> Donor:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写名称。")})
    if kind not in Donor.Kind.values:
        raise ValidationError({"kind": _("捐赠方类型不正确。")})
    with transaction.atomic():
        _unique(Donor, association_id, name, "name")
        donor = Donor.objects.create(
            association_id=association_id,
            kind=kind,
            name=name,
            public_name=_public_name(kind, name, public_name),
            account=account,
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.DONOR_CREATE,
            obj=donor,
            changes={"name": name, "kind": kind, "public_name": donor.public_name},
        )
    return donor


def donor_update(
    *, actor, donor: Donor, kind: str, name: str, public_name: str = "", account=None
) -> Donor:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写名称。")})
    with transaction.atomic():
        _unique(Donor, donor.association_id, name, "name", exclude_pk=donor.pk)
        before = {"name": donor.name, "kind": donor.kind, "public_name": donor.public_name}
        donor.kind, donor.name = kind, name
        donor.public_name = _public_name(kind, name, public_name)
        donor.account = account
        donor.save(update_fields=["kind", "name", "public_name", "account"])
        # The donor's ledger account prints the public name: keep it in step.
        Location.all_tenants.filter(donor=donor).update(public_name=donor.public_name)
        after = {"name": donor.name, "kind": donor.kind, "public_name": donor.public_name}
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.DONOR_UPDATE,
            obj=donor,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
    return donor


def campaign_create(
    *,
    actor,
    association_id: int,
    name: str,
    starts_on: date,
    ends_on: date | None = None,
    description: str = "",
) -> Campaign:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写活动名称。")})
    if ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})
    with transaction.atomic():
        _unique(Campaign, association_id, name, "name")
        campaign = Campaign.objects.create(
            association_id=association_id,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            description=description,
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.CAMPAIGN_CREATE,
            obj=campaign,
            changes={"name": name, "starts_on": str(starts_on)},
        )
    return campaign


def warehouse_create(
    *, actor, association_id: int, name: str, district, address: str = ""
) -> Warehouse:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写仓库名称。")})
    with transaction.atomic():
        _unique(Warehouse, association_id, name, "name")
        warehouse = Warehouse.objects.create(
            association_id=association_id, name=name, district=district, address=address
        )
        warehouse_location(warehouse)
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.WAREHOUSE_CREATE,
            obj=warehouse,
            changes={"name": name, "district": district.code},
        )
    return warehouse


# --- direction (定向捐赠) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Direction:
    """Where a donor directed the gift: at most one of the three."""

    company_id: int | None = None
    site_id: int | None = None
    division_code: str = ""

    def fields(self) -> dict:
        return {
            "directed_company_id": self.company_id,
            "directed_site_id": self.site_id,
            "directed_division_code": self.division_code,
        }


def direction_check(association_id: int, direction: Direction | None) -> Direction:
    """The direction, checked: one target at most, a member company (or a member's
    site), a division code of digits."""
    direction = direction or Direction()
    given = [bool(direction.company_id), bool(direction.site_id), bool(direction.division_code)]
    if sum(given) > 1:
        raise ValidationError(
            {"directed_company": _("定向捐赠只能指定一个企业、一个项目或一个区划。")}
        )
    members = Membership.objects.filter(association_id=association_id)
    if direction.company_id and not members.filter(company_id=direction.company_id).exists():
        raise ValidationError({"directed_company": _("定向企业不是本协会的会员。")})
    if direction.site_id:
        from firstline.estates.models import Site

        company_id = (
            Site.all_tenants.filter(pk=direction.site_id)
            .values_list("company_id", flat=True)
            .first()
        )
        if company_id is None or not members.filter(company_id=company_id).exists():
            raise ValidationError({"directed_site": _("定向项目不属于本协会的会员企业。")})
    if direction.division_code and not re.fullmatch(r"\d{2,12}", direction.division_code):
        raise ValidationError({"directed_division_code": _("区划代码应为 2 到 12 位数字。")})
    return direction


# --- pledges --------------------------------------------------------------------------------


def pledge_create(
    *,
    actor,
    donor: Donor,
    item: Item,
    quantity: int,
    campaign: Campaign | None = None,
    direction: Direction | None = None,
    pledged_at: datetime | None = None,
    note: str = "",
) -> Pledge:
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("数量必须大于 0。")})
    if campaign is not None and campaign.association_id != donor.association_id:
        raise ValidationError({"campaign": _("募捐活动不属于该协会。")})
    direction = direction_check(donor.association_id, direction)
    with transaction.atomic():
        pledge = Pledge.objects.create(
            donor=donor,
            item=item,
            quantity=quantity,
            campaign=campaign,
            pledged_at=pledged_at or timezone.now(),
            note=note,
            **direction.fields(),
        )
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.PLEDGE_CREATE,
            obj=pledge,
            changes={"donor": donor.pk, "item": item.code, "quantity": quantity},
        )
    return pledge


def pledge_cancel(*, actor, pledge: Pledge, reason: str = "") -> Pledge:
    with transaction.atomic():
        locked = Pledge.all_tenants.select_for_update().get(pk=pledge.pk)
        if locked.state != Pledge.State.PLEDGED:
            raise ValidationError(_("只有“已认捐”的认捐可以取消。"))
        locked.state = Pledge.State.CANCELLED
        if reason:
            locked.note = reason[:200]
        locked.save(update_fields=["state", "note"])
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.PLEDGE_CANCEL,
            obj=locked,
            changes={"state": [Pledge.State.PLEDGED, Pledge.State.CANCELLED], "reason": reason},
        )
    return locked


# --- inbound batches ------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a batch being received."""

    item: Item
    lot_no: str | None
    expiry: date | None
    quantity: int


def _as_line(raw) -> Line:
    return raw if isinstance(raw, Line) else Line(*raw)


def _lock_numbering(association_id: int) -> None:
    """Batch numbers come from max+1 under the association's ledger head lock, the
    same lock every post takes, so two receipts at once get consecutive numbers."""
    LedgerHead.all_tenants.get_or_create(association_id=association_id)
    LedgerHead.all_tenants.select_for_update().filter(association_id=association_id).get()


def _lot(item: Item, lot_no: str, expiry: date | None, row: int) -> Lot:
    lot, created = Lot.objects.get_or_create(
        item=item, lot_no=lot_no, defaults={"expiry_date": expiry}
    )
    if not created and expiry:
        if lot.expiry_date is None:
            lot.expiry_date = expiry
            lot.save(update_fields=["expiry_date"])
        elif lot.expiry_date != expiry:
            raise ValidationError(
                _(
                    "第 %(row)d 行：批号 %(lot)s 已登记的有效期是 %(known)s，与填写的 %(given)s 不符。"
                )
                % {"row": row, "lot": lot_no, "known": lot.expiry_date, "given": expiry}
            )
    return lot


def batch_receive(
    *,
    actor,
    association_id: int,
    donor: Donor,
    warehouse: Warehouse,
    lines,
    campaign: Campaign | None = None,
    pledge: Pledge | None = None,
    direction: Direction | None = None,
    received_at: datetime | None = None,
    note: str = "",
) -> InboundBatch:
    """Record one arrival: the batch (next number), its lines and lots, and one
    donor → warehouse entry per line, all or nothing. A pledge given is marked
    received and lends the batch its direction when none is given."""
    lines = [_as_line(raw) for raw in lines]
    if not lines:
        raise ValidationError(_("至少填写一行物资。"))
    for owner, field in ((donor, "donor"), (warehouse, "warehouse")):
        if owner.association_id != association_id:
            raise ValidationError({field: _("不属于该协会。")})
    if campaign is not None and campaign.association_id != association_id:
        raise ValidationError({"campaign": _("募捐活动不属于该协会。")})
    if pledge is not None and pledge.donor_id != donor.pk:
        raise ValidationError({"pledge": _("认捐不是该捐赠方的。")})
    if direction is None and pledge is not None:
        direction = Direction(
            pledge.directed_company_id, pledge.directed_site_id, pledge.directed_division_code
        )
    direction = direction_check(association_id, direction)
    seen = set()
    for row, line in enumerate(lines, start=1):
        if not line.quantity or line.quantity <= 0:
            raise ValidationError(_("第 %(row)d 行：数量必须大于 0。") % {"row": row})
        key = (line.item.pk, (line.lot_no or "").strip())
        if key in seen:
            raise ValidationError(
                _("第 %(row)d 行：同一物资、同一批号重复填写，请合并为一行。") % {"row": row}
            )
        seen.add(key)
    received_at = received_at or timezone.now()

    with transaction.atomic():
        _lock_numbering(association_id)
        if pledge is not None:
            pledge = Pledge.all_tenants.select_for_update().get(pk=pledge.pk)
            if pledge.state != Pledge.State.PLEDGED:
                raise ValidationError({"pledge": _("该认捐已到货或已取消。")})
        number = (
            InboundBatch.all_tenants.filter(association_id=association_id).aggregate(
                n=Max("number")
            )["n"]
            or 0
        ) + 1
        batch = InboundBatch.objects.create(
            association_id=association_id,
            number=number,
            donor=donor,
            campaign=campaign,
            pledge=pledge,
            warehouse=warehouse,
            received_at=received_at,
            received_by=actor if getattr(actor, "pk", None) else None,
            note=note,
            **direction.fields(),
        )
        batch_lines = []
        for row, line in enumerate(lines, start=1):
            lot_no = (line.lot_no or "").strip()
            lot = _lot(line.item, lot_no, line.expiry, row) if lot_no else None
            batch_lines.append(
                BatchLine(batch=batch, item=line.item, lot=lot, quantity=line.quantity)
            )
        BatchLine.objects.bulk_create(batch_lines)
        source = donor_location(donor)
        target = warehouse_location(warehouse)
        ledger.post(
            association_id=association_id,
            moves=[
                ledger.Move(
                    kind=LedgerEntry.Kind.INBOUND,
                    item_id=line.item.pk,
                    batch_id=batch.pk,
                    from_location_id=source.pk,
                    to_location_id=target.pk,
                    quantity=line.quantity,
                )
                for line in lines
            ],
            actor=actor if getattr(actor, "pk", None) else None,
            at=received_at,
        )
        if pledge is not None:
            Pledge.all_tenants.filter(pk=pledge.pk).update(state=Pledge.State.RECEIVED)
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.BATCH_RECEIVE,
            obj=batch,
            changes={
                "number": number,
                "donor": donor.pk,
                "warehouse": warehouse.pk,
                "lines": [[line.item.code, line.lot_no or "", line.quantity] for line in lines],
            },
        )
    return batch


def quality_document_add(
    *, actor, batch: InboundBatch, kind: str, title: str, file
) -> QualityDocument:
    """Attach a test report or certificate: PDF, JPEG or PNG (by its first bytes, not
    its name), at most 10 MB; its SHA-256 is stored so the public can check a copy."""
    if kind not in QualityDocument.Kind.values:
        raise ValidationError({"kind": _("文件类型不正确。")})
    if not (title or "").strip():
        raise ValidationError({"title": _("请填写标题。")})
    if file is None:
        raise ValidationError({"file": _("请选择文件。")})
    if file.size > DOCUMENT_MAX_BYTES:
        raise ValidationError({"file": _("文件不能超过 10 MB。")})
    file.seek(0)
    head = file.read(8)
    if not any(head.startswith(magic) for magic in DOCUMENT_TYPES.values()):
        raise ValidationError({"file": _("只接受 PDF、JPEG 或 PNG 文件。")})
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        document = QualityDocument(
            batch=batch, kind=kind, title=title.strip(), sha256=digest.hexdigest()
        )
        document.file.save(file.name, file, save=False)
        document.save()
        audit_record(
            actor=actor,
            company_id=None,
            action=AuditAction.QUALITY_DOCUMENT_ADD,
            obj=document,
            changes={"batch": batch.number, "title": document.title, "sha256": document.sha256},
        )
    return document


# --- stock counts and transfers --------------------------------------------------------------


def stock_adjust(
    *, actor, location: Location, item: Item, batch: InboundBatch, quantity_delta: int, reason: str
) -> LedgerEntry:
    """A stock count that differs from the books. Fewer units than recorded (damage,
    loss, expiry) posts location → written-off; more (a miscounted receipt found
    later, a rare case) posts written-off → location, so the written-off account
    carries the net of both and every change has its reason in the ledger."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("盘点调整必须填写原因。")})
    if not quantity_delta:
        raise ValidationError({"quantity_delta": _("调整数量不能为 0。")})
    if location.virtual:
        raise ValidationError({"location": _("只能调整实际库位的库存。")})
    if batch.association_id != location.association_id:
        raise ValidationError({"batch": _("批次不属于该库位的协会。")})
    with transaction.atomic():
        written_off = system_location(
            Location.Kind.WRITTEN_OFF, association_id=location.association_id
        )
        source, target = (location, written_off) if quantity_delta < 0 else (written_off, location)
        (entry,) = ledger.post(
            association_id=location.association_id,
            moves=[
                ledger.Move(
                    kind=LedgerEntry.Kind.ADJUST,
                    item_id=item.pk,
                    batch_id=batch.pk,
                    from_location_id=source.pk,
                    to_location_id=target.pk,
                    quantity=abs(quantity_delta),
                    reason=reason[:200],
                )
            ],
            actor=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            company_id=location.company_id,
            action=AuditAction.STOCK_ADJUST,
            obj=entry,
            changes={
                "location": location.pk,
                "item": item.code,
                "batch": batch.number,
                "delta": quantity_delta,
                "reason": reason,
            },
        )
    return entry


def _may_transfer(scope, location: Location) -> bool:
    """A company-wide grant with the transfer permission over the store's company."""
    companies = scope.for_perm(TRANSFER_PERMISSION).ids(Target.COMPANY)
    return location.company_id in {int(c) for c in companies}


def transfer(
    *, actor, scope, from_location: Location, to_location: Location, lines
) -> list[LedgerEntry]:
    """Move stock from a company's store to one of its own sites. `lines` are
    (item, batch or None, quantity); without a batch the units are taken from the
    store's batches the site may receive, oldest batch first."""
    if from_location.kind != Location.Kind.COMPANY or not _may_transfer(scope, from_location):
        raise ValidationError({"from_location": _("只能从本企业的仓库调出。")})
    if to_location.kind != Location.Kind.SITE or to_location.company_id != from_location.company_id:
        raise ValidationError({"to_location": _("只能调往本企业的项目。")})
    lines = list(lines)
    if not lines:
        raise ValidationError(_("至少填写一行物资。"))
    from firstline.supplies.models import Balance

    with transaction.atomic():
        moves = []
        for row, (item, batch, quantity) in enumerate(lines, start=1):
            if not quantity or quantity <= 0:
                raise ValidationError(_("第 %(row)d 行：数量必须大于 0。") % {"row": row})
            if batch is not None:
                moves.append((item.pk, batch.pk, quantity))
                continue
            left = quantity
            available = (
                Balance.all_tenants.filter(location=from_location, item=item, quantity__gt=0)
                .select_related("batch")
                .order_by("batch__number")
            )
            for balance in available:
                if not ledger.direction_allows(balance.batch, to_location):
                    continue
                take = min(left, balance.quantity)
                moves.append((item.pk, balance.batch_id, take))
                left -= take
                if not left:
                    break
            if left:
                raise ValidationError(
                    _("第 %(row)d 行：%(item)s 可调往该项目的库存不足，还差 %(left)d。")
                    % {"row": row, "item": item.name, "left": left}
                )
        entries = ledger.post(
            association_id=from_location.association_id,
            moves=[
                ledger.Move(
                    kind=LedgerEntry.Kind.TRANSFER,
                    item_id=item_id,
                    batch_id=batch_id,
                    from_location_id=from_location.pk,
                    to_location_id=to_location.pk,
                    quantity=quantity,
                )
                for item_id, batch_id, quantity in moves
            ],
            actor=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            company_id=from_location.company_id,
            action=AuditAction.TRANSFER,
            obj=to_location,
            changes={
                "from": from_location.pk,
                "to": to_location.pk,
                "moves": [list(m) for m in moves],
            },
        )
    return entries

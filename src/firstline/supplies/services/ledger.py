"""The double-entry stock ledger: the one place that writes LedgerEntry and Balance.

`post()` appends movements in one transaction:

1. the association's LedgerHead row is locked (SELECT … FOR UPDATE), so appends are
   serial: entries get consecutive `seq` numbers and each names the hash before it;
2. every movement is checked (positive quantity, two different locations, a directed
   gift goes only where its donor directed it);
3. the balances it touches are locked in a fixed order (location, item, batch), and
   a real location that would go below zero refuses the whole post with the item,
   the place and what is there; the check constraint on Balance is the last guard;
4. entries are inserted with their hashes, balances move by F() updates, the head
   advances.

An entry's hash is sha256 over the previous hash and the entry's canonical published
fields (`canonical()`), exactly what the open-data file prints, so anyone holding
that file can recompute the chain. `verify()` walks the chain in seq order and names
every entry that was edited, deleted or moved; `reconcile()` compares each cached
balance with the sum of the entries.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from firstline.supplies.models import Balance, InboundBatch, Item, LedgerEntry, LedgerHead, Location

GENESIS = "0" * 64
BALANCE_CHUNK = 300  # balance keys per statement


@dataclass(frozen=True)
class Move:
    """One movement to post: `quantity` units of `item_id` from `batch_id`."""

    kind: str
    item_id: int
    batch_id: int
    from_location_id: int
    to_location_id: int
    quantity: int
    reason: str = ""
    shipment_id: int | None = None


# --- hashing --------------------------------------------------------------------------


def at_text(at: datetime) -> str:
    """The entry time as published and hashed: UTC, microseconds."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(
    *,
    seq: int,
    at: datetime | str,
    kind: str,
    item_code: str,
    batch_number: int,
    from_location_id: int,
    to_location_id: int,
    quantity: int,
    reason: str,
) -> str:
    """The published fields of one entry, as one JSON array with no spaces."""
    when = at if isinstance(at, str) else at_text(at)
    fields = [
        seq,
        when,
        kind,
        item_code,
        batch_number,
        from_location_id,
        to_location_id,
        quantity,
        reason,
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, canonical_text: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical_text).encode()).hexdigest()


# --- directed gifts -------------------------------------------------------------------


def direction_allows(batch: InboundBatch, location: Location) -> bool:
    """May units of `batch` go to `location`? Undirected gifts go anywhere; a directed
    one only to its company (its store or its sites), its site, or the sites of its
    division. Warehouses, transit and the outside world are always allowed: they are
    on the way, or where the goods end."""
    if location.kind not in (Location.Kind.COMPANY, Location.Kind.SITE):
        return True
    if batch.directed_site_id:
        return location.kind == Location.Kind.SITE and location.site_id == batch.directed_site_id
    if batch.directed_company_id:
        return location.company_id == batch.directed_company_id
    if batch.directed_division_code:
        return location.kind == Location.Kind.SITE and location.division_code.startswith(
            batch.directed_division_code
        )
    return True


# --- posting --------------------------------------------------------------------------


def post(
    *,
    association_id: int,
    moves: Sequence[Move],
    actor=None,
    at: datetime | None = None,
) -> list[LedgerEntry]:
    """Append `moves` as entries, all or nothing. Raises ValidationError (nothing
    written) for a bad movement, a direction the donor did not allow, or stock that
    is not there. Call it inside the caller's transaction to tie the entries to the
    caller's own writes (a shipment's state, a need line's figures)."""
    if not moves:
        return []
    at = at or timezone.now()
    with transaction.atomic():
        head = lock_head(association_id)
        locations = Location.all_tenants.in_bulk(
            {m.from_location_id for m in moves} | {m.to_location_id for m in moves}
        )
        batches = InboundBatch.all_tenants.in_bulk({m.batch_id for m in moves})
        items = Item.objects.in_bulk({m.item_id for m in moves})
        _check(moves, locations, batches, items, association_id)

        deltas: dict[tuple[int, int, int], int] = defaultdict(int)
        for m in moves:
            deltas[(m.from_location_id, m.item_id, m.batch_id)] -= m.quantity
            deltas[(m.to_location_id, m.item_id, m.batch_id)] += m.quantity
        _apply_balances(deltas, locations, items)

        entries = []
        prev, seq = head.hash, head.seq
        for m in moves:
            seq += 1
            text = canonical(
                seq=seq,
                at=at,
                kind=m.kind,
                item_code=items[m.item_id].code,
                batch_number=batches[m.batch_id].number,
                from_location_id=m.from_location_id,
                to_location_id=m.to_location_id,
                quantity=m.quantity,
                reason=m.reason,
            )
            digest = chain_hash(prev, text)
            entries.append(
                LedgerEntry(
                    association_id=association_id,
                    seq=seq,
                    at=at,
                    kind=m.kind,
                    item_id=m.item_id,
                    batch_id=m.batch_id,
                    from_location_id=m.from_location_id,
                    to_location_id=m.to_location_id,
                    quantity=m.quantity,
                    reason=m.reason,
                    shipment_id=m.shipment_id,
                    actor=actor,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
        LedgerEntry.objects.bulk_create(entries, batch_size=1000)
        LedgerHead.all_tenants.filter(pk=head.pk).update(seq=seq, hash=prev)
    return entries


def lock_head(association_id: int) -> LedgerHead:
    """Lock the association's chain tip (made on first use). Every writer of the
    association's supplies takes it first, so their locks come in one order."""
    LedgerHead.all_tenants.get_or_create(association_id=association_id)
    return LedgerHead.all_tenants.select_for_update().get(association_id=association_id)


def _check(moves, locations, batches, items, association_id) -> None:
    for index, m in enumerate(moves):
        where = _("第 %(n)d 条") % {"n": index + 1}
        if m.quantity <= 0:
            raise ValidationError(_("%(where)s：数量必须大于 0。") % {"where": where})
        if m.from_location_id == m.to_location_id:
            raise ValidationError(_("%(where)s：调出和调入不能是同一处。") % {"where": where})
        if m.item_id not in items or m.batch_id not in batches:
            raise ValidationError(_("%(where)s：物资或批次不存在。") % {"where": where})
        for pk in (m.from_location_id, m.to_location_id):
            if pk not in locations or locations[pk].association_id != association_id:
                raise ValidationError(_("%(where)s：库位不存在。") % {"where": where})
        batch = batches[m.batch_id]
        if batch.association_id != association_id:
            raise ValidationError(_("%(where)s：批次不存在。") % {"where": where})
        target = locations[m.to_location_id]
        if not direction_allows(batch, target):
            raise ValidationError(
                _("第 %(number)d 批是定向捐赠，不能调往“%(place)s”。")
                % {"number": batch.number, "place": target.public_name}
            )


def _apply_balances(deltas, locations, items) -> None:
    """Lock the balances touched in key order, refuse a real location going below
    zero, then move each by F(). Missing rows are created first (at zero).

    The keys are read in chunks (one OR condition per key: SQLite allows 1,000 terms
    in an expression) and moved with one CASE update per chunk of rows, so a post of
    thousands of moves is a handful of statements, not one per balance."""
    keys = sorted(k for k, d in deltas.items() if d)
    if not keys:
        return
    Balance.objects.bulk_create(
        [
            Balance(location_id=loc, item_id=item, batch_id=batch, virtual=locations[loc].virtual)
            for loc, item, batch in keys
        ],
        ignore_conflicts=True,
        batch_size=BALANCE_CHUNK,
    )
    rows: dict[tuple[int, int, int], Balance] = {}
    for start in range(0, len(keys), BALANCE_CHUNK):
        condition = Q()
        for loc, item, batch in keys[start : start + BALANCE_CHUNK]:
            condition |= Q(location_id=loc, item_id=item, batch_id=batch)
        locked = (
            Balance.all_tenants.select_for_update()
            .filter(condition)
            .order_by("location_id", "item_id", "batch_id")
        )
        rows.update(((b.location_id, b.item_id, b.batch_id), b) for b in locked)
    for key in keys:
        row, delta = rows[key], deltas[key]
        if not row.virtual and row.quantity + delta < 0:
            loc, item, _batch = key
            raise ValidationError(
                _("“%(place)s”的%(item)s库存不足：现有 %(have)d，需要 %(need)d。")
                % {
                    "place": locations[loc].public_name,
                    "item": items[item].name,
                    "have": row.quantity,
                    "need": -delta,
                }
            )
    moved = []
    for key in keys:
        row = rows[key]
        row.quantity = F("quantity") + deltas[key]
        moved.append(row)
    Balance.all_tenants.bulk_update(moved, ["quantity"], batch_size=BALANCE_CHUNK)


# --- reading back ------------------------------------------------------------------------


# An entry as published (open data) and checked (verify): the hashed fields, then the links.
PUBLISHED_FIELDS = (
    "seq",
    "at",
    "kind",
    "item__code",
    "batch__number",
    "from_location_id",
    "to_location_id",
    "quantity",
    "reason",
    "prev_hash",
    "hash",
)


def published_entries(association_id: int):
    """The association's entries in chain order, as tuples of PUBLISHED_FIELDS."""
    return (
        LedgerEntry.all_tenants.filter(association_id=association_id)
        .order_by("seq")
        .values_list(*PUBLISHED_FIELDS)
    )


@dataclass(frozen=True)
class Problem:
    seq: int | None
    message: str


def verify(association_id: int, *, chunk: int = 10_000) -> list[Problem]:
    """Walk the chain in seq order and name every break: an edited entry (its hash is
    not the hash of its fields), a deleted or inserted one (seq not consecutive, or
    prev_hash not the hash before), a reordered one (both), and a head that does not
    match the last entry. An empty list means the chain is whole."""
    problems: list[Problem] = []
    prev, expected = GENESIS, 1
    entries = published_entries(association_id)
    for seq, at, kind, code, number, src, dst, qty, reason, prev_hash, digest in entries.iterator(
        chunk_size=chunk
    ):
        if seq != expected:
            problems.append(Problem(seq, _("序号不连续：应为 %(e)d。") % {"e": expected}))
        if prev_hash != prev:
            problems.append(Problem(seq, _("与上一条分录的链接不符。")))
        text = canonical(
            seq=seq,
            at=at,
            kind=kind,
            item_code=code,
            batch_number=number,
            from_location_id=src,
            to_location_id=dst,
            quantity=qty,
            reason=reason,
        )
        if chain_hash(prev_hash, text) != digest:
            problems.append(Problem(seq, _("分录内容与其哈希不符（被修改）。")))
        prev, expected = digest, seq + 1
    head = LedgerHead.all_tenants.filter(association_id=association_id).first()
    if head and (head.seq != expected - 1 or head.hash != prev):
        problems.append(Problem(None, _("链尾与最后一条分录不符（末尾分录被删除或篡改）。")))
    return problems


def balances_from_entries(location_ids: Iterable[int] | None = None) -> dict[tuple, int]:
    """{(location, item, batch): quantity} summed from the entries themselves."""
    out: dict[tuple, int] = defaultdict(int)
    incoming = LedgerEntry.all_tenants.values("to_location_id", "item_id", "batch_id")
    outgoing = LedgerEntry.all_tenants.values("from_location_id", "item_id", "batch_id")
    if location_ids is not None:
        ids = sorted(set(location_ids))
        incoming = incoming.filter(to_location_id__in=ids)
        outgoing = outgoing.filter(from_location_id__in=ids)
    for row in incoming.order_by().annotate(q=Sum("quantity")):
        out[(row["to_location_id"], row["item_id"], row["batch_id"])] += row["q"]
    for row in outgoing.order_by().annotate(q=Sum("quantity")):
        out[(row["from_location_id"], row["item_id"], row["batch_id"])] -= row["q"]
    return dict(out)


def reconcile(location_ids: Iterable[int] | None = None) -> list[tuple[tuple, int, int]]:
    """Cached balances that differ from the sum of entries: [(key, cached, summed)]."""
    summed = balances_from_entries(location_ids)
    cached_qs = Balance.all_tenants.all()
    if location_ids is not None:
        cached_qs = cached_qs.filter(location_id__in=sorted(set(location_ids)))
    cached = {
        (b["location_id"], b["item_id"], b["batch_id"]): b["quantity"]
        for b in cached_qs.values("location_id", "item_id", "batch_id", "quantity")
    }
    return [
        (key, cached.get(key, 0), summed.get(key, 0))
        for key in sorted(set(cached) | set(summed))
        if cached.get(key, 0) != summed.get(key, 0)
    ]

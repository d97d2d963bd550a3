"""The public ledger as a file anyone can download and check: JSON (everything needed
to recompute the hash chain and the published totals) and CSV (the entries alone).

The entry fields are exactly those `ledger.canonical()` hashes, printed the same way
(`at` as `ledger.at_text`), plus `prev_hash` and `hash`; `scripts/verify_ledger.py`
recomputes every hash from them. Both files are generators over the entries in seq
order (`iterator()`), so memory stays flat at any ledger size. The head is read
first and the entries are cut at its seq: an append during the download does not
leave the file with entries its head does not cover.

No personal data: locations and donors by their public names, no actor. Public by
design, like selectors/public.py: read with `all_tenants`, no scope.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.utils import timezone

from firstline.core import exporting
from firstline.orgs.models import Association
from firstline.supplies.models import InboundBatch, Item, LedgerHead, Location
from firstline.supplies.services.ledger import GENESIS, at_text, published_entries

ENTRY_FIELDS = (
    "seq",
    "at",
    "kind",
    "item_code",
    "batch_number",
    "from_location_id",
    "to_location_id",
    "quantity",
    "reason",
    "prev_hash",
    "hash",
)
CHUNK = 2000  # rows per database fetch and per yielded piece


def head_of(association_id: int) -> dict:
    row = LedgerHead.all_tenants.filter(association_id=association_id).values("seq", "hash").first()
    return row or {"seq": 0, "hash": GENESIS}


def entry_rows(association_id: int, head_seq: int) -> Iterator[tuple]:
    """(seq, at, kind, item_code, batch_number, from, to, quantity, reason, prev, hash)."""
    rows = published_entries(association_id).filter(seq__lte=head_seq)
    for seq, at, *rest in rows.iterator(chunk_size=CHUNK):
        yield (seq, at_text(at), *rest)


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _array(name: str, rows: Iterator, *, first: bool = False) -> Iterator[str]:
    """`"name":[row,row,…]` in pieces of CHUNK rows."""
    yield ("" if first else ",") + _dump(name) + ":["
    piece, sep = [], ""
    for row in rows:
        piece.append(sep + _dump(row))
        sep = ","
        if len(piece) >= CHUNK:
            yield "".join(piece)
            piece = []
    yield "".join(piece) + "]"


def json_chunks(association_id: int) -> Iterator[str]:
    """The open-data JSON document, in pieces."""
    association = Association.objects.filter(pk=association_id).values("id", "name").get()
    head = head_of(association_id)
    yield "{" + _dump("association") + ":" + _dump(association)
    yield "," + _dump("generated_at") + ":" + _dump(at_text(timezone.now()))
    yield "," + _dump("head") + ":" + _dump({"seq": head["seq"], "hash": head["hash"]})
    locations = (
        Location.all_tenants.filter(association_id=association_id)
        .order_by("id")
        .values("id", "kind", "public_name", "division_code")
    )
    yield from _array("locations", locations.iterator(chunk_size=CHUNK))
    items = Item.objects.order_by("code").values("code", "kind", "name", "unit", "standard")
    yield from _array("items", items.iterator(chunk_size=CHUNK))
    batches = (
        InboundBatch.all_tenants.filter(association_id=association_id)
        .order_by("number")
        .values_list("number", "donor__public_name", "received_at")
    )
    yield from _array(
        "batches",
        (
            {"number": n, "donor": donor, "received_at": at_text(at)}
            for n, donor, at in batches.iterator(chunk_size=CHUNK)
        ),
    )
    yield from _array(
        "entries",
        (
            dict(zip(ENTRY_FIELDS, row, strict=True))
            for row in entry_rows(association_id, head["seq"])
        ),
    )
    yield "}\n"


def csv_chunks(association_id: int) -> Iterator[str]:
    """The entries as CSV, UTF-8 with a BOM (so spreadsheet programs read the Chinese),
    through core's writer: a reason typed as `=…` stays text (quoted with an
    apostrophe); the JSON file keeps every value exactly, for checking the chain."""
    head = head_of(association_id)
    yield exporting.BOM + next(exporting.csv_lines([ENTRY_FIELDS]))
    piece = []
    for row in exporting.csv_lines(entry_rows(association_id, head["seq"])):
        piece.append(row)
        if len(piece) >= CHUNK:
            yield "".join(piece)
            piece = []
    yield "".join(piece)

#!/usr/bin/env python3
"""Check a Firstline public supplies ledger (open-data JSON) on your own machine.

    python3 verify_ledger.py open-data.json

Standard library only. It recomputes every entry's hash from its published fields
and the hash before it, checks that the seq numbers run 1, 2, 3 … without a gap and
that the last entry is the published head, then adds up the entries: units donated
and received per item, units received per district. It prints OK and the totals, or
the seq numbers of the broken entries (an edited entry breaks its own hash; a deleted
one leaves a gap; swapped ones are out of order), and exits 1 on any problem.

The hash of an entry is sha256(prev_hash + "\\n" + canonical) where canonical is the
JSON array [seq, at, kind, item_code, batch_number, from_location_id,
to_location_id, quantity, reason] written with no spaces and without escaping
non-ASCII characters; the first entry's prev_hash is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict

GENESIS = "0" * 64
DESTINATIONS = {"company", "site"}


def canonical(entry: dict) -> str:
    fields = [
        entry["seq"],
        entry["at"],
        entry["kind"],
        entry["item_code"],
        entry["batch_number"],
        entry["from_location_id"],
        entry["to_location_id"],
        entry["quantity"],
        entry["reason"],
    ]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, text: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + text).encode()).hexdigest()


def check_chain(entries: list[dict], head: dict) -> list[tuple[int, str]]:
    """[(seq, problem)] for every break in the chain; empty when it is whole."""
    problems: list[tuple[int, str]] = []
    prev, expected = GENESIS, 1
    for entry in entries:
        seq = entry["seq"]
        if seq != expected:
            if seq > expected:
                missing = ", ".join(str(n) for n in range(expected, min(seq, expected + 10)))
                problems.append((expected, f"missing entry (seq {missing} absent before {seq})"))
            else:
                problems.append((seq, f"out of order: seq {seq} where {expected} was expected"))
        if entry["prev_hash"] != prev:
            problems.append((seq, "prev_hash is not the hash of the entry before it"))
        if chain_hash(entry["prev_hash"], canonical(entry)) != entry["hash"]:
            problems.append((seq, "hash does not match the entry's fields (edited)"))
        prev, expected = entry["hash"], max(expected, seq) + 1
    last = expected - 1
    if head.get("seq") != last or head.get("hash") != prev:
        problems.append(
            (head.get("seq", last), "head does not match the last entry (entries cut off)")
        )
    return problems


def totals(data: dict) -> dict:
    """Units donated and received per item, received per district, from the entries."""
    places = {loc["id"]: loc for loc in data.get("locations", [])}
    donated: dict[str, int] = defaultdict(int)
    received: dict[str, int] = defaultdict(int)
    district: dict[str, int] = defaultdict(int)
    for entry in data["entries"]:
        if entry["kind"] == "inbound":
            donated[entry["item_code"]] += entry["quantity"]
        elif entry["kind"] == "receive":
            place = places.get(entry["to_location_id"], {})
            if place.get("kind") in DESTINATIONS:
                received[entry["item_code"]] += entry["quantity"]
                district[place.get("division_code", "")[:6]] += entry["quantity"]
    return {"donated": dict(donated), "received": dict(received), "district": dict(district)}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as handle:
            data = json.load(handle)
        entries, head = data["entries"], data["head"]
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read {argv[1]}: {exc}", file=sys.stderr)
        return 2
    problems = check_chain(entries, head)
    if problems:
        for seq, message in problems:
            print(f"seq {seq}: {message}")
        broken = sorted({seq for seq, _ in problems if seq is not None})
        print("BROKEN: seq " + ", ".join(str(s) for s in broken))
        return 1
    figures = totals(data)
    print(f"OK: {len(entries)} entries, head seq {head['seq']} hash {head['hash']}")
    print("item\tdonated\treceived")
    for code in sorted(set(figures["donated"]) | set(figures["received"])):
        print(f"{code}\t{figures['donated'].get(code, 0)}\t{figures['received'].get(code, 0)}")
    print("district\treceived")
    for code, quantity in sorted(figures["district"].items()):
        print(f"{code}\t{quantity}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

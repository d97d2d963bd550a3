"""The open-data files and the standalone checking script: a fresh export verifies,
a tampered one fails with the broken seq named."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from firstline.scenario.tests.supplies_story import furnish
from firstline.supplies.models import LedgerEntry, LedgerHead
from firstline.supplies.selectors import opendata, public
from firstline.supplies.services import ledger
from firstline.testing.world import World

SCRIPT = Path(__file__).resolve().parents[4] / "scripts" / "verify_ledger.py"


@pytest.fixture
def world(world: World) -> World:
    furnish(world)
    return world


def download(client, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def exported(client, world) -> dict:
    return json.loads(download(client, "ledger:open_data_json"))


def run_script(tmp_path: Path, data: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(  # noqa: S603 - our own script, on our own file
        [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, check=False
    )


# --- the files ---------------------------------------------------------------------------


def test_json_holds_the_whole_chain_as_hashed(world, exported):
    head = LedgerHead.all_tenants.get(association=world.association)
    assert exported["association"] == {"id": world.association.pk, "name": world.association.name}
    assert exported["head"] == {"seq": head.seq, "hash": head.hash}
    entries = exported["entries"]
    assert len(entries) == LedgerEntry.all_tenants.count() == head.seq
    assert list(entries[0]) == list(opendata.ENTRY_FIELDS)
    prev = ledger.GENESIS
    for entry in entries:
        fields = {k: entry[k] for k in opendata.ENTRY_FIELDS if k not in ("prev_hash", "hash")}
        assert entry["prev_hash"] == prev
        assert ledger.chain_hash(prev, ledger.canonical(**fields)) == entry["hash"]
        prev = entry["hash"]
    assert prev == head.hash
    kinds = {loc["kind"] for loc in exported["locations"]}
    assert {"donor", "warehouse", "transit", "site"} <= kinds
    assert {b["number"] for b in exported["batches"]} == set(
        LedgerEntry.all_tenants.values_list("batch__number", flat=True)
    )


def test_csv_is_the_entries_with_a_bom(client, world, exported):
    text = download(client, "ledger:open_data_csv")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == list(opendata.ENTRY_FIELDS)
    assert len(rows) - 1 == len(exported["entries"])
    first = exported["entries"][0]
    assert rows[1] == [str(first[k]) for k in opendata.ENTRY_FIELDS]


def test_the_json_streams_in_pieces(world, monkeypatch):
    monkeypatch.setattr(opendata, "CHUNK", 5)
    pieces = list(opendata.json_chunks(world.association.pk))
    assert len(pieces) > LedgerEntry.all_tenants.count() // 5
    assert json.loads("".join(pieces))["head"]["seq"] == LedgerEntry.all_tenants.count()


# --- the script --------------------------------------------------------------------------


def test_script_accepts_a_fresh_export_and_prints_the_totals(tmp_path, world, exported):
    result = run_script(tmp_path, exported)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")
    lines = result.stdout.splitlines()
    printed = dict(line.split("\t", 1) for line in lines if "\t" in line)
    for row in public.by_item(world.association.pk):
        assert printed[row["code"]] == f"{row['donated']}\t{row['received']}"
    for row in public.by_district(world.association.pk):
        assert printed[row["code"]] == str(row["received"])


def test_script_names_an_edited_entry(tmp_path, exported):
    exported["entries"][4]["quantity"] += 1
    result = run_script(tmp_path, exported)
    assert result.returncode == 1
    assert "BROKEN: seq 5" in result.stdout


def test_script_names_a_deleted_entry(tmp_path, exported):
    del exported["entries"][6]  # seq 7
    result = run_script(tmp_path, exported)
    assert result.returncode == 1
    assert "seq 7: missing entry" in result.stdout


def test_script_names_swapped_entries(tmp_path, exported):
    entries = exported["entries"]
    entries[2], entries[3] = entries[3], entries[2]  # seq 3 and 4
    result = run_script(tmp_path, exported)
    assert result.returncode == 1
    broken = result.stdout.strip().splitlines()[-1]
    assert broken.startswith("BROKEN: seq ")
    assert {3, 4} <= {int(n) for n in broken.removeprefix("BROKEN: seq ").split(", ")}


def test_script_names_a_cut_off_tail(tmp_path, exported):
    exported["entries"].pop()
    result = run_script(tmp_path, exported)
    assert result.returncode == 1
    assert f"seq {exported['head']['seq']}: head does not match" in result.stdout

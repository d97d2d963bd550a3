"""The ledger module itself: posting, refusing what is not there (nothing written),
directed gifts, and verify/reconcile catching every kind of tampering."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from firstline.supplies.models import Balance, LedgerEntry, LedgerHead
from firstline.supplies.services import ledger
from firstline.supplies.services.donations import Direction
from firstline.supplies.tests.stocking import site_of, stocked, store_of


def move(s, to, qty, *, frm=None, item="PPE-N95", kind=LedgerEntry.Kind.DISPATCH):
    return ledger.Move(
        kind=kind,
        item_id=s.items[item].pk,
        batch_id=s.batch.pk,
        from_location_id=(frm or s.warehouse_location).pk,
        to_location_id=to.pk,
        quantity=qty,
    )


def qty(location, item):
    return Balance.all_tenants.get(location=location, item=item).quantity


@pytest.fixture
def s(world):
    return stocked(world, quantity=100)


def test_post_moves_balances_and_chains(world, s):
    store = store_of(world, world.a)
    entries = ledger.post(association_id=world.association.pk, moves=[move(s, store, 30)])
    assert qty(s.warehouse_location, s.items["PPE-N95"]) == 70
    assert qty(store, s.items["PPE-N95"]) == 30
    head = LedgerHead.all_tenants.get(association=world.association)
    # the batch's two inbound entries, then this one
    assert (entries[0].seq, head.seq, head.hash) == (3, 3, entries[0].hash)
    assert entries[0].prev_hash == LedgerEntry.all_tenants.get(seq=2).hash
    assert ledger.verify(world.association.pk) == []
    assert ledger.reconcile() == []


def test_negative_stock_refused_nothing_written(world, s):
    store = store_of(world, world.a)
    before = list(LedgerEntry.all_tenants.values_list("seq", flat=True))
    balances = dict(Balance.all_tenants.values_list("pk", "quantity"))
    with pytest.raises(ValidationError, match="库存不足"):
        ledger.post(
            association_id=world.association.pk,
            moves=[move(s, store, 60, item="PPE-MASK"), move(s, store, 101)],
        )
    assert list(LedgerEntry.all_tenants.values_list("seq", flat=True)) == before
    assert dict(Balance.all_tenants.values_list("pk", "quantity")) == balances
    assert LedgerHead.all_tenants.get(association=world.association).seq == 2


def test_directed_gift_refused_elsewhere(world):
    s = stocked(world, quantity=10, direction=Direction(company_id=world.a.company.pk))
    with pytest.raises(ValidationError, match="定向捐赠"):
        ledger.post(
            association_id=world.association.pk, moves=[move(s, store_of(world, world.b), 5)]
        )
    with pytest.raises(ValidationError, match="定向捐赠"):
        ledger.post(
            association_id=world.association.pk, moves=[move(s, site_of(world, world.b), 5)]
        )
    ledger.post(association_id=world.association.pk, moves=[move(s, site_of(world, world.a), 5)])
    assert qty(site_of(world, world.a), s.items["PPE-N95"]) == 5


def test_directed_to_division_goes_only_to_its_sites(world):
    s = stocked(world, quantity=10, direction=Direction(division_code="420106"))
    with pytest.raises(ValidationError):
        ledger.post(
            association_id=world.association.pk, moves=[move(s, site_of(world, world.a), 1)]
        )
    ledger.post(association_id=world.association.pk, moves=[move(s, site_of(world, world.b), 1)])


@pytest.fixture
def chained(world, s):
    store = store_of(world, world.a)
    for n in range(1, 5):
        ledger.post(association_id=world.association.pk, moves=[move(s, store, n)])
    assert ledger.verify(world.association.pk) == []
    return world.association.pk  # seq 1..6


def seqs(problems):
    return {p.seq for p in problems}


def test_verify_detects_an_edited_entry(chained):
    LedgerEntry.all_tenants.filter(seq=4).update(quantity=999)
    problems = ledger.verify(chained)
    assert seqs(problems) == {4}
    assert "被修改" in problems[0].message


def test_verify_detects_a_deleted_middle_entry(chained):
    LedgerEntry.all_tenants.filter(seq=4).delete()
    problems = ledger.verify(chained)
    assert 5 in seqs(problems)
    assert any("序号不连续" in p.message for p in problems)


def test_verify_detects_a_deleted_last_entry(chained):
    LedgerEntry.all_tenants.filter(seq=6).delete()
    problems = ledger.verify(chained)
    assert seqs(problems) == {None}
    assert "链尾" in problems[0].message


def test_verify_detects_two_entries_swapped(chained):
    # Reordering: swap the seq numbers of entries 4 and 5 (through a free value,
    # seq is unique), so each now sits where the other was.
    LedgerEntry.all_tenants.filter(seq=4).update(seq=1000)
    LedgerEntry.all_tenants.filter(seq=5).update(seq=4)
    LedgerEntry.all_tenants.filter(seq=1000).update(seq=5)
    problems = ledger.verify(chained)
    assert {4, 5} <= seqs(problems)


def test_reconcile_detects_a_tampered_balance(world, chained, s):
    row = Balance.all_tenants.get(location=s.warehouse_location, item=s.items["PPE-N95"])
    Balance.all_tenants.filter(pk=row.pk).update(quantity=row.quantity + 7)
    mismatches = ledger.reconcile()
    assert mismatches == [
        (
            (s.warehouse_location.pk, s.items["PPE-N95"].pk, s.batch.pk),
            row.quantity + 7,
            row.quantity,
        )
    ]


def test_two_associations_keep_separate_chains(world, s):
    from firstline.orgs.models import Association
    from firstline.supplies.services.donations import batch_receive, donor_create, warehouse_create

    other = Association.objects.create(name="另一协会", short_name="另协")
    donor = donor_create(actor=None, association_id=other.pk, kind="company", name="外协")
    warehouse = warehouse_create(
        actor=None, association_id=other.pk, name="外仓", district=world.divisions["420106"]
    )
    batch_receive(
        actor=None,
        association_id=other.pk,
        donor=donor,
        warehouse=warehouse,
        lines=[(s.items["PPE-N95"], None, None, 1)],
    )
    assert ledger.verify(other.pk) == [] and ledger.verify(world.association.pk) == []

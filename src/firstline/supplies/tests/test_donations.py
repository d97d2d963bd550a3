"""The donation services and the verify command: receiving a batch (numbering,
lots, entries, pledge), all-or-nothing refusals naming the row, quality documents,
stock-count adjustments both ways, and a company's transfer to its site."""

from __future__ import annotations

import io
import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections

from firstline.core.models import AuditEvent
from firstline.orgs.selectors import scope_for_user
from firstline.supplies.models import (
    Balance,
    BatchLine,
    InboundBatch,
    Item,
    LedgerEntry,
    Location,
    Lot,
    Pledge,
)
from firstline.supplies.services import ledger
from firstline.supplies.services.catalogue import CATALOGUE, catalogue_install
from firstline.supplies.services.donations import (
    Direction,
    batch_receive,
    donor_create,
    donor_update,
    pledge_cancel,
    pledge_create,
    quality_document_add,
    stock_adjust,
    transfer,
)
from firstline.supplies.tests.stocking import site_of, stocked, store_of
from firstline.testing.world import build_world


def on_hand(location, item) -> int:
    return sum(
        Balance.all_tenants.filter(location=location, item=item).values_list("quantity", flat=True)
    )


def test_catalogue_install_is_idempotent(db):
    catalogue_install()
    Item.objects.filter(code="PPE-N95").update(pack_size=99)
    catalogue_install()
    assert Item.objects.count() == len(CATALOGUE) == 10
    n95 = Item.objects.get(code="PPE-N95")
    assert (n95.standard, n95.pack_size, n95.unit) == ("GB 19083-2010", 20, "只")
    assert set(Item.objects.values_list("kind", flat=True)) == set(Item.Kind.values)


def test_install_items_command(db):
    out = io.StringIO()
    call_command("install_items", stdout=out)
    assert "10 items" in out.getvalue()


def test_person_donor_shows_a_public_name(world):
    donor = donor_create(
        actor=None, association_id=world.association.pk, kind="individual", name="张三"
    )
    assert donor.public_name == "爱心人士"
    donor_update(actor=None, donor=donor, kind="individual", name="张三", public_name="张先生")
    assert donor.public_name == "张先生"
    with pytest.raises(ValidationError) as exc:
        donor_create(actor=None, association_id=world.association.pk, kind="company", name="张三")
    assert "name" in exc.value.message_dict


def test_batch_receive_posts_entries_lots_and_numbers(world):
    s = stocked(world, quantity=500)
    assert s.batch.number == 1
    assert on_hand(s.warehouse_location, s.items["PPE-N95"]) == 500
    donor_loc = Location.all_tenants.get(donor=s.donor)
    assert on_hand(donor_loc, s.items["PPE-N95"]) == -500  # the outside world gave
    assert Lot.objects.get(lot_no="L2020-01").item == s.items["PPE-N95"]
    pledge = pledge_create(
        actor=None,
        donor=s.donor,
        item=s.items["PPE-SUIT"],
        quantity=100,
        direction=Direction(site_id=world.a.site.pk),
    )
    second = batch_receive(
        actor=world.users["association_admin"],
        association_id=world.association.pk,
        donor=s.donor,
        warehouse=s.warehouse,
        lines=[(s.items["PPE-SUIT"], "S-1", date(2023, 1, 31), 100)],
        pledge=pledge,
    )
    assert second.number == 2
    assert second.directed_site_id == world.a.site.pk  # lent by the pledge
    assert Pledge.all_tenants.get(pk=pledge.pk).state == Pledge.State.RECEIVED
    assert LedgerEntry.all_tenants.filter(batch=second, kind="inbound").count() == 1
    assert AuditEvent.objects.filter(
        action="supplies.batch_receive", object_id=str(second.pk)
    ).exists()
    assert ledger.verify(world.association.pk) == []


def test_batch_receive_bad_line_writes_nothing(world):
    s = stocked(world, quantity=5)
    counts = (
        InboundBatch.all_tenants.count(),
        BatchLine.all_tenants.count(),
        LedgerEntry.all_tenants.count(),
    )
    with pytest.raises(ValidationError, match="第 2 行"):
        batch_receive(
            actor=None,
            association_id=world.association.pk,
            donor=s.donor,
            warehouse=s.warehouse,
            lines=[(s.items["PPE-N95"], None, None, 5), (s.items["PPE-MASK"], None, None, 0)],
        )
    # the lot is known with another expiry date
    Lot.objects.filter(lot_no="L2020-01").update(expiry_date=date(2021, 6, 30))
    with pytest.raises(ValidationError, match="第 2 行"):
        batch_receive(
            actor=None,
            association_id=world.association.pk,
            donor=s.donor,
            warehouse=s.warehouse,
            lines=[
                (s.items["PPE-SUIT"], "X", date(2022, 1, 1), 1),
                (s.items["PPE-N95"], "L2020-01", date(2022, 1, 1), 1),
            ],
        )
    assert (
        InboundBatch.all_tenants.count(),
        BatchLine.all_tenants.count(),
        LedgerEntry.all_tenants.count(),
    ) == counts
    assert not Lot.objects.filter(lot_no="X").exists()


def test_direction_is_checked(world):
    s = stocked(world, quantity=5)
    with pytest.raises(ValidationError):
        batch_receive(
            actor=None,
            association_id=world.association.pk,
            donor=s.donor,
            warehouse=s.warehouse,
            lines=[(s.items["PPE-N95"], None, None, 5)],
            direction=Direction(company_id=world.a.company.pk, division_code="420103"),
        )
    with pytest.raises(ValidationError):
        pledge_create(
            actor=None,
            donor=s.donor,
            item=s.items["PPE-N95"],
            quantity=1,
            direction=Direction(division_code="42x"),
        )


def test_pledge_cancel_only_once(world):
    s = stocked(world, quantity=5)
    pledge = pledge_create(actor=None, donor=s.donor, item=s.items["PPE-N95"], quantity=3)
    pledge_cancel(actor=None, pledge=pledge)
    with pytest.raises(ValidationError):
        pledge_cancel(actor=None, pledge=pledge)


PDF = b"%PDF-1.4\n% test report\n"


def test_quality_document_checks_type_and_stores_hash(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    s = stocked(world, quantity=5)
    import hashlib

    doc = quality_document_add(
        actor=None,
        batch=s.batch,
        kind="test_report",
        title="检测报告",
        file=SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"),
    )
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    with pytest.raises(ValidationError) as exc:
        quality_document_add(
            actor=None,
            batch=s.batch,
            kind="test_report",
            title="假的",
            file=SimpleUploadedFile("evil.pdf", b"MZ\x90\x00", content_type="application/pdf"),
        )
    assert "file" in exc.value.message_dict
    big = SimpleUploadedFile(
        "big.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf"
    )
    with pytest.raises(ValidationError, match="10 MB"):
        quality_document_add(actor=None, batch=s.batch, kind="other", title="大", file=big)


def test_stock_adjust_both_ways_with_reason(world):
    s = stocked(world, quantity=50)
    n95 = s.items["PPE-N95"]
    with pytest.raises(ValidationError) as exc:
        stock_adjust(
            actor=None,
            location=s.warehouse_location,
            item=n95,
            batch=s.batch,
            quantity_delta=-3,
            reason=" ",
        )
    assert "reason" in exc.value.message_dict
    stock_adjust(
        actor=None,
        location=s.warehouse_location,
        item=n95,
        batch=s.batch,
        quantity_delta=-3,
        reason="受潮",
    )
    assert on_hand(s.warehouse_location, n95) == 47
    stock_adjust(
        actor=None,
        location=s.warehouse_location,
        item=n95,
        batch=s.batch,
        quantity_delta=2,
        reason="复盘多出",
    )
    assert on_hand(s.warehouse_location, n95) == 49
    written_off = Location.all_tenants.get(association=world.association, kind="written_off")
    assert on_hand(written_off, n95) == 1
    with pytest.raises(ValidationError, match="库存不足"):
        stock_adjust(
            actor=None,
            location=s.warehouse_location,
            item=n95,
            batch=s.batch,
            quantity_delta=-50,
            reason="丢失",
        )
    assert on_hand(s.warehouse_location, n95) == 49
    assert ledger.reconcile() == [] and ledger.verify(world.association.pk) == []


def give_store(world, s, tenant, qty):
    store = store_of(world, tenant)
    ledger.post(
        association_id=world.association.pk,
        moves=[
            ledger.Move(
                "dispatch",
                s.items["PPE-N95"].pk,
                s.batch.pk,
                s.warehouse_location.pk,
                store.pk,
                qty,
            )
        ],
    )
    return store


def test_transfer_company_store_to_its_site(world):
    s = stocked(world, quantity=50)
    store = give_store(world, s, world.a, 20)
    site = site_of(world, world.a)
    admin = world.a.users["company_admin"]
    transfer(
        actor=admin,
        scope=scope_for_user(admin),
        from_location=store,
        to_location=site,
        lines=[(s.items["PPE-N95"], None, 15)],
    )
    assert (on_hand(store, s.items["PPE-N95"]), on_hand(site, s.items["PPE-N95"])) == (5, 15)
    with pytest.raises(ValidationError, match="不足"):
        transfer(
            actor=admin,
            scope=scope_for_user(admin),
            from_location=store,
            to_location=site,
            lines=[(s.items["PPE-N95"], None, 6)],
        )
    # not to another company's site, and not from another company's store
    with pytest.raises(ValidationError):
        transfer(
            actor=admin,
            scope=scope_for_user(admin),
            from_location=store,
            to_location=site_of(world, world.b),
            lines=[(s.items["PPE-N95"], None, 1)],
        )
    other = give_store(world, s, world.b, 5)
    with pytest.raises(ValidationError):
        transfer(
            actor=admin,
            scope=scope_for_user(admin),
            from_location=other,
            to_location=site_of(world, world.b),
            lines=[(s.items["PPE-N95"], None, 1)],
        )
    # a site manager holds no company-wide grant
    manager = world.a.users["site_manager"]
    with pytest.raises(ValidationError):
        transfer(
            actor=manager,
            scope=scope_for_user(manager),
            from_location=store,
            to_location=site,
            lines=[(s.items["PPE-N95"], None, 1)],
        )
    assert (on_hand(store, s.items["PPE-N95"]), on_hand(site, s.items["PPE-N95"])) == (5, 15)


def test_verify_command_exits_1_on_a_problem(world):
    s = stocked(world, quantity=5)
    out = io.StringIO()
    call_command("supplies_verify", stdout=out)
    assert "ok" in out.getvalue()
    Balance.all_tenants.filter(location=s.warehouse_location).update(quantity=1)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("supplies_verify", stdout=out)
    assert exit_.value.code == 1
    assert "cached 1, entries 5" in out.getvalue()
    LedgerEntry.all_tenants.filter(seq=1).update(reason="改")
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("supplies_verify", stdout=out)
    assert "seq 1" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections")
@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_get_consecutive_numbers():
    """Eight receipts at once: numbers 2..9 each once, the chain whole, stock exact."""
    world = build_world()
    s = stocked(world, quantity=1)
    barrier = threading.Barrier(8)
    errors = []

    def receive():
        try:
            barrier.wait(timeout=30)
            batch_receive(
                actor=None,
                association_id=world.association.pk,
                donor=s.donor,
                warehouse=s.warehouse,
                lines=[(s.items["PPE-SUIT"], None, None, 10)],
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=receive) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(InboundBatch.all_tenants.values_list("number", flat=True))
    assert numbers == list(range(1, 10))
    assert on_hand(s.warehouse_location, s.items["PPE-SUIT"]) == 80
    assert ledger.verify(world.association.pk) == [] and ledger.reconcile() == []

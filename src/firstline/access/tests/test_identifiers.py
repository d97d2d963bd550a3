"""Visitors' phones and registered plates in one written form (core.personal.normalise),
and the data migration that rewrites those stored before."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from firstline.access.models import Vehicle, Visitor
from firstline.access.services.administration import vehicle_register, visitor_register
from firstline.core.personal.crypto import keyring, lookup_digest
from firstline.core.personal.fields import get_personal

pytestmark = pytest.mark.django_db

migration = importlib.import_module("firstline.access.migrations.0005_normalise_identifiers")


def test_visitor_phone_and_plate_are_stored_normalised(world):
    actor = world.a.users["guard"]
    visitor = visitor_register(
        actor=actor,
        household=world.a.household,
        name="访客",
        phone="+86 １３７-１２３４-５６７８",
        expected_on=timezone.localdate() + timedelta(days=1),
    )
    assert get_personal(visitor, "phone") == "13712345678"
    assert visitor.phone_hmac == lookup_digest("phone", "13712345678")
    vehicle = vehicle_register(actor=actor, household=world.a.household, plate="鄂ａ·１２３４５")
    assert vehicle.plate == "鄂A12345"


def test_migration_rewrites_old_phones_and_plates_without_clobbering(world):
    household = world.a.household
    visitor = Visitor.all_tenants.create(
        company=world.a.company,
        site=world.a.site,
        household=household,
        name="旧访客",
        expected_on=timezone.localdate(),
        phone_enc=keyring().encrypt("１３７ １２３４ ５６７８", b"phone"),
        phone_hmac="old",
        phone_last4="５６７８",
        phone_masked="１３７****５６７８",
    )
    common = {"company": world.a.company, "site": world.a.site, "household": household}
    odd = Vehicle.all_tenants.create(plate="鄂AD1２３４５", **common)
    registered = Vehicle.all_tenants.create(plate="鄂B12345", **common)
    twin = Vehicle.all_tenants.create(plate="鄂Ｂ12345", **common)  # the same plate, typed wide

    migration.normalise(django_apps, None)

    visitor.refresh_from_db()
    assert get_personal(visitor, "phone") == "13712345678"
    assert (visitor.phone_hmac, visitor.phone_last4, visitor.phone_masked) == (
        lookup_digest("phone", "13712345678"),
        "5678",
        "137****5678",
    )
    plates = dict(Vehicle.all_tenants.values_list("pk", "plate"))
    assert plates[odd.pk] == "鄂AD12345"
    assert plates[registered.pk] == "鄂B12345"
    assert plates[twin.pk] == "鄂Ｂ12345"  # the site cannot hold one plate twice: left as it was

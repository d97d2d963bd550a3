"""Sealing, masking, lookup and reveal of personal data."""

import base64
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.http import Http404

from firstline.core.models import AccessLog
from firstline.core.personal import crypto
from firstline.core.personal.crypto import KeyRing
from firstline.core.personal.fields import get_personal
from firstline.core.personal.masking import mask_id_number, mask_phone
from firstline.core.services import personal_reveal
from firstline.estates.models import Resident
from firstline.orgs.selectors import scope_for_user


def test_masks():
    assert mask_id_number("420102198001010011") == "4201**********0011"
    assert mask_phone("13812345678") == "138****5678"


def test_keyring_round_trip_and_rotation():
    old = "k1:" + base64.b64encode(os.urandom(32)).decode()
    new = "k2:" + base64.b64encode(os.urandom(32)).decode()
    hmac_key = base64.b64encode(b"h" * 32).decode()
    blob = KeyRing(old, hmac_key).encrypt("13812345678", b"phone")
    rotated = KeyRing(f"{new},{old}", hmac_key)
    assert rotated.decrypt(blob, b"phone") == "13812345678"  # old ciphertext still readable
    assert rotated.key_id(rotated.encrypt("x", b"phone")) == "k2"  # new writes use the new key
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        rotated.decrypt(blob, b"id_number")  # bound to its field


def test_no_plaintext_in_the_row(world):
    resident = world.a.residents[0]
    row = Resident.all_tenants.filter(pk=resident.pk).values().get()
    plain_phone, plain_id = get_personal(resident, "phone"), get_personal(resident, "id_number")
    for value in row.values():
        text = (
            bytes(value).decode("latin-1") if isinstance(value, (bytes, memoryview)) else str(value)
        )
        assert plain_phone not in text
        assert plain_id not in text
    assert row["phone_masked"] == mask_phone(plain_phone)
    assert row["phone_last4"] == plain_phone[-4:]


def test_reveal_needs_permission_purpose_and_scope_and_is_logged(world):
    resident = world.a.residents[0]
    admin = world.a.users["company_admin"]
    scope = scope_for_user(admin)
    with pytest.raises(ValidationError):
        personal_reveal(
            actor=admin, scope=scope, model=Resident, pk=resident.pk, field="id_number", purpose=""
        )
    with pytest.raises(PermissionDenied):
        guard = world.a.users["guard"]
        personal_reveal(
            actor=guard,
            scope=scope_for_user(guard),
            model=Resident,
            pk=resident.pk,
            field="id_number",
            purpose="核对身份",
        )
    with pytest.raises(Http404):
        personal_reveal(
            actor=admin,
            scope=scope,
            model=Resident,
            pk=world.b.residents[0].pk,
            field="phone",
            purpose="核对身份",
        )
    assert AccessLog.all_tenants.count() == 0

    value = personal_reveal(
        actor=admin,
        scope=scope,
        model=Resident,
        pk=resident.pk,
        field="id_number",
        purpose="核对返汉人员身份",
    )
    assert value == get_personal(resident, "id_number")
    log = AccessLog.all_tenants.get()
    assert (log.actor_id, log.object_id, log.field, log.purpose, log.company_id, log.site_id) == (
        admin.pk,
        str(resident.pk),
        "id_number",
        "核对返汉人员身份",
        world.a.company.pk,
        world.a.site.pk,
    )


def test_rotate_data_keys_reencrypts_every_row(world, settings):
    resident = world.a.residents[0]
    plain = get_personal(resident, "phone")
    old_spec = settings.FIRSTLINE_DATA_KEYS
    settings.FIRSTLINE_DATA_KEYS = (
        "r9:" + base64.b64encode(os.urandom(32)).decode() + "," + old_spec
    )
    crypto.keyring.cache_clear()
    try:
        call_command("rotate_data_keys")
        resident.refresh_from_db()
        assert KeyRing.key_id(resident.phone_enc) == "r9"
        assert get_personal(resident, "phone") == plain
        assert all(KeyRing.key_id(r.id_number_enc) == "r9" for r in Resident.all_tenants.all())
    finally:
        settings.FIRSTLINE_DATA_KEYS = old_spec
        crypto.keyring.cache_clear()

"""The one-time-code phone entry and the declaration import read a phone however it is
written (core.personal.normalise): full-width digits, spaces, +86."""

from datetime import timedelta

import pytest
from django.utils import timezone

from firstline.health.models import Declaration
from firstline.health.services import otp
from firstline.health.services.declarations import (
    DeclarationInput,
    PlaceInput,
    consent_record,
    declaration_clean,
)

PHONE_A = "13800000101"  # world.a.residents[0]


def wide(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(
    "typed", [wide(PHONE_A), "+86 138 0000 0101", "0086-138-0000-0101", wide("138 0000 0101")]
)
def test_a_code_asked_for_one_spelling_opens_with_another(world, typed):
    site = world.a.site
    code = otp.request_code(site=site, phone=typed)
    found = otp.verify_code(site=site, phone=PHONE_A, code=wide(code))
    assert [r.pk for r in found] == [world.a.residents[0].pk]


def test_a_full_width_division_code_is_read_as_digits(world):
    resident = world.a.residents[0]
    consent = consent_record(actor=None, resident=resident, channel=Declaration.Channel.STAFF)
    today = timezone.localdate()
    data = DeclarationInput(
        places=[
            PlaceInput(
                place_name="江汉区",
                visited_on=today - timedelta(days=2),
                division_code=wide("420103"),
            )
        ]
    )
    cleaned = declaration_clean(
        resident=resident,
        data=data,
        channel=Declaration.Channel.STAFF,
        consent=consent,
        today=today,
    )
    assert cleaned.places[0].division_code == "420103"

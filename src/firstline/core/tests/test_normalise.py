"""One written form per identifier (core.personal.normalise): the same person typed
with full-width digits, a lower-case x, spaces or a country code seals and looks up
as the ASCII form does."""

import pytest
from django.core.exceptions import ValidationError

from firstline.core.personal.crypto import lookup_digest, seal, unseal
from firstline.core.personal.identity import validate_id_number, validate_phone
from firstline.core.personal.normalise import (
    normalise_credit_code,
    normalise_digits,
    normalise_id_number,
    normalise_phone,
    normalise_plate,
)

ID = "42010319800101018X"
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in ID)  # ４２０１…Ｘ


@pytest.mark.parametrize(
    "written",
    [
        ID,
        ID.lower(),
        FULL_WIDTH,
        FULL_WIDTH.lower(),  # ｘ
        "420103 19800101 018x",
        "4201-0319-8001-0101-8X",
        "４２０１０３\u3000１９８００１０１\u3000０１８ｘ",  # ideographic spaces
        "\ufeff42010319800101018X\u200b",  # a copy from a web page
        " 420103198001010 18X ",
    ],
)
def test_every_spelling_of_an_id_number_is_one(written):
    assert normalise_id_number(written) == ID
    validate_id_number(written)  # validation sees the normalised form


@pytest.mark.parametrize(
    "written",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "0086 13812345678",
        "86-138-1234-5678",
        "（138）1234５６７８",
        "１３８１２３４５６７８",
    ],
)
def test_every_spelling_of_a_phone_is_one(written):
    assert normalise_phone(written) == "13812345678"
    validate_phone(written)


def test_a_country_code_goes_only_before_a_mainland_mobile():
    assert normalise_phone("86123") == "86123"
    assert normalise_phone("+852 9123 4567") == "+85291234567"


def test_full_width_digits_no_longer_pass_validation_unnormalised():
    # Python's \d matches full-width digits: the patterns are ASCII-only now, and the
    # validators normalise first, so what they pass is what gets sealed.
    from firstline.core.personal.identity import ID_RE, PHONE_RE

    assert not ID_RE.fullmatch(FULL_WIDTH)
    assert not PHONE_RE.fullmatch("１３８１２３４５６７８")


@pytest.mark.parametrize("bad", ["4201031980010100", "42010319800101003Y", "abc"])
def test_normalising_does_not_make_a_wrong_number_right(bad):
    with pytest.raises(ValidationError):
        validate_id_number(bad)


def test_credit_codes_plates_and_digits():
    code = "91420100MA4K000101"
    assert normalise_credit_code("９１４２０１００ｍａ４ｋ０００１０１") == code
    assert normalise_credit_code("9142 0100-ma4k 0001 01") == code
    assert normalise_plate("鄂ａ·１２３４５") == "鄂A12345"
    assert normalise_plate(" 湘a-12345 ") == "湘A12345"
    assert normalise_digits("５６ ７８") == "5678"


def test_seal_and_lookup_normalise_whatever_the_caller_passes():
    sealed = seal("id_number", FULL_WIDTH.lower())
    assert unseal("id_number", sealed.enc) == ID
    assert sealed.hmac == lookup_digest("id_number", ID) == lookup_digest("id_number", FULL_WIDTH)
    assert (sealed.last4, sealed.masked) == ("018X", "4201**********018X")
    phone = seal("phone", "+86 138-1234-5678")
    assert unseal("phone", phone.enc) == "13812345678"
    assert phone.masked == "138****5678"

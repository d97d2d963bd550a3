"""The unified social credit code (GB 32100-2015): format and check character."""

import pytest
from django.core.exceptions import ValidationError

from firstline.orgs.validators import credit_code_check_char, validate_credit_code


def _code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        # Worked by hand: weighted sum s, check = CHARS[(31 - s % 31) % 31].
        ("10000000000000000", "Y"),  # s = 1·1 = 1 → 30 → Y
        ("01000000000000000", "W"),  # s = 1·3 = 3 → 28 → W
        ("00000000000000001", "3"),  # s = 1·28 = 28 → 3
        ("A0000000000000000", "M"),  # s = 10·1 = 10 → 21 → M
    ],
)
def test_check_char_worked_by_hand(first17, expected):
    assert credit_code_check_char(first17) == expected


@pytest.mark.parametrize("first17", ["91420100177572386", "91420106MA4KXXXX0", "12100000400012345"])
def test_a_code_with_its_computed_check_char_is_valid(first17):
    code = _code(first17)

    assert validate_credit_code(code) is None


def test_check_char_zero_when_the_weighted_sum_is_a_multiple_of_31():
    # The weighted sum of these 17 characters is 0, so (31 - 0 % 31) % 31 = 0 → "0".
    assert credit_code_check_char("0" * 17) == "0"
    assert validate_credit_code("0" * 18) is None


def test_lowercase_letters_are_read_as_uppercase():
    code = _code("91420106MA4KXXXX0")

    assert validate_credit_code(code.lower()) is None


def test_full_width_spaced_and_lower_case_forms_are_read_as_the_code():
    # core.personal.normalise: what a Chinese input method or a copied document gives.
    code = _code("91420106MA4KXXXX0")
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())

    assert validate_credit_code(wide) is None
    assert validate_credit_code(f"{code[:6]} {code[6:12]}-{code[12:]}") is None


def test_wrong_check_char_is_refused():
    code = _code("91420100177572386")
    wrong = next(c for c in "0123456789ABC" if c != code[17])

    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(code[:17] + wrong)

    assert excinfo.value.code == "check_digit"
    assert excinfo.value.messages == ["统一社会信用代码校验位不正确。"]


@pytest.mark.parametrize(
    "value",
    [
        "91420100I77572386X",  # I is not one of the 31 characters
        "91420100O77572386X",  # nor is O
        "91420100Z77572386X",  # nor Z, S or V
        "91420100-77572386-",  # punctuation
        "9142010017757238",  # 16 characters
        "9142010017757238611",  # 19 characters
        "",
        None,
    ],
)
def test_bad_characters_or_length_are_refused(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(value)

    assert excinfo.value.code == "format"
    assert excinfo.value.messages == ["统一社会信用代码应为 18 位数字或大写字母。"]

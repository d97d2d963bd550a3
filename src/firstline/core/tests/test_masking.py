"""One masking rule per kind of personal value, exact for the edge cases: a value
too short for its pattern never shows more than the rule would for a longer one."""

import pytest

from firstline.core.personal.masking import mask_id_number, mask_name, mask_phone, mask_plate


@pytest.mark.parametrize(
    ("value", "shown"),
    [("张伟", "张*"), ("欧阳娜娜", "欧***"), ("李", "*"), ("", ""), ("  王五 ", "王*")],
)
def test_name(value, shown):
    assert mask_name(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"), [("鄂A12345", "鄂A***45"), ("鄂A1", "***"), ("鄂A12", "****"), ("", "")]
)
def test_plate(value, shown):
    assert mask_plate(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [("13812345678", "138****5678"), ("1234567", "*******"), ("12345678", "123*5678"), ("", "")],
)
def test_phone(value, shown):
    assert mask_phone(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("42010219800101001X", "4201**********001X"),
        ("12345678", "********"),
        ("123456789", "1234*6789"),
        ("", ""),
    ],
)
def test_id_number(value, shown):
    assert mask_id_number(value) == shown

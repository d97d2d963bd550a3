"""Validation of personal identifiers: the 18-character national ID (GB 11643-1999)
and mainland mobile phone numbers. Each validator checks the normalised form
(`normalise.py`): callers normalise first and store what they validated."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from firstline.core.personal.normalise import normalise_id_number, normalise_phone

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# ASCII digits only: Python's \d also matches full-width and other scripts' digits.
ID_RE = re.compile(r"[0-9]{17}[0-9X]")
PHONE_RE = re.compile(r"1[3-9][0-9]{9}")


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    v = normalise_id_number(value)
    if not ID_RE.fullmatch(v):
        raise ValidationError(_("身份证号应为 18 位，最后一位可为 X。"), code="format")
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效。"), code="birth_date") from None
    if id_check_char(v[:17]) != v[17]:
        raise ValidationError(_("身份证号校验位不正确。"), code="check_digit")


def validate_phone(value: str) -> None:
    if not PHONE_RE.fullmatch(normalise_phone(value)):
        raise ValidationError(_("手机号应为 11 位，以 1 开头。"), code="format")

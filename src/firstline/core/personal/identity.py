"""Validation of personal identifiers: the 18-character national ID (GB 11643-1999)
and mainland mobile phone numbers."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    v = normalize_id_number(value)
    if not re.fullmatch(r"\d{17}[\dX]", v):
        raise ValidationError(_("身份证号应为 18 位，最后一位可为 X。"), code="format")
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效。"), code="birth_date") from None
    if id_check_char(v[:17]) != v[17]:
        raise ValidationError(_("身份证号校验位不正确。"), code="check_digit")


def normalize_phone(value: str) -> str:
    v = re.sub(r"[\s\-]", "", value or "")
    return v[3:] if v.startswith("+86") else v


def validate_phone(value: str) -> None:
    if not PHONE_RE.fullmatch(normalize_phone(value)):
        raise ValidationError(_("手机号应为 11 位，以 1 开头。"), code="format")

"""How personal values are shown to someone who may not see them in full: one rule
per kind, used by every page, export and API (DESIGN.md, personal data).

A rule never shows more than it must: a one-character name is hidden whole, and a
value too short for its pattern is all stars.
"""


def mask_id_number(value: str) -> str:
    """4201**********1234: the region prefix and the last four."""
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678"""
    value = (value or "").strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(name: str) -> str:
    """张伟 → 张*, 欧阳娜娜 → 欧***: the first character, enough to read a list by."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_plate(plate: str) -> str:
    """鄂A12345 → 鄂A***45: the province and city letters and the last two."""
    plate = (plate or "").strip()
    if len(plate) <= 4:
        return "*" * len(plate)
    return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


# The sealed personal fields (core.personal.fields) keep their masked form beside the
# ciphertext; this says which rule makes it.
MASKERS = {"id_number": mask_id_number, "phone": mask_phone}

"""Reads of the geo app.

Codes nest by prefix (2, 4, 6, 9, 12 digits), so subtrees and ancestor paths are
answered from the code alone, with one indexed query and no recursive walk up the
``parent`` chain.
"""

from django.db.models import QuerySet

from firstline.geo.models import Division

WUHAN = "4201"


def _check_code(code: str) -> str:
    # An empty or non-numeric prefix would silently match everything or nothing.
    if not isinstance(code, str) or not code.isdigit() or not code.isascii():
        raise ValueError(f"division code must be digits, got {code!r}")
    return code


def division_descendants(*, code: str, level: int | None = None) -> QuerySet[Division]:
    """All divisions strictly below ``code``, optionally only those at ``level``."""
    qs = Division.objects.filter(code__startswith=_check_code(code)).exclude(code=code)
    if level is not None:
        qs = qs.filter(level=level)
    return qs.order_by("code")


def division_path(*, division: Division) -> list[Division]:
    """The division's ancestors from the province down, ending with the division itself.

    Ancestors' codes are the division's code cut at each shorter level length, so one
    query fetches them all; that is what breadcrumbs and "湖北省 武汉市 江岸区 …"
    address lines need.
    """
    lengths = sorted(
        length for length in Division.CODE_LENGTHS.values() if length < len(division.code)
    )
    prefixes = [division.code[:length] for length in lengths]
    if not prefixes:
        return [division]
    ancestors = list(Division.objects.filter(code__in=prefixes).order_by("level"))
    return [*ancestors, division]


def districts_of(city_code: str = WUHAN) -> QuerySet[Division]:
    """The district-level divisions of a city (for Wuhan, the 15 of the 2020 reports)."""
    return Division.objects.filter(
        level=Division.Level.DISTRICT, code__startswith=_check_code(city_code)
    ).order_by("code")

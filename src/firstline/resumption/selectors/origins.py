"""Where a tenant's staff come from, against the risk lists in force."""

from __future__ import annotations

from django.utils import timezone

from firstline.geo.models import Division
from firstline.health.models import RiskArea


def with_risk(codes: list[str], on=None) -> list[dict]:
    """Each origin division with the risk areas in force that cover it or lie in it
    (by division-code prefix, either way): [{code, name, risks: [names]}]."""
    on = on or timezone.localdate()
    codes = [c for c in codes or [] if c]
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    areas = [
        (a.division_code, f"{a.name}（{a.get_level_display()}）")
        for a in RiskArea.objects.filter(current=True, valid_from__lte=on)
        .exclude(division_code="")
        .exclude(valid_until__lt=on)
    ]
    return [
        {
            "code": code,
            "name": names.get(code, code),
            "risks": [
                label
                for area_code, label in areas
                if area_code.startswith(code) or code.startswith(area_code)
            ],
        }
        for code in codes
    ]

"""Test helpers for sanitation: the library installed and a site with areas and a plan."""

from __future__ import annotations

from firstline.sanitation.models import AreaKind, PlanEntry
from firstline.sanitation.services.library import library_install
from firstline.sanitation.services.plans import area_create, plan_apply


def planned(tenant, kinds=(AreaKind.LIFT, AreaKind.GARBAGE, AreaKind.TOILET)) -> dict:
    """Library installed, one area per kind at the tenant's site, the guide applied."""
    library_install()
    areas = {
        kind: area_create(actor=None, site=tenant.site, name=f"{tenant.site.name}{kind}", kind=kind)
        for kind in kinds
    }
    plan_apply(actor=None, site=tenant.site)
    return areas


def entry(area, code) -> PlanEntry:
    return PlanEntry.all_tenants.get(area=area, code=code)

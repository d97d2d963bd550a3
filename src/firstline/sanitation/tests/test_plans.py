"""Plans from the guide: apply is idempotent, overrides apply, a new guide version
bumps the revisions of the entries it changes and switches off what it dropped."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from firstline.sanitation.models import AreaKind, Guide, GuideItem, PlanEntry
from firstline.sanitation.services.guides import (
    guide_item_revise,
    guide_items,
    guide_publish_version,
    override_set,
)
from firstline.sanitation.services.library import LIBRARY, library_install
from firstline.sanitation.services.plans import area_create, plan_apply, plan_entry_edit
from firstline.sanitation.tests.planning import entry, planned


@pytest.mark.django_db
def test_library_installs_five_guides_once():
    assert set(library_install()) == {"residential", "office", "industrial", "campus", "hospital"}
    assert library_install() == {}
    assert Guide.objects.filter(current=True, version=1).count() == 5
    hospital = Guide.objects.get(site_type="hospital")
    toilet = GuideItem.objects.get(guide=hospital, code="toilet")
    assert (toilet.concentration, toilet.every_hours) == ("1000 mg/L", 2)
    office = {i["code"] for i in LIBRARY["office"]}
    assert {"hvac-fresh-air", "hvac-filter", "hvac-exhaust"} <= office
    for items in LIBRARY.values():
        for item in items:  # one frequency each, as the generator needs
            assert bool(item["times_per_day"]) != bool(item["every_hours"]), item["code"]


@pytest.mark.django_db
def test_apply_is_idempotent(world):
    areas = planned(world.a)
    lift = PlanEntry.all_tenants.filter(area=areas[AreaKind.LIFT])
    assert sorted(lift.values_list("code", flat=True)) == ["lift-buttons", "lift-car"]
    assert PlanEntry.all_tenants.filter(area=areas[AreaKind.GARBAGE]).count() == 2
    before = list(PlanEntry.all_tenants.order_by("pk").values("pk", "revision", "active"))
    counts = plan_apply(actor=None, site=world.a.site)
    assert counts == {"created": 0, "updated": 0, "deactivated": 0, "unchanged": 5}
    assert list(PlanEntry.all_tenants.order_by("pk").values("pk", "revision", "active")) == before
    car = entry(areas[AreaKind.LIFT], "lift-car")
    assert (car.concentration, car.times_per_day, car.guide_version) == ("500 mg/L", 2, 1)


@pytest.mark.django_db
def test_override_applies_to_own_company_only(world):
    areas_a = planned(world.a)
    areas_b = planned(world.b)
    override_set(
        actor=world.a.users["company_admin"],
        company_id=world.a.company.pk,
        site_type="residential",
        code="lift-car",
        times_per_day=4,
        reason="客流大",
    )
    override_set(
        actor=None,
        company_id=world.a.company.pk,
        site_type="residential",
        code="mask-bin",
        disabled=True,
        reason="由街道统一收运",
    )
    counts = plan_apply(actor=None, site=world.a.site)
    assert counts == {"created": 0, "updated": 1, "deactivated": 1, "unchanged": 3}
    car = entry(areas_a[AreaKind.LIFT], "lift-car")
    assert (car.times_per_day, car.every_hours, car.revision) == (4, None, 2)
    assert entry(areas_a[AreaKind.GARBAGE], "mask-bin").active is False
    plan_apply(actor=None, site=world.b.site)
    assert entry(areas_b[AreaKind.LIFT], "lift-car").times_per_day == 2
    assert entry(areas_b[AreaKind.GARBAGE], "mask-bin").active is True


@pytest.mark.django_db
def test_override_rejects_unknown_item_and_missing_reason(world):
    library_install()
    with pytest.raises(ValidationError) as exc:
        override_set(
            actor=None, company_id=world.a.company.pk, site_type="residential", code="x", reason="r"
        )
    assert "code" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        override_set(
            actor=None, company_id=world.a.company.pk, site_type="residential", code="toilet"
        )
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        override_set(
            actor=None,
            company_id=world.a.company.pk,
            site_type="residential",
            code="toilet",
            times_per_day=2,
            every_hours=3,
            reason="r",
        )
    assert "every_hours" in exc.value.message_dict


@pytest.mark.django_db
def test_new_guide_version_bumps_changed_entries(world):
    areas = planned(world.a)
    guide = Guide.objects.get(site_type="residential", current=True)
    v2 = guide_item_revise(
        actor=None, guide=guide, code="lift-car", fields={"concentration": "1000 mg/L"}
    )
    assert v2.version == 2 and v2.current
    guide.refresh_from_db()
    assert guide.current is False
    v3 = guide_item_revise(actor=None, guide=v2, code="mask-bin", remove=True)
    counts = plan_apply(actor=None, site=world.a.site)
    assert counts == {"created": 0, "updated": 1, "deactivated": 1, "unchanged": 3}
    car = entry(areas[AreaKind.LIFT], "lift-car")
    assert (car.concentration, car.revision, car.guide_version) == ("1000 mg/L", 2, v3.version)
    assert entry(areas[AreaKind.LIFT], "lift-buttons").revision == 1
    assert entry(areas[AreaKind.GARBAGE], "mask-bin").active is False
    # The item comes back in a later version: the entry is switched on with a new revision.
    items = guide_items(v3) + [i for i in guide_items(guide) if i["code"] == "mask-bin"]
    guide_publish_version(actor=None, site_type="residential", items=items)
    plan_apply(actor=None, site=world.a.site)
    back = entry(areas[AreaKind.GARBAGE], "mask-bin")
    assert (back.active, back.revision) == (True, 2)


@pytest.mark.django_db
def test_bad_guide_version_writes_nothing():
    library_install()
    items = [{"code": "a", "area_kind": "lift", "title": "t", "method": "m"}]
    with pytest.raises(ValidationError) as exc:
        guide_publish_version(actor=None, site_type="office", items=items)
    assert "times_per_day" in exc.value.message_dict
    assert Guide.objects.filter(site_type="office").count() == 1


@pytest.mark.django_db
def test_area_off_deactivates_and_edit_bumps_revision(world):
    from firstline.sanitation.services.plans import area_edit

    areas = planned(world.a)
    with pytest.raises(ValidationError):
        area_create(actor=None, site=world.a.site, name=areas[AreaKind.LIFT].name, kind="lift")
    area_edit(actor=None, area=areas[AreaKind.TOILET], site=world.a.site, active=False)
    assert plan_apply(actor=None, site=world.a.site)["deactivated"] == 1
    car = entry(areas[AreaKind.LIFT], "lift-car")
    same = plan_entry_edit(actor=None, entry=car, fields={"times_per_day": 2})
    assert same.revision == 1  # nothing changed
    edited = plan_entry_edit(actor=None, entry=car, fields={"times_per_day": 5})
    assert edited.revision == 2
    with pytest.raises(ValidationError) as exc:
        plan_entry_edit(actor=None, entry=car, fields={"every_hours": 2})
    assert "every_hours" in exc.value.message_dict

"""The demo world generator, for tests that build their own world: the real demo
scale, and the same people from the same seed (test_scenario.py checks one shared
tiny world)."""

import pytest

from firstline.core.personal.fields import get_personal
from firstline.estates.models import Resident, Site, Staff
from firstline.orgs.models import Company
from firstline.scenario.tests.shared_world import home_residents
from firstline.scenario.world import ScaleOverride, build_world, reset_world

TINY = ScaleOverride(companies=3, sites=10, residents=400, staff=60, batch=150)

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def people_of_world() -> list[tuple[str, str, str]]:
    return [
        (r.name, get_personal(r, "phone"), get_personal(r, "id_number"))
        for r in Resident.all_tenants.order_by("id")
    ]


def test_the_real_demo_scale():
    report = build_world(scale="demo", seed=2020)

    # 24 companies with sites; the job fair adds members without sites up to its 52 employers
    assert Company.objects.filter(pk__in=Site.all_tenants.values("company_id")).count() == 24
    jobs = next(s for s in report.steps if s.name == "jobs")
    assert jobs.rows["employers"] == Company.objects.count() == 52
    assert Site.all_tenants.count() == 100
    assert home_residents().count() == 20_000
    assert Staff.all_tenants.count() == 1_500
    districts = {code[:6] for code in Site.all_tenants.values_list("community__code", flat=True)}
    assert len(districts) == 15
    alone = home_residents().filter(lives_alone_elderly=True).count() / 20_000
    assert 0.06 <= alone <= 0.10


# --- determinism ------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_people_and_another_seed_others():
    build_world(scale="demo", seed=7, size=TINY)
    first = people_of_world()
    reset_world()
    build_world(scale="demo", seed=7, size=TINY)
    again = people_of_world()
    reset_world()
    build_world(scale="demo", seed=8, size=TINY)

    assert again == first
    assert people_of_world() != first

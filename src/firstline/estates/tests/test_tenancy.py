"""Every estates page and API endpoint, through the shared tenancy checks."""

import pytest
from django.urls import get_resolver

from firstline.core.models import AccessLog
from firstline.testing.tenancy import Api, Page, TenancyCases, api_schema
from firstline.testing.world import World

ONBOARDING = "firstline.estates.tests.test_onboarding"
RESIDENT_EDIT = {
    "site": "",
    "building": "1栋",
    "unit": "1",
    "room": "301",
    "name": "改名",
    "relation": "owner",
}


@pytest.fixture
def world(world: World) -> World:
    """A reveal of a resident's phone logged at every site of company a (the access
    log's rows) and at b's."""
    for tenant in (*world.a.corners, world.b):
        resident = tenant.residents[0]
        AccessLog.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            actor=tenant.users["company_admin"],
            object_type="resident",
            object_id=str(resident.pk),
            object_label=resident.name,
            field="phone",
            purpose="联系确认返汉行程",
        )
    return world


class TestEstatesTenancy(TenancyCases):
    routes = [
        Page("estates:site_list", site_field="pk"),
        Page("estates:site_create"),
        Page("estates:site_detail", obj=lambda t: t.site),
        Page(
            "estates:site_edit",
            obj=lambda t: t.site,
            write={"name": "改名", "site_type": "office", "community": ""},
        ),
        Page("estates:building_list"),
        Page("estates:building_create"),
        Page("estates:building_detail", obj=lambda t: t.building),
        Page("estates:building_edit", obj=lambda t: t.building, write={"name": "9栋", "floors": 3}),
        Page("estates:household_list"),
        Page("estates:household_create"),
        Page("estates:household_detail", obj=lambda t: t.household),
        Page(
            "estates:household_edit", obj=lambda t: t.household, write={"unit": "9", "room": "909"}
        ),
        Page("estates:resident_list"),
        Page("estates:resident_create"),
        Page("estates:resident_detail", obj=lambda t: t.residents[0]),
        Page("estates:resident_edit", obj=lambda t: t.residents[0], write=RESIDENT_EDIT),
        Page("estates:staff_list"),
        Page("estates:staff_create"),
        Page("estates:staff_detail", obj=lambda t: t.staff),
        Page(
            "estates:staff_edit",
            obj=lambda t: t.staff,
            write={"name": "改名", "position": "cleaner"},
        ),
        Page(
            "estates:resident_reveal",
            obj=lambda t: t.residents[0],
            viewer="company_admin",
            write={"field": "id_number", "purpose": "核对身份信息"},
            method="post",
        ),
        Page("access_log"),
        Page("estates:resident_import"),
        Page("estates:resident_import_template"),
        Page("estates:resident_export"),
    ]
    api = [
        Api("/api/v1/sites", site_field="id"),
        Api("/api/v1/sites/{id}", obj=lambda t: t.site),
        Api("/api/v1/buildings"),
        Api("/api/v1/buildings/{id}", obj=lambda t: t.building),
        Api("/api/v1/households"),
        Api("/api/v1/households/{id}", obj=lambda t: t.household),
        Api("/api/v1/residents"),
        Api("/api/v1/residents/{id}", obj=lambda t: t.residents[0]),
        Api(
            "/api/v1/residents/{id}/reveal",
            obj=lambda t: t.residents[0],
            method="post",
            body={"field": "phone", "purpose": "联系确认返汉行程"},
        ),
    ]
    # Bulk onboarding: the target is chosen from the caller's scope and progress is the
    # caller's own; test_onboarding checks other companies' sites, other associations,
    # other users' progress and roles without the right.
    explicit = {
        "estates:onboarding": f"{ONBOARDING}::test_hub_lists_what_each_role_may_import_and_"
        "templates_download",
        "estates:onboarding_template": f"{ONBOARDING}::test_hub_lists_what_each_role_may_"
        "import_and_templates_download",
        "estates:onboarding_import": f"{ONBOARDING}::test_another_companys_site_is_not_a_target",
        "POST /api/v1/imports/{slug}": f"{ONBOARDING}::test_api_refuses_other_companies_sites_"
        "wrong_files_and_others_progress",
        "GET /api/v1/imports/{slug}/{progress_id}": f"{ONBOARDING}::test_api_refuses_other_"
        "companies_sites_wrong_files_and_others_progress",
    }


def test_every_estates_route_is_covered():
    """A new page in the estates namespace must join the tenancy checks above."""
    resolver = get_resolver()
    names = {
        f"estates:{name}"
        for name in resolver.namespace_dict["estates"][1].reverse_dict
        if isinstance(name, str)
    }
    covered = {page.name for page in TestEstatesTenancy.routes} | set(TestEstatesTenancy.explicit)
    assert names - covered == set()


def test_every_tenant_api_path_is_covered():
    schema = api_schema()
    paths = {
        p
        for p, ops in schema["paths"].items()
        if any("estates" in op.get("tags", []) for op in ops.values())
    }
    covered = {e.path.replace("{id}", "{pk}") for e in TestEstatesTenancy.api} | {
        key.split(" ", 1)[1] for key in TestEstatesTenancy.explicit if " " in key
    }
    assert paths - covered == set()

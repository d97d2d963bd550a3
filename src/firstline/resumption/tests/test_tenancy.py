"""The resumption pages and endpoints through the shared tenancy checks: another
company's tenant or application is 404; a site manager sees its own building's only;
a tenant admin reaches its own unit only. The tenant's writes and the suspension are
checked by the tests named in `explicit` (test_access.py)."""

from __future__ import annotations

import pytest

from firstline.resumption.tests.furnish import furnish
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import World, make_credit_code

ACCESS = "firstline.resumption.tests.test_access::"
TENANT_SIDE = ACCESS + "test_tenant_side_writes_reach_only_its_own_unit"
SUSPEND = ACCESS + "test_suspending_revokes_passes_and_only_in_scope"
FIGURES = ACCESS + "test_association_figures_are_counts_of_its_members"


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def tenant(t):
    return t.resumption_tenant


def application(t):
    return t.application


TENANT_ADMIN = {"viewer": "tenant_admin", "site_role": "tenant_admin"}


class TestResumptionTenancy(TenancyCases):
    routes = [
        Page("resumption:tenant_list"),
        Page(
            "resumption:tenant_create",
            company_level="a form about no object; its choices are the scope's buildings",
        ),
        Page("resumption:tenant_detail", obj=tenant),
        Page("resumption:tenant_admin_create", obj=tenant),
        Page(
            "resumption:tenant_admin_create",
            obj=tenant,
            method="post",
            write={"username": "tenant_admin_new", "name": "新管理员"},
            ok=302,
        ),
        Page("resumption:application_list"),
        Page("resumption:application_detail", obj=application),
        Page("resumption:application_approve", obj=application),
        Page(
            "resumption:application_approve",
            obj=application,
            method="post",
            write={"approved_headcount": "2", "conditions": "错峰"},
            ok=302,
        ),
        Page(
            "resumption:application_refuse",
            obj=application,
            method="post",
            write={"reason": "方案不完整", "confirmed": "1"},
            ok=302,
        ),
        Page("resumption:application_suspend", obj=application),
        Page(
            "resumption:building_figures",
            rows="",
            company_level="one building's figures, "
            "chosen by ?site= in the scope; its other-site 404 is test_access.py's",
        ),
        Page("resumption:tenant_home", obj=tenant, **TENANT_ADMIN),
        Page("resumption:application_edit", obj=tenant, **TENANT_ADMIN),
        Page("resumption:application_submit", obj=tenant, **TENANT_ADMIN),
        Page("resumption:staff_add", obj=tenant, **TENANT_ADMIN),
        Page("resumption:staff_import", obj=tenant, **TENANT_ADMIN),
        Page("resumption:passes_issue", obj=tenant, **TENANT_ADMIN),
    ]
    api = [
        Api("/api/v1/resumption/tenants"),
        Api("/api/v1/resumption/tenants/{id}", obj=tenant),
        Api(
            "/api/v1/resumption/tenants",
            method="post",
            body=lambda t: {
                "building_id": t.building.pk,
                "floor": "9",
                "room": "901",
                "name": "新入驻公司",
                "credit_code": make_credit_code(999),
                "contact_name": "李四",
                "phone": "13800138000",
            },
        ),
        Api("/api/v1/resumption/applications"),
        Api("/api/v1/resumption/applications/{id}", obj=application),
        Api(
            "/api/v1/resumption/applications/{id}/approve",
            obj=application,
            method="post",
            body={"approved_headcount": 2, "conditions": "错峰上下班"},
        ),
        Api(
            "/api/v1/resumption/applications/{id}/refuse",
            obj=application,
            method="post",
            body={"reason": "方案不完整"},
        ),
        Api("/api/v1/resumption/buildings/{id}/figures", obj=lambda t: t.site),
        Api("/api/v1/resumption/my/tenants", **TENANT_ADMIN),
        Api("/api/v1/resumption/my/staff", **TENANT_ADMIN),
    ]
    explicit = {
        "resumption:mine": TENANT_SIDE,
        "resumption:staff_template": TENANT_SIDE,
        "resumption:association_figures": FIGURES,
        "POST /api/v1/resumption/applications/{pk}/suspend": SUSPEND,
        "POST /api/v1/resumption/my/tenants/{pk}/application": TENANT_SIDE,
        "POST /api/v1/resumption/my/tenants/{pk}/submit": TENANT_SIDE,
        "POST /api/v1/resumption/my/tenants/{pk}/staff": TENANT_SIDE,
        "POST /api/v1/resumption/my/tenants/{pk}/passes": TENANT_SIDE,
    }

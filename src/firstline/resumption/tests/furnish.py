"""The test world furnished for resumption: every corner's site (a, a.sibling, b,
b.sibling) is an office building; its household is a tenant company's unit with a
submitted application, its two residents are the tenant's staff, and the corner has
a tenant admin login (`users["tenant_admin"]`) over that unit. Rows are made
directly, so what a test sees is exactly what it made; the services are tested on
their own."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from firstline.core.personal.fields import set_personal
from firstline.core.roles import Role
from firstline.estates.models import Site
from firstline.resumption.models import Application, Tenant
from firstline.testing.world import World, make_credit_code, make_user


def furnish(world: World) -> World:
    for n, corner in enumerate((world.a, world.a.sibling, world.b, world.b.sibling)):
        Site.all_tenants.filter(pk=corner.site.pk).update(site_type=Site.Type.OFFICE)
        corner.site.site_type = Site.Type.OFFICE
        tenant = Tenant(
            company=corner.company,
            site=corner.site,
            household=corner.household,
            name=f"{corner.site.name}科技有限公司",
            credit_code=make_credit_code(500 + n),
            floors="1",
            contact_name="王经理",
        )
        set_personal(tenant, "phone", f"1370000{n:04d}")
        tenant.save()
        corner.resumption_tenant = tenant
        corner.application = Application.all_tenants.create(
            company=corner.company,
            site=corner.site,
            tenant=tenant,
            state=Application.State.SUBMITTED,
            planned_date=timezone.localdate() + timedelta(days=1),
            headcount=3,
            origin_codes=["420103"],
            prevention_plan="每日两次消毒，错峰上下班",
            person_in_charge="王经理",
            submitted_at=timezone.now(),
        )
        corner.users["tenant_admin"] = make_user(
            f"{corner.site.name}_tenant",
            Role.TENANT_ADMIN,
            company=corner.company,
            household=corner.household,
        )
    return world

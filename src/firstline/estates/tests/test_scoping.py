"""The scoping mechanism itself: it fails closed."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from firstline.core.scope import Grant, Scope
from firstline.core.tenancy import ScopeRequired, is_scoped
from firstline.core.views import ScopedListView
from firstline.estates.models import Resident, Site
from firstline.orgs.selectors import scope_for_user


def test_tenant_manager_raises_without_a_scope(world):
    with pytest.raises(ScopeRequired):
        Site.objects.all()
    with pytest.raises(ScopeRequired):
        Resident.objects.filter(name="x")


def test_empty_scope_sees_nothing(world):
    assert list(Site.objects.for_scope(Scope.empty())) == []


def test_company_scope_sees_only_its_company(world):
    scope = scope_for_user(world.a.users["company_admin"])
    assert list(Site.objects.for_scope(scope)) == [world.a.site, world.a.sibling.site]
    assert set(Resident.objects.for_scope(scope).values_list("pk", flat=True)) == {
        r.pk for tenant in world.a.corners for r in tenant.residents
    }


def test_site_scope_and_household_scope(world):
    manager = scope_for_user(world.a.users["site_manager"])
    assert list(Site.objects.for_scope(manager)) == [world.a.site]
    resident = scope_for_user(world.a.users["resident"])
    assert list(Site.objects.for_scope(resident)) == []  # a household grant does not reach the site
    assert {r.pk for r in Resident.objects.for_scope(resident)} == {r.pk for r in world.a.residents}


def test_permissions_are_per_grant(world):
    """A guard at site a and manager at site b gets the manager's rights at b only."""
    scope = Scope(
        user_id=1,
        grants=(
            Grant("guard", "site", world.a.site.pk, world.a.company.pk),
            Grant("site_manager", "site", world.b.site.pk, world.b.company.pk),
        ),
    )
    editable = Site.objects.for_scope(scope.for_perm("estates.change_site"))
    assert list(editable) == [world.b.site]
    assert set(Site.objects.for_scope(scope.for_perm("estates.view_site"))) == {
        world.a.site,
        world.b.site,
    }


def test_association_and_authority_see_no_tenant_rows(world):
    for key in ("association_admin", "authority_viewer", "no_role"):
        assert list(Resident.objects.for_scope(scope_for_user(world.users[key]))) == []


def test_scope_mark_survives_chaining(world):
    qs = (
        Site.objects.for_scope(scope_for_user(world.a.users["company_admin"]))
        .filter(name__contains="花园")
        .order_by("name")
    )
    assert is_scoped(qs)
    assert not is_scoped(Site.all_tenants.all())


def test_a_view_cannot_replace_the_scoped_queryset():
    with pytest.raises(ImproperlyConfigured):
        type(
            "Leaky",
            (ScopedListView,),
            {
                "model": Site,
                "permission": "estates.view_site",
                "get_queryset": lambda self: Site.all_tenants.all(),
            },
        )


def test_refine_that_drops_the_scope_is_refused(rf, world):
    view_cls = type(
        "Leaky",
        (ScopedListView,),
        {
            "model": Site,
            "permission": "estates.view_site",
            "refine_list": lambda self, qs: Site.all_tenants.all(),
        },
    )
    request = rf.get("/")
    request.user = world.a.users["company_admin"]
    request.scope = scope_for_user(request.user)
    view = view_cls()
    view.setup(request)
    view.scope = request.scope.for_perm("estates.view_site")
    with pytest.raises(ImproperlyConfigured):
        view.get_queryset()

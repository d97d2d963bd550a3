"""Who may see what on the association's side of supplies.

Donors, campaigns, warehouses, batches, the ledger and allocation plans belong to an
association, not to a company, so `for_scope` (which filters by company and site
grants) does not reach them. The coordinator's pages filter by the associations this
module returns, and read the companies' needs and shipments across tenants only for
the member companies of those associations: the one deliberate cross-tenant read of
this app, in one place."""

from __future__ import annotations

from django.db.models import QuerySet

from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.orgs.models import Membership
from firstline.supplies.models import Donor


def associations_for(scope: Scope, perm: str = "supplies.view_all") -> frozenset[int]:
    """The associations whose supplies the user may see (or act on, with another perm)."""
    return frozenset(int(pk) for pk in scope.for_perm(perm).ids(Target.ASSOCIATION))


def member_company_ids(association_ids) -> QuerySet:
    """Ids of the companies that are members of the associations (a subquery)."""
    return (
        Membership.objects.filter(association_id__in=sorted(association_ids))
        .values("company_id")
        .distinct()
    )


def donors_for(user) -> QuerySet[Donor]:
    """The donors a donor login speaks for (Donor.account)."""
    return Donor.objects.filter(account_id=user.pk)

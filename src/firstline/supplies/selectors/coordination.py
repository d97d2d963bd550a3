"""Who coordinates which association, and the coordinator's one read across tenants.

The association's own rows (donors, campaigns, warehouses, batches, the ledger,
allocation plans) and the member companies' needs and shipments are read through
`Model.objects.for_scope(scope)` like every tenant row: their models declare the
association's path (supplies/models.py). What is left here: which associations a
user acts for (where a new row goes, whether to offer an action), and the member
companies' sites a directed gift may name."""

from __future__ import annotations

from django.db.models import QuerySet

from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.orgs.models import Membership

VIEW_ALL = "supplies.view_all"
COORDINATE = "supplies.coordinate"


def associations_for(scope: Scope, perm: str = VIEW_ALL) -> frozenset[int]:
    """The associations whose supplies the user may see (or act on, with another perm)."""
    return frozenset(int(pk) for pk in scope.for_perm(perm).ids(Target.ASSOCIATION))


def member_company_ids(association_ids) -> QuerySet:
    """Ids of the companies that are members of the associations (a subquery)."""
    return (
        Membership.objects.filter(association_id__in=sorted(association_ids))
        .values("company_id")
        .distinct()
    )


def member_sites_across_companies(scope: Scope) -> QuerySet[Site]:
    """The sites of the member companies of the scope's associations: what a donor may
    direct a gift to. Across tenants by design (Site has no association path, so no
    other page of an association role lists sites); names only are shown."""
    members = member_company_ids(scope.ids(Target.ASSOCIATION))
    return Site.all_tenants.filter(company_id__in=members)

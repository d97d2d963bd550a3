"""Reads of the core app: building a scope from role assignments."""

from firstline.core.scope import Grant, Scope
from firstline.orgs.models import RoleAssignment


def scope_for_user(user) -> Scope:
    """One query: the user's grants. Site and household grants carry their company."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope.empty()
    grants = []
    rows = RoleAssignment.objects.filter(user_id=user.pk).select_related("division").order_by("id")
    for ra in rows:
        if not ra.target_allowed():
            continue  # a malformed grant gives nothing rather than too much
        target = ra.target
        target_id = {
            "association": ra.association_id,
            "company": ra.company_id,
            "site": ra.site_id,
            "household": ra.household_id,
            "division": ra.division.code if ra.division_id else None,
        }[target]
        grants.append(
            Grant(role=ra.role, target=target, target_id=target_id, company_id=ra.company_id)
        )
    return Scope(user_id=user.pk, grants=tuple(grants))

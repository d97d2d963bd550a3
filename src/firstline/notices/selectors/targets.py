"""The choices of the notice form: who the user may publish as, and where to.

A company's and a site's choices are read in scope. The association's (sites of
its member companies) and an authority's (sites in its division) cross companies
by design: `*_across_companies` read them with `all_tenants`, names and ids only.
"""

from __future__ import annotations

from django.db.models import Q

from firstline.core.roles import Target
from firstline.core.scope import Scope
from firstline.estates.models import Site
from firstline.geo.models import Division
from firstline.notices.services.notices import PUBLISH, sender_grants, sender_key
from firstline.orgs.models import Association, Company, Membership

SITE_CHOICES_MAX = 2000
DIVISION_LEVEL_MAX = Division.Level.STREET  # the association targets districts and streets


def sender_choices(scope: Scope) -> list[tuple[str, str]]:
    """(key, label) of each grant the user may publish as."""
    grants = sender_grants(scope)
    names = {
        Target.ASSOCIATION: dict(
            Association.objects.filter(
                pk__in=[g.target_id for g in grants if g.target == Target.ASSOCIATION]
            ).values_list("pk", "name")
        ),
        Target.COMPANY: dict(
            Company.objects.filter(
                pk__in=[g.target_id for g in grants if g.target == Target.COMPANY]
            ).values_list("pk", "name")
        ),
        Target.SITE: dict(
            Site.objects.for_scope(scope.for_perm(PUBLISH))
            .filter(pk__in=[g.target_id for g in grants if g.target == Target.SITE])
            .values_list("pk", "name")
        ),
        Target.DIVISION: dict(
            Division.objects.filter(
                code__in=[g.target_id for g in grants if g.target == Target.DIVISION]
            ).values_list("code", "name")
        ),
    }
    kinds = dict(Target.choices)
    return [
        (sender_key(g), f"{kinds[g.target]}：{names[g.target].get(g.target_id, g.target_id)}")
        for g in grants
    ]


def _member_company_ids(association_ids):
    return Membership.objects.filter(
        association_id__in=association_ids, status=Membership.Status.ACTIVE
    ).values("company_id")


def target_sites_across_companies(scope: Scope) -> list[tuple[int, str]]:
    """(id, label) of the sites the user's publishing grants may reach: its own sites
    in scope, its association's member companies' sites, its division's sites."""
    grants = sender_grants(scope)
    condition = Q(pk__in=[])
    associations = [g.target_id for g in grants if g.target == Target.ASSOCIATION]
    if associations:
        condition |= Q(company_id__in=_member_company_ids(associations))
    for grant in grants:
        if grant.target == Target.DIVISION:
            condition |= Q(community__code__startswith=grant.target_id)
    own = Site.objects.for_scope(scope.for_perm(PUBLISH)).values("pk")
    condition |= Q(pk__in=own)
    rows = (
        Site.all_tenants.filter(condition)
        .order_by("company__name", "name", "id")
        .values_list("pk", "name", "company__name")[:SITE_CHOICES_MAX]
    )
    several = bool(associations) or any(g.target == Target.DIVISION for g in grants)
    return [(pk, f"{name}（{company}）" if several else name) for pk, name, company in rows]


def target_company_choices(scope: Scope) -> list[tuple[int, str]]:
    """Companies the user may send to: its own (company grants) and its association's
    members."""
    grants = sender_grants(scope)
    own = [g.target_id for g in grants if g.target == Target.COMPANY]
    associations = [g.target_id for g in grants if g.target == Target.ASSOCIATION]
    condition = Q(pk__in=own)
    if associations:
        condition |= Q(pk__in=_member_company_ids(associations))
    if not (own or associations):
        return []
    return list(Company.objects.filter(condition).order_by("name").values_list("pk", "name"))


def target_division_choices(scope: Scope) -> list[tuple[str, str]]:
    """Divisions the user may send to: its own division and those inside it
    (authorities), districts and streets (the association)."""
    grants = sender_grants(scope)
    condition = Q(pk__in=[])
    for grant in grants:
        if grant.target == Target.DIVISION:
            condition |= Q(code__startswith=grant.target_id)
        elif grant.target == Target.ASSOCIATION:
            condition |= Q(level__lte=DIVISION_LEVEL_MAX)
    rows = Division.objects.filter(condition).order_by("code").values_list("code", "name", "level")
    indent = "　"
    return [(code, f"{indent * max(level - 1, 0)}{name}") for code, name, level in rows[:3000]]

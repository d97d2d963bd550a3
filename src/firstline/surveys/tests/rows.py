"""A small dataset of responses with known figures."""

from __future__ import annotations

from firstline.surveys.models import Response
from firstline.surveys.tests.forms import survey_of

# (closed, impact, needs, district) × count
DATA = [
    ("yes", "high", ["tax"], "420103", 6),
    ("yes", "low", ["tax", "subsidy"], "420106", 2),
    ("no", "high", ["ppe"], "420106", 7),
    ("no", "mid", [], "420103", 1),
]


def answered_survey(world):
    survey = survey_of(world, audience="owners")
    rows = []
    n = 0
    for closed, impact, needs, district, count in DATA:
        for _ in range(count):
            n += 1
            answers = {"closed": closed, "impact": impact, "remarks": f"意见{n}"}
            if needs:
                answers["needs"] = needs
            if closed == "yes":
                answers["gates"] = n
            rows.append(
                Response(
                    association_id=world.association.pk,
                    survey=survey,
                    phone_digest=f"d{n}",
                    answers=answers,
                    district_code=district,
                    site_type="residential",
                )
            )
    Response.all_tenants.bulk_create(rows)
    return survey


def company_response_of(tenant):
    """The company survey of the world, answered by the tenant's company."""
    from firstline.surveys.services import responses

    survey = _company_survey(tenant)
    return responses.response_submit(
        actor=None, survey=survey, raw={"closed": "no", "impact": "low"}, company=tenant.company
    )


_SURVEYS: dict = {}


def _company_survey(tenant):
    from firstline.orgs.models import Membership
    from firstline.surveys.models import Survey

    association_id = Membership.objects.filter(company=tenant.company).values_list(
        "association_id", flat=True
    )[0]
    survey = (
        Survey.all_tenants.filter(association_id=association_id, audience="companies")
        .order_by("id")
        .first()
    )
    return survey

"""The owners' public link: a survey found by its secret token, and a site by the
signed token of its QR code. Public by design (no sign-in): only open owners'
surveys answer, and nothing of any response is read here."""

from __future__ import annotations

from django.core import signing

from firstline.estates.models import Site
from firstline.surveys.models import Question, Survey

SITE_SALT = "firstline.surveys.site"


def survey_by_token(token: str) -> Survey | None:
    return (
        Survey.all_tenants.filter(token=token, audience=Survey.Audience.OWNERS)
        .exclude(state=Survey.State.DRAFT)
        .first()
    )


def questions_of(survey: Survey) -> list[Question]:
    """A survey's questions in order (the survey was read in scope, or by its token)."""
    return list(Question.all_tenants.filter(survey=survey).order_by("position"))


def site_token(site: Site) -> str:
    return signing.Signer(salt=SITE_SALT).sign(f"{site.company_id}.{site.pk}")


def site_from_token(token: str) -> Site | None:
    try:
        company_id, site_id = (
            int(x) for x in signing.Signer(salt=SITE_SALT).unsign(token).split(".")
        )
    except (signing.BadSignature, ValueError):
        return None
    return (
        Site.all_tenants.select_related("community", "company__division")
        .filter(pk=site_id, company_id=company_id)
        .first()
    )


def site_from_pk(pk) -> Site | None:
    """The site a public respondent came from (its pk was put in the session from a
    verified site token)."""
    if not pk:
        return None
    return Site.all_tenants.select_related("community", "company__division").filter(pk=pk).first()


def site_link_path(survey: Survey, site: Site) -> str:
    """A site's own link to an owners' survey: the survey's token and the site's
    signed token, so the answers carry the site (and its district and type)."""
    from urllib.parse import quote

    from django.urls import reverse

    return f"{reverse('surveys:public', args=[survey.token])}?site={quote(site_token(site))}"


def member_sites(survey: Survey):
    """The sites of the survey's association's member companies, for the research
    group's page of site links and QR codes. Across tenants by design (Site has no
    association path): names, addresses and districts only are shown."""
    from firstline.orgs.models import Membership

    members = Membership.objects.filter(association_id=survey.association_id).values("company_id")
    return Site.all_tenants.filter(company_id__in=members)

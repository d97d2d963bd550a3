"""The demo's surveys (issue #19): the company survey of about 25 questions and the
owners' survey, uploaded as XLSForm and answered in bulk with the skip logic
respected; at demo scale 4,803 and 36,450 responses (a share in the tiny world)."""

import random

import pytest
from django.utils import timezone

from firstline.estates.models import Site
from firstline.scenario import surveys as demo
from firstline.surveys.models import Question, Response, Survey
from firstline.surveys.services import responses

pytestmark = pytest.mark.django_db


def test_demo_surveys_are_consistent(world):
    sites = list(Site.all_tenants.select_related("community"))
    report = demo.build_surveys(
        rng=random.Random(3),
        now=timezone.now(),
        sites=sites,
        company_responses=60,
        owner_responses=200,
    )
    assert report.counts == {"company_responses": 60, "owner_responses": 200, "surveys": 2}
    company = Survey.all_tenants.get(audience="companies")
    questions = list(Question.all_tenants.filter(survey=company).order_by("position"))
    assert 24 <= len(questions) <= 26
    # Every stored response is what the form's own rules would keep.
    for row in Response.all_tenants.filter(survey=company)[:60]:
        kept, errors = responses.clean(questions, row.answers)
        assert not errors, (row.answers, errors)
        assert kept == row.answers
    owner = Survey.all_tenants.get(audience="owners")
    assert (
        Response.all_tenants.filter(survey=owner).values("phone_digest").distinct().count() == 200
    )

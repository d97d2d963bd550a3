"""The demo's job fair (issue #22): the 25 March 2020 fair with 50+ verified
employers, ~300 graduates interviewed or given an offer, 1,000+ participants; the
first company's admin sees its applicants, graduate_1 its own invitation with two
free slots to pick. Built on the small test world (two member companies: the fair's
other employers are members made for it, as at the demo scale)."""

import random

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from firstline.core.roles import Role
from firstline.jobs.models import Application, Employer, Fair, Interview
from firstline.jobs.selectors.figures import fair_figures
from firstline.scenario.jobs import EMPLOYERS, GRADUATES, build_jobs
from firstline.testing.world import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_the_job_fair_world(world):
    graduate_1 = make_user("graduate_1", Role.GRADUATE, association=world.association)
    report = build_jobs(
        rng=random.Random(12),
        now=timezone.now(),
        association=world.association,
        companies=[world.a.company, world.b.company],
    )
    rows = report.figures()
    fair = Fair.all_tenants.get()
    figures = fair_figures(fair)
    assert figures["employers"] == rows["employers"] == EMPLOYERS
    assert figures["graduates"] == GRADUATES
    assert 280 <= rows["graduates_interviewed_or_offered"] <= 320
    assert figures["interviews"] == rows["interviews"] == Interview.all_tenants.count()
    assert figures["offers"] == rows["offers"] > 50
    assert figures["participants"] == rows["participants"] > 1000
    assert Employer.all_tenants.filter(company=world.a.company).exists()
    # graduate_1 is invited by the first company and has two free slots to pick
    mine = Application.all_tenants.get(graduate__user=graduate_1, state="invited")
    assert mine.company_id == world.a.company.pk
    client = Client()
    assert client.login(username="graduate_1", password=PASSWORD)
    response = client.get(reverse("jobs:my_application", args=[mine.pk]))
    assert response.status_code == 200 and len(response.context["slots"]) == 2
    client.logout()
    assert client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    listed = client.get("/api/v1/jobs/employer/applications").json()
    assert listed["count"] == Application.all_tenants.filter(company=world.a.company).count() > 0

"""The demo's training (issue #22) against the test world: three courses with lessons
and question banks, the first sites' staff enrolled with a month of progress, every
completed enrolment holding one certificate, two live sessions (one held with
attendance, one coming), and a site manager seeing the completions on the roster."""

import random

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from firstline.estates.models import Staff
from firstline.scenario.training import build_training
from firstline.testing.world import PASSWORD, World
from firstline.training.models import (
    Certificate,
    Course,
    Enrolment,
    LessonProgress,
    LiveSession,
    Registration,
)

pytestmark = pytest.mark.django_db


def test_the_training_world(world: World):
    for corner in (world.a, world.a.sibling, world.b):
        for n in range(3):
            Staff.all_tenants.create(
                company=corner.company, site=corner.site, name=f"员工{n}", position="cleaner"
            )
    now = timezone.now()
    report = build_training(
        rng=random.Random(11),
        now=now,
        association=world.association,
        companies=[world.a.company, world.b.company],
        sites=[world.a.site, world.a.sibling.site, world.b.site, world.b.sibling.site],
    )
    rows = report.figures()
    assert rows["courses"] == Course.objects.count() == 3
    assert Course.objects.filter(kind="frontline").count() == 2
    assert rows["enrolments"] == Enrolment.all_tenants.count() > 0
    completed = Enrolment.all_tenants.filter(state="completed")
    assert rows["completions"] == completed.count() == rows["certificates"]
    assert Certificate.all_tenants.count() == completed.count()
    assert not LessonProgress.all_tenants.filter(
        enrolment__in=completed, completed_at__isnull=True
    ).exists()
    assert not Enrolment.all_tenants.filter(created_at__gt=now).exists()
    assert LiveSession.objects.filter(ends_at__lt=now).count() == 1
    assert LiveSession.objects.filter(starts_at__gt=now).count() == 1
    assert Registration.all_tenants.filter(attended_at__isnull=False).exists()
    # The roster of a's first site shows its completions.
    done_here = completed.filter(site=world.a.site, course__kind="frontline").count()
    client = Client()
    assert client.login(username=world.a.users["site_manager"].username, password=PASSWORD)
    html = client.get(reverse("training:roster")).content.decode()
    assert html.count('data-testid="roster-done"') == done_here

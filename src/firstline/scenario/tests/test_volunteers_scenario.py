"""The demo's volunteers (issue #20): teams at the hospitals, a month of shifts and
hours, today's checks with a few reds taken off their next shifts, support tasks
handed over, kit drawn through the ledger, a reported zero of infections; the demo
volunteer logins see their own record and their team."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from firstline.estates.models import Site
from firstline.publishing.models import GuidePage
from firstline.scenario.world import DEMO_PASSWORD, ScaleOverride, build_world
from firstline.supplies.models import LedgerEntry
from firstline.volunteers.models import (
    Attendance,
    Certificate,
    Deployment,
    HealthCheck,
    InfectionReport,
    KitIssue,
    Shift,
    SupportTask,
    TaskType,
    Team,
    Volunteer,
)

TINY = ScaleOverride(companies=3, sites=30, residents=600, staff=150, batch=300)

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def world(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.VAR_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        return build_world(scale="demo", seed=1, size=TINY)


def test_the_volunteers_world(world):
    rows = next(s for s in world.steps if s.name == "volunteers").rows
    points = set(
        Site.all_tenants.filter(site_type__in=["hospital", "isolation"]).values_list(
            "pk", flat=True
        )
    )
    assert points, "the tiny world has a hospital"
    assert rows["volunteers"] == Volunteer.all_tenants.count() >= 12
    assert Volunteer.all_tenants.filter(state="pending").exists()
    approved = Volunteer.all_tenants.filter(state="approved")
    assert not approved.filter(team__isnull=True).exists()
    assert Team.all_tenants.filter(leader__isnull=True).count() == 0
    # Everyone on duty is at a hospital or isolation point, with shifts and hours.
    assert set(Deployment.all_tenants.values_list("site_id", flat=True)) <= points
    assert Deployment.all_tenants.filter(staff__isnull=False).exists()
    assert Attendance.all_tenants.filter(check_out_at__isnull=False, minutes__gt=400).exists()
    # Today's red checks took their people off the next shifts.
    today = timezone.localdate()
    reds = HealthCheck.all_tenants.filter(day=today, result="red")
    assert reds.count() == rows["health_checks_red"] > 0
    for check in reds:
        assert Shift.all_tenants.filter(deployment=check.deployment, state="removed").exists()
    # Support tasks handed over; kit traced to ledger entries; zero is reported.
    assert SupportTask.all_tenants.filter(state="done", receiver_name__gt="").exists()
    kit = KitIssue.all_tenants.first()
    assert kit is not None and kit.entries.exists()
    assert LedgerEntry.all_tenants.filter(pk__in=kit.entries.values("pk")).exists()
    assert InfectionReport.all_tenants.filter(day=today).exists()
    assert not InfectionReport.all_tenants.filter(infections__gt=0).exists()
    assert Certificate.objects.exists()
    # The support tasks' safety rules link to the public site's operation guides.
    assert set(TaskType.objects.values_list("guide_url", flat=True)) >= {
        GuidePage.objects.get(site_type="hospital").url
    }

    # The association's dashboard has the figures: its volunteers, hours, today's duty.
    coordinator = Client()
    assert coordinator.login(username="assoc_admin", password=DEMO_PASSWORD)
    card = coordinator.get(reverse("dashboard")).context["volunteers"]
    assert card["approved"] == approved.count() and card["teams"] == Team.all_tenants.count()
    assert card["hours"] > 0 and card["today"]["on_duty"] > 0
    assert card["today"]["infections"] == 0  # reported, not assumed

    # The demo logins: a team leader and a member of the team.
    leader = Client()
    assert leader.login(username="volunteer_1", password=DEMO_PASSWORD)
    mine = Volunteer.all_tenants.get(user__username="volunteer_1")
    team = Team.all_tenants.get(leader=mine)
    member = Volunteer.all_tenants.get(user__username="volunteer_2")
    assert member.team_id == team.pk
    assert leader.get(reverse("volunteers:me")).status_code == 200
    # The leader sees the team's members on the team page; a member's login reads
    # only its own record (the coordinators' pages are closed to it).
    assert member.name in leader.get(reverse("volunteers:my_team")).content.decode()
    other = Client()
    assert other.login(username="volunteer_2", password=DEMO_PASSWORD)
    assert other.get(reverse("volunteers:me")).status_code == 200
    assert other.get(mine.get_absolute_url()).status_code in (403, 404)

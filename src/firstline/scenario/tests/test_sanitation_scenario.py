"""The demo's disinfection data (issue #5): plans for every site of a guided type, a
month of tasks, device runs and overdue alerts, and work today for the demo logins."""

from datetime import timedelta

import pytest
from django.db.models import Count, F, Q
from django.utils import timezone

from firstline.estates.models import Site
from firstline.orgs.models import User
from firstline.orgs.selectors import scope_for_user
from firstline.sanitation.models import Area, DeviceRun, Guide, OverdueAlert, PlanEntry, Task
from firstline.sanitation.selectors import compliance
from firstline.sanitation.services.library import LIBRARY
from firstline.scenario.sanitation import DAYS
from firstline.scenario.world import ScaleOverride, build_world

TINY = ScaleOverride(companies=3, sites=10, residents=400, staff=60, batch=150)

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def world(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return build_world(scale="demo", seed=1, size=TINY)


def test_the_sanitation_world(world):
    check_the_step_runs_after_health_and_reports_its_rows(world)
    check_every_guided_site_has_areas_and_a_plan(world)
    check_a_month_of_history_mostly_done_some_late_some_missed(world)
    check_lift_lamps_completed_tasks_by_device_runs(world)
    check_overdue_alerts_open_today_seen_before(world)
    check_todays_tasks_for_the_demo_cleaner_and_a_figure_for_the_manager(world)


def check_the_step_runs_after_health_and_reports_its_rows(world):
    names = [s.name for s in world.steps]
    step = world.steps[names.index("sanitation")]
    assert names[names.index("health") + 1] == "sanitation"
    assert step.rows["tasks"] == Task.all_tenants.count()
    assert step.rows["overdue_alerts"] == OverdueAlert.all_tenants.count()
    assert step.rows["guides"] == len(LIBRARY) == Guide.objects.filter(current=True).count()


def check_every_guided_site_has_areas_and_a_plan(world):
    guided = Site.all_tenants.filter(site_type__in=list(LIBRARY))
    planned = set(PlanEntry.all_tenants.filter(active=True).values_list("site_id", flat=True))
    assert set(guided.values_list("pk", flat=True)) == planned
    kinds = set(Area.all_tenants.values_list("kind", flat=True))
    assert {"lift", "lobby", "stairwell", "garbage", "car_park", "parcel_room"} <= kinds
    for site_type in ("office", "hospital"):
        site_kinds = set(
            Area.all_tenants.filter(site__site_type=site_type).values_list("kind", flat=True)
        )
        assert {"toilet", "canteen", "hvac"} <= site_kinds, site_type
    # Every row belongs to its site's company.
    for model in (Area, PlanEntry, Task, OverdueAlert):
        assert not model.all_tenants.exclude(company_id=F("site__company_id")).exists(), model
    assert not Task.all_tenants.exclude(area_id=F("entry__area_id")).exists()


def check_a_month_of_history_mostly_done_some_late_some_missed(world):
    today = timezone.localdate()
    days = set(Task.all_tenants.values_list("day", flat=True))
    assert min(days) == today - timedelta(days=DAYS - 1) and max(days) == today
    past = Task.all_tenants.filter(day__lt=today).aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(state="done")),
        late=Count("id", filter=Q(state="done", done_at__gt=F("due_at"))),
        missed=Count("id", filter=Q(state="pending")),
    )
    assert 0.80 <= past["done"] / past["total"] <= 0.99
    assert 0.03 <= past["late"] / past["done"] <= 0.20
    assert past["missed"] == past["total"] - past["done"]  # a past day keeps nothing pending
    now = timezone.now()
    assert not Task.all_tenants.filter(done_at__gt=now).exists()
    assert not Task.all_tenants.filter(day__lt=today, due_at__gt=now).exists()


def check_lift_lamps_completed_tasks_by_device_runs(world):
    by_device = Task.all_tenants.filter(source="device")
    assert by_device.exists()
    assert not by_device.exclude(area__kind="lift").exists()
    assert not by_device.filter(device__isnull=True).exists()
    assert DeviceRun.all_tenants.count() == by_device.count()
    assert not by_device.exclude(device_id=F("area__device_id")).exists()


def check_overdue_alerts_open_today_seen_before(world):
    today = timezone.localdate()
    alerts = OverdueAlert.all_tenants
    assert alerts.count() >= 1
    assert not alerts.exclude(task__state="pending").exists()
    assert not alerts.filter(task__day__lt=today, acknowledged_at__isnull=True).exists()
    # Every missed task of a past day had its alert.
    missed = Task.all_tenants.filter(day__lt=today, state="pending")
    assert missed.count() == alerts.filter(task__day__lt=today).count()


def check_todays_tasks_for_the_demo_cleaner_and_a_figure_for_the_manager(world):
    today = timezone.localdate()
    cleaner = User.objects.get(username="cleaner_1")
    scope = scope_for_user(cleaner).for_perm("sanitation.view_task")
    mine = Task.objects.for_scope(scope).filter(day=today).exclude(state="cancelled")
    assert mine.exists()
    site_id = mine.values_list("site_id", flat=True).first()
    now = timezone.now()
    due_open = mine.filter(state="pending", due_at__lte=now).count()
    upcoming = mine.filter(state="pending", due_at__gt=now).count()
    assert due_open + upcoming > 0  # something to do, overdue or ahead
    manager = User.objects.get(username="manager_1")
    tasks = Task.objects.for_scope(scope_for_user(manager).for_perm("sanitation.view_compliance"))
    figures = compliance.by_site_day(tasks, start=today - timedelta(days=DAYS - 1), end=today)
    past = [f for (s, d), f in figures.items() if s == site_id and d < today]
    assert len(past) == DAYS - 1 and all(f.percent is not None for f in past)

"""The demo's 30 days of reports (issue #6): every site every day, figures equal to
the records, most on time, some late, a few missing, and work for manager_1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from firstline.estates.models import Site
from firstline.reports.models import FIGURES, DailyReport
from firstline.reports.tests.records import expected
from firstline.scenario.reports import DAYS
from firstline.scenario.world import ScaleOverride, build_world

TINY = ScaleOverride(companies=3, sites=10, residents=400, staff=60, batch=150)

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def world(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return build_world(scale="demo", seed=1, size=TINY)


def test_the_reports_world(world):
    names = [s.name for s in world.steps]
    step = world.steps[names.index("reports")]
    assert step.rows["daily_reports"] == DailyReport.all_tenants.count()
    sites = list(Site.all_tenants.order_by("id").values_list("id", flat=True))
    today = timezone.localdate()
    days = {today - timedelta(days=i) for i in range(DAYS)}
    pairs = set(DailyReport.all_tenants.values_list("site_id", "day"))
    assert pairs == {(s, d) for s in sites for d in days}

    past = DailyReport.all_tenants.filter(day__lt=today)
    submitted = past.filter(state="submitted")
    assert submitted.count() > 0.8 * past.count()
    assert 0 < submitted.filter(late=True).count() < 0.2 * past.count()
    assert not DailyReport.all_tenants.filter(day=today, state="submitted").exists()
    assert all(r.submitted_at > r.due_at for r in submitted.filter(late=True))
    assert all(r.submitted_at <= r.due_at for r in submitted.filter(late=False))
    assert step.rows["reports_late"] == submitted.filter(late=True).count()

    # manager_1's site (the first of the world's plans) has yesterday's report to do
    from firstline.orgs.models import RoleAssignment

    site_id = RoleAssignment.objects.get(user__username="manager_1").site_id
    yesterday = DailyReport.all_tenants.get(site_id=site_id, day=today - timedelta(days=1))
    assert yesterday.state == "draft"

    # the figures equal the records (figures of a day long past do not move with `now`)
    # (office and commercial buildings excepted: the resumption step, after the reports
    # step, adds their tenants' staff and three days of their gate events)
    from firstline.resumption.models import Tenant

    sample = (
        DailyReport.all_tenants.filter(day=today - timedelta(days=3))
        .exclude(site_id__in=Tenant.all_tenants.values("site_id"))
        .order_by("site_id")[:4]
    )
    for report in sample:
        want = expected(report.site_id, report.day, timezone.now())
        assert {n: getattr(report, n) for n in FIGURES} == {n: want[n] for n in FIGURES}
    assert DailyReport.all_tenants.filter(entries__gt=0).exists()
    assert DailyReport.all_tenants.filter(declarations__gt=0).exists()
    assert DailyReport.all_tenants.filter(sanitation_due__gt=0).exists()

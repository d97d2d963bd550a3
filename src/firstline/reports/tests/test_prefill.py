"""Every figure of a report equals a direct count over the records it summarises,
for each site, and the prefill costs the same number of queries for 2 sites or 12."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from firstline.estates.models import Site
from firstline.reports.models import FIGURES, DailyReport
from firstline.reports.selectors.prefill import figures_compute
from firstline.reports.services.daily import report_cutoff, reports_prefill
from firstline.reports.tests.records import at, expected, furnish, stock

DAY = timezone.localdate() - timedelta(days=2)
NOW = at(DAY, 15)  # mid-afternoon of the day: tasks due later and not done are not counted


@pytest.fixture
def furnished(world):
    furnish(world, world.a, DAY, seed=1)
    furnish(world, world.b, DAY, seed=2)
    stock(world, world.a, {"N95-01": 120, "GLOVE-01": 30})
    return world


def test_every_figure_equals_the_direct_count(furnished):
    world = furnished
    sites = [world.a.site.pk, world.b.site.pk]
    figures = figures_compute(DAY, sites, now=NOW)
    for pk in sites:
        want = expected(pk, DAY, NOW)
        for name in FIGURES:
            assert figures[pk][name] == want[name], (pk, name)
        assert figures[pk]["stock"] == want["stock"]
    # The records are varied enough that the figures are not all zero or all alike.
    a = figures[world.a.site.pk]
    assert all(a[name] for name in ("entries", "exits", "denied", "referred", "fevers"))
    assert all(a[name] for name in ("isolation_new", "isolation_active", "isolation_released"))
    assert a["stock"] == {"N95-01": 120, "GLOVE-01": 30}
    assert figures[world.b.site.pk]["stock"] == {}
    assert a != figures[world.b.site.pk]


def test_the_stored_report_has_the_same_figures(furnished):
    world = furnished
    assert reports_prefill(day=DAY, now=NOW) == 4  # the world's four sites
    for tenant in (world.a, world.b):
        report = DailyReport.all_tenants.get(site=tenant.site, day=DAY)
        want = expected(tenant.site.pk, DAY, NOW)
        assert {name: getattr(report, name) for name in FIGURES} == {n: want[n] for n in FIGURES}
        assert report.stock == want["stock"]
        assert report.state == DailyReport.State.DRAFT
        assert report.division_code == tenant.site.community.code
        assert report.due_at == report_cutoff(DAY)
        assert report.company_id == tenant.company.pk


def test_a_site_with_no_records_has_zeros(world):
    figures = figures_compute(DAY, [world.a.site.pk], now=NOW)[world.a.site.pk]
    assert figures["residents"] == 2 and figures["households"] == 1
    assert figures["staff_on_duty"] == 1
    assert all(figures[name] == 0 for name in FIGURES[2:-1])


def _more_sites(world, n: int) -> None:
    for i in range(n):
        Site.all_tenants.create(
            company=world.a.company, name=f"扩展{i}", community=world.a.site.community
        )


def test_query_count_does_not_grow_with_sites(world, django_assert_num_queries):
    with django_assert_num_queries(QUERIES_COMPUTE):
        figures_compute(DAY, [world.a.site.pk, world.b.site.pk], now=NOW)
    _more_sites(world, 10)
    ids = list(Site.all_tenants.values_list("id", flat=True))
    assert len(ids) == 14  # the world's four and ten more
    with django_assert_num_queries(QUERIES_COMPUTE):
        figures_compute(DAY, ids, now=NOW)


def test_prefill_query_count_does_not_grow_with_sites(world, django_assert_num_queries):
    # sites, existing rows, the figures, one insert (all new), and the transaction's
    # savepoint and release (the test itself runs in a transaction)
    with django_assert_num_queries(QUERIES_COMPUTE + 2 + 1 + 2):
        reports_prefill(day=DAY, now=NOW)
    _more_sites(world, 10)
    # now 4 existing (one update) and 10 new (one insert)
    with django_assert_num_queries(QUERIES_COMPUTE + 2 + 2 + 2):
        reports_prefill(day=DAY, now=NOW)
    assert DailyReport.all_tenants.filter(day=DAY).count() == 14


# residents, households, staff, gate events, fevers, health (8), sanitation, stock
QUERIES_COMPUTE = 3 + 1 + 1 + 8 + 1 + 1

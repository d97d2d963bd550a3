"""The command centre's feed: one UNION over three alert tables, scoped per table,
masked for authorities, newest first, with `since` and `before` cursors, and a query
count that does not grow with the rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from firstline.health.models import HealthAlert
from firstline.orgs.selectors import scope_for_user
from firstline.reports.selectors import feed
from firstline.reports.selectors.feed import FeedFilter
from firstline.reports.tests.alerts import gate_alert, health_alert, one_of_each, overdue_alert

pytestmark = pytest.mark.django_db


def keys(page):
    return [(row["source"], row["id"]) for row in page.rows]


def page_for(user, **filters):
    return feed.feed_page(scope_for_user(user), FeedFilter.parse(filters))


def test_manager_sees_own_company_alerts_of_all_three_sources_newest_first(world):
    a = one_of_each(world.a)
    one_of_each(world.b)
    page = page_for(world.a.users["site_manager"])
    assert keys(page) == [("sanitation", a[2].pk), ("health", a[1].pk), ("access", a[0].pk)]
    assert {row["company_id"] for row in page.rows} == {world.a.company.pk}
    gate = page.rows[2]
    assert gate["message"] == a[0].message
    assert gate["site_name"] == world.a.site.name
    assert gate["kind_label"] == "体温异常"
    assert not page.masked


def test_health_officer_gets_no_sanitation_part(world):
    a = one_of_each(world.a)
    page = page_for(world.a.users["health_officer"])
    assert keys(page) == [("health", a[1].pk), ("access", a[0].pk)]


def test_user_without_alert_permissions_sees_nothing(world):
    one_of_each(world.a)
    assert page_for(world.a.users["guard"]).rows == []
    assert page_for(world.users["no_role"]).rows == []


def test_authority_sees_its_division_without_messages(world):
    a = one_of_each(world.a)  # 420103
    one_of_each(world.b)  # 420106
    page = page_for(world.users["authority_viewer"])
    assert page.masked
    assert keys(page) == [("sanitation", a[2].pk), ("health", a[1].pk), ("access", a[0].pk)]
    assert {row["message"] for row in page.rows} == {""}
    assert all(world.a.residents[0].name not in str(row) for row in page.rows)


def test_filters_open_kind_site_district(world):
    a = one_of_each(world.a)
    HealthAlert.all_tenants.filter(pk=a[1].pk).update(acknowledged_at=timezone.now())
    manager = world.a.users["company_admin"]
    assert keys(page_for(manager)) == [("sanitation", a[2].pk), ("access", a[0].pk)]
    assert len(page_for(manager, state="all").rows) == 3
    assert keys(page_for(manager, state="all", kind="health:missed_check")) == [("health", a[1].pk)]
    assert keys(page_for(manager, kind="sanitation:overdue")) == [("sanitation", a[2].pk)]
    assert page_for(manager, kind="health:fever").rows == []
    assert len(page_for(manager, site=str(world.a.site.pk)).rows) == 2
    assert page_for(manager, site=str(world.b.site.pk)).rows == []
    assert len(page_for(manager, district="420103").rows) == 2
    assert page_for(manager, district="420106").rows == []


def test_bad_filters_name_their_field():
    with pytest.raises(ValidationError) as exc:
        FeedFilter.parse({"state": "x", "kind": "nope", "site": "a", "since": "yesterday"})
    assert set(exc.value.message_dict) == {"state", "kind", "site", "since"}


def test_since_keeps_only_newer_and_marks_them_new(world):
    start = timezone.now() - timedelta(hours=2)
    old = gate_alert(world.a, created_at=start)
    new = health_alert(world.a, created_at=start + timedelta(hours=1))
    manager = world.a.users["site_manager"]
    page = page_for(manager, since=(start + timedelta(minutes=30)).isoformat())
    assert keys(page) == [("health", new.pk)]
    assert page.rows[0]["is_new"]
    assert page.newest == new.created_at
    assert old.pk  # the older one is left out


def test_before_cursor_pages_through_ties_without_loss_or_repeat(world):
    at = timezone.now() - timedelta(hours=1)
    made = [gate_alert(world.a, created_at=at) for _ in range(3)]
    made += [health_alert(world.a, created_at=at) for _ in range(3)]
    made += [overdue_alert(world.a, created_at=at) for _ in range(2)]
    scope = scope_for_user(world.a.users["site_manager"])
    seen, before = [], ""
    while True:
        page = feed.feed_page(scope, FeedFilter.parse({"before": before}), size=3)
        seen += keys(page)
        if not page.has_more:
            break
        before = page.next_before
    expected = sorted(((type(m).__module__.split(".")[1], m.pk) for m in made), reverse=True)
    assert seen == expected


@pytest.mark.parametrize("per_source", [1, 6])
def test_feed_query_count_is_fixed(world, per_source, django_assert_num_queries):
    start = timezone.now() - timedelta(hours=3)
    for i in range(per_source):
        one_of_each(world.a, start=start + timedelta(minutes=5 * i))
    a = world.a.users["company_admin"]
    from firstline.health.models import HealthAlert as H

    H.all_tenants.filter(company=world.a.company).update(assigned_to=a)
    scope = scope_for_user(a)
    # the union, the page's site names, the assignees' names
    with django_assert_num_queries(3):
        page = feed.feed_page(scope, FeedFilter())
    assert len(page.rows) == 3 * per_source
    assert {row["assigned_to_name"] for row in page.rows if row["source"] == "health"} == {
        a.display_name
    }


def test_open_counts_one_query_per_kind(world, django_assert_num_queries):
    one_of_each(world.a)
    health_alert(world.a, kind=HealthAlert.Kind.FEVER)
    one_of_each(world.b)
    scope = scope_for_user(world.a.users["site_manager"])
    with django_assert_num_queries(1):
        counts = {c["key"]: c["count"] for c in feed.open_counts(scope)}
    assert counts["access:fever"] == 1
    assert counts["health:missed_check"] == 1
    assert counts["health:fever"] == 1
    assert counts["health:urgent_support"] == 0
    assert counts["sanitation:overdue"] == 1


def test_open_counts_of_authority_cover_its_division_only(world):
    one_of_each(world.a)
    one_of_each(world.b)
    overdue_alert(world.b)
    counts = {
        c["key"]: c["count"]
        for c in feed.open_counts(scope_for_user(world.users["authority_viewer"]))
    }
    assert counts["sanitation:overdue"] == 1
    assert counts["access:fever"] == 1

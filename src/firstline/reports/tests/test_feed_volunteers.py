"""The command centre shows the safety of people on duty (issue #20): a red daily
check or an overdue support task, raised by the volunteers app, is in the feed and
its counts for the site's manager, can be acknowledged there, and never reaches
another company."""

from __future__ import annotations

import pytest
from django.http import Http404

from firstline.orgs.selectors import scope_for_user
from firstline.reports.selectors import feed
from firstline.reports.selectors.feed import FeedFilter
from firstline.reports.services import command
from firstline.volunteers.models import SafetyAlert

pytestmark = pytest.mark.django_db


def safety_alert(tenant, kind=SafetyAlert.Kind.RED_CHECK) -> SafetyAlert:
    return SafetyAlert.all_tenants.create(
        company=tenant.company,
        site=tenant.site,
        kind=kind,
        message="王某 体温 37.8，已撤下后续班次",
    )


def test_a_staff_red_is_in_the_managers_feed_and_counts_not_in_another_company(world):
    mine = safety_alert(world.a)
    safety_alert(world.b, kind=SafetyAlert.Kind.TASK_OVERDUE)
    manager = world.a.users["site_manager"]
    page = feed.feed_page(scope_for_user(manager), FeedFilter.parse({}))
    rows = [(r["source"], r["id"], str(r["kind_label"])) for r in page.rows]
    assert rows == [("volunteers", mine.pk, "在岗人员健康异常")]
    counts = {c["key"]: c["count"] for c in feed.open_counts(scope_for_user(manager))}
    assert counts["volunteers:red_check"] == 1 and counts["volunteers:task_overdue"] == 0
    only = feed.feed_page(
        scope_for_user(manager), FeedFilter.parse({"kind": "volunteers:task_overdue"})
    )
    assert only.rows == []


def test_the_manager_acknowledges_it_and_the_other_company_cannot(world):
    mine = safety_alert(world.a)
    other = world.b.users["site_manager"]
    with pytest.raises(Http404):  # not in b's scope: as if it did not exist
        command.alert_ack(
            actor=other, scope=scope_for_user(other), source="volunteers", alert_id=mine.pk
        )
    manager = world.a.users["site_manager"]
    assert command.alert_ack(
        actor=manager, scope=scope_for_user(manager), source="volunteers", alert_id=mine.pk
    )
    mine.refresh_from_db()
    assert mine.acknowledged_at is not None

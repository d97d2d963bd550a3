"""The command-centre page, its polled fragment and the htmx actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from firstline.access.models import Alert
from firstline.health.models import HealthAlert
from firstline.reports.tests.alerts import gate_alert, health_alert, one_of_each

pytestmark = pytest.mark.django_db


def test_page_shows_counts_feed_and_actions(client, world):
    a = one_of_each(world.a)
    one_of_each(world.b)
    client.force_login(world.a.users["site_manager"])
    response = client.get(reverse("reports:command"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 5s"' in html
    assert reverse("reports:command_feed") in html
    assert a[0].message in html
    assert world.b.site.name not in html
    assert html.count('data-testid="command-row"') == 3
    assert html.count('data-testid="command-ack"') == 3
    assert world.a.users["guard"].display_name in html  # assignable
    counts = {c["key"]: c["count"] for c in response.context["counts"]}
    assert counts["access:fever"] == 1
    assert '<script src="/static/reports/command.js"' in html


def test_authority_page_has_no_messages_and_no_actions(client, world):
    a = one_of_each(world.a)
    client.force_login(world.users["authority_viewer"])
    html = client.get(reverse("reports:command")).content.decode()
    assert html.count('data-testid="command-row"') == 3
    assert a[0].message not in html and world.a.residents[0].name not in html
    assert 'data-testid="command-ack"' not in html
    assert 'data-testid="command-assignee"' not in html


def test_roles_without_command_are_refused(client, world):
    for user in (world.a.users["guard"], world.users["association_admin"]):
        client.force_login(user)
        assert client.get(reverse("reports:command")).status_code == 403


def test_fragment_highlights_rows_newer_than_since(client, world):
    start = timezone.now() - timedelta(hours=1)
    gate_alert(world.a, created_at=start)
    new = health_alert(world.a, created_at=start + timedelta(minutes=10))
    client.force_login(world.a.users["site_manager"])
    response = client.get(
        reverse("reports:command_feed"), {"since": (start + timedelta(minutes=5)).isoformat()}
    )
    html = response.content.decode()
    assert html.count("fl-new") == 1
    assert f'data-key="health-{new.pk}"' in html
    # the fragment re-arms its poll from the newest row it shows
    assert "since=" in html


def test_ack_and_assign_through_the_page(client, world):
    alert = gate_alert(world.a)
    client.force_login(world.a.users["site_manager"])
    response = client.post(
        reverse("reports:command_ack", args=[alert.pk]), {"source": "access", "state": "all"}
    )
    assert response.status_code == 200
    assert Alert.all_tenants.get(pk=alert.pk).acknowledged_at is not None
    guard = world.a.users["guard"]
    response = client.post(
        reverse("reports:command_assign", args=[alert.pk]),
        {"source": "access", "assignee": guard.pk, "state": "all"},
    )
    assert response.status_code == 200
    assert Alert.all_tenants.get(pk=alert.pk).assigned_to_id == guard.pk
    assert guard.display_name in response.content.decode()


def test_assign_outside_the_site_shows_the_error(client, world):
    alert = health_alert(world.a)
    client.force_login(world.a.users["site_manager"])
    response = client.post(
        reverse("reports:command_assign", args=[alert.pk]),
        {"source": "health", "assignee": world.b.users["guard"].pk},
    )
    assert response.status_code == 200
    assert "处理人必须是该项目或所属企业的工作人员" in response.content.decode()
    assert HealthAlert.all_tenants.get(pk=alert.pk).assigned_to_id is None


@pytest.mark.parametrize("per_source", [1, 5])
def test_page_query_count_is_fixed(client, world, per_source, django_assert_num_queries):
    start = timezone.now() - timedelta(hours=2)
    for i in range(per_source):
        one_of_each(world.a, start=start + timedelta(minutes=5 * i))
    client.force_login(world.a.users["site_manager"])
    # session, user, scope; the feed, its site names, assignable users; the pickers'
    # sites and divisions; the counts
    with django_assert_num_queries(3 + 3 + 2 + 1):
        response = client.get(reverse("reports:command"))
    assert len(response.context["rows"]) == 3 * per_source


def test_api_feed_since_and_actions(client, world):
    start = timezone.now() - timedelta(hours=1)
    old = gate_alert(world.a, created_at=start)
    client.force_login(world.a.users["health_officer"])
    body = client.get("/api/v1/reports/alerts").json()
    assert [(i["source"], i["id"]) for i in body["items"]] == [("access", old.pk)]
    since = body["since"]
    assert client.get("/api/v1/reports/alerts", {"since": since}).json()["items"] == []
    new = health_alert(world.a, created_at=start + timedelta(minutes=30))
    items = client.get("/api/v1/reports/alerts", {"since": since}).json()["items"]
    assert [(i["source"], i["id"]) for i in items] == [("health", new.pk)]
    response = client.get("/api/v1/reports/alerts", {"kind": "x"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"type": "value_error", "loc": ["query", "kind"], "msg": "没有这种告警类型。"}
    ]

    url = f"/api/v1/reports/alerts/health/{new.pk}/assign"
    response = client.post(
        url, {"assignee_id": world.b.users["guard"].pk}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "payload", "assignee_id"],
            "msg": "处理人必须是该项目或所属企业的工作人员。",
        }
    ]
    # located where ninja locates a schema error of the same field
    response = client.post(url, {"assignee_id": "x"}, content_type="application/json")
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "payload", "assignee_id"]]
    guard = world.a.users["guard"]
    response = client.post(url, {"assignee_id": guard.pk}, content_type="application/json")
    assert response.json() == {"source": "health", "id": new.pk, "changed": True}
    response = client.post(f"/api/v1/reports/alerts/health/{new.pk}/ack")
    assert response.json()["changed"] is True
    row = HealthAlert.all_tenants.get(pk=new.pk)
    assert row.assigned_to_id == guard.pk and row.acknowledged_at is not None


def test_api_authority_gets_no_messages(client, world):
    one_of_each(world.a)
    one_of_each(world.b)
    client.force_login(world.users["authority_viewer"])
    items = client.get("/api/v1/reports/alerts").json()["items"]
    assert len(items) == 3
    assert {i["message"] for i in items} == {""}
    assert {i["company_id"] for i in items} == {world.a.company.pk}
    alert = Alert.all_tenants.get(company=world.a.company)
    assert client.post(f"/api/v1/reports/alerts/access/{alert.pk}/ack").status_code == 403


def test_filters_pick_from_the_callers_sites_and_divisions(client, world):
    one_of_each(world.a)
    one_of_each(world.b)
    client.force_login(world.a.users["company_admin"])
    response = client.get(reverse("reports:command"))
    html = response.content.decode()
    assert response.context["site_choices"] == sorted(
        [
            (world.a.site.pk, world.a.site.name),
            (world.a.sibling.site.pk, world.a.sibling.site.name),
        ],
        key=lambda s: (s[1], s[0]),
    )
    assert world.b.site.name not in html
    codes = [code for code, _label in response.context["division_choices"]]
    # a's sites lie in 江汉区 (民族街道) and 武昌区 (中华路街道); b's street is not offered.
    assert codes == ["420103", "420103001", "420106", "420106002"]
    assert "江汉区 · 民族街道" in html
    assert 'name="site" type="number"' not in html and 'data-testid="command-site"' in html
    # The query parameters are the same: a picked site filters the feed as before.
    picked = client.get(reverse("reports:command"), {"site": world.a.site.pk})
    assert len(picked.context["rows"]) == 3
    assert f'<option value="{world.a.site.pk}" selected>' in picked.content.decode()


def test_another_companys_site_in_the_url_shows_nothing_of_it(client, world):
    one_of_each(world.a)
    b_alerts = one_of_each(world.b)
    client.force_login(world.a.users["site_manager"])
    response = client.get(reverse("reports:command"), {"site": world.b.site.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["rows"] == []
    assert response.context["site_choices"] == [(world.a.site.pk, world.a.site.name)]
    assert world.b.site.name not in html and b_alerts[0].message not in html
    feed = client.get(reverse("reports:command_feed"), {"site": world.b.site.pk})
    assert world.b.site.name not in feed.content.decode()


def test_an_authority_picks_among_its_divisions_sites_only(client, world):
    client.force_login(world.users["authority_viewer"])  # 江汉区: a's first site only
    response = client.get(reverse("reports:command"))
    assert response.context["site_choices"] == [(world.a.site.pk, world.a.site.name)]
    assert [c for c, _l in response.context["division_choices"]] == ["420103", "420103001"]

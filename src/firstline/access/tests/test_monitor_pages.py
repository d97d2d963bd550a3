"""The gate's monitoring pages: the live log, the denied and referred lists, the day's
statistics and quota use, the export, alerts and follow-ups."""

import csv
import io
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from firstline.access.models import AccessEvent, Alert, AuditAction, FollowUp
from firstline.access.services import gate, monitor
from firstline.access.services.gate import GateInput
from firstline.core.models import AuditAction as CoreAuditAction
from firstline.core.models import AuditEvent
from firstline.core.personal.fields import get_personal
from firstline.testing.world import PASSWORD, make_id_number, make_resident

ZONE = timezone.get_default_timezone()


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def local(day: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), tzinfo=ZONE)


def publish(site, *, since: datetime, window: bool = True):
    """A closed policy: one outing per household every 2 days, 37.3 ℃, and outings
    only 06:00–20:00 unless `window` is off (tests that run at any hour)."""
    return gate.policy_publish(
        actor=None,
        site=site,
        data={
            "mode": "closed",
            "outing_quota": 1,
            "outing_period_days": 2,
            "temperature_threshold": Decimal("37.3"),
            "effective_from": since,
            **({"outing_window_start": time(6), "outing_window_end": time(20)} if window else {}),
        },
    )


def record(site, resident, at: datetime, direction: str, temperature: str | None = None):
    [result] = gate.events_record(
        site=site,
        inputs=[
            GateInput(
                client_uuid=uuid.uuid4(),
                direction=direction,
                device_time=at,
                resident_id=resident.pk,
                temperature=Decimal(temperature) if temperature else None,
            )
        ],
    )
    return result


@pytest.fixture
def fever(world):
    """Company a's first resident comes home at 38.2 ℃ under a closed policy."""
    site = world.a.site
    publish(site, since=timezone.now() - timedelta(days=1), window=False)
    result = record(site, world.a.residents[0], timezone.now(), "in", "38.2")
    assert result.decision == "refer"
    return result


# --- alerts ---------------------------------------------------------------------------------


def test_a_fever_shows_in_the_site_managers_alerts_and_is_acknowledged_once(client, world, fever):
    manager = world.a.users["site_manager"]
    login(client, manager)

    page = client.get(reverse("access:alert_list"))
    [alert] = page.context["object_list"]
    assert (alert.event_id, alert.message, alert.acknowledged_at) == (
        fever.event_id,
        "a张伟 38.2℃",
        None,
    )
    assert "a张伟 38.2℃" in page.content.decode()
    assert (
        f'hx-get="{reverse("access:alert_badge")}"' in page.content.decode()
    )  # the badge in the navigation
    assert client.get(reverse("access:alert_badge")).content.decode().count(">1</span>") == 1

    first = client.post(reverse("access:alert_ack", args=[alert.pk]), HTTP_HX_REQUEST="true")
    acknowledged = Alert.all_tenants.get(pk=alert.pk)
    second = client.post(reverse("access:alert_ack", args=[alert.pk]), HTTP_HX_REQUEST="true")

    assert (first.status_code, second.status_code) == (200, 200)
    assert (
        acknowledged.acknowledged_by_id == manager.pk and acknowledged.acknowledged_at is not None
    )
    assert Alert.all_tenants.get(pk=alert.pk).acknowledged_at == acknowledged.acknowledged_at
    assert (
        AuditEvent.objects.filter(
            action=CoreAuditAction.ALERT_ACKNOWLEDGE, object_id=str(alert.pk)
        ).count()
        == 1
    )
    assert "确认" in first.content.decode() and "hx-post" not in first.content.decode()
    assert first["HX-Trigger"] == "fl:alerts-changed"  # the badge in the navigation counts again
    assert client.get(reverse("access:alert_badge")).content.decode().strip() == ""


def test_open_alerts_come_first(client, world, fever):
    later = record(world.a.site, world.a.residents[1], timezone.now(), "in", "37.9")
    newest = Alert.all_tenants.get(event_id=later.event_id)
    monitor.alert_acknowledge(actor=None, alert=newest)
    login(client, world.a.users["company_admin"])
    rows = client.get(reverse("access:alert_list")).context["object_list"]
    assert [a.event_id for a in rows] == [fever.event_id, later.event_id]
    only_open = client.get(reverse("access:alert_list"), {"state": "open"}).context["object_list"]
    assert [a.event_id for a in only_open] == [fever.event_id]


def test_the_guard_cannot_acknowledge(client, world, fever):
    alert = Alert.all_tenants.get()
    login(client, world.a.users["guard"])
    assert client.post(reverse("access:alert_ack", args=[alert.pk])).status_code == 403
    assert Alert.all_tenants.get().acknowledged_at is None


# --- follow-ups -----------------------------------------------------------------------------


def test_the_health_officer_records_an_outcome_once(client, world, fever):
    officer = world.a.users["health_officer"]
    login(client, officer)
    page = client.get(reverse("access:followup_list"))
    [item] = page.context["object_list"]
    resident = world.a.residents[0]
    html = page.content.decode()
    assert (item.event_id, item.status, item.reason) == (fever.event_id, "open", "门岗测温 38.2℃")
    assert resident.phone_masked in html and get_personal(resident, "phone") not in html

    url = reverse("access:followup_done", args=[item.pk])
    empty = client.post(url, {"outcome": "  "}, HTTP_HX_REQUEST="true")
    assert FollowUp.all_tenants.get().status == "open"
    assert "is-invalid" in empty.content.decode()

    done = client.post(url, {"outcome": "复测 36.7℃，已电话随访"}, HTTP_HX_REQUEST="true")
    again = client.post(url, {"outcome": "第二次点击"}, HTTP_HX_REQUEST="true")

    row = FollowUp.all_tenants.get()
    assert (done.status_code, again.status_code) == (200, 200)
    assert (row.status, row.outcome) == ("done", "复测 36.7℃，已电话随访")
    assert (
        AuditEvent.objects.filter(action=AuditAction.FOLLOWUP_CLOSE, object_id=str(row.pk)).count()
        == 1
    )
    assert list(client.get(reverse("access:followup_list")).context["object_list"]) == []
    assert [
        f.pk
        for f in client.get(reverse("access:followup_list"), {"state": "done"}).context[
            "object_list"
        ]
    ] == [row.pk]


def test_alert_and_follow_up_lists_filter_by_site_of_the_scope_only(client, world, fever):
    login(client, world.a.users["company_admin"])
    for name in ("access:alert_list", "access:followup_list"):
        assert len(client.get(reverse(name), {"site": world.a.site.pk}).context["object_list"]) == 1
        for outside in (world.b.site.pk, "99999999999999999999999", "x"):
            assert client.get(reverse(name), {"site": outside}).status_code == 404


def test_another_sites_health_officer_sees_nothing(client, world, fever):
    login(client, world.b.users["health_officer"])
    assert list(client.get(reverse("access:followup_list")).context["object_list"]) == []
    item = FollowUp.all_tenants.get()
    assert (
        client.post(reverse("access:followup_done", args=[item.pk]), {"outcome": "x"}).status_code
        == 404
    )
    assert FollowUp.all_tenants.get().status == "open"


# --- the log and the denied list ------------------------------------------------------------------


def test_log_lists_newest_first_and_filters(client, world, fever):
    site, (r0, r1) = world.a.site, world.a.residents
    now = timezone.now()
    out = record(site, r1, now - timedelta(minutes=3), "out")
    denied = record(site, r0, now - timedelta(minutes=2), "out")
    login(client, world.a.users["guard"])

    rows = client.get(reverse("access:log"), {"day": ""}).context["object_list"]
    assert [e.pk for e in rows] == [fever.event_id, denied.event_id, out.event_id]
    assert (out.decision, denied.decision) == ("admit", "deny")

    only_out = client.get(reverse("access:log"), {"direction": "out", "day": ""}).context[
        "object_list"
    ]
    assert [e.pk for e in only_out] == [denied.event_id, out.event_id]
    by_name = client.get(reverse("access:log"), {"q": r1.name, "day": ""}).context["object_list"]
    assert [e.pk for e in by_name] == [out.event_id]
    today = timezone.localtime(AccessEvent.all_tenants.get(pk=fever.event_id).device_time).date()
    on_day = client.get(reverse("access:log"), {"day": today.isoformat()}).context["object_list"]
    assert {e.pk for e in on_day} == {
        e.pk for e in rows if timezone.localtime(e.device_time).date() == today
    }
    before = (today - timedelta(days=1)).isoformat()
    assert list(client.get(reverse("access:log"), {"day": before}).context["object_list"]) == []


def test_log_table_refreshes_itself_through_htmx(client, world, fever):
    login(client, world.a.users["site_manager"])
    full = client.get(reverse("access:log"))
    fragment = client.get(
        reverse("access:log"),
        {"site": world.a.site.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="list-table",
    )
    html = fragment.content.decode()
    assert "<html" not in html and 'hx-trigger="every 5s, visibilitychange from:document"' in html
    assert f"site={world.a.site.pk}" in html  # the poll keeps the filters
    assert "htmx:confirm" in full.content.decode()  # the script that skips a hidden page's polls
    past = client.get(
        reverse("access:log"),
        {"day": "2020-01-23"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="list-table",
    )
    assert "every 5s" not in past.content.decode()


def test_log_of_a_site_outside_the_scope_is_404(client, world, fever):
    login(client, world.a.users["company_admin"])
    assert client.get(reverse("access:log"), {"site": world.b.site.pk}).status_code == 404
    assert client.get(reverse("access:log_export"), {"site": world.b.site.pk}).status_code == 404


def test_denied_list_has_a_tab_per_decision(client, world, fever):
    site, (r0, r1) = world.a.site, world.a.residents
    now = timezone.now()
    record(site, r1, now - timedelta(minutes=3), "out")
    denied = record(site, r0, now - timedelta(minutes=2), "out")
    login(client, world.a.users["site_manager"])

    deny_tab = client.get(reverse("access:denied"), {"day": ""})
    refer_tab = client.get(reverse("access:denied"), {"decision": "refer", "day": ""})
    admit_asked = client.get(reverse("access:denied"), {"decision": "admit", "day": ""})

    assert [e.pk for e in deny_tab.context["object_list"]] == [denied.event_id]
    assert [e.pk for e in refer_tab.context["object_list"]] == [fever.event_id]
    assert [e.pk for e in admit_asked.context["object_list"]] == [
        denied.event_id
    ]  # only deny / refer here
    assert [(t["value"], t["count"], t["active"]) for t in refer_tab.context["tabs"]] == [
        ("deny", 1, False),
        ("refer", 1, True),
    ]


# --- statistics --------------------------------------------------------------------------------


def test_stats_count_entries_and_exits_per_local_hour(client, world):
    site, (r0, r1) = world.a.site, world.a.residents
    day = timezone.localdate() - timedelta(days=1)
    publish(site, since=local(day - timedelta(days=2), 0, 0))  # periods: [day-2, day), [day, day+2)
    for at, who, direction, temperature in [
        (
            local(day - timedelta(days=1), 23, 59, 30),
            r0,
            "in",
            "36.4",
        ),  # the day before: not counted
        (local(day, 0, 0, 10), r0, "in", "36.4"),  # admit, hour 0
        (local(day, 7, 15), r0, "out", None),  # admit: the household's outing
        (local(day, 7, 40), r1, "out", None),  # deny: quota used up
        (local(day, 8, 5), r0, "in", "36.5"),  # admit
        (local(day, 8, 20), r1, "in", "36.6"),  # admit
        (local(day, 8, 50), r0, "in", None),  # refer: no temperature taken
        (local(day, 9, 30), r1, "in", "38.2"),  # refer: fever
        (local(day, 21, 10), r0, "out", None),  # deny: outside the window, quota used up
    ]:
        record(site, who, at, direction, temperature)
    login(client, world.a.users["site_manager"])

    response = client.get(reverse("access:stats"), {"site": site.pk, "day": day.isoformat()})

    stats = response.context["stats"]
    assert stats.entries == [1, 0, 0, 0, 0, 0, 0, 0, 2] + [0] * 15
    assert stats.exits == [0] * 7 + [1] + [0] * 16
    assert stats.held == [0] * 7 + [1, 1, 1] + [0] * 11 + [1, 0, 0]
    assert (stats.by_decision, stats.fevers) == ({"admit": 4, "deny": 2, "refer": 2}, 1)
    quota = response.context["quota"]
    assert (quota.households, quota.out, quota.used_up, quota.outings) == (1, 1, 1, 1)
    assert quota.period_start == local(day, 0, 0) and quota.period_end == local(
        day + timedelta(days=2), 0, 0
    )
    assert response.context["chart"]["series"][0]["data"] == stats.entries
    assert 'data-chart="hourly-chart"' in response.content.decode()


def test_stats_default_to_the_first_site_today_and_refuse_other_companies(client, world):
    login(client, world.a.users["company_admin"])
    response = client.get(reverse("access:stats"))
    assert (response.context["site_id"], response.context["day"]) == (
        world.a.site.pk,
        timezone.localdate(),
    )
    assert (response.context["quota"], response.context["policy"]) == (None, None)
    assert client.get(reverse("access:stats"), {"site": world.b.site.pk}).status_code == 404


# --- export ----------------------------------------------------------------------------------------


def sheet(response) -> list[list]:
    assert response.status_code == 200, response.content[:300]
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]


def test_export_holds_the_filtered_rows_masked_and_is_audited(client, world, fever):
    site, (r0, r1) = world.a.site, world.a.residents
    out = record(site, r1, timezone.now() - timedelta(minutes=3), "out")
    record(world.b.site, world.b.residents[0], timezone.now(), "in", "36.5")
    manager = world.a.users["site_manager"]
    login(client, manager)

    rows = sheet(client.get(reverse("access:log_export"), {"site": site.pk}))

    assert rows[0] == [
        "时间",
        "项目",
        "出入口",
        "方向",
        "凭证",
        "人员",
        "房号",
        "车牌",
        "体温（℃）",
        "结果",
        "原因",
        "策略版本",
    ]
    event = AccessEvent.all_tenants.get(pk=fever.event_id)
    assert rows[1] == [
        timezone.localtime(event.device_time).strftime("%Y-%m-%d %H:%M:%S"),
        site.name,
        None,
        "进",
        "人工查询",
        "a**",
        "1栋1单元301",
        None,
        38.2,
        "转交处理",
        "体温 38.2℃，达到或超过 37.3℃",
        1,
    ]
    assert [r[5] for r in rows[1:]] == ["a**", "a**"] and len(rows) == 3
    everything = repr(rows)
    for person in (r0, r1):
        assert person.name not in everything
        assert (
            get_personal(person, "phone") not in everything
            and get_personal(person, "id_number") not in everything
        )
    [audit] = AuditEvent.objects.filter(action=AuditAction.EVENTS_EXPORT)
    assert (audit.actor_id, audit.company_id, audit.object_type, audit.object_id) == (
        manager.pk,
        site.company_id,
        "estates.site",
        str(site.pk),
    )
    assert audit.changes["rows"] == 2 and audit.changes["format"] == "xlsx"
    assert out.event_id in AccessEvent.all_tenants.filter(site=site).values_list("pk", flat=True)


def test_export_as_csv(client, world, fever):
    login(client, world.a.users["company_admin"])
    response = client.get(reverse("access:log_export"), {"format": "csv", "decision": "refer"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert (
        rows[0][0] == "时间" and len(rows) == 2 and rows[1][5] == "a**" and rows[1][9] == "转交处理"
    )
    [audit] = AuditEvent.objects.filter(action=AuditAction.EVENTS_EXPORT)
    assert (audit.object_type, audit.changes["rows"], audit.changes["filters"]["decision"]) == (
        "orgs.company",
        1,
        "refer",
    )


def test_export_needs_the_export_permission(client, world, fever):
    login(client, world.a.users["guard"])
    assert client.get(reverse("access:log_export")).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.EVENTS_EXPORT).exists()


# --- query counts --------------------------------------------------------------------------------

# session, user, role assignments (the scope), the sites of the filters, then per page:
# log: COUNT + rows; denied: + the tab counts; alerts/follow-ups: COUNT + rows;
# stats: per-hour GROUP BY, fevers, policy, quota aggregate, households.
EXPECTED = {
    "access:log": 6,
    "access:denied": 7,
    "access:alert_list": 6,
    "access:alert_badge": 4,
    "access:followup_list": 6,
    "access:stats": 9,
}


def grow(tenant, n: int) -> None:
    """n more residents, each with a fever at the gate and two exits (the household's
    quota allows one: the rest are denied)."""
    for i in range(n):
        resident = make_resident(
            household=tenant.household,
            name=f"住户{i}",
            phone=f"137{n:04d}{i:04d}",
            id_number=make_id_number(600 + 20 * n + i),
        )
        record(tenant.site, resident, timezone.now() - timedelta(minutes=i + 1), "in", "38.0")
        for seconds in (20, 40):
            record(
                tenant.site,
                resident,
                timezone.now() - timedelta(minutes=i + 1, seconds=seconds),
                "out",
            )


def count(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_query_count_is_pinned_and_does_not_grow_with_rows(client, world, fever, name):
    grow(world.a, 1)  # a row of every kind: empty lists skip their page query
    login(client, world.a.users["company_admin"])
    url = reverse(name)
    params = {"site": world.a.site.pk} if name == "access:stats" else {"day": ""}
    assert count(client, url, **params) == EXPECTED[name]
    grow(world.a, 12)
    assert count(client, url, **params) == EXPECTED[name]

"""Support tasks: only at hospitals and isolation points; the weight before the
handover; the receiving party signs by the task's QR token or by its number and code
(public, once); overdue ones raise one alert each; lists keep a fixed query count."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from firstline.estates.models import Site
from firstline.volunteers.models import SafetyAlert, SupportTask, TaskType
from firstline.volunteers.services import support
from firstline.volunteers.services.duty import deployment_create
from firstline.volunteers.services.safety import check_record
from firstline.volunteers.tests.furnish import furnish, make_volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world):
    return furnish(world)


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_handover_by_token_and_code(client, world):
    t = world.a
    task = t.task
    url = reverse("volunteers:handover", args=[task.handover_token])
    # Not ready yet: the page says so, a signature is refused.
    assert client.get(url).status_code == 200
    early = post(
        client, f"/api/v1/volunteers/handover/{task.handover_token}", {"receiver_name": "李护士"}
    )
    assert early.status_code == 422
    support.task_ready(
        actor=t.users["volunteer"], task=task, weight_kg=__import__("decimal").Decimal("12.50")
    )
    page = client.get(url)
    assert page.status_code == 200 and "12.50" in page.content.decode()
    # The volunteer's name and phone are not on the receiver's page.
    assert t.volunteer.name not in page.content.decode()
    assert client.post(url, {"receiver_name": ""}).status_code == 422
    done = client.post(
        url, {"receiver_name": "李护士", "receiver_unit": "医废暂存间", "confirmed": "1"}
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.state == "done" and task.receiver_name == "李护士" and task.done_at is not None
    again = post(
        client, f"/api/v1/volunteers/handover/{task.handover_token}", {"receiver_name": "王五"}
    )
    assert again.status_code == 200 and again.json()["already"] is True
    task.refresh_from_db()
    assert task.receiver_name == "李护士"
    assert client.get(reverse("volunteers:handover", args=["nope"])).status_code == 404
    assert (
        post(client, "/api/v1/volunteers/handover/nope", {"receiver_name": "x"}).status_code == 404
    )
    # By number and code, for a phone that cannot scan.
    other = world.b.task
    code_url = reverse("volunteers:handover_code")
    assert client.get(code_url).status_code == 200
    wrong = client.get(
        code_url,
        {"number": other.pk, "code": "000000" if other.handover_code != "000000" else "111111"},
    )
    assert wrong.status_code == 422
    right = client.get(code_url, {"number": other.pk, "code": other.handover_code})
    assert right.status_code == 302 and right["Location"] == reverse(
        "volunteers:handover", args=[other.handover_token]
    )
    assert client.get(code_url, {"number": "abc", "code": "12"}).status_code == 422


def test_typed_codes_stop_after_too_many_misses(client, world):
    """A six-digit code is not a password: after MAX_CODE_MISSES wrong tries for one
    task the typed route is closed for it, even with the right code; its QR works."""
    task = world.a.task
    code_url = reverse("volunteers:handover_code")
    wrong = "000000" if task.handover_code != "000000" else "111111"
    for _ in range(support.MAX_CODE_MISSES):
        assert client.get(code_url, {"number": task.pk, "code": wrong}).status_code == 422
    closed = client.get(code_url, {"number": task.pk, "code": task.handover_code})
    assert closed.status_code == 422 and "输错次数过多" in closed.content.decode()
    url = reverse("volunteers:handover", args=[task.handover_token])
    assert client.get(url).status_code == 200
    # Another task's code is untouched by those misses.
    other = world.b.task
    right = client.get(code_url, {"number": other.pk, "code": other.handover_code})
    assert right.status_code == 302


def test_tasks_only_at_hospitals_and_isolation_points(client, world):
    t = world.a
    Site.all_tenants.filter(pk=t.sibling.site.pk).update(site_type=Site.Type.RESIDENTIAL)
    client.force_login(t.users["company_admin"])
    body = {
        "site_id": t.sibling.site.pk,
        "task_type": "garbage",
        "due_at": "2030-01-01T10:00:00+08:00",
    }
    refused = post(client, "/api/v1/volunteers/tasks", body)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "site"
    Site.all_tenants.filter(pk=t.sibling.site.pk).update(site_type=Site.Type.ISOLATION)
    # An assignee deployed elsewhere: refused.
    body["assignee_id"] = t.deployment.pk
    assert post(client, "/api/v1/volunteers/tasks", body).status_code == 422
    body["assignee_id"] = t.sibling.deployment.pk
    ok = post(client, "/api/v1/volunteers/tasks", body)
    assert (
        ok.status_code == 200
        and "生活垃圾" in ok.json()["safety_rules"] + ok.json()["task_type_name"]
    )
    assert post(client, "/api/v1/volunteers/tasks", body | {"task_type": "nope"}).status_code == 422


def test_overdue_tasks_raise_one_alert_each(client, world):
    t = world.a
    SafetyAlert.all_tenants.all().delete()
    SupportTask.all_tenants.filter(pk=t.task.pk).update(
        due_at=timezone.now() - timedelta(minutes=5)
    )
    assert support.overdue_raise() == 1
    assert support.overdue_raise() == 0
    alert = SafetyAlert.all_tenants.get(task=t.task)
    assert alert.kind == "task_overdue" and alert.site_id == t.site.pk
    client.force_login(t.users["site_manager"])
    rows = client.get("/api/v1/volunteers/tasks").json()["items"]
    assert [r["overdue"] for r in rows] == [True]
    f = client.get("/api/v1/volunteers/figures").json()["figures"]
    assert f["tasks_overdue"] == 1
    page = client.get(reverse("volunteers:task_list") + "?overdue=1")
    assert page.status_code == 200 and t.task.title in page.content.decode()


def _more_tasks(t, n):
    kind = TaskType.objects.get(kind="specimen")
    for i in range(n):
        support.task_create(
            actor=None,
            site=t.site,
            task_type=kind,
            title=f"标本 {i}",
            due_at=timezone.now() + timedelta(hours=i),
            assignee=t.deployment,
        )


@pytest.mark.parametrize(
    "url",
    [
        "volunteers:task_list",
        "volunteers:deployment_list",
        "volunteers:check_list",
        "volunteers:volunteer_list",
        "volunteers:alert_list",
        "volunteers:figures",
    ],
)
def test_lists_keep_a_fixed_query_count(client, world, url):
    t = world.a
    client.force_login(t.users["company_admin"])
    client.get(reverse(url))  # warm: sessions, content types
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse(url)).status_code == 200
    _more_tasks(t, 6)
    for i in range(6):
        v = make_volunteer(world, name=f"多{i}", company=t.company)
        d = deployment_create(
            actor=None, site=t.site, volunteer=v, starts_on=date.today(), ends_on=date.today()
        )
        check = check_record(actor=None, deployment=d, temperature=Decimal("38.0"), symptoms=[])
        assert SafetyAlert.all_tenants.filter(health_check=check).exists()
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse(url)).status_code == 200
    assert len(large) == len(small)

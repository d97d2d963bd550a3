"""The cleaner's phone pages: today's tasks by area (fixed query count), an area's QR
page, the one-tap completion over htmx and as a plain form post."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from firstline.estates.models import Site
from firstline.estates.services.records import name_initials
from firstline.sanitation.models import Task
from firstline.sanitation.tests.rows import make_area, make_entry, make_task
from firstline.sanitation.tests.test_completion import furnish
from firstline.testing.world import PASSWORD

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def lift(world):
    return furnish(world.a)


def test_today_shows_tasks_by_area(client, world, lift):
    make_task(make_entry(make_area(world.a, name="北门垃圾点", kind="garbage"), code="garbage"))
    furnish(world.b)
    login(client, world.a.users["cleaner"])
    response = client.get(reverse("sanitation:today"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1栋1号电梯" in body and "北门垃圾点" in body
    assert body.count('data-testid="task-done"') == 4
    assert "b花园" not in body
    # By due time: the lift's next task is due at 08:00, the garbage point's at 10:00.
    assert [g.area.name for g in response.context["day"].areas] == ["1栋1号电梯", "北门垃圾点"]
    assert 'data-testid="cleaner-progress"' in body


def test_today_orders_areas_by_their_next_task_and_tasks_by_due_time(client, world, lift):
    garbage = make_entry(make_area(world.a, name="北门垃圾点", kind="garbage"), code="garbage")
    make_task(garbage, slot=2, hour=18)
    make_task(garbage, slot=1, hour=10)
    login(client, world.a.users["cleaner"])
    Task.all_tenants.filter(pk=lift["tasks"][0].pk).update(state="done", done_at=timezone.now())
    day = client.get(reverse("sanitation:today")).context["day"]
    # The lift's 08:00 is done, its next is 12:00: the garbage point's 10:00 comes first.
    assert [g.area.name for g in day.areas] == ["北门垃圾点", "1栋1号电梯"]
    for group in day.areas:
        dues = [t.due_at for t in group.tasks]
        assert dues == sorted(dues)
    # An area with nothing left to do goes last.
    Task.all_tenants.filter(entry=garbage).update(state="done", done_at=timezone.now())
    day = client.get(reverse("sanitation:today")).context["day"]
    assert [g.area.name for g in day.areas] == ["1栋1号电梯", "北门垃圾点"]


def test_a_tap_sends_the_counter_and_the_area_badge_out_of_band(client, world, lift):
    """The day's page: 已完成 0/4 → 1/4 and the lift's badge 0/3 → 1/3 come with the
    card (hx-swap-oob), so nothing on the page stays stale until a reload."""
    make_task(make_entry(make_area(world.a, name="北门垃圾点", kind="garbage"), code="garbage"))
    task = lift["tasks"][0]
    login(client, world.a.users["cleaner"])
    page = client.get(reverse("sanitation:today")).content.decode()
    assert "已完成 0/4" in page
    assert f'id="cleaner-area-badge-{task.area_id}"' in page
    url = reverse("sanitation:task_complete", args=[task.pk])
    body = client.post(url, {"client_uuid": str(uuid.uuid4()), "progress": "site"}, **HTMX)
    body = body.content.decode()
    assert body.lstrip().startswith("<article")  # the card first: htmx swaps it in place
    assert 'id="cleaner-progress"' in body and 'hx-swap-oob="true"' in body
    assert "已完成 1/4" in body
    badge = f'id="cleaner-area-badge-{task.area_id}"'
    assert badge in body and ">1/3</span>" in body
    # On the area's own page the counter is the area's, and there is no badge.
    second = lift["tasks"][1]
    url = reverse("sanitation:task_complete", args=[second.pk])
    body = client.post(url, {"client_uuid": str(uuid.uuid4()), "progress": "area"}, **HTMX)
    body = body.content.decode()
    assert "已完成 2/3" in body and "cleaner-area-badge" not in body
    assert 'name="progress" value="area"' not in body  # done: the card has no form left


def test_today_query_count_is_fixed(client, world, lift, django_assert_num_queries):
    login(client, world.a.users["cleaner"])
    client.get(reverse("sanitation:today"))  # warm the session
    with django_assert_num_queries(5):  # session, user, roles, sites, tasks
        client.get(reverse("sanitation:today"))
    area = make_area(world.a, name="二号楼电梯")
    for i in range(20):
        make_task(make_entry(area, code=f"c{i}"), slot=1, hour=9)
    with django_assert_num_queries(5):
        response = client.get(reverse("sanitation:today"))
    assert response.context["day"].total == 23


def test_cancelled_tasks_and_other_days_are_not_listed(client, world, lift):
    Task.all_tenants.filter(pk=lift["tasks"][0].pk).update(state="cancelled")
    yesterday = timezone.localdate() - timezone.timedelta(days=1)
    make_task(lift["entry"], day=yesterday, slot=1, hour=8)
    login(client, world.a.users["cleaner"])
    response = client.get(reverse("sanitation:today"))
    assert response.context["day"].total == 2


def test_admin_of_several_sites_chooses(client, world, lift):
    Site.all_tenants.create(
        company=world.a.company,
        name="a大厦",
        name_initials=name_initials("a大厦"),
        community=world.a.site.community,
    )
    login(client, world.a.users["company_admin"])
    response = client.get(reverse("sanitation:today"))
    assert 'data-testid="cleaner-sites"' in response.content.decode()
    chosen = client.get(reverse("sanitation:today"), {"site": world.a.site.pk})
    assert chosen.context["site"].pk == world.a.site.pk
    assert client.get(reverse("sanitation:today"), {"site": world.b.site.pk}).status_code == 404
    assert client.get(reverse("sanitation:today"), {"site": "x"}).status_code == 404


def test_area_page_shows_that_area_only(client, world, lift):
    other = make_area(world.a, name="北门垃圾点", kind="garbage")
    make_task(make_entry(other, code="garbage"))
    login(client, world.a.users["cleaner"])
    response = client.get(reverse("sanitation:area_tasks", args=[lift["area"].qr_token]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="task-done"') == 3 and "垃圾" not in body.split("<main")[-1]


def test_area_of_another_company_or_inactive_is_404(client, world, lift):
    theirs = furnish(world.b)["area"]
    login(client, world.a.users["cleaner"])
    assert client.get(reverse("sanitation:area_tasks", args=[theirs.qr_token])).status_code == 404
    lift["area"].__class__.all_tenants.filter(pk=lift["area"].pk).update(active=False)
    url = reverse("sanitation:area_tasks", args=[lift["area"].qr_token])
    assert client.get(url).status_code == 404


def test_guard_may_not_open_the_cleaner_pages(client, world, lift):
    login(client, world.a.users["guard"])
    assert client.get(reverse("sanitation:today")).status_code == 403


def test_htmx_tap_returns_the_done_card(client, world, lift):
    task = lift["tasks"][0]
    login(client, world.a.users["cleaner"])
    key = str(uuid.uuid4())
    url = reverse("sanitation:task_complete", args=[task.pk])
    response = client.post(url, {"client_uuid": key, "batch": "B7"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-testid="cleaner-task-{task.pk}"' in body and 'data-state="done"' in body
    assert "B7" in body and "<html" not in body
    stored = Task.all_tenants.get(pk=task.pk)
    assert (stored.state, str(stored.client_uuid), stored.done_by_id) == (
        "done",
        key,
        world.a.users["cleaner"].pk,
    )
    replay = client.post(url, {"client_uuid": key, "batch": "B8"}, **HTMX)
    assert replay.status_code == 200 and 'data-state="done"' in replay.content.decode()
    assert Task.all_tenants.get(pk=task.pk).batch == "B7"


def test_second_tap_is_told_already_done(client, world, lift):
    task = lift["tasks"][0]
    login(client, world.a.users["cleaner"])
    url = reverse("sanitation:task_complete", args=[task.pk])
    client.post(url, {"client_uuid": str(uuid.uuid4())}, **HTMX)
    again = client.post(url, {"client_uuid": str(uuid.uuid4())}, **HTMX)
    assert again.status_code == 200
    assert 'data-testid="task-message">已完成<' in again.content.decode()


def test_cancelled_task_refuses_with_422(client, world, lift):
    task = lift["tasks"][0]
    Task.all_tenants.filter(pk=task.pk).update(state="cancelled")
    login(client, world.a.users["cleaner"])
    response = client.post(reverse("sanitation:task_complete", args=[task.pk]), {}, **HTMX)
    assert response.status_code == 422
    assert "已取消" in response.content.decode()


def test_bad_batch_names_the_field(client, world, lift):
    task = lift["tasks"][0]
    login(client, world.a.users["cleaner"])
    response = client.post(
        reverse("sanitation:task_complete", args=[task.pk]), {"batch": "x" * 80}, **HTMX
    )
    assert response.status_code == 422
    assert "消毒剂批号" in response.content.decode()
    assert Task.all_tenants.get(pk=task.pk).state == "pending"


def test_plain_post_returns_the_area_page(client, world, lift):
    task = lift["tasks"][1]
    login(client, world.a.users["cleaner"])
    response = client.post(reverse("sanitation:task_complete", args=[task.pk]), {"batch": "B1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and "已完成，记录已保存。" in body
    assert body.count('data-testid="task-done"') == 2


def test_get_on_complete_is_not_allowed(client, world, lift):
    login(client, world.a.users["cleaner"])
    url = reverse("sanitation:task_complete", args=[lift["tasks"][0].pk])
    assert client.get(url).status_code == 405

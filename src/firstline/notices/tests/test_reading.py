"""Read receipts: a resident opens a notice on the phone page, the sender's read count
and read rate change; the resident's home shows unread and urgent notices first."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from firstline.health.views.declare import SESSION_KEY, site_token
from firstline.notices.models import NoticeRead
from firstline.notices.selectors.figures import receipts
from firstline.notices.tests.rows import site_notice
from firstline.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_a_resident_reading_changes_the_senders_count_and_rate(client, world):
    notice = site_notice(world.a, to_staff=False)
    # The audience: the two residents of world.a's site, counted now.
    assert receipts(notice) | {"sms": None} == {
        "read_count": 0,
        "audience": 2,
        "site_count": 1,
        "rate": 0,
        "sms": None,
    }
    login(client, world.a.users["site_manager"])
    page = client.get(reverse("notices:notice_detail", args=[notice.pk]))
    assert page.context["figures"]["read_count"] == 0
    client.logout()

    login(client, world.a.users["resident"])
    mine = client.get(reverse("notices:mine"))
    assert mine.status_code == 200
    [row] = mine.context["object_list"]
    assert (row.pk, row.is_read) == (notice.pk, False)
    assert 'data-testid="my-notice-unread"' in mine.content.decode()
    detail = client.get(reverse("notices:mine_detail", args=[notice.pk]))
    assert detail.status_code == 200
    assert "明天 9:00–12:00 停水" in detail.content.decode()
    client.get(reverse("notices:mine_detail", args=[notice.pk]))  # twice: one receipt
    [receipt] = NoticeRead.all_tenants.filter(notice=notice)
    assert (receipt.user_id, receipt.site_id, receipt.household_id) == (
        world.a.users["resident"].pk,
        world.a.site.pk,
        world.a.household.pk,
    )
    [row] = client.get(reverse("notices:mine")).context["object_list"]
    assert row.is_read is True
    client.logout()

    login(client, world.a.users["site_manager"])
    page = client.get(reverse("notices:notice_detail", args=[notice.pk]))
    assert page.context["figures"]["read_count"] == 1
    assert page.context["figures"]["rate"] == 50
    assert 'data-testid="notice-read-count">1<' in page.content.decode()
    listed = client.get(reverse("notices:notice_list")).context["object_list"]
    assert [(n.read_count, n.audience, n.rate) for n in listed if n.pk == notice.pk] == [(1, 2, 50)]


def test_staff_read_through_the_api_and_count_once(client, world):
    notice = site_notice(world.a, to_residents=False, to_staff=True)
    login(client, world.a.users["guard"])
    [item] = client.get("/api/v1/notices/mine").json()["items"]
    assert (item["id"], item["is_read"]) == (notice.pk, False)
    url = f"/api/v1/notices/mine/{notice.pk}/read"
    assert client.post(url).json() == {"id": notice.pk, "recorded": True}
    assert client.post(url).json() == {"id": notice.pk, "recorded": False}
    assert client.get("/api/v1/notices/mine").json()["items"][0]["is_read"] is True
    client.logout()
    login(client, world.a.users["site_manager"])
    figures = client.get(f"/api/v1/notices/{notice.pk}/receipts").json()
    # Staff of the site: world.a's one guard on the staff list.
    assert (figures["read_count"], figures["audience"], figures["rate"]) == (1, 1, 100)
    assert figures["sites"] == [
        {
            "site_id": world.a.site.pk,
            "site_name": world.a.site.name,
            "audience": 1,
            "reads": 1,
            "rate": 100,
        }
    ]


def test_a_resident_signed_in_by_one_time_code_is_counted(client, world):
    notice = site_notice(world.a, to_staff=False)
    session = client.session
    chosen = world.a.residents[1]
    session[SESSION_KEY] = {
        "site": world.a.site.pk,
        "at": time.time(),
        "residents": [r.pk for r in world.a.residents],
        "resident": chosen.pk,
    }
    session.save()
    token = site_token(world.a.site)
    listed = client.get(reverse("notices:declare_list", args=[token]))
    assert [(n.pk, n.is_read) for n in listed.context["object_list"]] == [(notice.pk, False)]
    assert client.get(reverse("notices:declare_detail", args=[token, notice.pk])).status_code == 200
    [receipt] = NoticeRead.all_tenants.filter(notice=notice)
    assert (receipt.resident_id, receipt.user_id) == (chosen.pk, None)
    listed = client.get(reverse("notices:declare_list", args=[token]))
    assert [n.is_read for n in listed.context["object_list"]] == [True]
    assert receipts(notice)["read_count"] == 1
    # A session past its 30 minutes: back to the code page.
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY], "at": time.time() - 31 * 60}
    session.save()
    assert client.get(reverse("notices:declare_list", args=[token])).status_code == 302


def test_the_residents_home_shows_unread_and_urgent_notices_first(client, world):
    read = site_notice(world.a, title="已读的普通通知")
    urgent = site_notice(world.a, title="紧急：今晚核酸检测", urgency="urgent")
    unread = site_notice(world.a, title="未读的普通通知")
    login(client, world.a.users["resident"])
    client.get(reverse("notices:mine_detail", args=[read.pk]))
    client.get(reverse("notices:mine_detail", args=[urgent.pk]))
    home = client.get(reverse("dashboard"))
    assert home.status_code == 200
    items = home.context["notices"]["items"]
    assert [i["id"] for i in items] == [urgent.pk, unread.pk]  # urgent (even read) first
    assert home.context["notices"]["unread"] == 1
    html = home.content.decode()
    block = html.index('data-testid="dashboard-notices"')
    # The notices come before everything else of the resident's dashboard.
    assert block < html.index("bi-house-heart")

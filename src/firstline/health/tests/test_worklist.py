"""The screening worklist: reds and yellows first, follow-up calls, referral,
closing, no duplicates, and the link to an isolation case."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from firstline.core.models import AuditEvent
from firstline.health.models import AuditAction, FollowUpCall, WorkItem
from firstline.health.services import worklist
from firstline.health.tests.helpers import high_risk_list, high_risk_visit, login, staff_declare


@pytest.fixture
def areas(world):
    return high_risk_list("名单", area_count=0)


def red(resident):
    return staff_declare(resident, places=(high_risk_visit(),))


def yellow(resident):
    return staff_declare(resident, symptoms=("cough",), temperature=Decimal("36.8"))


def item_of(resident) -> WorkItem:
    return WorkItem.all_tenants.get(resident=resident)


# --- services ---------------------------------------------------------------------------------


def test_call_then_refer_then_close(world, areas):
    resident = world.a.residents[0]
    red(resident)
    item = item_of(resident)
    officer = world.a.users["health_officer"]
    call = worklist.call_record(actor=officer, item=item, outcome="no_answer", notes="无人接听")
    assert (call.company_id, call.site_id, call.caller_id) == (
        world.a.company.pk,
        world.a.site.pk,
        officer.pk,
    )
    assert item_of(resident).state == "following"
    worklist.refer(actor=officer, item=item, to="民族街社区卫生服务中心")
    item.refresh_from_db()
    assert (item.state, item.referred_to) == ("referred", "民族街社区卫生服务中心")
    assert FollowUpCall.all_tenants.filter(work_item=item, outcome="referred").count() == 1
    worklist.close(actor=officer, item=item)
    item.refresh_from_db()
    assert item.state == "closed" and item.closed_at is not None
    actions = list(
        AuditEvent.objects.filter(object_id=str(item.pk), object_type="health.workitem")
        .order_by("at")
        .values_list("action", flat=True)
    )
    assert actions == [
        AuditAction.WORK_ITEM_CALL,
        AuditAction.WORK_ITEM_REFER,
        AuditAction.WORK_ITEM_CLOSE,
    ]
    # The notes are health data: the audit trail does not copy them.
    assert "无人接听" not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_closed_item_takes_no_more_calls(world, areas):
    red(world.a.residents[0])
    item = item_of(world.a.residents[0])
    worklist.close(actor=None, item=item)
    with pytest.raises(ValidationError, match="已关闭"):
        worklist.call_record(actor=None, item=item, outcome="reached")
    with pytest.raises(ValidationError, match="已关闭"):
        worklist.close(actor=None, item=item)
    assert not FollowUpCall.all_tenants.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "bogus"}, "outcome"),
        ({"outcome": "referred"}, "outcome"),  # a referral needs its own form (the station)
        ({"outcome": "reached", "notes": "x" * 501}, "notes"),
    ],
)
def test_bad_call_is_refused_and_saves_nothing(world, areas, kwargs, field):
    red(world.a.residents[0])
    item = item_of(world.a.residents[0])
    with pytest.raises(ValidationError) as exc:
        worklist.call_record(actor=None, item=item, **kwargs)
    assert field in exc.value.message_dict
    assert not FollowUpCall.all_tenants.exists()
    assert item_of(world.a.residents[0]).state == "open"


def test_refer_needs_a_station(world, areas):
    red(world.a.residents[0])
    with pytest.raises(ValidationError) as exc:
        worklist.refer(actor=None, item=item_of(world.a.residents[0]), to="  ")
    assert "to" in exc.value.message_dict


def test_rescreening_adds_no_duplicate(world, areas):
    resident = world.a.residents[0]
    yellow(resident)
    red(resident)
    red(resident)
    assert WorkItem.all_tenants.filter(resident=resident).count() == 1
    assert item_of(resident).level == "red"  # raised, not duplicated
    worklist.close(actor=None, item=item_of(resident))
    red(resident)  # a new screening after closing opens a new item
    assert WorkItem.all_tenants.filter(resident=resident).exclude(state="closed").count() == 1


# --- pages ------------------------------------------------------------------------------------


def test_list_puts_new_reds_first_then_yellows(client, world, areas):
    first_yellow, first_red = world.a.residents
    yellow(first_yellow)
    red(first_red)
    login(client, world.a.users["health_officer"])
    response = client.get(reverse("health:workitem_list"))
    assert response.status_code == 200
    rows = list(response.context["object_list"])
    assert [(w.resident_id, w.level) for w in rows] == [
        (first_red.pk, "red"),
        (first_yellow.pk, "yellow"),
    ]
    # An item in hand goes below the new ones.
    worklist.call_record(actor=None, item=item_of(first_red), outcome="reached")
    rows = list(client.get(reverse("health:workitem_list")).context["object_list"])
    assert [w.resident_id for w in rows] == [first_yellow.pk, first_red.pk]
    # Filters: level and state; closed items leave the default list.
    rows = client.get(reverse("health:workitem_list"), {"level": "red"}).context["object_list"]
    assert [w.resident_id for w in rows] == [first_red.pk]
    worklist.close(actor=None, item=item_of(first_red))
    rows = client.get(reverse("health:workitem_list")).context["object_list"]
    assert [w.resident_id for w in rows] == [first_yellow.pk]
    rows = client.get(reverse("health:workitem_list"), {"state": "closed"}).context["object_list"]
    assert [w.resident_id for w in rows] == [first_red.pk]


def test_detail_shows_reasons_and_records_a_call(client, world, areas):
    resident = world.a.residents[0]
    red(resident)
    item = item_of(resident)
    login(client, world.a.users["health_officer"])
    page = client.get(item.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "到访 武汉市江汉区（高风险）" in text
    assert resident.phone_masked in text and "13800000101" not in text
    response = client.post(
        reverse("health:workitem_call", args=[item.pk]),
        {"outcome": "isolated", "notes": "已通知居家隔离"},
    )
    assert response.status_code == 302
    page = client.get(item.get_absolute_url())
    assert page.context["isolated"]
    assert f"?resident={resident.pk}" in page.context["isolation_url"]
    assert "已通知居家隔离" in page.content.decode()


def test_bad_call_on_the_page_names_the_field(client, world, areas):
    red(world.a.residents[0])
    item = item_of(world.a.residents[0])
    login(client, world.a.users["health_officer"])
    response = client.post(reverse("health:workitem_call", args=[item.pk]), {"outcome": "x"})
    assert response.status_code == 400
    assert response.context["call_form"].errors["outcome"]
    response = client.post(reverse("health:workitem_refer", args=[item.pk]), {"to": ""})
    assert response.status_code == 400
    assert response.context["refer_form"].errors["to"]
    assert not FollowUpCall.all_tenants.exists()


def test_refer_and_close_on_the_page(client, world, areas):
    red(world.a.residents[0])
    item = item_of(world.a.residents[0])
    login(client, world.a.users["site_manager"])
    client.post(reverse("health:workitem_refer", args=[item.pk]), {"to": "民族街社区卫生服务中心"})
    assert item_of(world.a.residents[0]).state == "referred"
    client.post(reverse("health:workitem_close", args=[item.pk]))
    assert item_of(world.a.residents[0]).state == "closed"
    # Closing again is refused with a message, nothing changes.
    response = client.post(reverse("health:workitem_close", args=[item.pk]), follow=True)
    assert "已关闭" in response.content.decode()


def test_guard_may_not_see_the_worklist(client, world, areas):
    red(world.a.residents[0])
    login(client, world.a.users["guard"])
    assert client.get(reverse("health:workitem_list")).status_code == 403
    item = item_of(world.a.residents[0])
    assert client.get(item.get_absolute_url()).status_code == 403
    response = client.post(reverse("health:workitem_call", args=[item.pk]), {"outcome": "reached"})
    assert response.status_code == 403
    assert not FollowUpCall.all_tenants.exists()

"""Needs: who may ask for what, the facts a request records, and the line states."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from firstline.core.models import AuditEvent
from firstline.estates.models import Staff
from firstline.health.models import IsolationCase
from firstline.orgs.selectors import scope_for_user
from firstline.supplies.models import Need, NeedLine
from firstline.supplies.services.needs import need_cancel, need_create, needlines_refresh
from firstline.supplies.tests.allocating import ask, depot


def isolate(tenant, n: int = 1) -> None:
    for resident in tenant.residents[:n]:
        IsolationCase.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            resident=resident,
            household=tenant.household,
            reason="密接",
            start_date=date(2026, 11, 20),
            planned_end=date(2026, 12, 4),
        )


def test_site_manager_asks_for_own_site_with_live_facts(world):
    d = depot(world)
    isolate(world.a, 2)
    Staff.all_tenants.create(
        company=world.a.company, site=world.a.site, name="a保洁", on_duty=False
    )
    manager = world.a.users["site_manager"]
    need = need_create(
        actor=manager,
        scope=scope_for_user(manager),
        company=world.a.company,
        site=world.a.site,
        justification="小区封闭，口罩不足",
        lines=[(d.items["PPE-N95"], 200), (d.items["DIS-84"], 10)],
    )
    assert need.staff_on_duty == 1  # the guard; the off-duty cleaner does not count
    assert need.isolation_cases == 2
    lines = NeedLine.all_tenants.filter(need=need).order_by("item__code")
    assert [(li.item.code, li.quantity, li.site_id, li.state) for li in lines] == [
        ("DIS-84", 10, world.a.site.pk, "open"),
        ("PPE-N95", 200, world.a.site.pk, "open"),
    ]
    assert AuditEvent.objects.filter(action="supplies.need_create", object_id=str(need.pk)).exists()


def test_given_facts_are_kept(world):
    d = depot(world)
    need = ask(world, world.a, d, [("PPE-N95", 20)], staff_on_duty=7, isolation_cases=3)
    assert (need.staff_on_duty, need.isolation_cases) == (7, 3)


def test_company_admin_asks_for_the_company_store(world):
    d = depot(world)
    isolate(world.a, 1)
    need = ask(world, world.a, d, [("PPE-N95", 40)], site=False)
    assert need.site_id is None and need.isolation_cases == 1


@pytest.mark.parametrize(
    "who,company_key,site_key",
    [
        ("site_manager", "a", None),  # a site manager cannot ask for the whole company
        ("site_manager", "b", "b"),  # nor for another company's site
        ("company_admin", "b", None),
        ("company_admin", "b", "b"),
        ("guard", "a", "a"),  # no request permission
    ],
)
def test_outside_scope_is_not_found(world, who, company_key, site_key):
    d = depot(world)
    user = world.a.users[who]
    with pytest.raises(Http404):
        need_create(
            actor=user,
            scope=scope_for_user(user),
            company=getattr(world, company_key).company,
            site=getattr(world, site_key).site if site_key else None,
            justification="x",
            lines=[(d.items["PPE-N95"], 20)],
        )
    assert not Need.all_tenants.exists()


def test_site_of_another_company_under_own_company_is_not_found(world):
    d = depot(world)
    admin = world.a.users["company_admin"]
    with pytest.raises(Http404):
        need_create(
            actor=admin,
            scope=scope_for_user(admin),
            company=world.a.company,
            site=world.b.site,
            justification="x",
            lines=[(d.items["PPE-N95"], 20)],
        )


@pytest.mark.parametrize(
    "lines,justification,message",
    [
        ([], "x", "请至少填写一种物资"),
        ([("PPE-N95", 0)], "x", "第 1 行：数量必须大于 0"),
        ([("PPE-N95", 5), ("PPE-N95", 5)], "x", "第 2 行：医用防护口罩（N95）重复"),
        ([("PPE-N95", 5)], "  ", "请说明需求理由"),
    ],
)
def test_bad_input_names_the_row_and_writes_nothing(world, lines, justification, message):
    d = depot(world)
    admin = world.a.users["company_admin"]
    with pytest.raises(ValidationError) as exc:
        need_create(
            actor=admin,
            scope=scope_for_user(admin),
            company=world.a.company,
            site=world.a.site,
            justification=justification,
            lines=[(d.items[code], q) for code, q in lines],
        )
    assert message in str(exc.value)
    assert not Need.all_tenants.exists() and not NeedLine.all_tenants.exists()


def test_states_follow_the_figures(world):
    d = depot(world)
    need = ask(world, world.a, d, [("PPE-N95", 100), ("DIS-84", 10)])
    n95, dis = (
        NeedLine.all_tenants.get(need=need, item__code="PPE-N95"),
        NeedLine.all_tenants.get(need=need, item__code="DIS-84"),
    )
    NeedLine.all_tenants.filter(pk=n95.pk).update(committed=40)
    needlines_refresh([n95.pk])
    assert NeedLine.all_tenants.get(pk=n95.pk).state == "partly"
    assert Need.all_tenants.get(pk=need.pk).state == "partly"

    NeedLine.all_tenants.filter(pk=n95.pk).update(committed=0, fulfilled=100)
    NeedLine.all_tenants.filter(pk=dis.pk).update(fulfilled=10)
    needlines_refresh([n95.pk, dis.pk])
    assert Need.all_tenants.get(pk=need.pk).state == "fulfilled"

    NeedLine.all_tenants.filter(pk=dis.pk).update(fulfilled=0)
    needlines_refresh([dis.pk])
    assert NeedLine.all_tenants.get(pk=dis.pk).state == "open"
    assert Need.all_tenants.get(pk=need.pk).state == "partly"  # n95 is still fulfilled


def test_cancel_open_need_once(world):
    d = depot(world)
    need = ask(world, world.a, d, [("PPE-N95", 100)])
    need_cancel(actor=None, need=need)
    assert Need.all_tenants.get(pk=need.pk).state == "cancelled"
    assert set(NeedLine.all_tenants.filter(need=need).values_list("state", flat=True)) == {
        "cancelled"
    }
    with pytest.raises(ValidationError):
        need_cancel(actor=None, need=need)
    needlines_refresh(NeedLine.all_tenants.filter(need=need).values_list("pk", flat=True))
    assert Need.all_tenants.get(pk=need.pk).state == "cancelled"


def test_cannot_cancel_once_something_is_committed(world):
    d = depot(world)
    need = ask(world, world.a, d, [("PPE-N95", 100)])
    NeedLine.all_tenants.filter(need=need).update(committed=20)
    with pytest.raises(ValidationError, match="不能取消"):
        need_cancel(actor=None, need=need)
    assert Need.all_tenants.get(pk=need.pk).state == "open"

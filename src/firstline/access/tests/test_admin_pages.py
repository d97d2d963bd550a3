"""Behaviour of the access administration pages, given / when / then, through the
pages themselves (the services they call are exercised on the way)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from firstline.access.models import (
    AccessPolicy,
    AuditAction,
    Checkpoint,
    Delivery,
    Device,
    Pass,
    Vehicle,
    Visitor,
)
from firstline.access.services import administration, devices, gate
from firstline.access.tests.test_admin_tenancy import make_access_rows
from firstline.core.models import AuditEvent
from firstline.core.personal.fields import get_personal
from firstline.estates.models import Building, Household
from firstline.testing.world import PASSWORD, make_id_number, make_resident


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def add_household(tenant, *, room: str, names: list[str], building=None):
    building = building or tenant.building
    household = Household.all_tenants.create(
        company=tenant.company, site=tenant.site, building=building, unit="1", room=room
    )
    residents = [
        make_resident(
            household=household,
            name=name,
            phone=f"1370000{i}{room[-3:]}",
            id_number=make_id_number(700 + i),
        )
        for i, name in enumerate(names)
    ]
    return household, residents


def policy_form(site, **overrides) -> dict:
    data = {
        "site": site.pk,
        "mode": "closed",
        "temperature_threshold": "37.3",
        "outing_quota": "1",
        "outing_period_days": "2",
        "outing_window_start": "08:00",
        "outing_window_end": "18:00",
        "require_green": "on",
        "visitor_rule": "forbidden",
        "delivery_rule": "drop_off",
        "vehicles_registered_only": "on",
        "effective_from": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    return {**data, **overrides}


# --- policies -------------------------------------------------------------------------------


def test_publishing_twice_gives_versions_1_and_2_and_the_newer_is_in_force_after_its_time(
    client, world
):
    site = world.a.site
    login(client, world.a.users["site_manager"])
    later = timezone.localtime() + timedelta(hours=2)

    first = client.post(reverse("access:policy_create"), policy_form(site))
    second = client.post(
        reverse("access:policy_create"),
        policy_form(
            site,
            outing_quota="2",
            temperature_threshold="37.0",
            effective_from=later.strftime("%Y-%m-%dT%H:%M"),
        ),
    )

    v1, v2 = AccessPolicy.all_tenants.filter(site=site).order_by("version")
    assert (v1.version, v2.version) == (1, 2)
    assert (
        first["Location"] == v1.get_absolute_url() and second["Location"] == v2.get_absolute_url()
    )
    assert gate.policy_in_force(site_id=site.pk, at=timezone.now()) == v1
    assert gate.policy_in_force(site_id=site.pk, at=later + timedelta(minutes=1)) == v2
    listing = client.get(reverse("access:policy_list"), {"site": site.pk}).content.decode()
    assert listing.count('data-testid="in-force"') == 1
    assert "待生效" in listing
    detail = client.get(v2.get_absolute_url())
    changed = [row["label"] for row in detail.context["diff"] if row["changed"]]
    assert [str(label) for label in changed] == ["体温阈值（℃）", "每户外出人次"]
    assert detail.context["scheduled"] is True and detail.context["in_force"] is False


def test_policy_window_needs_both_ends_and_a_guard_cannot_publish(client, world):
    login(client, world.a.users["site_manager"])
    response = client.post(
        reverse("access:policy_create"), policy_form(world.a.site, outing_window_end="")
    )
    assert response.status_code == 200
    assert "outing_window_end" in response.context["form"].errors
    client.logout()
    login(client, world.a.users["guard"])
    assert (
        client.post(reverse("access:policy_create"), policy_form(world.a.site)).status_code == 403
    )
    assert not AccessPolicy.all_tenants.filter(site=world.a.site).exists()


def test_publish_form_starts_from_the_version_in_force(client, world):
    gate.policy_publish(
        actor=None,
        site=world.a.site,
        data={"outing_quota": 3, "effective_from": timezone.now() - timedelta(hours=1)},
    )
    login(client, world.a.users["company_admin"])
    form = client.get(reverse("access:policy_create"), {"site": world.a.site.pk}).context["form"]
    assert (form.initial["outing_quota"], form.initial["site"]) == (3, world.a.site.pk)


# --- passes ---------------------------------------------------------------------------------


def test_issuing_for_a_whole_building_gives_one_pass_to_each_resident_without_one(client, world):
    tenant = world.a
    kept = gate.pass_issue(actor=None, resident=tenant.residents[0])
    _, newcomers = add_household(tenant, room="302", names=["赵一", "钱二", "孙三"])
    other_building = Building.all_tenants.create(
        company=tenant.company, site=tenant.site, name="2栋"
    )
    _, outside = add_household(tenant, room="101", names=["周四"], building=other_building)
    login(client, tenant.users["site_manager"])

    response = client.post(
        reverse("access:pass_issue"),
        {"target": "building", "building": tenant.building.pk, "days": 14},
    )

    assert response["Location"] == reverse("access:pass_sheet", args=[tenant.building.pk])
    valid = Pass.all_tenants.filter(company=tenant.company, revoked_at__isnull=True)
    holders = sorted(valid.values_list("resident_id", flat=True))
    assert holders == sorted([kept.resident_id, tenant.residents[1].pk, *(r.pk for r in newcomers)])
    assert not valid.filter(resident=outside[0]).exists()
    fresh = valid.exclude(pk=kept.pk)
    assert {(p.valid_until - p.valid_from) for p in fresh} == {timedelta(days=14)}
    assert (
        AuditEvent.objects.filter(
            object_type="access.pass",
            action=AuditAction.PASS_ISSUE,
            object_id__in=[str(p.pk) for p in fresh],
        ).count()
        == 4
    )
    again = client.post(
        reverse("access:pass_issue"),
        {"target": "building", "building": tenant.building.pk, "days": 14},
    )
    assert again.status_code == 302
    assert valid.count() == 5


def test_building_issue_runs_the_same_queries_for_any_number_of_residents(world):
    tenant = world.a
    small = Building.all_tenants.create(company=tenant.company, site=tenant.site, name="5栋")
    big = Building.all_tenants.create(company=tenant.company, site=tenant.site, name="6栋")
    add_household(tenant, room="501", names=["甲"], building=small)
    for room in ("601", "602", "603"):
        add_household(tenant, room=room, names=["乙", "丙", "丁"], building=big)
    gate.site_key_active(site=tenant.site)
    counts = []
    for building in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            issued = administration.pass_issue_building(actor=None, building=building)
        counts.append((len(issued), len(ctx.captured_queries)))
    assert counts[0][0] == 1 and counts[1][0] == 9
    assert counts[0][1] == counts[1][1]


def test_issuing_one_residents_pass_from_the_search(client, world):
    resident = world.a.residents[1]
    login(client, world.a.users["site_manager"])
    found = client.get(reverse("access:pass_issue"), {"q": resident.name})
    assert [r.pk for r in found.context["matches"]] == [resident.pk]
    response = client.post(
        reverse("access:pass_issue"), {"target": "resident", "resident": resident.pk, "days": 30}
    )
    pass_ = Pass.all_tenants.get(resident=resident)
    assert response["Location"] == pass_.get_absolute_url()
    assert pass_.holder_name == resident.name


def test_another_companys_resident_cannot_be_given_a_pass(client, world):
    login(client, world.a.users["company_admin"])
    response = client.post(
        reverse("access:pass_issue"),
        {"target": "resident", "resident": world.b.residents[0].pk, "days": 30},
    )
    assert response.status_code == 200
    assert "resident" in response.context["form"].errors
    assert not Pass.all_tenants.exists()


def test_revoke_records_the_reason(client, world):
    pass_ = gate.pass_issue(actor=None, resident=world.a.residents[0])
    login(client, world.a.users["site_manager"])

    blank = client.post(reverse("access:pass_revoke", args=[pass_.pk]), {"reason": ""})
    assert "reason" in blank.context["form"].errors
    response = client.post(
        reverse("access:pass_revoke", args=[pass_.pk]), {"reason": "已搬离本小区"}
    )

    assert response["Location"] == pass_.get_absolute_url()
    pass_.refresh_from_db()
    assert pass_.revoked_reason == "已搬离本小区" and pass_.revoked_at is not None
    audit = AuditEvent.objects.get(
        object_type="access.pass", object_id=str(pass_.pk), action=AuditAction.PASS_REVOKE
    )
    assert (
        audit.changes == {"reason": [None, "已搬离本小区"]}
        and audit.actor == world.a.users["site_manager"]
    )
    page = client.get(pass_.get_absolute_url())
    assert page.context["qr"] == "" and page.context["revoke_form"] is None
    assert "已搬离本小区" in page.content.decode()


def test_pass_detail_shows_the_signed_token_as_an_svg_qr(client, world):
    pass_ = gate.pass_issue(actor=None, resident=world.a.residents[0])
    login(client, world.a.users["guard"])
    page = client.get(pass_.get_absolute_url())
    assert (
        page.context["qr"].startswith("<svg") and page.context["revoke_form"] is None
    )  # guards do not revoke


def test_pass_list_filters_by_status_and_building_and_searches_the_holder(client, world):
    first, second = world.a.residents
    kept = gate.pass_issue(actor=None, resident=first)
    gone = gate.pass_issue(actor=None, resident=second)
    gate.pass_revoke(actor=None, pass_=gone, reason="遗失")
    login(client, world.a.users["company_admin"])
    url = reverse("access:pass_list")

    def pks(**params):
        return [p.pk for p in client.get(url, params).context["object_list"]]

    assert pks(status="valid") == [kept.pk]
    assert pks(status="revoked") == [gone.pk]
    assert pks(status="expired") == []
    assert pks(q=second.name) == [gone.pk]
    assert sorted(pks(building=world.a.building.pk)) == sorted([kept.pk, gone.pk])


def test_pass_sheet_prints_one_card_per_valid_resident_pass(client, world):
    gate.pass_issue(actor=None, resident=world.a.residents[0])
    revoked = gate.pass_issue(actor=None, resident=world.a.residents[1])
    gate.pass_revoke(actor=None, pass_=revoked, reason="遗失")
    login(client, world.a.users["site_manager"])
    page = client.get(reverse("access:pass_sheet", args=[world.a.building.pk]))
    assert [c["pass"].holder_name for c in page.context["cards"]] == [world.a.residents[0].name]
    assert page.content.decode().count("<svg") == 1
    assert "@page" in page.content.decode()


def test_the_resident_sees_their_own_pass_and_404_for_another_households(client, world):
    own = gate.pass_issue(actor=None, resident=world.a.residents[0])
    _, neighbours = add_household(world.a, room="305", names=["邻居"])
    neighbours_pass = gate.pass_issue(actor=None, resident=neighbours[0])
    other_company = gate.pass_issue(actor=None, resident=world.b.residents[0])
    login(client, world.a.users["resident"])

    page = client.get(reverse("access:my_pass", args=[own.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert world.a.residents[0].name in html and "1栋1单元301" in html and "<svg" in html
    assert client.get(reverse("access:my_pass", args=[neighbours_pass.pk])).status_code == 404
    assert client.get(reverse("access:my_pass", args=[other_company.pk])).status_code == 404
    assert client.get(reverse("access:pass_detail", args=[neighbours_pass.pk])).status_code == 404
    assert [p.pk for p in client.get(reverse("access:my_passes")).context["object_list"]] == [
        own.pk
    ]
    assert [p.pk for p in client.get(reverse("access:pass_list")).context["object_list"]] == [
        own.pk
    ]


def test_staff_have_no_pass_of_their_own_on_the_my_pass_page(client, world):
    pass_ = gate.pass_issue(actor=None, resident=world.a.residents[0])
    login(client, world.a.users["company_admin"])
    assert client.get(reverse("access:my_pass", args=[pass_.pk])).status_code == 404


# --- visitors ---------------------------------------------------------------------------------


def test_a_resident_registers_a_visitor_who_gets_a_one_time_pass(client, world):
    login(client, world.a.users["resident"])
    tomorrow = timezone.localdate() + timedelta(days=1)
    form = client.get(reverse("access:visitor_create")).context["form"]
    assert list(form.fields) == ["household", "name", "phone", "expected_on", "purpose"]

    response = client.post(
        reverse("access:visitor_create"),
        {
            "household": world.a.household.pk,
            "name": "刘访客",
            "phone": "139 1234 5678",
            "expected_on": tomorrow.isoformat(),
            "purpose": "送药",
        },
    )

    visitor = Visitor.all_tenants.select_related("pass_ref").get()
    assert response["Location"] == reverse("access:visitor_detail", args=[visitor.pk])
    assert (visitor.household_id, visitor.name, visitor.purpose) == (
        world.a.household.pk,
        "刘访客",
        "送药",
    )
    assert visitor.phone_masked == "139****5678" and get_personal(visitor, "phone") == "13912345678"
    assert b"13912345678" not in bytes(visitor.phone_enc)
    one_time = visitor.pass_ref
    assert (one_time.kind, one_time.household_id, one_time.holder_name) == (
        Pass.Kind.VISITOR,
        world.a.household.pk,
        "刘访客",
    )
    assert timezone.localtime(one_time.valid_from).date() == tomorrow
    assert one_time.valid_until - one_time.valid_from == timedelta(hours=24)
    detail = client.get(response["Location"])
    assert detail.context["qr"].startswith("<svg")


def test_a_resident_cannot_register_a_visitor_for_another_household(client, world):
    neighbour, _ = add_household(world.a, room="306", names=["邻居"])
    login(client, world.a.users["resident"])
    response = client.post(
        reverse("access:visitor_create"),
        {
            "household": neighbour.pk,
            "name": "刘访客",
            "phone": "13912345678",
            "expected_on": timezone.localdate().isoformat(),
        },
    )
    assert "household" in response.context["form"].errors
    assert not Visitor.all_tenants.exists() and not Pass.all_tenants.exists()


def test_a_policy_that_turns_visitors_away_refuses_residents_but_not_the_gate(client, world):
    gate.policy_publish(
        actor=None,
        site=world.a.site,
        data={"visitor_rule": "forbidden", "effective_from": timezone.now() - timedelta(hours=1)},
    )
    today = timezone.localdate().isoformat()
    login(client, world.a.users["resident"])
    refused = client.post(
        reverse("access:visitor_create"),
        {
            "household": world.a.household.pk,
            "name": "刘访客",
            "phone": "13912345678",
            "expected_on": today,
        },
    )
    assert list(refused.context["form"].errors) == ["expected_on"]
    assert not Visitor.all_tenants.exists() and not Pass.all_tenants.exists()
    client.logout()
    login(client, world.a.users["guard"])
    client.post(
        reverse("access:visitor_create"),
        {
            "building": world.a.building.pk,
            "unit": "1",
            "room": "301",
            "name": "医生",
            "phone": "13912345678",
            "expected_on": today,
        },
    )
    assert list(Visitor.all_tenants.values_list("name", flat=True)) == ["医生"]


def refuse_visitors(site, *, hours_ago=1):
    return gate.policy_publish(
        actor=None,
        site=site,
        data={
            "visitor_rule": "forbidden",
            "effective_from": timezone.now() - timedelta(hours=hours_ago),
        },
    )


def test_the_visitor_form_says_up_front_that_the_site_refuses_visitors_today(client, world):
    url = reverse("access:visitor_create")
    login(client, world.a.users["guard"])
    before = client.get(url).content.decode()
    assert 'data-testid="visitors-refused"' not in before and 'name="room"' in before
    refuse_visitors(world.a.site)
    page = client.get(url).content.decode()
    assert 'data-testid="visitors-refused"' in page
    assert f"{world.a.site.name} 今日谢绝来访" in page
    assert 'name="room"' not in page and 'name="name"' not in page  # no form to fill
    assert 'data-testid="visitor-escorted"' in page
    # Staff may still register an escorted visit: the form, under the same warning.
    escorted = client.get(url, {"escorted": "1"}).content.decode()
    assert 'name="room"' in escorted and 'data-testid="visitors-refused"' in escorted
    client.logout()
    login(client, world.a.users["resident"])
    resident = client.get(url).content.decode()
    assert f"{world.a.site.name} 今日谢绝来访" in resident
    assert 'name="name"' not in resident and 'data-testid="visitor-escorted"' not in resident
    assert 'name="name"' not in client.get(url, {"escorted": "1"}).content.decode()


def test_the_refusal_follows_the_policy_in_force_and_the_users_sites(client, world):
    url = reverse("access:visitor_create")
    refuse_visitors(world.b.site)  # another company's site: not a's business
    gate.policy_publish(  # a's second site: refuses from tomorrow only
        actor=None,
        site=world.a.sibling.site,
        data={"visitor_rule": "forbidden", "effective_from": timezone.now() + timedelta(days=1)},
    )
    login(client, world.a.users["company_admin"])
    page = client.get(url).content.decode()
    assert 'data-testid="visitors-refused"' not in page and 'name="room"' in page
    refuse_visitors(world.a.site)
    page = client.get(url).content.decode()
    # One of the admin's two sites refuses: said at the top, the form stays.
    message = page.split('data-testid="visitors-refused"', 1)[1].split("</div>", 1)[0]
    assert message.endswith(f">{world.a.site.name} 今日谢绝来访。")
    assert world.b.site.name not in page and 'name="room"' in page
    gate.policy_publish(
        actor=None,
        site=world.a.site,
        data={"visitor_rule": "escorted", "effective_from": timezone.now() - timedelta(minutes=1)},
    )
    assert 'data-testid="visitors-refused"' not in client.get(url).content.decode()


def test_the_guard_registers_a_visitor_at_the_gate_by_room(client, world):
    login(client, world.a.users["guard"])
    data = {
        "building": world.a.building.pk,
        "unit": "1",
        "room": "999",
        "name": "张师傅",
        "phone": "13700001111",
        "expected_on": timezone.localdate().isoformat(),
        "purpose": "维修",
    }
    wrong = client.post(reverse("access:visitor_create"), data)
    assert list(wrong.context["form"].errors) == ["room"]
    client.post(reverse("access:visitor_create"), {**data, "room": "301"})
    visitor = Visitor.all_tenants.get()
    assert (
        visitor.household_id == world.a.household.pk
        and visitor.registered_by == world.a.users["guard"]
    )


def test_visitor_errors_name_their_fields_and_nothing_is_written(client, world):
    login(client, world.a.users["resident"])
    response = client.post(
        reverse("access:visitor_create"),
        {
            "household": world.a.household.pk,
            "name": "刘访客",
            "phone": "12345",
            "expected_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    assert sorted(response.context["form"].errors) == ["expected_on", "phone"]
    assert not Visitor.all_tenants.exists() and not Pass.all_tenants.exists()


# --- deliveries -------------------------------------------------------------------------------


def test_the_guard_logs_a_delivery_and_marks_it_collected_once(client, world):
    login(client, world.a.users["guard"])
    client.post(
        reverse("access:delivery_create"),
        {
            "site": world.a.site.pk,
            "carrier": "京东",
            "building": world.a.building.pk,
            "unit": "1",
            "room": "301",
            "note": "冷链",
        },
    )
    delivery = Delivery.all_tenants.get()
    assert (delivery.household_id, delivery.carrier, delivery.note, delivery.collected_at) == (
        world.a.household.pk,
        "京东",
        "冷链",
        None,
    )
    waiting = client.get(reverse("access:delivery_list"), {"state": "waiting"}).context[
        "object_list"
    ]
    assert [d.pk for d in waiting] == [delivery.pk]

    client.post(reverse("access:delivery_collect", args=[delivery.pk]))
    delivery.refresh_from_db()
    collected_at = delivery.collected_at
    assert collected_at is not None
    second = client.post(reverse("access:delivery_collect", args=[delivery.pk]))
    assert second.status_code == 200 and second.context["form"].non_field_errors() == [
        "该件已领取。"
    ]
    delivery.refresh_from_db()
    assert delivery.collected_at == collected_at


def test_a_delivery_may_be_logged_without_a_household(client, world):
    login(client, world.a.users["guard"])
    client.post(reverse("access:delivery_create"), {"site": world.a.site.pk, "carrier": "美团"})
    assert Delivery.all_tenants.get().household_id is None


# --- vehicles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("鄂A12345", "鄂A12345"),
        ("鄂a·12345", "鄂A12345"),
        (" 京 B-8X9Y7 ", "京B8X9Y7"),
        ("粤AD12345", "粤AD12345"),  # new-energy small car: D first, then 5
        ("粤AFA1234", "粤AFA1234"),  # the second serial character may be a letter
        ("沪A12345D", "沪A12345D"),  # new-energy large vehicle: energy letter last
        ("鄂A1234学", "鄂A1234学"),
    ],
)
def test_plate_formats_accepted_and_normalised(typed, stored):
    assert administration.plate_validate(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "A12345",
        "鄂12345",
        "鄂AI2345",
        "鄂A1234",
        "鄂A123456",
        "鄂AD1234X",
        "鄂AD12345X",
        "XXA12345",
    ],
)
def test_plate_formats_rejected_name_the_plate_field(typed):
    with pytest.raises(ValidationError) as exc:
        administration.plate_validate(typed)
    assert list(exc.value.message_dict) == ["plate"]


def test_vehicle_registration_validates_and_normalises_the_plate(client, world):
    login(client, world.a.users["site_manager"])
    data = {"building": world.a.building.pk, "unit": "1", "room": "301"}
    bad = client.post(reverse("access:vehicle_create"), {**data, "plate": "鄂A1234"})
    assert bad.status_code == 200 and list(bad.context["form"].errors) == ["plate"]
    assert not Vehicle.all_tenants.exists()

    client.post(reverse("access:vehicle_create"), {**data, "plate": "鄂ad·12345"})
    assert list(Vehicle.all_tenants.values_list("plate", "household_id")) == [
        ("鄂AD12345", world.a.household.pk)
    ]
    duplicate = client.post(reverse("access:vehicle_create"), {**data, "plate": "鄂AD12345"})
    assert list(duplicate.context["form"].errors) == ["plate"]
    assert Vehicle.all_tenants.count() == 1


def test_the_resident_sees_only_their_households_vehicles(client, world):
    neighbour, _ = add_household(world.a, room="307", names=["邻居"])
    own = administration.vehicle_register(actor=None, household=world.a.household, plate="鄂A11111")
    administration.vehicle_register(actor=None, household=neighbour, plate="鄂A22222")
    login(client, world.a.users["resident"])
    assert [v.pk for v in client.get(reverse("access:vehicle_list")).context["object_list"]] == [
        own.pk
    ]


def test_removing_a_vehicle(client, world):
    vehicle = administration.vehicle_register(
        actor=None, household=world.a.household, plate="鄂A11111"
    )
    login(client, world.a.users["site_manager"])
    assert client.post(reverse("access:vehicle_remove", args=[vehicle.pk]))["Location"] == reverse(
        "access:vehicle_list"
    )
    assert not Vehicle.all_tenants.exists()
    assert (
        AuditEvent.objects.filter(
            object_type="access.vehicle", action=AuditAction.VEHICLE_REMOVE
        ).count()
        == 1
    )


# --- checkpoints and devices -------------------------------------------------------------------


def test_checkpoint_names_are_unique_per_site_and_the_error_names_the_field(client, world):
    login(client, world.a.users["site_manager"])
    client.post(
        reverse("access:checkpoint_create"),
        {"site": world.a.site.pk, "name": "南门", "kind": "vehicle"},
    )
    again = client.post(
        reverse("access:checkpoint_create"),
        {"site": world.a.site.pk, "name": "南门", "kind": "pedestrian"},
    )
    assert list(again.context["form"].errors) == ["name"]
    checkpoint = Checkpoint.all_tenants.get()
    client.post(
        reverse("access:checkpoint_edit", args=[checkpoint.pk]),
        {"name": "南门（车行）", "kind": "vehicle"},
    )
    checkpoint.refresh_from_db()
    assert (checkpoint.name, checkpoint.kind) == ("南门（车行）", "vehicle")


def test_device_list_shows_online_and_offline_from_the_last_heartbeat(client, world):
    checkpoint = administration.checkpoint_create(
        actor=None, site=world.a.site, data={"name": "东门"}
    )
    fresh, _ = devices.device_register(
        actor=None, checkpoint=checkpoint, name="测温门", kind="temperature"
    )
    stale, _ = devices.device_register(actor=None, checkpoint=checkpoint, name="读头", kind="qr")
    devices.device_register(actor=None, checkpoint=checkpoint, name="新设备", kind="turnstile")
    devices.device_heartbeat(device=fresh)
    devices.device_heartbeat(
        device=stale, now=timezone.now() - timedelta(seconds=Device.ONLINE_SECONDS + 5)
    )
    login(client, world.a.users["guard"])
    rows = {
        d.name: d.online for d in client.get(reverse("access:device_list")).context["object_list"]
    }
    assert rows == {"测温门": True, "读头": False, "新设备": False}
    online = client.get(reverse("access:device_list"), {"state": "online"}).context["object_list"]
    assert [d.name for d in online] == ["测温门"]


def test_registering_a_device_shows_its_token_once_and_rotation_replaces_it(client, world):
    checkpoint = administration.checkpoint_create(
        actor=None, site=world.a.site, data={"name": "东门"}
    )
    login(client, world.a.users["site_manager"])
    page = client.post(
        reverse("access:device_create"),
        {"checkpoint": checkpoint.pk, "name": "测温门", "kind": "temperature"},
    )
    token = page.context["token"]
    assert "no-store" in page["Cache-Control"]
    device = Device.all_tenants.get()
    assert devices.device_for_token(token) == device
    rotated = client.post(reverse("access:device_rotate", args=[device.pk])).context["token"]
    assert devices.device_for_token(token) is None and devices.device_for_token(rotated) == device


# --- list pages: fixed query counts --------------------------------------------------------------

# session, user, role assignments (the scope), COUNT, the page, plus the filter choices each page
# offers (sites; the pass list adds buildings).
EXPECTED = {
    "access:policy_list": 6,
    "access:pass_list": 7,
    "access:checkpoint_list": 6,
    "access:device_list": 6,
    "access:visitor_list": 6,
    "access:delivery_list": 6,
    "access:vehicle_list": 6,
}


def grow(tenant, n: int) -> None:
    """n more rows of every access table for the tenant."""
    for i in range(n):
        household, residents = add_household(tenant, room=f"{i + 1:02d}0", names=[f"住户{i}"])
        gate.pass_issue(actor=None, resident=residents[0])
        gate.policy_publish(actor=None, site=tenant.site, data={})
        checkpoint = administration.checkpoint_create(
            actor=None, site=tenant.site, data={"name": f"门{i}"}
        )
        devices.device_register(actor=None, checkpoint=checkpoint, name=f"设备{i}", kind="qr")
        administration.visitor_register(
            actor=None,
            household=household,
            name=f"访客{i}",
            phone="13812345678",
            expected_on=timezone.localdate(),
        )
        administration.delivery_log(
            actor=None, site=tenant.site, carrier=f"快递{i}", household=household
        )
        administration.vehicle_register(actor=None, household=household, plate=f"鄂B{i:05d}")


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_list_query_count_is_pinned_and_does_not_grow_with_rows(client, world, name):
    make_access_rows(world.a)
    login(client, world.a.users["company_admin"])
    url = reverse(name)
    assert count(client, url) == EXPECTED[name]
    grow(world.a, 8)
    assert count(client, url) == EXPECTED[name]


def test_my_passes_query_count_is_pinned(client, world):
    for resident in world.a.residents:
        gate.pass_issue(actor=None, resident=resident)
    login(client, world.a.users["resident"])
    assert count(client, reverse("access:my_passes")) == 5
    _, more = add_household(world.a, room="399", names=["甲", "乙"])
    for resident in more:
        gate.pass_issue(actor=None, resident=resident)
    assert count(client, reverse("access:my_passes")) == 5


def test_a_guards_menu_offers_what_a_guard_uses(client, world):
    """The gate, passes, visitors, deliveries and the log; not policies or devices,
    which the guard may not change (issue #17)."""
    from django.urls import reverse

    from firstline.testing.world import PASSWORD

    client.login(username=world.a.users["guard"].username, password=PASSWORD)
    html = client.get(reverse("dashboard")).content.decode()
    for name in ("access:gate", "access:visitor_list", "access:delivery_list", "access:log"):
        assert f'href="{reverse(name)}"' in html, name
    for name in ("access:policy_list", "access:checkpoint_list"):
        assert f'href="{reverse(name)}"' not in html, name
    client.logout()
    client.login(username=world.a.users["site_manager"].username, password=PASSWORD)
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("access:policy_list")}"' in html

"""The resumption services: registering a tenant (credit code, unit on its floor),
the application's states, staff one by one and from a workbook (all rows or none),
passes only while approved and up to the approved headcount, and the figures."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook

from firstline.access.models import Pass
from firstline.access.services import gate as access_gate
from firstline.core.importing import ImportRejected
from firstline.estates.models import Household, Resident, Site
from firstline.orgs.selectors import scope_for_user
from firstline.resumption.models import Application, AuditAction
from firstline.resumption.selectors import figures
from firstline.resumption.services import applications, staff, tenants
from firstline.resumption.tests.furnish import furnish
from firstline.testing.world import make_credit_code, make_id_number


@pytest.fixture
def world(world):
    return furnish(world)


def register(world, **data):
    base = {
        "name": "武汉新到科技有限公司",
        "credit_code": make_credit_code(777),
        "contact_name": "刘经理",
        "floors": "12",
    }
    return tenants.tenant_register(
        actor=world.a.users["site_manager"],
        building=world.a.building,
        floor=data.pop("floor", "12"),
        room=data.pop("room", "1201"),
        data=base | data,
        phone=data.pop("phone", "13800001234"),
    )


def test_a_tenant_is_registered_on_a_unit_of_its_floor(world):
    spaced = make_credit_code(777).lower()
    tenant = register(world, credit_code=f" {spaced[:8]} {spaced[8:]} ")
    assert tenant.credit_code == make_credit_code(777)
    assert tenant.phone_masked == "138****1234"
    unit = Household.all_tenants.get(pk=tenant.household_id)
    assert (unit.building_id, unit.unit, unit.room) == (world.a.building.pk, "12", "1201")
    with pytest.raises(ValidationError) as exc:
        register(world, room="1201室")  # the same room, written another way
    assert "room" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        register(world, room="1202")  # the same company again in this building
    assert "credit_code" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        register(world, room="1203", credit_code="91420100MA0000000A", phone="12345")
    assert {"credit_code", "phone"} <= set(exc.value.message_dict)


def test_only_office_and_commercial_buildings_take_tenants(world):
    Site.all_tenants.filter(pk=world.a.site.pk).update(site_type="residential")
    world.a.building.site.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        register(world)
    assert "building" in exc.value.message_dict


def test_the_application_moves_through_its_states(world):
    tenant = world.a.resumption_tenant
    application = world.a.application
    manager = world.a.users["site_manager"]
    with pytest.raises(ValidationError):  # one open application at a time
        applications.application_save(
            actor=None, tenant=tenant, data={"planned_date": None}, application=None
        )
    with pytest.raises(ValidationError) as exc:
        applications.application_approve(
            actor=manager, application=application, approved_headcount=9
        )
    assert "approved_headcount" in exc.value.message_dict
    with pytest.raises(ValidationError):
        applications.application_refuse(actor=manager, application=application, reason=" ")
    refused = applications.application_refuse(
        actor=manager, application=application, reason="方案不完整"
    )
    assert (refused.state, refused.refused_reason) == ("refused", "方案不完整")
    with pytest.raises(ValidationError):  # refused is final
        applications.application_approve(actor=manager, application=refused, approved_headcount=1)
    # After a refusal the tenant starts again: draft → submitted → approved.
    data = {
        "planned_date": timezone.localdate(),
        "headcount": 2,
        "origin_codes": ["420103", "999999"],
        "prevention_plan": "新方案",
        "person_in_charge": "王",
    }
    with pytest.raises(ValidationError) as exc:
        applications.application_save(actor=None, tenant=tenant, data=data)
    assert "origin_codes" in exc.value.message_dict
    draft = applications.application_save(
        actor=None, tenant=tenant, data=data | {"origin_codes": ["420103"]}
    )
    assert draft.state == "draft"
    draft = applications.application_save(
        actor=None,
        tenant=tenant,
        data=data | {"origin_codes": [], "headcount": 3},
        application=draft,
    )
    assert draft.headcount == 3
    submitted = applications.application_submit(actor=None, application=draft)
    with pytest.raises(ValidationError):  # no edits once submitted
        applications.application_save(actor=None, tenant=tenant, data=data, application=submitted)
    approved = applications.application_approve(
        actor=manager, application=submitted, approved_headcount=2, conditions="错峰"
    )
    assert (approved.state, approved.approved_headcount, approved.decided_by) == (
        "approved",
        2,
        manager,
    )
    actions = set(
        __import__("firstline.core.models", fromlist=["AuditEvent"])
        .AuditEvent.objects.filter(company_id=world.a.company.pk)
        .values_list("action", flat=True)
    )
    assert {AuditAction.APPLICATION_REFUSE, AuditAction.APPLICATION_APPROVE} <= actions


def test_passes_only_while_approved_and_up_to_the_headcount(world):
    tenant = world.a.resumption_tenant
    with pytest.raises(ValidationError):
        staff.passes_issue(actor=None, tenant=tenant)
    employee = staff.staff_register(
        actor=None, tenant=tenant, name="周三", phone="13911110000", id_number=make_id_number(600)
    )
    assert (employee.household_id, employee.birth_year) == (tenant.household_id, 1980)
    approved = applications.application_approve(
        actor=None, application=world.a.application, approved_headcount=2
    )
    assert staff.passes_issue(actor=None, tenant=tenant) == staff.Issued(2, 0, 1)
    assert staff.passes_issue(actor=None, tenant=tenant) == staff.Issued(0, 2, 1)
    # A pass given up (revoked) frees its place for the one left without.
    held = staff.active_passes(tenant).order_by("id").first()
    access_gate.pass_revoke(actor=None, pass_=held, reason="离职")
    assert staff.passes_issue(actor=None, tenant=tenant) == staff.Issued(1, 1, 1)
    assert staff.active_passes(tenant).count() == 2
    applications.application_suspend(actor=None, application=approved, reason="出现发热员工")
    assert staff.active_passes(tenant).count() == 0
    with pytest.raises(ValidationError):
        staff.passes_issue(actor=None, tenant=tenant)
    resumed = applications.application_approve(
        actor=None, application=approved, approved_headcount=3
    )
    assert resumed.state == "approved" and resumed.suspended_reason == ""
    assert staff.passes_issue(actor=None, tenant=tenant).issued == 3


def workbook(rows) -> BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.title = "返岗员工"
    sheet.append(["姓名", "手机号", "身份证号"])
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_the_staff_workbook_is_all_rows_or_none(world, tmp_path):
    tenant = world.a.resumption_tenant
    before = Resident.all_tenants.filter(household_id=tenant.household_id).count()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        workbook(
            [
                ["钱一", "13900000001", make_id_number(701)],
                ["", "139", make_id_number(702)],
                ["孙三", "13900000003", make_id_number(701)],
                ["李四", "13900000004", make_id_number(11)],  # world.a's resident's number
            ]
        ).getvalue()
    )
    with pytest.raises(ImportRejected) as exc:
        staff.staff_import(actor=None, tenant=tenant, path=bad)
    problems = {(e.row, e.field) for e in exc.value.errors}
    assert {(3, "姓名"), (3, "手机号"), (4, "身份证号"), (5, "身份证号")} <= problems
    assert Resident.all_tenants.filter(household_id=tenant.household_id).count() == before
    good = tmp_path / "good.xlsx"
    good.write_bytes(
        workbook(
            [
                ["钱一", "１３９０００００００１", make_id_number(701)],
                ["孙三", "13900000003", make_id_number(703)],
            ]
        ).getvalue()
    )
    assert staff.staff_import(actor=None, tenant=tenant, path=good) == 2
    added = Resident.all_tenants.filter(household_id=tenant.household_id, name="钱一").get()
    assert added.phone_masked == "139****0001"
    notxlsx = tmp_path / "x.xlsx"
    notxlsx.write_bytes(b"not a workbook")
    with pytest.raises(ImportRejected):
        staff.staff_import(actor=None, tenant=tenant, path=notxlsx)


def test_building_figures(world):
    tenant = world.a.resumption_tenant
    applications.application_approve(
        actor=None, application=world.a.application, approved_headcount=2
    )
    staff.passes_issue(actor=None, tenant=tenant)
    access_gate.policy_publish(
        actor=None,
        site=world.a.site,
        data={"mode": "office", "effective_from": timezone.now() - timedelta(days=2)},
    )
    first, second = world.a.residents
    now = timezone.now()
    # two moments of today, whatever the hour (at 00:01, two minutes ago was yesterday)
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    earlier, later = (max(now - timedelta(minutes=m), midnight) for m in (2, 1))
    access_gate.events_record(
        site=world.a.site,
        inputs=[
            access_gate.GateInput(
                client_uuid=uuid.uuid4(),
                direction="in",
                device_time=earlier,
                resident_id=first.pk,
                temperature=Decimal("36.5"),
            ),
            access_gate.GateInput(
                client_uuid=uuid.uuid4(),
                direction="in",
                device_time=later,
                temperature=Decimal("36.5"),
            ),
            access_gate.GateInput(
                client_uuid=uuid.uuid4(),
                direction="in",
                device_time=now - timedelta(days=1),
                resident_id=second.pk,
                temperature=Decimal("36.5"),
            ),
        ],
    )
    scope = scope_for_user(world.a.users["site_manager"])
    result = figures.building(scope, world.a.site)
    assert (result["tenants"], result["resumed"], result["staff"], result["passes_active"]) == (
        1,
        1,
        2,
        2,
    )
    assert result["admitted_today"] == 1
    assert (result["refused_today"], result["refused_total"]) == (1, 1)
    assert result["reasons"] == [{"reason": "未出示通行证", "today": 1, "total": 1}]
    # the sibling's manager sees nothing of it
    other = figures.building(scope_for_user(world.a.sibling.users["site_manager"]), world.a.site)
    assert (other["tenants"], other["staff"], other["refused_total"]) == (0, 0, 0)
    assert Pass.all_tenants.filter(household=world.a.household).count() == 2
    assert Application.all_tenants.filter(state="approved").count() == 1

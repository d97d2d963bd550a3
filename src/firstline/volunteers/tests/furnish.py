"""The test world furnished for volunteers: at every corner (a, a.sibling, b,
b.sibling) the site is a hospital with a volunteer of the corner's company (approved,
with a login holding the volunteer role), a staff deployment, today's shift, a closed
attendance, a health check, kit issued, a support task, an incident, an infection
report, an alert; each company has a team led by its first volunteer. Rows are
made directly (all_tenants), so what a test sees is exactly what it made; the
services are tested on their own."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from firstline.core.personal.crypto import seal
from firstline.core.personal.fields import set_personal
from firstline.core.roles import Role
from firstline.estates.models import Site
from firstline.orgs.models import RoleAssignment
from firstline.supplies.models import LedgerEntry
from firstline.supplies.services import ledger
from firstline.supplies.services.locations import site_location, warehouse_location
from firstline.supplies.tests.shipping import item, stock_in, warehouse
from firstline.testing.world import Tenant, World, make_id_number, make_user
from firstline.volunteers.models import (
    Attendance,
    Deployment,
    ExposureIncident,
    HealthCheck,
    InfectionReport,
    KitIssue,
    SafetyAlert,
    Shift,
    SupportTask,
    TaskType,
    Team,
    Volunteer,
)
from firstline.volunteers.services.people import consent_current

_serial = [500]


def make_volunteer(
    world: World, *, name: str, company=None, user=None, state="approved", team=None
):
    _serial[0] += 1
    n = _serial[0]
    v = Volunteer(
        association=world.association,
        company=company,
        user=user,
        team=team,
        name=name,
        skills=["driving", "dialect"],
        availability="full_time",
        emergency_name="紧急联系人",
        healthy=True,
        no_contact=True,
        consent=consent_current(world.association),
        consented_at=timezone.now(),
        source="company" if company else "public",
        state=state,
    )
    set_personal(v, "phone", f"1370000{n:04d}")
    set_personal(v, "id_number", make_id_number(n))
    sealed = seal("phone", f"1360000{n:04d}")
    v.emergency_phone_enc, v.emergency_phone_hmac = sealed.enc, sealed.hmac
    v.emergency_phone_last4, v.emergency_phone_masked = sealed.last4, sealed.masked
    v.save()
    return v


def _day_end(day):
    """The first moment of the local day after `day`."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def volunteer_user(world: World, username: str):
    user = make_user(username)
    RoleAssignment.objects.create(user=user, role=Role.VOLUNTEER, association=world.association)
    return user


def furnish_corner(world: World, t: Tenant, team: Team | None) -> None:
    Site.all_tenants.filter(pk=t.site.pk).update(site_type=Site.Type.HOSPITAL)
    t.site.site_type = Site.Type.HOSPITAL
    key = t.site.name[:2]
    user = volunteer_user(world, f"vol_{t.site.pk}")
    t.users["volunteer"] = user
    v = make_volunteer(world, name=f"{key}志愿者", company=t.company, user=user, team=team)
    t.volunteer = v
    today = timezone.localdate()
    now = timezone.now()
    d = Deployment.all_tenants.create(
        company=t.company,
        site=t.site,
        association=world.association,
        volunteer=v,
        person_name=v.name,
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=10),
    )
    t.deployment = d
    t.staff_deployment = Deployment.all_tenants.create(
        company=t.company,
        site=t.site,
        staff=t.staff,
        person_name=t.staff.name,
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=10),
    )
    t.shift = Shift.all_tenants.create(
        company=t.company,
        site=t.site,
        deployment=d,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=7),
    )
    t.attendance = Attendance.all_tenants.create(
        company=t.company,
        site=t.site,
        deployment=d,
        check_in_at=now - timedelta(days=1, hours=8),
        check_out_at=now - timedelta(days=1),
        minutes=480,
    )
    t.check = HealthCheck.all_tenants.create(
        company=t.company,
        site=t.site,
        deployment=t.staff_deployment,
        day=today,
        temperature=Decimal("36.5"),
        result="green",
    )
    t.kit = KitIssue.all_tenants.create(
        company=t.company,
        site=t.site,
        deployment=d,
        day=today,
        item=item(),
        quantity=2,
    )
    t.task = SupportTask.all_tenants.create(
        company=t.company,
        site=t.site,
        task_type=TaskType.objects.get(kind="medical_waste"),
        assignee=d,
        title="3楼医废收运",
        # Due later today whatever the hour (the day's figures count it), in two hours
        # unless the day ends first.
        due_at=min(now + timedelta(hours=2), _day_end(today) - timedelta(minutes=1)),
        handover_token=f"tok{t.site.pk}xxxxxxxxxxxxxxxx",
        handover_code=f"{t.site.pk:06d}"[-6:],
    )
    t.incident = ExposureIncident.all_tenants.create(
        company=t.company,
        site=t.site,
        deployment=t.staff_deployment,
        occurred_at=now - timedelta(hours=3),
        kind="splash",
        description="收运时体液喷溅至面屏",
    )
    t.infections = InfectionReport.all_tenants.create(
        company=t.company, site=t.site, day=today, infections=0
    )
    t.alert = SafetyAlert.all_tenants.create(
        company=t.company,
        site=t.site,
        kind="task_overdue",
        task=t.task,
        message="保障任务超时：3楼医废收运",
    )


def furnish(world: World) -> World:
    for t in (world.a, world.b):
        team = Team.all_tenants.create(
            association=world.association, company=t.company, name=f"{t.company.name[:1]}突击队"
        )
        for corner in t.corners:
            furnish_corner(world, corner, team if corner is t else None)
        Team.all_tenants.filter(pk=team.pk).update(leader=t.volunteer)
        team.leader = t.volunteer
        t.team = team
    world.users["coordinator"] = make_user(
        "coordinator", Role.VOLUNTEER_COORDINATOR, association=world.association
    )
    return world


def stock_site(world: World, site: Site, thing, quantity: int):
    """`quantity` of `thing` at the site's location: donated to the warehouse, then
    moved warehouse → site through the ledger."""
    batch = stock_in(world, [(thing, quantity)])
    site = Site.all_tenants.select_related("community").get(pk=site.pk)
    ledger.post(
        association_id=world.association.pk,
        moves=[
            ledger.Move(
                kind=LedgerEntry.Kind.TRANSFER,
                item_id=thing.pk,
                batch_id=batch.pk,
                from_location_id=warehouse_location(warehouse(world)).pk,
                to_location_id=site_location(site, association_id=world.association.pk).pk,
                quantity=quantity,
            )
        ],
    )
    return batch

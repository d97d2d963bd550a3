"""Demo data of cleaning and disinfection (issue #5).

What it tells, relative to the day the demo is built:

- The association's checklist library is published (version 1 for each of the five
  site types), and every demo site of those types has its real areas: a lift and a
  lobby per building, stairwells, garbage points, the car park, the parcel room and
  the gate; offices and hospitals also public toilets, a canteen and the
  air-conditioning plant room, campuses and parks a canteen. Its plan is the guide
  applied to those areas (`plan_apply`, the service the pages use).
- Some compounds have UV lamps in their lifts: those lifts' tasks were completed by
  the lamp's runs (DeviceRun rows), not by a cleaner.
- A month (30 days) of task history up to now: most done on time, some late, a few
  missed; each site keeps a level of its own, so the compliance chart has shape.
  Missed tasks raised overdue alerts; those of past days were acknowledged, today's
  are open. Today's slots not yet due come from the generator (`tasks_generate`).
- The demo logins' site (the first) has tasks still to do today, some of them
  overdue, so `cleaner_1` and `manager_1` find work on their pages.

Sites of types without a guide (commercial, transport) get no plan. History rows
go in with the world builder's bulk path; this is a system job across tenants, so
it uses the `all_tenants` managers.

    report = build_sanitation(rng=rng, now=timezone.now(), sites=sites)
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from firstline.access.models import Device
from firstline.estates.models import Building, Site
from firstline.orgs.models import RoleAssignment
from firstline.sanitation.models import (
    Area,
    AreaKind,
    DeviceRun,
    OverdueAlert,
    PlanEntry,
    Task,
)
from firstline.sanitation.services.generator import day_start, slot_offsets, tasks_generate
from firstline.sanitation.services.library import LIBRARY, library_install

# The job's own wording for the alerts of past days written in bulk here.
from firstline.sanitation.services.overdue import GRACE, overdue_raise
from firstline.sanitation.services.overdue import _message as overdue_message
from firstline.sanitation.services.plans import new_qr_token, plan_apply
from firstline.scenario.world import insert_rows

DAYS = 30  # days of history, today included
DEMO_CLEANER = "cleaner_1"
DEMO_MANAGER = "manager_1"
BUILDINGS_WITH_AREAS = 2  # the first buildings get a lift and a lobby each: keeps the step fast
UV_SHARE = 0.25  # residential compounds with UV lamps in their lifts
UV_RUN_MINUTES = 30
BATCHES = ("20200128", "20200203", "20200210", "20200217")  # disinfectant batch numbers


@dataclass
class SanitationReport:
    guides: int = 0
    areas: int = 0
    entries: int = 0
    tasks: int = 0
    done: int = 0
    late: int = 0
    missed: int = 0
    device_runs: int = 0
    alerts: int = 0
    uv_lamps: int = 0
    skipped_sites: list[int] = field(default_factory=list)

    def figures(self) -> dict[str, int]:
        """Figures for the world builder's step report."""
        return {
            "guides": self.guides,
            "areas": self.areas,
            "plan_entries": self.entries,
            "tasks": self.tasks,
            "tasks_done": self.done,
            "tasks_late": self.late,
            "tasks_missed": self.missed,
            "uv_lamps": self.uv_lamps,
            "device_runs": self.device_runs,
            "overdue_alerts": self.alerts,
            "sites_without_guide": len(self.skipped_sites),
        }


# --- areas ------------------------------------------------------------------------------

COMMON_AREAS = (
    ("北门岗亭", AreaKind.GATE),
    ("北门垃圾收集点", AreaKind.GARBAGE),
    ("地下停车场", AreaKind.CAR_PARK),
    ("快递收发室", AreaKind.PARCEL_ROOM),
    ("单元门把手及扶手", AreaKind.DOOR_HANDLE),
)
EXTRA_AREAS: dict[str, tuple[tuple[str, str], ...]] = {
    Site.Type.OFFICE: (
        ("公共卫生间", AreaKind.TOILET),
        ("员工食堂", AreaKind.CANTEEN),
        ("中央空调机房", AreaKind.HVAC),
    ),
    Site.Type.HOSPITAL: (
        ("门诊楼公共卫生间", AreaKind.TOILET),
        ("住院楼公共卫生间", AreaKind.TOILET),
        ("职工食堂", AreaKind.CANTEEN),
        ("空调通风机房", AreaKind.HVAC),
    ),
    Site.Type.INDUSTRIAL: (("园区食堂", AreaKind.CANTEEN), ("公共卫生间", AreaKind.TOILET)),
    Site.Type.CAMPUS: (
        ("学生食堂", AreaKind.CANTEEN),
        ("体育馆", AreaKind.GYM),
        ("教学楼公共卫生间", AreaKind.TOILET),
    ),
}


def site_areas(site: Site, buildings: list[tuple[int, str, int]]) -> list[Area]:
    """The site's areas: per building (the first few) a lift when it has one and a
    lobby; the stairwells; then the site's shared places."""
    areas = []
    for building_id, name, floors in buildings[:BUILDINGS_WITH_AREAS]:
        if floors >= 7:  # buildings of seven floors or more have lifts
            areas.append((f"{name}电梯", AreaKind.LIFT, building_id))
        areas.append((f"{name}大堂", AreaKind.LOBBY, building_id))
    if buildings:
        areas.append(("各楼栋楼梯间", AreaKind.STAIRWELL, None))
    areas += [(n, k, None) for n, k in COMMON_AREAS]
    areas += [(n, k, None) for n, k in EXTRA_AREAS.get(site.site_type, ())]
    return [
        Area(
            company_id=site.company_id,
            site_id=site.pk,
            name=name,
            kind=kind,
            building_id=building_id,
            qr_token=new_qr_token(),
        )
        for name, kind, building_id in areas
    ]


# --- the builder --------------------------------------------------------------------------


def build_sanitation(
    *, rng: random.Random, now: datetime, sites: Sequence[Site]
) -> SanitationReport:
    """Library, areas, plans, devices and a month of tasks for `sites` (the builder's
    order: the first is the demo logins' site). Deterministic for a rng state and `now`
    except the QR tokens and device tokens, which must be unguessable."""
    report = SanitationReport()
    report.guides = len(library_install(actor=None))
    planned = [s for s in sites if s.site_type in LIBRARY]
    report.skipped_sites = [s.pk for s in sites if s.site_type not in LIBRARY]
    if not planned:
        return report
    site_ids = [s.pk for s in planned]
    buildings: dict[int, list[tuple[int, str, int]]] = {}
    for pk, site_id, name, floors in (
        Building.all_tenants.filter(site_id__in=site_ids)
        .order_by("site_id", "id")
        .values_list("id", "site_id", "name", "floors")
    ):
        buildings.setdefault(site_id, []).append((pk, name, floors))

    with transaction.atomic():
        areas = [a for s in planned for a in site_areas(s, buildings.get(s.pk, []))]
        Area.all_tenants.bulk_create(areas, batch_size=1000)
        report.areas = len(areas)
        report.uv_lamps = _uv_lamps(rng, planned, now)
        for site in planned:
            plan_apply(actor=None, site=site)
    report.entries = PlanEntry.all_tenants.filter(site_id__in=site_ids, active=True).count()

    users = dict(
        RoleAssignment.objects.filter(user__username__in=[DEMO_CLEANER, DEMO_MANAGER]).values_list(
            "user__username", "user_id"
        )
    )
    _history(rng, planned, now, report, cleaner_id=users.get(DEMO_CLEANER))
    today = timezone.localdate(now)
    # Today's slots still ahead: the generator's own path, as the nightly job runs it.
    tasks_generate(day=today, site_ids=site_ids, now=now)
    report.tasks = Task.all_tenants.filter(site_id__in=site_ids).count()
    report.alerts = _alerts(now, site_ids, manager_id=users.get(DEMO_MANAGER))
    return report


def _uv_lamps(rng: random.Random, sites: Sequence[Site], now: datetime) -> int:
    """UV lamps in the lifts of some residential compounds (always the first site)."""
    chosen = {sites[0].pk} | {
        s.pk for s in sites if s.site_type == Site.Type.RESIDENTIAL and rng.random() < UV_SHARE
    }
    lifts = list(
        Area.all_tenants.filter(site_id__in=chosen, kind=AreaKind.LIFT)
        .order_by("site_id", "id")
        .values_list("id", "company_id", "site_id", "name")
    )
    # In the first site only every other lift has one: its cleaner does the rest.
    first = [pk for pk, _c, site_id, _n in lifts if site_id == sites[0].pk]
    skip = set(first[1::2])
    devices = [
        Device(
            company_id=company_id,
            site_id=site_id,
            name=f"{name}紫外线灯"[:64],
            kind=Device.Kind.UV_LAMP,
            serial=f"UV{pk:08d}",
            token_hash=secrets.token_hex(32),
            last_seen_at=now - timedelta(minutes=rng.randint(1, 90)),
        )
        for pk, company_id, site_id, name in lifts
        if pk not in skip
    ]
    Device.all_tenants.bulk_create(devices, batch_size=1000)
    placed = [pk for pk, *_rest in lifts if pk not in skip]
    for area_id, device in zip(placed, devices, strict=True):
        Area.all_tenants.filter(pk=area_id).update(device_id=device.pk)
    return len(devices)


class _Driver:
    """Values as the driver takes them, converted once each: on SQLite the ORM stores
    datetimes as UTC text and dates as ISO text; psycopg takes the objects. A month of
    tasks repeats a few thousand moments, so the cache saves most of the work."""

    def __init__(self):
        self.sqlite = connection.vendor == "sqlite"
        self.cache: dict = {}

    def at(self, value: datetime | None):
        if value is None or not self.sqlite:
            return value
        text = self.cache.get(value)
        if text is None:
            text = self.cache[value] = str(value.astimezone(UTC))[:-6]
        return text

    def day(self, value: date):
        return value.isoformat() if self.sqlite else value

    def uuid(self, rng: random.Random):
        value = uuid.UUID(int=rng.getrandbits(128), version=4)
        return value.hex if self.sqlite else value


def _history(
    rng: random.Random,
    sites: Sequence[Site],
    now: datetime,
    report: SanitationReport,
    *,
    cleaner_id: int | None,
) -> None:
    """Every slot of the last 30 days already due by `now`, with its outcome, and an
    acknowledged overdue alert for each slot missed on a past day. Each site has a
    diligence of its own; today misses more (the day is not over), and the demo
    logins' site always keeps some of today's work open. Rows go straight to the
    driver (world.insert_rows): at 150,000 tasks the ORM's per-value work is what
    would decide the step's time."""
    driver = _Driver()
    today = timezone.localdate(now)
    first_site = sites[0].pk
    diligence = {s.pk: rng.uniform(0.90, 0.995) for s in sites}
    devices = dict(
        Area.all_tenants.filter(site_id__in=list(diligence), device__isnull=False).values_list(
            "id", "device_id"
        )
    )
    entries = list(
        PlanEntry.all_tenants.filter(site_id__in=list(diligence), active=True)
        .order_by("site_id", "area_id", "id")
        .values_list(
            "id",
            "company_id",
            "site_id",
            "area_id",
            "revision",
            "times_per_day",
            "every_hours",
            "area__name",
            "title",
        )
    )
    offsets: dict[tuple, list[timedelta]] = {}
    first_open = 0  # today's due tasks left open at the demo logins' site
    pending, done, by_device = Task.State.PENDING, Task.State.DONE, Task.Source.DEVICE
    for back in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        start = day_start(day)
        created = driver.at(start - timedelta(hours=6))
        day_value = driver.day(day)
        batch = BATCHES[min(back // 8, len(BATCHES) - 1)]
        tasks: list[dict] = []
        runs: list[dict] = []
        missed: list[tuple] = []  # (entry, slot, company, site, area name, title, due)
        for entry_id, company_id, site_id, area_id, revision, tpd, every, area, title in entries:
            key = (tpd, every)
            if key not in offsets:
                offsets[key] = slot_offsets(tpd, every)
            device_id = devices.get(area_id)
            chance = diligence[site_id] - (0.06 if back == 0 else 0.0)
            for slot, offset in enumerate(offsets[key], start=1):
                due = start + offset
                if due > now:
                    break  # the generator makes the rest of today
                row = {
                    "company_id": company_id,
                    "site_id": site_id,
                    "entry_id": entry_id,
                    "area_id": area_id,
                    "day": day_value,
                    "slot": slot,
                    "revision": revision,
                    "due_at": driver.at(due),
                    "state": pending,
                    "done_at": None,
                    "done_by_id": None,
                    "source": "",
                    "device_id": None,
                    "batch": "",
                    "created_at": created,
                    "updated_at": driver.at(due),
                }
                keep_open = back == 0 and site_id == first_site and first_open < 3
                if keep_open or rng.random() > chance:
                    first_open += keep_open
                    report.missed += 1
                    tasks.append(row)
                    if back:
                        missed.append((entry_id, slot, company_id, site_id, area, title, due))
                    continue
                if rng.random() < 0.1:  # late
                    done_at = min(due + timedelta(minutes=rng.randint(20, 150)), now)
                else:
                    done_at = due - timedelta(minutes=rng.randint(5, 80))
                report.done += 1
                report.late += done_at > due
                stamp = driver.at(done_at)
                row.update(state=done, done_at=stamp, updated_at=stamp)
                if device_id:
                    row.update(source=by_device, device_id=device_id)
                    runs.append(
                        {
                            "company_id": company_id,
                            "site_id": site_id,
                            "client_uuid": driver.uuid(rng),
                            "device_id": device_id,
                            "area_id": area_id,
                            "started_at": driver.at(done_at - timedelta(minutes=UV_RUN_MINUTES)),
                            "minutes": UV_RUN_MINUTES,
                            "tasks_completed": 1,
                            "created_at": stamp,
                            "updated_at": stamp,
                        }
                    )
                else:
                    row.update(
                        source=Task.Source.CLEANER,
                        batch=batch,
                        done_by_id=cleaner_id if site_id == first_site else None,
                    )
                tasks.append(row)
        with transaction.atomic():
            insert_rows(Task, tasks)
            insert_rows(DeviceRun, runs)
            _past_alerts(driver, day, missed, now)
        report.device_runs += len(runs)


def _past_alerts(driver: _Driver, day: date, missed: list[tuple], now: datetime) -> None:
    """The alerts the overdue job raised for a past day's missed slots, seen the next
    morning. Written here in bulk; today's come from the job itself (`_alerts`)."""
    if not missed:
        return
    ids = dict(
        (((entry, slot), pk))
        for pk, entry, slot in Task.all_tenants.filter(
            day=day, entry_id__in={m[0] for m in missed}, state=Task.State.PENDING
        ).values_list("id", "entry_id", "slot")
    )
    seen = driver.at(min(day_start(day + timedelta(days=1)) + timedelta(minutes=30), now))
    rows = []
    for entry, slot, company_id, site_id, area, title, due in missed:
        raised = driver.at(due + GRACE)
        rows.append(
            {
                "company_id": company_id,
                "site_id": site_id,
                "task_id": ids[(entry, slot)],
                "message": overdue_message(area, title, due)[:200],
                "acknowledged_at": seen,
                "acknowledged_by_id": None,
                "created_at": raised,
                "updated_at": seen,
            }
        )
    insert_rows(OverdueAlert, rows)


def _alerts(now: datetime, site_ids: list[int], *, manager_id: int | None) -> int:
    """Today's alerts from the overdue job itself; the demo manager saw the past ones."""
    overdue_raise(now)
    today = timezone.localdate(now)
    alerts = OverdueAlert.all_tenants.filter(site_id__in=site_ids)
    if manager_id is not None:
        alerts.filter(site_id=site_ids[0], created_at__lt=day_start(today)).update(
            acknowledged_by_id=manager_id
        )
    return alerts.count()

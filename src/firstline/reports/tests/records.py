"""The underlying records a daily report counts, made as model rows for tests: gate
events (every decision and direction, fevers with their alert), declarations of each
status, isolation cases started / active / released, support requests, disinfection
tasks in every state, staff on and off duty, and stock at the site through the real
ledger. Spread at random over the day asked for and the days around it, with some
exactly on the local midnights, so a figure that took the wrong day or the wrong
field would differ from the direct count the tests make.

`expected(site, day, now)` is that direct count: plain ORM filters written here,
independently of reports/selectors/prefill.py."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from firstline.access.models import AccessEvent, Alert, Decision, Direction
from firstline.estates.models import Household, Resident, Site, Staff
from firstline.health.models import Consent, Declaration, IsolationCase, SupportRequest
from firstline.sanitation.models import Task
from firstline.sanitation.tests.rows import make_area, make_entry, make_task
from firstline.supplies.models import Balance, LedgerEntry, Location
from firstline.supplies.services import ledger
from firstline.supplies.services.locations import site_location, warehouse_location
from firstline.supplies.tests.shipping import item, stock_in, warehouse
from firstline.testing.world import make_id_number, make_resident


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


def _moments(rng: random.Random, day: date, n: int) -> list[datetime]:
    """n moments over day-1 .. day+1, including the edges of `day`."""
    edges = [at(day), at(day) - timedelta(seconds=1), at(day + timedelta(days=1))]
    edges.append(at(day + timedelta(days=1)) - timedelta(seconds=1))
    out = list(edges)
    while len(out) < n:
        offset = rng.randrange(-24 * 3600, 48 * 3600)
        out.append(at(day) + timedelta(seconds=offset))
    return out


def gate_events(tenant, day: date, rng: random.Random, n: int = 40) -> None:
    for moment in _moments(rng, day, n):
        decision = rng.choice([Decision.ADMIT, Decision.ADMIT, Decision.DENY, Decision.REFER])
        fever = rng.random() < 0.25
        event = AccessEvent.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            client_uuid=uuid.uuid4(),
            direction=rng.choice([Direction.IN, Direction.OUT]),
            credential=AccessEvent.Credential.LOOKUP,
            resident=tenant.residents[0],
            household=tenant.household,
            temperature=Decimal("38.2") if fever else Decimal("36.5"),
            decision=Decision.REFER if fever else decision,
            device_time=moment,
        )
        if fever:
            Alert.all_tenants.create(
                company=tenant.company,
                site=tenant.site,
                kind=Alert.Kind.FEVER,
                event=event,
                message="38.2℃",
            )


def declarations(tenant, day: date, rng: random.Random, n: int = 12) -> None:
    resident = tenant.residents[1]
    consent = Consent.all_tenants.create(
        company=tenant.company,
        site=tenant.site,
        resident=resident,
        text_version="v1",
        channel="self",
        given_at=at(day - timedelta(days=2)),
    )
    for moment in _moments(rng, day, n):
        Declaration.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            resident=resident,
            household=tenant.household,
            current=False,
            channel="self",
            consent=consent,
            submitted_at=moment,
            status=rng.choice(["green", "green", "yellow", "red"]),
        )


def isolation_cases(tenant, day: date) -> None:
    """One open case per resident (a constraint), so the open ones get residents of
    their own; they also grow the residents figure."""
    serial = tenant.site.pk * 10
    extra = [
        make_resident(
            household=tenant.household,
            name=f"隔离{i}",
            phone=f"1370{serial + i:07d}",
            id_number=make_id_number(700 + serial + i),
        )
        for i in range(3)
    ]
    rows = [
        (day - timedelta(days=5), None),  # active through the day
        (day, None),  # new that day, active
        (day - timedelta(days=3), at(day, 10)),  # released that day
        (day - timedelta(days=3), at(day + timedelta(days=1))),  # released at next midnight
        (day - timedelta(days=4), at(day) - timedelta(seconds=1)),  # released the day before
        (day + timedelta(days=1), None),  # starts the next day
    ]
    open_residents = iter(extra)
    for start, released in rows:
        resident = tenant.residents[0] if released else next(open_residents)
        IsolationCase.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            resident=resident,
            household=tenant.household,
            reason="武汉返回",
            start_date=start,
            planned_end=start + timedelta(days=14),
            state="released" if released else "active",
            released_at=released,
        )


def support_requests(tenant, day: date, rng: random.Random, n: int = 10) -> None:
    for moment in _moments(rng, day, n):
        done = rng.random() < 0.6
        SupportRequest.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            household=tenant.household,
            kind="groceries",
            details="米面油",
            requested_at=moment,
            state="done" if done else "open",
            done_at=moment + timedelta(hours=rng.randrange(0, 30)) if done else None,
        )


def tasks(tenant, day: date, rng: random.Random) -> None:
    entry = make_entry(make_area(tenant, name=f"{tenant.site.name}电梯"))
    slot = 0
    for d in (day - timedelta(days=1), day, day + timedelta(days=1)):
        for hour in (8, 10, 12, 14, 16, 18, 20):
            slot += 1
            state = rng.choice(["pending", "done", "done", "cancelled"])
            extra = {"state": state}
            if state == "done":
                extra["done_at"] = at(d, hour) + timedelta(minutes=rng.choice([-30, 20, 90]))
            make_task(entry, d, slot=slot, hour=hour, **extra)


def staff(tenant) -> None:
    for i, on_duty in enumerate((True, True, False)):
        Staff.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            name=f"员工{i}",
            position=Staff.Position.CLEANER,
            on_duty=on_duty,
        )


def households(tenant, n: int) -> None:
    for i in range(n):
        Household.all_tenants.create(
            company=tenant.company,
            site=tenant.site,
            building=tenant.building,
            unit="2",
            room=f"{500 + i}",
        )


def stock(world, tenant, quantities: dict[str, int]) -> None:
    """Stock arrives at the warehouse and is moved to the site, through the ledger."""
    lines = [(item(code, name=f"物资{code}"), qty) for code, qty in quantities.items()]
    batch = stock_in(world, lines)
    site = Site.all_tenants.select_related("community").get(pk=tenant.site.pk)
    ledger.post(
        association_id=world.association.pk,
        moves=[
            ledger.Move(
                kind=LedgerEntry.Kind.TRANSFER,
                item_id=thing.pk,
                batch_id=batch.pk,
                from_location_id=warehouse_location(warehouse(world)).pk,
                to_location_id=site_location(site, association_id=world.association.pk).pk,
                quantity=qty,
            )
            for thing, qty in lines
        ],
    )


def furnish(world, tenant, day: date, seed: int) -> None:
    rng = random.Random(seed)
    gate_events(tenant, day, rng)
    declarations(tenant, day, rng)
    isolation_cases(tenant, day)
    support_requests(tenant, day, rng)
    tasks(tenant, day, rng)
    staff(tenant)
    households(tenant, seed % 3 + 1)


# --- the direct counts ----------------------------------------------------------------


def expected(site_id: int, day: date, now: datetime) -> dict:
    start, end = at(day), at(day + timedelta(days=1))
    events = AccessEvent.all_tenants.filter(
        site_id=site_id, device_time__gte=start, device_time__lt=end
    )
    decls = Declaration.all_tenants.filter(
        site_id=site_id, submitted_at__gte=start, submitted_at__lt=end
    )
    cases = IsolationCase.all_tenants.filter(site_id=site_id)
    support = SupportRequest.all_tenants.filter(site_id=site_id)
    counted = Task.all_tenants.filter(site_id=site_id, day=day).exclude(state="cancelled")
    counted = counted.filter(Q(due_at__lte=now) | Q(state="done"))
    balances = (
        Balance.all_tenants.filter(location__kind=Location.Kind.SITE, location__site_id=site_id)
        .values("item__code")
        .annotate(q=Sum("quantity"))
    )
    return {
        "residents": Resident.all_tenants.filter(site_id=site_id).count(),
        "households": Household.all_tenants.filter(site_id=site_id).count(),
        "entries": events.filter(decision="admit", direction="in").count(),
        "exits": events.filter(decision="admit", direction="out").count(),
        "denied": events.filter(decision="deny").count(),
        "referred": events.filter(decision="refer").count(),
        "fevers": Alert.all_tenants.filter(kind="fever", event__in=events).count(),
        "declarations": decls.count(),
        "declarations_green": decls.filter(status="green").count(),
        "declarations_yellow": decls.filter(status="yellow").count(),
        "declarations_red": decls.filter(status="red").count(),
        "isolation_new": cases.filter(start_date=day).count(),
        "isolation_active": cases.filter(start_date__lte=day)
        .filter(Q(released_at__isnull=True) | Q(released_at__gte=end))
        .count(),
        "isolation_released": cases.filter(released_at__gte=start, released_at__lt=end).count(),
        "support_requested": support.filter(requested_at__gte=start, requested_at__lt=end).count(),
        "support_done": support.filter(done_at__gte=start, done_at__lt=end).count(),
        "sanitation_due": counted.count(),
        "sanitation_done": counted.filter(state="done", done_at__lt=end).count(),
        "staff_on_duty": Staff.all_tenants.filter(site_id=site_id, on_duty=True).count(),
        "stock": {row["item__code"]: row["q"] for row in balances if row["q"]},
    }

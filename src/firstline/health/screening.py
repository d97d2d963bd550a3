"""Set-based re-screening of every current declaration, after a risk list changes
and once a day (visits age out of the window).

The same rules as rules.screen, written as SQL: one UPDATE per distinct company
configuration (usually one or two), then one INSERT … SELECT opening worklist
items, one UPDATE raising the level of open ones, one INSERT … SELECT raising red
alerts, and one count. No Python loop over declarations.

How a place hit becomes SQL: for each length n of the division codes in force,
"some area's code = the first n characters of the place's code" is an equality,
so the database hashes the (few hundred) areas once and probes each place
(a semi-join); named areas match by position of the name in the place name
(INSTR / STRPOS: case-sensitive like Python's `in`). Each such set of declaration
ids is an uncorrelated IN subquery inside the CASE, which the database evaluates
once (a hashed subplan on PostgreSQL, an ephemeral index on SQLite).

Only rows whose status changes are written; their `screened_at` is set to this
run's time, which is also how the alert step finds the newly red.
Statements run one by one outside a single transaction so the progress bar can
move; each is atomic by itself and re-running the whole is harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from django.db import connection
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Concat, Length, StrIndex, Substr
from django.utils import timezone

from . import rules
from .declarations import red_alert_suffix
from .models import (
    Declaration,
    DeclarationPlace,
    HealthAlert,
    RiskArea,
    ScreeningConfig,
    Status,
    WorkItem,
)

Progress = Callable[[int, int], None]  # (statements done, statements in all)


# --- the classification -------------------------------------------------------------------


def _area_shape() -> tuple[list[int], bool]:
    """The lengths of the division codes in force, and whether any area is by name."""
    current = RiskArea.objects.filter(current=True)
    lengths = (
        current.exclude(division_code="")
        .annotate(n=Length("division_code"))
        .order_by()
        .values_list("n", flat=True)
        .distinct()
    )
    return sorted(set(lengths)), current.filter(division_code="").exists()


def _hit_conditions(
    *, levels: list[str], cutoff: date, lengths: list[int], named: bool, companies: Q
) -> Q | None:
    """Declarations with a place, visited inside the window, in an area in force of one
    of `levels` during the area's validity: an OR of uncorrelated IN subqueries."""
    if not levels:
        return None
    areas = RiskArea.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=OuterRef("visited_on")),
        current=True,
        level__in=levels,
        valid_from__lte=OuterRef("visited_on"),
    )
    places = DeclarationPlace.all_tenants.filter(companies, visited_on__gt=cutoff).order_by()
    by_name = areas.filter(division_code="").annotate(
        at=StrIndex(OuterRef("place_name"), F("name"))
    )
    if connection.vendor != "postgresql":
        # SQLite runs every IN subquery as a scan of the places probing the area
        # index per place: one scan with all the code prefixes (and names) is cheaper
        # than one scan per code length.
        if not lengths and not named:
            return None
        prefixes = [Substr(OuterRef("division_code"), 1, n) for n in lengths]
        match = Q(division_code__in=prefixes) & ~Q(division_code="") if lengths else Q(pk=None)
        if named:
            match |= Q(division_code="", at__gt=0)
        candidates = areas.annotate(at=StrIndex(OuterRef("place_name"), F("name")))
        hit = places.filter(Exists(candidates.filter(match)))
        return Q(pk__in=hit.values("declaration_id"))
    # PostgreSQL: per code length an equality, which it runs as a hash semi-join.
    conditions = Q()
    for n in lengths:
        by_code = places.exclude(division_code="").filter(
            Exists(areas.filter(division_code=Substr(OuterRef("division_code"), 1, n)))
        )
        conditions |= Q(pk__in=by_code.values("declaration_id"))
    if named:
        hit = places.filter(Exists(by_name.filter(at__gt=0)))
        conditions |= Q(pk__in=hit.values("declaration_id"))
    return conditions if conditions else None


def status_case(
    *, config: rules.Config, as_of: date, lengths: list[int], named: bool, companies: Q
) -> Case:
    """The status of a declaration row under `config`, as rules.screen computes it."""
    facts = {
        "confirmed_contact": Q(contact_confirmed=True),
        "suspected_contact": Q(contact_suspected=True),
        "symptoms": Q(has_symptoms=True),
        "fever": Q(temperature__gte=config.fever_threshold),
    }
    whens = []
    for status in (Status.RED, Status.YELLOW):
        condition = Q()
        for name, q in facts.items():
            if getattr(config, name) == status:
                condition |= q
        hits = _hit_conditions(
            levels=config.levels_for(status),
            cutoff=config.cutoff(as_of),
            lengths=lengths,
            named=named,
            companies=companies,
        )
        if hits is not None:
            condition |= hits
        if condition:
            whens.append(When(condition, then=Value(status.value)))
    return Case(*whens, default=Value(Status.GREEN.value), output_field=CharField())


def config_groups(company_id: int | None) -> list[tuple[rules.Config, Q]]:
    """(rules, which companies) pairs covering every company once: one per distinct
    configuration in use, and the defaults for companies without one. Company sets
    are subqueries, so a thousand companies with one configuration cost nothing."""
    configs = ScreeningConfig.all_tenants.order_by()
    if company_id is not None:
        row = configs.filter(company_id=company_id).first()
        return [(rules.Config.from_model(row), Q(company_id=company_id))]
    groups = [(rules.DEFAULT_CONFIG, ~Q(company_id__in=configs.values("company_id")))]
    for values in configs.values(*rules.Config.FIELDS).distinct():
        config = rules.Config(**values)
        groups.append((config, Q(company_id__in=configs.filter(**values).values("company_id"))))
    return groups


# --- the run ---------------------------------------------------------------------------------


def rescreen(
    *, as_of: date | None = None, company_id: int | None = None, progress: Progress | None = None
) -> dict:
    """Re-screen every current declaration (of one company, or all) as of `as_of`
    (today by default); returns the counts."""
    as_of = as_of or timezone.localdate()
    now = timezone.now()
    lengths, named = _area_shape()
    groups = config_groups(company_id)
    total = len(groups) + 4
    done = 0
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal done, clock
        done += 1
        now_clock = time.perf_counter()
        seconds[name] = round(seconds.get(name, 0) + now_clock - clock, 3)
        clock = now_clock
        if progress is not None:
            progress(done, total)

    scope = Q(company_id=company_id) if company_id is not None else Q()
    changed = 0
    for config, companies in groups:
        new_status = status_case(
            config=config, as_of=as_of, lengths=lengths, named=named, companies=companies
        )
        changed += (
            Declaration.all_tenants.filter(companies, current=True)
            .exclude(status=new_status)
            .update(status=new_status, screened_at=now)
        )
        step("classify")
    opened = worklist_open(scope=scope, now=now)
    step("worklist_open")
    raised = worklist_raise(scope=scope, now=now)
    step("worklist_raise")
    alerts = red_alerts_raise(scope=scope, screened_at=now)
    step("alerts")
    counts = dict.fromkeys(Status.values, 0)
    rows = (
        Declaration.all_tenants.filter(scope, current=True)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    counts.update(dict(rows))
    step("count")
    return {
        "as_of": as_of.isoformat(),
        "screened": sum(counts.values()),
        "changed": changed,
        **counts,
        "work_items_opened": opened,
        "work_items_raised": raised,
        "alerts": alerts,
        "seconds": seconds,  # per step, for the bench and the logs
    }


# --- worklist and alerts, set-based -------------------------------------------------------


def _insert_select(model, columns: list[str], queryset) -> int:
    """INSERT INTO model (columns) SELECT … — skipping rows that a unique constraint
    refuses (the one-open-item and one-alert constraints make this idempotent)."""
    sql, params = queryset.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        statement = f"INSERT INTO {table} ({names}) {sql} ON CONFLICT DO NOTHING"
    else:
        statement = f"INSERT OR IGNORE INTO {table} ({names}) {sql}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _open_items():
    return WorkItem.all_tenants.exclude(state=WorkItem.State.CLOSED)


def worklist_open(*, scope: Q, now) -> int:
    """A follow-up for every yellow or red resident who has no open one."""
    stamp = Value(now)
    source = (
        Declaration.all_tenants.filter(scope, current=True, status__in=[Status.YELLOW, Status.RED])
        # NOT IN over an uncorrelated subquery: read once before the first row is
        # written (a hashed subplan). A correlated NOT EXISTS would rescan the item
        # table as this very statement fills it.
        .exclude(resident_id__in=_open_items().order_by().values("resident_id"))
        .order_by()
        .values_list(
            "company_id",
            "site_id",
            "resident_id",
            "household_id",
            "id",
            "status",
        )
        .annotate(
            c_state=Value(WorkItem.State.OPEN.value),
            c_referred=Value(""),
            c_created=stamp,
            c_updated=stamp,
        )
    )
    columns = [
        "company_id",
        "site_id",
        "resident_id",
        "household_id",
        "declaration_id",
        "level",
        "state",
        "referred_to",
        "created_at",
        "updated_at",
    ]
    return _insert_select(WorkItem, columns, source)


def worklist_raise(*, scope: Q, now) -> int:
    """An open yellow item whose resident is now red becomes red."""
    red = Declaration.all_tenants.filter(
        current=True, status=Status.RED, resident_id=OuterRef("resident_id")
    )
    return (
        _open_items()
        .filter(scope, level=Status.YELLOW)
        .filter(Exists(red))
        .update(
            level=Status.RED,
            declaration_id=Subquery(red.values("id")[:1]),
            updated_at=now,
        )
    )


def red_alerts_raise(*, scope: Q, screened_at) -> int:
    """An alert for every declaration this run turned red."""
    source = (
        Declaration.all_tenants.filter(
            scope, current=True, status=Status.RED, screened_at=screened_at
        )
        .order_by()
        .values_list("company_id", "site_id", "resident_id")
        .annotate(
            c_kind=Value(HealthAlert.Kind.RED_SCREENING.value),
            c_key=Concat(Value("declaration:"), Cast("id", CharField())),
            c_message=Substr(
                Concat("resident__name", Value(" " + red_alert_suffix()), output_field=CharField()),
                1,
                200,
            ),
            c_due=Value(screened_at),
            c_created=Value(screened_at),
            c_updated=Value(screened_at),
        )
    )
    columns = [
        "company_id",
        "site_id",
        "resident_id",
        "kind",
        "key",
        "message",
        "due_at",
        "created_at",
        "updated_at",
    ]
    return _insert_select(HealthAlert, columns, source)

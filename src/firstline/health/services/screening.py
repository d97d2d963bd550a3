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
from django.db.models import CharField, Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat, Length, Substr
from django.utils import timezone

from firstline.health.models import (
    Declaration,
    DeclarationPlace,
    HealthAlert,
    Level,
    RiskArea,
    ScreeningConfig,
    Status,
    WorkItem,
)
from firstline.health.services import rules
from firstline.health.services.declarations import red_alert_suffix

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
        changed += _classify(
            config=config, as_of=as_of, lengths=lengths, named=named, companies=companies, now=now
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


_RANK = {Status.GREEN: 0, Status.YELLOW: 1, Status.RED: 2}


def _classify(*, config: rules.Config, as_of: date, lengths, named: bool, companies: Q, now) -> int:
    """Write the status of the companies' current declarations where it changed; returns
    how many. One statement: the place × area hits joined once (per code length on
    equality: hash joins), the worst level per declaration, then the facts — the same
    shape as the bench's hand-written limit (an ORM Case over EXISTS subqueries scanned
    the places once per target status and ran 1.8× slower). Only table names, integers
    and enum values are put into the text; every value is a parameter. The hypothesis
    test checks this statement against rules.screen."""
    qn = connection.ops.quote_name
    decl, place, area = (qn(m._meta.db_table) for m in (Declaration, DeclarationPlace, RiskArea))
    scope_sql, scope_params = (
        Declaration.all_tenants.filter(companies, current=True).order_by().values("id")
    ).query.sql_with_params()
    adapt_date = connection.ops.adapt_datefield_value
    level_rank = " ".join(
        f"WHEN '{level}' THEN {_RANK[config.level_status(level)]}" for level in Level.values
    )
    window = (
        "a.current = %s AND p.visited_on > %s AND a.valid_from <= p.visited_on"
        " AND (a.valid_until IS NULL OR a.valid_until >= p.visited_on)"
    )
    window_params = [True, adapt_date(config.cutoff(as_of))]
    joins, join_params = [], []
    for n in lengths:
        joins.append(
            f"SELECT p.declaration_id, a.level FROM {place} p JOIN {area} a"  # noqa: S608
            f" ON a.division_code = SUBSTR(p.division_code, 1, {int(n)})"
            f" WHERE p.division_code <> '' AND {window}"
        )
        join_params += window_params
    if named:
        position = (
            "STRPOS(p.place_name, a.name)"
            if connection.vendor == "postgresql"
            else "INSTR(p.place_name, a.name)"
        )
        joins.append(
            f"SELECT p.declaration_id, a.level FROM {place} p JOIN {area} a"  # noqa: S608
            f" ON a.division_code = '' AND {position} > 0 WHERE {window}"
        )
        join_params += window_params
    facts = [
        ("d.contact_confirmed = %s", [True], config.confirmed_contact),
        ("d.contact_suspected = %s", [True], config.suspected_contact),
        ("d.has_symptoms = %s", [True], config.symptoms),
        (
            "d.temperature >= %s",
            [connection.ops.adapt_decimalfield_value(config.fever_threshold, 3, 1)],
            config.fever,
        ),
    ]
    whens, when_params = [], []
    for status in (Status.RED, Status.YELLOW):
        parts = [f"r.worst >= {_RANK[status]}"] if joins else []
        params: list = []
        for sql, fact_params, maps_to in facts:
            if maps_to == status:
                parts.append(sql)
                params += fact_params
        if parts:
            whens.append(f"WHEN {' OR '.join(parts)} THEN '{status.value}'")
            when_params += params
    ranked = (
        f"LEFT JOIN (SELECT declaration_id, MAX(CASE level {level_rank} ELSE 0 END) AS worst"  # noqa: S608
        f" FROM ({' UNION ALL '.join(joins)}) AS h GROUP BY declaration_id) AS r"
        " ON r.declaration_id = d.id"
        if joins
        else ""
    )
    case = f"CASE {' '.join(whens)} ELSE 'green' END" if whens else "'green'"
    screened = (
        f"SELECT d.id AS decl_id, {case} AS new_status FROM {decl} d {ranked}"  # noqa: S608
        f" WHERE d.id IN ({scope_sql})"
    )
    statement = (
        f"UPDATE {decl} SET status = s.new_status, screened_at = %s"  # noqa: S608
        f" FROM ({screened}) AS s WHERE {decl}.id = s.decl_id AND {decl}.status <> s.new_status"
    )
    params = [
        connection.ops.adapt_datetimefield_value(now),
        *when_params,
        *join_params,
        *scope_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        if connection.vendor == "sqlite":  # UPDATE … FROM reports -1 through the driver
            cursor.execute("SELECT changes()")
            return cursor.fetchone()[0]
        return cursor.rowcount


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

"""Isolation checks partitioned by month on PostgreSQL (core/partitions.py): the health
purge drops a month wholly before its cutoff instead of deleting its rows, and puts
back the checks of cases it keeps. SQLite has no partitions: skipped there."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from firstline.core import partitions
from firstline.health.models import IsolationCheck
from firstline.health.services import isolation
from firstline.health.services.purge import purge_health_data
from firstline.health.tests.test_purge import NOW, OLD, at, history

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are PostgreSQL's"
)
CHECKS = IsolationCheck._meta.db_table
SPEC = partitions.of("health.IsolationCheck")  # as the health app registers it


def test_the_purge_drops_old_months_of_checks_and_keeps_open_cases_checks(world):
    partitions.ensure_months(SPEC, OLD - timedelta(days=40), NOW.date())
    history(world.a)  # an old released case with a check, a recent open case with one
    first = world.a.residents[0]
    with time_machine.travel(at(OLD, 8), tick=False):  # a long case, still open
        long_case = isolation.isolation_open(
            actor=None, resident=first, kind="home", reason="长期隔离", start_date=OLD
        )
        isolation.check_record(case=long_case, day=OLD, slot="pm", temperature="36.6", by="self")
    kept = IsolationCheck.all_tenants.get(case=long_case)
    old = IsolationCheck.all_tenants.exclude(case=long_case).get(day=OLD)
    month = partitions.child_name(CHECKS, OLD)
    assert partitions.holding(CHECKS, old.pk) == partitions.holding(CHECKS, kept.pk) == month

    with time_machine.travel(NOW, tick=False):
        result = purge_health_data(days=30)

    dropped = {m.name: m for m in result.months}
    assert month in dropped and dropped[month].kept == 1
    assert month not in partitions.children(CHECKS).values()
    assert not IsolationCheck.all_tenants.filter(pk=old.pk).exists()
    assert partitions.holding(CHECKS, kept.pk) == partitions.default_name(CHECKS)
    assert result.deleted["isolation_checks"] == 1 and result.deleted["isolation_cases"] == 1
    # The cutoff's month and the recent case's check stay.
    assert partitions.child_name(CHECKS, NOW.date()) in partitions.children(CHECKS).values()
    assert IsolationCheck.all_tenants.count() == 2

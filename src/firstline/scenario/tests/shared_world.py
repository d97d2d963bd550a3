"""One demo world for all the tests of a module, not one for each test.

A tiny world takes about 25 seconds to build, and a module checks a dozen things on
it: built once in a transaction that is rolled back after the module's last test,
while each test's own writes roll back with the test (pytest-django's `db` nests its
transaction inside as a savepoint). A test that must see a world built a particular
way (another seed, on top of another world) builds it itself, in another module.

Under xdist a module's tests reach a worker in runs of consecutive tests, so a module
is built once on each worker that gets part of it: once or twice, not once a test.
(xdist's `loadgroup`, which would pin a module to one worker, relies on a node id
attribute that pytest 9 no longer has.)"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pytest
from django.db import transaction
from django.test import TestCase, override_settings

from firstline.estates.models import Resident
from firstline.resumption.models import Tenant
from firstline.scenario.world import ScaleOverride, WorldReport, build_world


def module_world(size: ScaleOverride, *, on_commit: bool = False, scale: str = "demo"):
    """A module-scoped fixture: the world's report, built with seed 1 at `size`, its
    files (the demo accounts list) in a directory of its own that `VAR_DIR` names
    while the module runs. `on_commit` runs what the build leaves for after its
    commit (messages sent, counts refreshed), as the real command does."""

    @pytest.fixture(scope="module")
    def world(django_db_setup, django_db_blocker, tmp_path_factory) -> WorldReport:
        var_dir: Path = tmp_path_factory.mktemp("var")
        commits = TestCase.captureOnCommitCallbacks(execute=True) if on_commit else nullcontext()
        with (
            django_db_blocker.unblock(),
            override_settings(VAR_DIR=var_dir),
            transaction.atomic(),
        ):
            with commits:
                report = build_world(scale=scale, seed=1, size=size)
            yield report
            transaction.set_rollback(True)

    return world


def office_staff():
    """Tenants' returning staff: residents of the units that office and commercial
    tenants lease (the resumption step), beside the households the size counts."""
    return Resident.all_tenants.filter(household_id__in=Tenant.all_tenants.values("household_id"))


def home_residents():
    return Resident.all_tenants.exclude(pk__in=office_staff().values("pk"))

"""The house plan, checked on the source (docs/architecture.md, "Layout").

- Every app has the same rooms, so a newcomer finds a thing where the model app
  keeps it; anything else at an app's top level fails here.
- Personal values are masked by one rule per kind (`core.personal.masking`), and the
  access log has one writer (`core.personal.access_log`).

The layer contract (which app may import which) is import-linter's, in pyproject.toml.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "firstline"

# The rooms of every app: a module, or a package of modules when it grows.
ROOMS = {"models", "services", "selectors", "views", "api", "urls", "forms", "tasks"}
# Django's own hooks and the app's furniture.
FURNITURE = {
    "__init__.py",
    "apps.py",
    "migrations",
    "management",
    "templates",
    "static",
    "templatetags",
    "tests",
    "data",  # shipped reference files (geo's divisions)
    "middleware.py",  # orgs: the request's scope and two-factor sign-in
    "backends.py",  # orgs: the authentication backend with lockout
    "validators.py",  # orgs: organisation identifiers, used by models and forms
    "context_processors.py",  # core: what every page's shell needs
    "wagtail_hooks.py",  # publishing: Wagtail finds its hooks by this module name
}
# The ground floor holds the primitives every app builds on.
CORE_PRIMITIVES = {
    "tenancy.py",  # managers that refuse to read without a scope
    "scope.py",  # a user's scope as data
    "roles.py",  # roles, their targets and permissions
    "personal",  # personal data: encryption, sealed fields, masking, access log
    "exporting.py",  # the CSV/XLSX writers every export shares
    "importing.py",  # the workbook reader and template writer every import shares
    "progress.py",  # progress of background work, for the bar on the page
    "scheduler.py",  # the worker's scheduler of periodic jobs (firstline/schedule.py)
    "replicas.py",  # the database router to read replicas and the read-only marker
    "ratelimit.py",  # rate limits on the shared cache (sign-in, public sign-up)
    "partitions.py",  # monthly partitions on PostgreSQL: the migration operation, upkeep, drops
}
# Not an app with pages: the demo world generator, one module per app it fills.
NOT_APPS = {"scenario"}


def apps() -> list[Path]:
    found = sorted(p.parent for p in SRC.glob("*/apps.py") if p.parent.name not in NOT_APPS)
    assert len(found) >= 9, found  # the walk itself must find the apps
    return found


@pytest.mark.parametrize("app", apps(), ids=lambda p: p.name)
def test_every_app_has_the_same_rooms(app: Path):
    allowed = FURNITURE | {f"{room}.py" for room in ROOMS} | ROOMS
    if app.name == "core":
        allowed |= CORE_PRIMITIVES
    entries = {p.name for p in app.iterdir() if p.name != "__pycache__"}
    assert entries - allowed == set(), (
        f"{app.name} has rooms outside the plan; move them into services/, selectors/, "
        "views/, api/, urls/ or forms/"
    )
    for room in ROOMS:
        assert not ((app / f"{room}.py").exists() and (app / room).is_dir()), (
            f"{app.name}: {room}.py beside {room}/"
        )


def _python_files() -> list[Path]:
    files = [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]
    assert len(files) > 100, "the walk must find the source"
    return files


def _offences(predicate) -> list[str]:
    out = []
    for path in _python_files():
        if "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if predicate(path, node):
                out.append(f"{path.relative_to(SRC)}:{node.lineno}")
    return out


def test_masking_rules_live_in_one_module():
    masking = SRC / "core" / "personal" / "masking.py"

    def defines_a_mask(path, node):
        return (
            isinstance(node, ast.FunctionDef) and node.name.startswith("mask_") and path != masking
        )

    assert _offences(defines_a_mask) == []


def test_access_log_has_one_writer():
    writer = SRC / "core" / "personal" / "access_log.py"

    def writes_access_log(path, node):
        if path == writer or not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Name) and func.id == "AccessLog":
            return True
        # AccessLog.objects.create(...), AccessLog.all_tenants.bulk_create(...)
        return (
            isinstance(func, ast.Attribute)
            and func.attr in {"create", "bulk_create", "get_or_create", "update_or_create"}
            and isinstance(func.value, ast.Attribute)
            and isinstance(func.value.value, ast.Name)
            and func.value.value.id == "AccessLog"
        )

    assert _offences(writes_access_log) == []

"""Every URL pattern and every API operation is in the tenancy matrix, or exempt here
for a reason that was reviewed.

"In the matrix" means declared by a `TenancyCases` subclass of some app's tests: a
`Page` of its `routes`, an `Api` of its `api`, or an entry of its `explicit` (a route
or operation that the same module checks with a test of its own, named there). The
subclasses are found by importing every `firstline.<app>.tests` module. A new page or
endpoint fails here until it is declared or exempted; an exemption names why the
route holds no tenant data, or where its access is tested instead.

This test lives outside the package: it reads every app's tests, which a test inside
an app may not import (the layer contract).
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

import firstline
from firstline.testing.tenancy import TenancyCases, api_schema

pytestmark = pytest.mark.django_db

# Routes (by name, "namespace:name") and API operations ("METHOD /path", as in the
# OpenAPI document) that hold no tenant data, or whose access is tested elsewhere.
EXEMPT: dict[str, str] = {
    # language, sign-in and one's own account
    "set_language": "i18n: switches the interface language, reads nothing",
    "login": "the sign-in page, open to everyone",
    "logout": "signs the caller out, reads nothing",
    "password_change": "the caller's own password: orgs/tests/test_auth.py",
    "two_factor_verify": "the caller's own second factor: orgs/tests/test_auth.py",
    "two_factor_setup": "the caller's own second factor: orgs/tests/test_auth.py",
    "api_tokens": "the caller's own API tokens, by user: orgs/tests/test_api_token.py",
    "api_token_revoke": "by user, another's token is 404: "
    "orgs/tests/test_api_token.py::test_revoking_someone_elses_token_is_404_and_changes_nothing",
    "task_progress": "one's own background task, by owner, another's is 404: "
    "orgs/tests/test_progress.py::test_another_user_gets_404",
    "POST /api/v1/auth/token": "sign-in with a password for a token of the caller's own",
    "GET /api/v1/auth/me": "the caller's own account and roles",
    # the API's own documents
    "api:openapi-json": "API docs: the OpenAPI document, no data",
    "api:openapi-view": "API docs: the Swagger page, no data",
    "api:api-root": "the API's root: lists nothing",
    # platform operations
    "scheduled_jobs": "the periodic jobs' runs (no tenant rows), association admins only: "
    "core/tests/test_jobs_page.py",
    # the public ledger: open to all by design, aggregates without personal data
    "ledger:home": "public ledger (no login by design): supplies/tests/test_ledger*",
    "ledger:companies": "public ledger: per-company totals, public by design",
    "ledger:sites": "public ledger: per-site totals, public by design",
    "ledger:batches": "public ledger: donated batches, public by design",
    "ledger:batch": "public ledger: one batch's path, public by design",
    "ledger:open_data_json": "public ledger: open data export, public by design",
    "ledger:open_data_csv": "public ledger: open data export, public by design",
    "ledger:verify_script": "public ledger: the verification script, a static file",
    "GET /api/v1/supplies/public/summary": "public ledger API, public by design",
    "GET /api/v1/supplies/public/batches/{number}": "public ledger API, public by design",
    # the public site's search: published public pages only, no login by design
    "GET /api/v1/site/search": "search of the public site's published pages (no tenant rows): "
    "publishing/tests/test_search.py",
}

# Whole URL trees that hold no tenant data, by the route's leading path.
EXEMPT_TREES: dict[str, str] = {
    "cms/": "Wagtail's editor of the association's public pages (no tenant rows); who may "
    "enter is Wagtail's groups, kept in step with Firstline's roles: "
    "publishing/tests/test_site.py::test_only_content_roles_reach_the_editor",
    "documents/": "the public site's documents (published for everyone): Wagtail's serve "
    "view, counted by publishing/services/reading.py",
    "site/": "the association's public site, readable without signing in by design: "
    "publishing/tests/test_site.py",
}

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


# --- what the apps declare ----------------------------------------------------------------


def import_app_tests() -> None:
    for app in pkgutil.iter_modules(firstline.__path__):
        if not app.ispkg:
            continue
        try:
            tests = importlib.import_module(f"firstline.{app.name}.tests")
        except ModuleNotFoundError:
            continue
        for module in pkgutil.iter_modules(tests.__path__):
            name = f"{tests.__name__}.{module.name}"
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:  # gone since it was listed (a scratch file): else raise
                    raise


def tenancy_classes() -> list[type[TenancyCases]]:
    import_app_tests()
    found, todo = [], list(TenancyCases.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


def _key(text: str) -> str:
    """An API path with its placeholders and query left out: the shape to compare."""
    return re.sub(r"\{[^}]*\}", "{}", text.split("?")[0])


def declared(classes) -> tuple[set[str], set[tuple[str, str]], dict[str, str]]:
    """(route names, (method, path shape) of operations, explicit entries → checker)."""
    routes: set[str] = set()
    operations: set[tuple[str, str]] = set()
    explicit: dict[str, str] = {}
    for cls in classes:
        routes |= {page.name for page in cls.routes}
        operations |= {(e.method.upper(), _key(e.path)) for e in cls.api}
        for entry, test in cls.explicit.items():
            explicit[entry] = test if "::" in test else f"{cls.__module__}::{test}"
            method, _, path = entry.partition(" ")
            if method in METHODS:
                operations.add((method, _key(path)))
            else:
                routes.add(entry)
    return routes, operations, explicit


def _literal(shape: str, schema_shape: str) -> bool:
    """Does a declared path (a literal where the schema has a placeholder, as in
    /alerts/health/{id}/ack) fit the schema's path?"""
    pattern = "^" + re.escape(schema_shape).replace(re.escape("{}"), "[^/]+") + "$"
    return bool(re.match(pattern, shape))


# --- what there is ------------------------------------------------------------------------


def url_patterns(resolver=None, namespace: str = "", prefix: str = ""):
    """(key, route) of every URL pattern, included ones and namespaces followed."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_patterns(pattern, inner, route)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or route, route


def api_operations() -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, operations in api_schema()["paths"].items()
        for method in operations
    ]


# --- the checks ---------------------------------------------------------------------------


def test_the_matrix_is_found():
    """An empty matrix would make the checks below pass vacuously."""
    classes = tenancy_classes()
    assert len(classes) >= 20, [c.__qualname__ for c in classes]
    routes, operations, _ = declared(classes)
    assert len(routes) >= 150 and len(operations) >= 40, (len(routes), len(operations))


def test_every_url_pattern_is_in_the_matrix_or_exempt():
    routes, _, _ = declared(tenancy_classes())
    schema_paths = {_key(p) for p in api_schema()["paths"]}
    missing = []
    patterns = list(url_patterns())
    assert len(patterns) > 200
    for key, route in patterns:
        if key in routes or key in EXEMPT or route.startswith(tuple(EXEMPT_TREES)):
            continue
        if key.startswith("api:"):
            # The API's endpoints: checked by operation below, path by path.
            path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
            if _key(path) in schema_paths:
                continue
        missing.append(f"{key} ({route})")
    assert not missing, "declare in an app's TenancyCases, or exempt here:\n" + "\n".join(missing)


def test_every_api_operation_is_in_the_matrix_or_exempt():
    _, operations, _ = declared(tenancy_classes())
    all_operations = api_operations()
    assert len(all_operations) > 60
    missing = []
    for method, path in all_operations:
        if f"{method} {path}" in EXEMPT:
            continue
        shape = _key(path)
        if (method, shape) in operations:
            continue
        if any(m == method and _literal(s, shape) for m, s in operations):
            continue
        missing.append(f"{method} {path}")
    assert not missing, "declare in an app's TenancyCases, or exempt here:\n" + "\n".join(missing)


def test_explicit_entries_name_a_test_of_their_module():
    _, _, explicit = declared(tenancy_classes())
    for entry, where in explicit.items():
        module, _, name = where.partition("::")
        assert name.startswith("test_"), (entry, where)
        assert callable(getattr(importlib.import_module(module), name, None)), (entry, where)


def test_exemptions_are_still_needed():
    """An exemption for a route or operation that no longer exists, or that the matrix
    now covers, is dropped."""
    routes, _, _ = declared(tenancy_classes())
    keys = {key for key, _ in url_patterns()}
    keys |= {f"{method} {path}" for method, path in api_operations()}
    assert set(EXEMPT) - keys == set()
    assert set(EXEMPT) & routes == set()

"""Every API operation answers as its OpenAPI document says (schemathesis).

The document is read from the live app through its WSGI interface, the way a client
reads /api/v1/openapi.json, and every operation is called with generated input,
valid and invalid, as a few roles of a tiny demo world (the scenario's, with every
kind of row: devices without a checkpoint, declarations with places, alerts,
supplies). Each answer must be no server error, carry a status code the operation
documents, in the documented content type, and match the documented schema for
that code. A second pass reads, for each list, the details of the rows it lists
(generated ids seldom name a row). Two quick checks read the document alone: every
integer an operation takes is bounded, and every text a body carries has a length.

The budget is small and fixed (a few examples an operation, a fixed seed, no
example database), so a run is the same every time and CI stays quick; the outside
probes that found issue 16 run the same checks with a larger budget."""

import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.core.result import Ok

from firstline.orgs.models import User
from firstline.orgs.services.accounts import api_token_create
from firstline.scenario.tests.shared_world import module_world
from firstline.scenario.world import ScaleOverride

OPENAPI = "/api/v1/openapi.json"
TINY = ScaleOverride(companies=2, sites=3, residents=60, staff=20, batch=20)

# The demo logins (scenario/world.py demo_grants): a company's admin (every tenant
# endpoint of its company), a guard at one site, the association's coordinator
# (supplies), a resident (their household), the district authority (aggregates).
ROLES = {
    "company_admin": "admin_anju",
    "guard": "guard_1",
    "association_admin": "assoc_admin",
    "resident": "resident_1",
    "authority_viewer": "authority_jianghan",
}
# Input is validated before any permission is checked, so the coverage phase (every
# boundary and wrong type of every parameter: ~3,500 calls) runs once, split between
# two roles that can also read what they are given (two workers run them side by
# side); every role gets the fuzzing phase's few examples an operation.
SUPPLIES = "^supplies"  # the tags of the supplies operations: the coordinator's
COVERAGE = {"company_admin": False, "association_admin": True}  # of the supplies ops?


# Details each role must have read in the demo world (the rest as the world has them).
DETAILS = {
    "company_admin": {
        "/api/v1/residents/{pk}",
        "/api/v1/health/declarations/{pk}",
        "/api/v1/health/isolation-cases/{pk}",
        "/api/v1/reports/daily/{pk}",
        "/api/v1/supplies/shipments/{pk}",
    },
    "association_admin": {
        "/api/v1/supplies/batches/{pk}",
        "/api/v1/supplies/plans/{pk}",
        "/api/v1/supplies/plans/{pk}/lines",
    },
}


def config(role: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 16,
            "generation": {
                "mode": "all",
                "max-examples": 4,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {
                "examples": {"enabled": False},
                "coverage": {
                    "enabled": COVERAGE.get(role) is False,
                    "unexpected-methods": [],
                    "generate-duplicate-query-parameters": False,
                },
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "operations": [
                {
                    "include-tag-regex": SUPPLIES,
                    "phases": {"coverage": {"enabled": COVERAGE.get(role) is True}},
                }
            ],
            "checks": {
                "not_a_server_error": {"enabled": True},
                "status_code_conformance": {"enabled": True},
                "content_type_conformance": {"enabled": True},
                "response_schema_conformance": {"enabled": True},
                # Checks that call again or guess need the whole budget: the outside
                # probes run them.
                "negative_data_rejection": {"enabled": False},
                "positive_data_acceptance": {"enabled": False},
                "ignored_auth": {"enabled": False},
                "use_after_free": {"enabled": False},
                "ensure_resource_availability": {"enabled": False},
                "unsupported_method": {"enabled": False},
                "missing_required_header": {"enabled": False},
            },
        }
    )


# The tiny demo world, built once for the module in a transaction rolled back after it;
# what each test writes rolls back with the test (`db`).
demo = module_world(TINY)


@pytest.fixture(params=list(ROLES))
def role(request) -> str:
    return request.param


@pytest.fixture
def bearer(role, demo, db) -> dict[str, str]:
    user = User.objects.get(username=ROLES[role])
    _token, raw = api_token_create(user=user, name="schema test")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def application():
    """The WSGI app, less what Django's test client also switches off: closing the
    database connection around each request would end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(role, bearer, application):
    return schemathesis.openapi.from_wsgi(OPENAPI, application, config=config(role))


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis 4.32 names each operation's subtest through the node's private
    # `_nodeid`, which pytest 9 no longer has: give it one to read.
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_answers_as_documented(case, bearer):
    case.call_and_validate(headers=bearer)


def test_the_details_of_listed_rows_answer_as_documented(api_schema, role, bearer):
    """Generated ids seldom name a row: read each list, then the detail (and the
    sub-resources read by GET) of every row on its first page."""
    operations = {(op.method, op.path): op for op in map(Ok.ok, api_schema.get_all_operations())}
    checked = set()
    for (method, path), operation in operations.items():
        found = re.fullmatch(r"(?P<list>.+)/\{pk\}(/[a-z-]+)?", path)
        if method != "get" or found is None or ("get", found["list"]) not in operations:
            continue
        listing = operations["get", found["list"]].Case().call(headers=bearer)
        if listing.status_code != 200:
            continue
        for row in listing.json()["items"]:
            operation.Case(path_parameters={"pk": row["id"]}).call_and_validate(headers=bearer)
            checked.add(path)
    assert DETAILS.get(role, set()) <= checked


def inputs(document):
    """(where, schema) of every value an operation takes: each parameter and each
    node of each request body, through $refs, anyOf and arrays."""
    components = document["components"]["schemas"]

    def walk(node, where, seen=(), within=None):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                yield from walk(components[name], where, (*seen, name), within)
            return
        yield where, node, within
        for key in ("anyOf", "allOf", "oneOf"):
            for option in node.get(key, []):
                yield from walk(option, where, seen, node)
        for name, child in node.get("properties", {}).items():
            yield from walk(child, f"{where}.{name}", seen)
        if isinstance(node.get("items"), dict):
            yield from walk(node["items"], f"{where}[]", seen)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                where = f"{method.upper()} {path} {parameter['in']}:{parameter['name']}"
                yield from walk(parameter["schema"], where)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(content["schema"], f"{method.upper()} {path} body")


def test_every_integer_input_is_bounded(client):
    """An integer the database cannot hold fails there with a server error: every
    integer an operation takes (path, query, body) has both bounds, so one out of
    range is a 422 naming it (core.api: RowId, PositiveInt, NonNegativeInt)."""
    unbounded = [
        where
        for where, node, _within in inputs(client.get(OPENAPI).json())
        if node.get("type") == "integer"
        and not (
            {"minimum", "exclusiveMinimum"} & node.keys()
            and {"maximum", "exclusiveMaximum"} & node.keys()
        )
    ]
    assert unbounded == []


# Body text with no length limit, and why that is safe.
# (A decimal number may come as text: pydantic parses it and the schema bounds it.)
UNLIMITED_TEXT = {
    # Symptom codes: the service refuses any code it does not know (422).
    "POST /api/v1/health/isolation-cases/{pk}/checks body.symptoms[]": "known codes only",
    # The ISAPI multipart part: the adapter parses it and refuses what is not an alert.
    "POST /api/v1/access/devices/hikvision/event body.AccessControllerEvent": "parsed",
}


def test_every_text_a_body_stores_is_bounded(client):
    """Text longer than its column fails on PostgreSQL with a server error (SQLite
    stores it): every string in a request body has a maxLength, an enum or a format."""
    unbounded = [
        where
        for where, node, within in inputs(client.get(OPENAPI).json())
        if " body" in where
        and node.get("type") == "string"
        and not {"maxLength", "enum", "format", "const"} & node.keys()
        and where not in UNLIMITED_TEXT
        and not any(o.get("type") == "number" for o in (within or {}).get("anyOf", []))
    ]
    assert unbounded == []

"""Every API operation answers as its OpenAPI document says (schemathesis).

The document is read from the live app through its WSGI interface, the way a client
reads /api/v1/openapi.json, and every operation is called with generated input,
valid and invalid, as a few roles of the test world (bearer tokens). Each answer
must be no server error, carry a status code the operation documents, and match
the documented schema for that code. The budget is small and fixed (a few examples
an operation, a fixed seed, no example database), so a run is the same every time
and CI stays quick; the outside probes that found issue 16 run the same checks with
a larger budget."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from firstline.orgs.services.accounts import api_token_create
from firstline.testing.world import build_world

# A company's admin (every tenant endpoint of its company), a site's guard (a few),
# the association's coordinator (supplies), a resident (their household).
ROLES = {
    "company_admin": lambda world: world.a.users["company_admin"],
    "guard": lambda world: world.a.users["guard"],
    "association_admin": lambda world: world.users["association_admin"],
    "resident": lambda world: world.a.users["resident"],
}

CONFIG = {
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
        "coverage": {"enabled": True},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
    "checks": {
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
        "negative_data_rejection": {"enabled": False},
        "positive_data_acceptance": {"enabled": False},
        "ignored_auth": {"enabled": False},
        "use_after_free": {"enabled": False},
        "ensure_resource_availability": {"enabled": False},
        "unsupported_method": {"enabled": False},
        "missing_required_header": {"enabled": False},
    },
}


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(params=sorted(ROLES))
def bearer(request, world) -> dict[str, str]:
    _token, raw = api_token_create(user=ROLES[request.param](world), name="schema test")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis 4.32 renames the test's node per operation through the private
    # `_nodeid`, which pytest 9 no longer has: give it one to read.
    request.node._nodeid = request.node.nodeid


@pytest.fixture
def application():
    """The WSGI app, minus what Django's test client also switches off: closing the
    database connection around each request would end the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(bearer, application):
    return schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json",
        application,
        config=schemathesis.Config.from_dict(CONFIG),
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_api_answers_as_documented(case, bearer):
    case.call_and_validate(headers=bearer)

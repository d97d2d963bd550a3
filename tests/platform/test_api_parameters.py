"""The API's one pagination and its parameter validation (issue 16), checked over
every operation the OpenAPI document lists: a number out of range is a 422 naming
it, never a server error; a page past the end is an empty page (API) or the last
page (HTML). Plus the named cases the outside probes found, each as its class."""

import re
from pathlib import Path

import jsonschema_rs
import pytest
from django.urls import reverse
from django.utils import timezone

import firstline
from firstline.access.models import Checkpoint, Device
from firstline.core.api import ROW_ID_MAX
from firstline.orgs.services.accounts import api_token_create
from firstline.testing.world import PASSWORD, build_world

OPENAPI = "/api/v1/openapi.json"
HUGE = 269545352470961856  # a page number the probes sent
BEYOND = 2**70  # no column holds it

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def bearer(user) -> dict[str, str]:
    _token, raw = api_token_create(user=user, name="parameters")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def document(client):
    return client.get(OPENAPI).json()


def operations(document, method: str):
    for path, ops in document["paths"].items():
        if method in ops:
            yield path, ops[method]


def paginated(document) -> list[str]:
    found = []
    for path, op in operations(document, "get"):
        names = {p["name"] for p in op.get("parameters", [])}
        if {"page", "page_size"} <= names:
            found.append(path)
    return found


def concrete(path: str) -> str:
    return path.replace("{pk}", "1")


def assert_names(response, *loc):
    assert response.status_code == 422, (response.status_code, response.content[:300])
    assert [list(e["loc"]) for e in response.json()["detail"]] == [list(loc)]


def test_every_paginated_list_refuses_page_numbers_out_of_range(client, world, document):
    lists = paginated(document)
    assert "/api/v1/access/events" in lists and "/api/v1/supplies/stock" in lists
    auth = bearer(world.a.users["company_admin"])
    for path in map(concrete, lists):
        assert_names(client.get(path, {"page": HUGE}, **auth), "query", "page")
        assert_names(client.get(path, {"page": 0}, **auth), "query", "page")
        assert_names(client.get(path, {"page": "x"}, **auth), "query", "page")
        assert_names(client.get(path, {"page_size": -1}, **auth), "query", "page_size")
        assert_names(client.get(path, {"page_size": 501}, **auth), "query", "page_size")


def test_a_page_past_the_end_is_an_empty_page(client, world, document):
    answered = 0
    for user in (world.a.users["company_admin"], world.users["association_admin"]):
        auth = bearer(user)
        for path in map(concrete, paginated(document)):
            first = client.get(path, **auth)
            if first.status_code != 200:
                continue  # not this role's list (403), or no such row (404)
            past = client.get(path, {"page": 1_000_000, "page_size": 500}, **auth)
            assert past.status_code == 200, path
            assert past.json() == {"items": [], "count": first.json()["count"]}, path
            answered += 1
    assert answered >= 15


def test_a_page_is_fifty_rows_unless_asked(client, world):
    auth = bearer(world.a.users["company_admin"])
    for n in range(60):
        Checkpoint.all_tenants.create(
            company=world.a.company, site=world.a.site, name=f"门{n:02d}", kind="gate"
        )
    first = client.get("/api/v1/access/checkpoints", **auth).json()
    assert len(first["items"]) == 50 and first["count"] >= 60
    rest = client.get("/api/v1/access/checkpoints", {"page": 2}, **auth).json()
    assert len(rest["items"]) == first["count"] - 50
    assert (
        len(client.get("/api/v1/access/checkpoints", {"page_size": 500}, **auth).json()["items"])
        == first["count"]
    )


def test_ids_beyond_any_row_are_refused_in_every_path(client, world, document):
    """Every operation with an id in its path: an id no column can hold is a 422
    naming it, a value that is no number a 404 or 422, never a server error."""
    auth = bearer(world.a.users["company_admin"])
    checked = 0
    for path, ops in document["paths"].items():
        if "{pk}" not in path:
            continue
        for method in ops:
            call = getattr(client, method)
            for value, allowed in ((BEYOND, {422}), (ROW_ID_MAX + 1, {422}), ("abc", {404, 422})):
                url = path.replace("{pk}", str(value)).replace("{line_id}", "1")
                url = url.replace("{source}", "health")
                response = call(url, {}, content_type="application/json", **auth)
                assert response.status_code in allowed, (method, url, response.status_code)
                assert response["Content-Type"].startswith("application/json"), url
            checked += 1
    assert checked >= 25


def test_query_ids_beyond_any_row_are_refused(client, world):
    auth = bearer(world.a.users["company_admin"])
    response = client.get("/api/v1/residents", {"site_id": BEYOND}, **auth)
    assert_names(response, "query", "site_id")
    response = client.get("/api/v1/access/events", {"checkpoint_id": -1}, **auth)
    assert_names(response, "query", "checkpoint_id")


def test_the_device_list_shows_devices_without_a_checkpoint(client, world):
    """A UV lamp or a drone has no checkpoint: the list answered 500 for every role."""
    Device.all_tenants.create(
        company=world.a.company, site=world.a.site, name="紫外灯", kind="uv_lamp", token_hash="u"
    )
    response = client.get("/api/v1/access/devices", **bearer(world.a.users["company_admin"]))
    assert response.status_code == 200
    assert [(d["name"], d["checkpoint_id"]) for d in response.json()["items"]] == [("紫外灯", None)]


def test_switching_off_a_device_without_a_checkpoint(client, world):
    lamp = Device.all_tenants.create(
        company=world.a.company, site=world.a.site, name="紫外灯", kind="uv_lamp", token_hash="u"
    )
    response = client.post(
        f"/api/v1/access/devices/{lamp.pk}/deactivate", **bearer(world.a.users["company_admin"])
    )
    assert response.status_code == 200
    assert (response.json()["active"], response.json()["checkpoint_id"]) == (False, None)


@pytest.mark.parametrize("pk", ["abc", "1.5", str(BEYOND), "-1", "0"])
def test_switching_a_device_off_with_a_wrong_id(client, world, pk):
    response = client.post(
        f"/api/v1/access/devices/{pk}/deactivate", **bearer(world.a.users["company_admin"])
    )
    assert response.status_code in (404, 422)
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "body", [{"assignee_id": "x"}, {"assignee_id": BEYOND}, {"assignee_id": [1]}, {}, []]
)
def test_assigning_an_alert_with_wrong_types_names_the_field(client, world, body):
    response = client.post(
        "/api/v1/reports/alerts/health/1/assign",
        body,
        content_type="application/json",
        **bearer(world.a.users["company_admin"]),
    )
    assert response.status_code == 422
    assert all(e["loc"][0] == "body" for e in response.json()["detail"])


@pytest.mark.parametrize(
    ("field", "value", "loc"),
    [
        ("quantity", 2**31, ["lines", 0, "quantity"]),
        ("quantity", BEYOND, ["lines", 0, "quantity"]),
        ("item_id", BEYOND, ["lines", 0, "item_id"]),
        ("staff_on_duty", 2**31, ["staff_on_duty"]),
        ("isolation_cases", -1, ["isolation_cases"]),
    ],
)
def test_a_need_with_integers_beyond_their_column_names_the_field(client, world, field, value, loc):
    body = {
        "site_id": world.a.site.pk,
        "justification": "口罩告急",
        "lines": [{"item_id": 1, "quantity": 5}],
    }
    if field in ("quantity", "item_id"):
        body["lines"][0][field] = value
    else:
        body[field] = value
    response = client.post(
        "/api/v1/supplies/needs",
        body,
        content_type="application/json",
        **bearer(world.a.users["site_manager"]),
    )
    assert_names(response, "body", "payload", *loc)


@pytest.mark.parametrize(
    "path",
    [
        "0",
        "-1",
        "1.5",
        "abc",
        str(2**31),
        str(BEYOND),
        "1?offset=-1",
        f"1?offset={BEYOND}",
        "1?limit=0",
    ],
)
def test_the_public_batch_trace_with_odd_numbers(client, db, path):
    response = client.get(f"/api/v1/supplies/public/batches/{path}")
    assert response.status_code in (404, 422)
    assert response["Content-Type"].startswith("application/json")


def test_an_unknown_api_url_answers_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_every_operation_documents_its_errors(document):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert "404" in codes, (method, path)
            if op.get("security"):
                assert {"401", "403"} <= codes, (method, path)
            if op.get("parameters") or op.get("requestBody"):
                assert "422" in codes, (method, path)


def test_a_declaration_with_places_matches_its_documented_schema(client, world, document):
    """Two schemas named PlaceOut (a declaration's places, the public ledger's
    whereabouts): the document kept the other, and the answer broke it."""
    auth = bearer(world.a.users["health_officer"])
    created = client.post(
        "/api/v1/health/declarations",
        {
            "resident_id": world.a.residents[0].pk,
            "consent": True,
            "places": [{"place_name": "汉口站", "visited_on": str(timezone.localdate())}],
        },
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 200, created.content
    declaration = created.json()
    response = client.get(f"/api/v1/health/declarations/{declaration['id']}", **auth)
    assert response.status_code == 200
    assert response.json()["places"][0]["place_name"] == "汉口站"
    documented = document["paths"]["/api/v1/health/declarations/{pk}"]["get"]["responses"]["200"]
    schema = {
        **documented["content"]["application/json"]["schema"],
        "components": document["components"],
    }
    jsonschema_rs.validator_for(schema).validate(response.json())


def test_an_html_list_past_the_end_shows_the_last_page(client, world):
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    url = reverse("estates:resident_list")
    for page in ("999", str(HUGE), "0", "-3", "x"):
        response = client.get(url, {"page": page})
        assert response.status_code == 200, page
        assert response.context["page_obj"].number == 1  # one page of residents


def test_every_api_list_pages_the_one_way():
    """`core.api.ScopedPagination` is the API's one pagination (bounded, 422 naming
    the field): no endpoint pages with another class or its own slicing of ninja's."""
    root = Path(firstline.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.parts or path == root / "core" / "api.py":
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"@paginate\b(\((?P<arg>[^)]*)\))?", text):
            if match["arg"] != "ScopedPagination":
                found.append(f"{path.relative_to(root)}: {match[0]}")
        if re.search(r"from ninja\.pagination import [^\n]*(Pagination|RouterPaginated)", text):
            found.append(f"{path.relative_to(root)}: imports a ninja pagination class")
    assert found == []

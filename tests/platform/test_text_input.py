"""Text no entry point stores (core/validators.py): a NUL character (PostgreSQL refuses
it in text, and the write failed with a server error) or a lone surrogate (no UTF-8
form). Every page and API request is refused at the edge, 422 naming the field:
the path, query and form fields by `core.middleware.TextInputMiddleware`, the text of
every API body by its schema (`core.api.Schema`, `core.api.Text`).

Run these on PostgreSQL too: that is where NUL failed."""

from __future__ import annotations

import ast
import json
import typing
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pydantic import AfterValidator, BaseModel

from firstline.core.api import Schema, clean_text
from firstline.core.validators import bad_text_path
from firstline.testing.world import build_world

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "firstline"
BAD = ["\x00", "a\x00b", "\ud800", "b\udc00"]
MESSAGE = "Text may not contain a NUL character or an unpaired surrogate"


@pytest.fixture
def world():
    return build_world()


def post_json(client, url, body, **kw):
    # json.dumps: a lone surrogate travels as its \\u escape, as a client would send it.
    return client.post(url, json.dumps(body), content_type="application/json", **kw)


def refused_at(response) -> list[list]:
    assert response.status_code == 422, response.content
    return [e["loc"] for e in response.json()["detail"]]


# --- every API body's text is checked, by construction ------------------------------------------


def _operations():
    from firstline.api import api  # the composition root: tests/platform may read it

    for router in api._get_bound_routers():
        for path, view in router.path_operations.items():
            for operation in view.operations:
                yield f"{'/'.join(operation.methods)} {router.prefix}{path}", operation


def _checked(annotation) -> bool:
    return typing.get_origin(annotation) is typing.Annotated and any(
        isinstance(m, AfterValidator) and m.func is clean_text
        for m in typing.get_args(annotation)[1:]
    )


def _unchecked_text(model: type[BaseModel], seen: set) -> list[str]:
    """The text fields of `model` and the models it holds that nothing checks."""
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, field in model.model_fields.items():
        stack = [field.annotation]
        field_checked = issubclass(model, Schema) or any(
            isinstance(m, AfterValidator) and m.func is clean_text for m in field.metadata
        )
        while stack:
            annotation = stack.pop()
            if annotation is str and not field_checked:
                found.append(f"{model.__qualname__}.{name}")
            elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
                found += _unchecked_text(annotation, seen)
            elif not _checked(annotation):
                stack.extend(a for a in typing.get_args(annotation) if not isinstance(a, str))
    return found


def test_every_text_field_of_every_api_body_refuses_nul_and_surrogates():
    """A body schema derives from core.api.Schema (whose text fields check themselves),
    or, a plain pydantic model for speed (the gate's batch items), types its text
    `core.api.Text`. A batch's `list[Any]` items are validated one by one by such a
    model, so a bad one is reported by its index and the others are stored."""
    unchecked = []
    bodies = 0
    for name, operation in _operations():
        for model in operation.models:
            if model.__ninja_param_source__ in ("body", "form", "file"):
                bodies += 1
                unchecked += [f"{name}: {f}" for f in _unchecked_text(model, set())]
    assert bodies >= 20  # the walk itself found the API's bodies
    assert unchecked == []


def test_apps_take_schema_from_core_not_from_ninja():
    offences = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "ninja"
                and any(alias.name == "Schema" for alias in node.names)
            ):
                offences.append(str(path.relative_to(SRC)))
    assert offences == [], "import Schema from firstline.core.api: its text fields refuse NUL"


# --- the endpoints the probes found, and their kind ----------------------------------------------


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(
    ("url", "body", "loc"),
    [
        ("/api/v1/auth/token", {"username": "{bad}", "password": "x"}, ["username"]),
        ("/api/v1/auth/token", {"username": "u", "password": "p{bad}"}, ["password"]),
        (
            "/api/v1/access/devices",
            {"checkpoint_id": 1, "name": "门{bad}", "kind": "qr"},
            ["name"],
        ),
        (
            "/api/v1/access/devices",
            {"checkpoint_id": 1, "name": "门", "kind": "qr", "serial": "{bad}"},
            ["serial"],
        ),
        (
            "/api/v1/access/events",
            {
                "client_uuid": "6f1c1f0e-7d0b-4b8a-9a53-0c3b8f0e2d11",
                "site_id": 1,
                "direction": "in",
                "device_time": "2020-02-14T08:00:00+08:00",
                "plate": "鄂A{bad}",
            },
            ["plate"],
        ),
        ("/api/v1/reports/daily/1/submit", {"notes": "{bad}"}, ["notes"]),
        ("/api/v1/reports/daily/1/submit", {"help_needed": "口罩{bad}"}, ["help_needed"]),
        (
            "/api/v1/supplies/sites/1/consumption",
            {"lines": [{"item_code": "N95{bad}", "quantity": 1}], "reason": "r"},
            ["lines", 0, "item_code"],
        ),
        (
            "/api/v1/supplies/sites/1/consumption",
            {"lines": [{"item_code": "N95", "quantity": 1}], "reason": "{bad}"},
            ["reason"],
        ),
    ],
)
def test_the_probed_endpoints_refuse_bad_text_naming_the_field(client, world, url, body, loc, bad):
    client.force_login(world.a.users["company_admin"])
    body = json.loads(json.dumps(body).replace("{bad}", json.dumps(bad)[1:-1]))
    response = post_json(client, url, body)
    assert refused_at(response) == [["body", "payload", *loc]]
    # NUL is ours to refuse; pydantic refuses a lone surrogate in a Schema by itself.
    assert response.json()["detail"][0]["type"] in ("bad_text", "string_unicode")


def test_a_batch_reports_bad_text_by_index_and_stores_the_others(client, world):
    from firstline.access.tests.test_devices import make_gate

    gate = make_gate(world.a)
    now = timezone.now().isoformat()
    events = [
        {"client_uuid": str(uuid.uuid4()), "direction": "in", "device_time": now} for _ in range(3)
    ]
    events[1]["plate"] = "鄂A\x00"
    response = post_json(
        client,
        "/api/v1/access/events/batch",
        {"site_id": world.a.site.pk, "events": events},
        headers=gate.auth,
    )
    body = response.json()
    assert [(e["index"], e["field"], e["message"]) for e in body["errors"]] == [
        (1, "plate", MESSAGE)
    ]
    assert [r["index"] for r in body["results"]] == [0, 2]


# --- the edge: path, query and form fields of every page and API request --------------------------


def test_a_query_parameter_on_the_api_is_422_naming_it(client, world):
    client.force_login(world.a.users["company_admin"])
    assert refused_at(client.get("/api/v1/residents?q=a%00b")) == [["query", "q"]]
    assert refused_at(client.get("/api/v1/residents?page=1&x%00=1")) == [["query", "x\ufffd"]]


def test_a_search_box_on_a_page_is_422_naming_it(client, world):
    client.force_login(world.a.users["company_admin"])
    response = client.get("/residents/?q=%E5%BC%A0%00")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field="q"' in html and "“q”" in html


def test_a_path_with_nul_is_422(client, world):
    response = client.get("/api/v1/supplies/public/batches/%00")
    assert refused_at(response) == [["path"]]
    assert client.get("/residents/%00/").status_code == 422


def test_a_form_field_on_a_page_is_422_naming_it(client, world):
    """The sign-in form: a NUL in the user name used to reach the user lookup."""
    response = client.post("/accounts/login/", {"username": "guard\x00", "password": "x"})
    assert response.status_code == 422
    assert 'data-field="username"' in response.content.decode()


def test_multipart_fields_and_file_names_are_checked(client, world):
    client.force_login(world.a.users["company_admin"])
    upload = SimpleUploadedFile("roster.csv", b"name\n", content_type="text/csv")
    response = client.post("/residents/import/", {"note": "x\x00", "file": upload})
    assert response.status_code == 422
    assert 'data-field="note"' in response.content.decode()
    response = client.post("/api/v1/access/devices/hikvision/event", {"event_log": "\x00"})
    assert refused_at(response) == [["form", "event_log"]]


def test_ordinary_text_passes_untouched(client, world):
    client.force_login(world.a.users["company_admin"])
    assert client.get("/api/v1/residents?q=%E5%BC%A0%F0%9F%98%80").status_code == 200  # 张😀
    assert client.get("/residents/?q=%E5%BC%A0").status_code == 200


# --- the walk itself ----------------------------------------------------------------------------


def test_bad_text_path_finds_keys_values_at_any_depth():
    deep: object = "ok"
    for _ in range(5000):
        deep = [deep]
    assert bad_text_path(deep) is None
    assert bad_text_path({"a": [1, {"b": "x\x00"}]}) == ("a", 1, "b")
    assert bad_text_path({"k\ud800": 1}) == ("k\ufffd",)
    assert bad_text_path(json.loads('["😀", "\\ud83d\\ude00"]')) is None  # an escaped pair: 😀
    assert bad_text_path(["\ud83d"]) == (0,)

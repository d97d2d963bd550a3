"""The reusable tenancy test base: every tenant route and API endpoint is declared
once, and gets the same four checks.

    class TestEstatesTenancy(TenancyCases):
        routes = [Page("estates:site_detail", obj=lambda t: t.site), ...]
        api = [Api("/api/v1/sites/{id}", obj=lambda t: t.site), ...]

- anonymous → the login page (pages) or 401 (API);
- a user of company a asking for company b's object → 404, the same as missing;
- the permitted user → 200;
- a write by a user without the right, or to another company's object, → 403/404
  and the row is unchanged.
`covered_names` lets an app test assert that no route of its namespace is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import reverse

from firstline.testing.world import PASSWORD, Tenant, World


@dataclass(frozen=True)
class Page:
    name: str
    obj: Callable[[Tenant], object] | None = None  # None: a list or create page
    viewer: str = "company_admin"
    write: dict | None = None  # POST data for an edit page; checked to change nothing when denied
    denied_writer: str = "guard"
    method: str = "get"  # "post" for action routes: every check then posts `write`

    def url(self, tenant: Tenant) -> str:
        return reverse(self.name, args=[self.obj(tenant).pk]) if self.obj else reverse(self.name)

    def request(self, client, url: str):
        return client.post(url, self.write) if self.method == "post" else client.get(url)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Api:
    path: str  # with {id} for detail endpoints
    obj: Callable[[Tenant], object] | None = None
    viewer: str = "company_admin"
    method: str = "get"
    body: dict = field(default_factory=dict)

    def url(self, tenant: Tenant) -> str:
        return self.path.format(id=self.obj(tenant).pk) if self.obj else self.path

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def api_schema() -> dict:
    """The API's OpenAPI document, read over HTTP as a client would: the API is
    composed of every app's router, and a test of a lower app must not import the
    apps above it (the layer contract)."""
    return Client().get(reverse("api:openapi-json")).json()


def api_paths() -> set[str]:
    return set(api_schema()["paths"])


def _snapshot(obj) -> dict:
    model = type(obj)
    row = model._default_manager.filter(pk=obj.pk).values().get()
    return {k: v for k, v in row.items() if k != "updated_at"}


def _login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def _ids(items) -> list[str]:
    return [str(i) for i in items]


class TenancyCases:
    """Subclass with `routes` and `api` lists; pytest collects the checks below."""

    routes: list[Page] = []
    api: list[Api] = []

    # -- pages ------------------------------------------------------------------

    def test_page_anonymous_goes_to_login(self, client, world: World, route: Page):
        response = route.request(client, route.url(world.a))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_page_permitted_200(self, client, world: World, route: Page):
        _login(client, world.a.users[route.viewer])
        assert route.request(client, route.url(world.a)).status_code == 200

    def test_page_other_company_404(self, client, world: World, route: Page):
        if route.obj is None:
            pytest.skip("list and create pages have no object of another company")
        _login(client, world.a.users[route.viewer])
        assert route.request(client, route.url(world.b)).status_code == 404

    def test_page_denied_write_changes_nothing(self, client, world: World, route: Page):
        if route.write is None:
            pytest.skip("not a write page")
        target = route.obj(world.b)
        before = _snapshot(target)
        _login(client, world.a.users[route.viewer])  # a's admin writing b's object: 404
        assert client.post(route.url(world.b), route.write).status_code == 404
        client.logout()
        own = route.obj(world.a)
        own_before = _snapshot(own)
        _login(client, world.a.users[route.denied_writer])  # a's guard: no right to write
        assert client.post(route.url(world.a), route.write).status_code in (403, 404)
        assert _snapshot(target) == before
        assert _snapshot(own) == own_before

    # -- API --------------------------------------------------------------------

    def test_api_anonymous_401(self, client, world: World, endpoint: Api):
        response = getattr(client, endpoint.method)(
            endpoint.url(world.a), endpoint.body, content_type="application/json"
        )
        assert response.status_code == 401

    def test_api_permitted_200(self, client, world: World, endpoint: Api):
        _login(client, world.a.users[endpoint.viewer])
        response = getattr(client, endpoint.method)(
            endpoint.url(world.a), endpoint.body, content_type="application/json"
        )
        assert response.status_code == 200, response.content

    def test_api_other_company_404(self, client, world: World, endpoint: Api):
        if endpoint.obj is None:
            pytest.skip("list endpoints are checked for leaks below")
        _login(client, world.a.users[endpoint.viewer])
        response = getattr(client, endpoint.method)(
            endpoint.url(world.b), endpoint.body, content_type="application/json"
        )
        assert response.status_code == 404

    def test_api_list_holds_only_own_company(self, client, world: World, endpoint: Api):
        if endpoint.obj is not None or endpoint.method != "get":
            pytest.skip("detail endpoint")
        _login(client, world.a.users[endpoint.viewer])
        items = client.get(endpoint.url(world.a)).json()["items"]
        assert items, "the world has rows for this list"
        assert {item["company_id"] for item in items} == {world.a.company.pk}


def pytest_generate_tests(metafunc):
    """Hooked from conftest: parametrize `page` and `endpoint` from the class lists."""
    cls = metafunc.cls
    if cls is None or not issubclass(cls, TenancyCases):
        return
    # Each check gets only the routes it applies to (no object → no other-company
    # check; no write → no denied-write check), so nothing is collected to be skipped.
    applies = {
        "test_page_other_company_404": lambda r: r.obj is not None,
        "test_page_denied_write_changes_nothing": lambda r: r.write is not None,
        "test_api_other_company_404": lambda e: e.obj is not None,
        "test_api_list_holds_only_own_company": lambda e: e.obj is None and e.method == "get",
    }.get(metafunc.function.__name__, lambda item: True)
    for name, items in (("route", cls.routes), ("endpoint", cls.api)):
        if name in metafunc.fixturenames:
            chosen = [item for item in items if applies(item)]
            metafunc.parametrize(name, chosen, ids=_ids(chosen))

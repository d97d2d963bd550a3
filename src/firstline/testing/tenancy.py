"""The reusable tenancy test base: every tenant route and API endpoint is declared
once, and gets the same checks.

    class TestEstatesTenancy(TenancyCases):
        routes = [Page("estates:site_detail", obj=lambda t: t.site), ...]
        api = [Api("/api/v1/sites/{id}", obj=lambda t: t.site), ...]

Across companies (world.a against world.b):
- anonymous → the login page (pages) or 401 (API);
- a user of company a asking for company b's object → 404, the same as missing;
- the permitted user → 200;
- a write by a user without the right, or to another company's object, → 403/404
  and the row is unchanged;
- an API list holds only the company's own rows.

Across the sites of one company (world.a against world.a.sibling, its second site),
as a site-scoped user (`site_role`, the site manager unless a route names another):
- an object at the user's site → 200 (the control) and the same kind of object at the
  company's other site → 404 (a write leaves it unchanged);
- a list (a page's rows, an API list's items) is not empty and holds rows of the
  user's site only (`site_field` of every row), while the company's admin sees the
  other site's rows there too (the control that the world furnished them).
A company-level route opts out of these with a reason (`company_level`); a list of
shared reference data (no tenant rows) says so (`shared`).

A class gets only the checks that apply to what it declares: nothing is collected to
be skipped, and a class that declares nothing is refused. `tests/platform/test_coverage.py`
asserts that every URL pattern and API operation is declared by some class (in
`routes`/`api`, or in `explicit` with the test of the same module that checks it) or
is exempt for a stated reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.paginator import Page as PaginatorPage
from django.db import models
from django.test import Client
from django.urls import resolve, reverse

from firstline.testing.world import PASSWORD, Tenant, World

SITE_ROLE = "site_manager"


@dataclass(frozen=True)
class Page:
    name: str
    obj: Callable[[Tenant], object] | None = None  # None: a list or create page
    viewer: str = "company_admin"
    write: dict | None = None  # POST data for an edit page; checked to change nothing when denied
    denied_writer: str = "guard"
    method: str = "get"  # "post" for action routes: every check then posts `write`
    ok: int = 200  # what the permitted request answers (302: an action that redirects)
    site_role: str = SITE_ROLE  # the site-scoped user of the other-site checks
    company_level: str = ""  # why the other-site checks do not apply (a reason)
    rows: str = ""  # a list page's rows in the context (a ScopedListView's: object_list)
    site_field: str = "site_id"  # where a row names its site

    def url(self, tenant: Tenant) -> str:
        return reverse(self.name, args=[self.obj(tenant).pk]) if self.obj else reverse(self.name)

    def request(self, client, url: str):
        return client.post(url, self.write) if self.method == "post" else client.get(url)

    @property
    def rows_key(self) -> str:
        """Where a list page keeps its rows: declared, or a ScopedListView's object_list."""
        if self.rows or self.obj is not None or self.method != "get":
            return self.rows
        from firstline.core.views import ScopedListView

        view = getattr(resolve(reverse(self.name)).func, "view_class", None)
        return "object_list" if view and issubclass(view, ScopedListView) else ""

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Api:
    path: str  # with {id} for detail endpoints; {company}: the tenant's company
    obj: Callable[[Tenant], object] | None = None
    viewer: str = "company_admin"
    method: str = "get"
    body: dict | Callable[[Tenant], dict] = field(default_factory=dict)  # callable: names a row
    site_role: str = SITE_ROLE
    company_level: str = ""  # why the other-site checks do not apply (a reason)
    shared: str = ""  # why a list holds no tenant rows (shared reference data)
    site_field: str = "site_id"

    @property
    def targeted(self) -> bool:
        """It acts on one row, named in the path or in the body."""
        return self.obj is not None or callable(self.body)

    @property
    def is_list(self) -> bool:
        return not self.targeted and self.method == "get" and not self.shared

    def url(self, tenant: Tenant) -> str:
        pk = self.obj(tenant).pk if self.obj else None
        return self.path.format(id=pk, company=tenant.company.pk)

    def call(self, client, tenant: Tenant):
        body = self.body(tenant) if callable(self.body) else self.body
        return getattr(client, self.method)(self.url(tenant), body, content_type="application/json")

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def api_schema() -> dict:
    """The API's OpenAPI document, read over HTTP as a client would: the API is
    composed of every app's router, and a test of a lower app must not import the
    apps above it (the layer contract)."""
    return Client().get(reverse("api:openapi-json")).json()


def api_paths() -> set[str]:
    return set(api_schema()["paths"])


def _snapshot(obj) -> dict | None:
    if not isinstance(obj, models.Model):
        return None
    model = type(obj)
    row = model._default_manager.filter(pk=obj.pk).values().get()
    return {k: v for k, v in row.items() if k != "updated_at"}


def _login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def _ids(items) -> list[str]:
    return [str(i) for i in items]


def _rows(value) -> list:
    if isinstance(value, PaginatorPage):
        value = value.object_list
    return list(value)


def _site_of(row, path: str):
    """`path` names the row's site: "site_id", or dotted ("0.site_id": a tuple's first)."""
    for part in path.split("."):
        if part.isdigit():
            row = row[int(part)]
        else:
            row = row[part] if isinstance(row, dict) else getattr(row, part)
    return row


def _sites(rows: Iterable, name: str) -> set:
    return {_site_of(row, name) for row in rows} - {None}  # None: a company-level row


def _other_site_applies(item) -> bool:
    return item.site_role and not item.company_level


# Which declared items each check applies to: a class gets only the checks that have
# something to check, and each check is parametrized with just those items.
CHECKS: dict[str, tuple[str, Callable]] = {
    "test_page_anonymous_goes_to_login": ("routes", lambda r: True),
    "test_page_permitted_200": ("routes", lambda r: True),
    "test_page_other_company_404": ("routes", lambda r: r.obj is not None),
    "test_page_denied_write_changes_nothing": ("routes", lambda r: r.write is not None),
    "test_page_other_site_404": (
        "routes",
        lambda r: r.obj is not None and _other_site_applies(r),
    ),
    "test_page_list_only_own_site": (
        "routes",
        lambda r: bool(r.rows_key) and _other_site_applies(r),
    ),
    "test_api_anonymous_401": ("api", lambda e: True),
    "test_api_permitted_200": ("api", lambda e: True),
    "test_api_other_company_404": ("api", lambda e: e.targeted),
    "test_api_list_holds_only_own_company": ("api", lambda e: e.is_list),
    "test_api_other_site_404": ("api", lambda e: e.targeted and _other_site_applies(e)),
    "test_api_list_only_own_site": ("api", lambda e: e.is_list and _other_site_applies(e)),
}


class TenancyCases:
    """Subclass with `routes` and `api` lists; pytest collects the checks below.

    `explicit` maps a route name ("app:name") or an API operation ("POST /api/v1/…")
    that is checked by a test of its own, outside the matrix, to that test: its name in
    this module, or "firstline.app.tests.module::test_name".
    """

    routes: list[Page] = []
    api: list[Api] = []
    explicit: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.routes and not cls.api:
            raise TypeError(f"{cls.__name__} declares no routes and no api: nothing to check")
        for name, (kind, applies) in CHECKS.items():
            if not any(applies(item) for item in getattr(cls, kind)):
                setattr(cls, name, None)  # not a function: pytest collects nothing

    # -- pages ------------------------------------------------------------------

    def test_page_anonymous_goes_to_login(self, client, world: World, route: Page):
        response = route.request(client, route.url(world.a))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_page_permitted_200(self, client, world: World, route: Page):
        _login(client, world.a.users[route.viewer])
        assert route.request(client, route.url(world.a)).status_code == route.ok

    def test_page_other_company_404(self, client, world: World, route: Page):
        _login(client, world.a.users[route.viewer])
        assert route.request(client, route.url(world.b)).status_code == 404

    def test_page_denied_write_changes_nothing(self, client, world: World, route: Page):
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

    def test_page_other_site_404(self, client, world: World, route: Page):
        """A site-scoped user of a's first site: its object → 200, the same kind of
        object at a's second site → 404, and a write there (an edit page's form posted)
        is refused and changes nothing."""
        sibling = route.obj(world.a.sibling)
        before = _snapshot(sibling)
        _login(client, world.a.users[route.site_role])
        assert route.request(client, route.url(world.a)).status_code == route.ok  # control
        assert route.request(client, route.url(world.a.sibling)).status_code == 404
        if route.write is not None and route.method == "get":
            assert client.post(route.url(world.a.sibling), route.write).status_code in (403, 404)
        assert _snapshot(sibling) == before

    def test_page_list_only_own_site(self, client, world: World, route: Page):
        """A site-scoped user's list holds rows of its own site only; the same role at
        the company's second site sees that site's rows there (the control that the
        world furnished them)."""
        key, field_name = route.rows_key, route.site_field
        sibling = world.a.sibling
        _login(client, sibling.users[route.site_role])
        response = route.request(client, route.url(sibling))
        assert response.status_code == 200
        assert sibling.site.pk in _sites(_rows(response.context[key]), field_name), (
            "the world furnishes this list at the company's second site"
        )
        client.logout()
        _login(client, world.a.users[route.site_role])
        response = route.request(client, route.url(world.a))
        assert response.status_code == 200
        rows = _rows(response.context[key])
        assert rows, "the world has rows for this list at the user's site"
        assert _sites(rows, field_name) == {world.a.site.pk}

    # -- API --------------------------------------------------------------------

    def test_api_anonymous_401(self, client, world: World, endpoint: Api):
        assert endpoint.call(client, world.a).status_code == 401

    def test_api_permitted_200(self, client, world: World, endpoint: Api):
        _login(client, world.a.users[endpoint.viewer])
        response = endpoint.call(client, world.a)
        assert response.status_code == 200, response.content

    def test_api_other_company_404(self, client, world: World, endpoint: Api):
        _login(client, world.a.users[endpoint.viewer])
        assert endpoint.call(client, world.b).status_code == 404

    def test_api_list_holds_only_own_company(self, client, world: World, endpoint: Api):
        _login(client, world.a.users[endpoint.viewer])
        items = endpoint.call(client, world.a).json()["items"]
        assert items, "the world has rows for this list"
        assert {item["company_id"] for item in items} == {world.a.company.pk}

    def test_api_other_site_404(self, client, world: World, endpoint: Api):
        """A site-scoped user of a's first site: its object → 200, the same kind of
        object at a's second site → 404 (and a write there changes nothing)."""
        sibling = endpoint.obj(world.a.sibling) if endpoint.obj else None
        before = _snapshot(sibling)
        _login(client, world.a.users[endpoint.site_role])
        response = endpoint.call(client, world.a)
        assert response.status_code == 200, response.content  # control
        assert endpoint.call(client, world.a.sibling).status_code == 404
        assert _snapshot(sibling) == before

    def test_api_list_only_own_site(self, client, world: World, endpoint: Api):
        """A site-scoped user's list holds items of its own site only; the same role at
        the company's second site sees that site's items there (the control that the
        world furnished them)."""
        sibling = world.a.sibling
        _login(client, sibling.users[endpoint.site_role])
        items = endpoint.call(client, sibling).json()["items"]
        assert sibling.site.pk in _sites(items, endpoint.site_field), (
            "the world furnishes this list at the company's second site"
        )
        client.logout()
        _login(client, world.a.users[endpoint.site_role])
        response = endpoint.call(client, world.a)
        assert response.status_code == 200, response.content
        items = response.json()["items"]
        assert items, "the world has rows for this list at the user's site"
        assert _sites(items, endpoint.site_field) == {world.a.site.pk}


def pytest_generate_tests(metafunc):
    """Hooked from conftest: parametrize `route` and `endpoint` from the class lists."""
    cls = metafunc.cls
    if cls is None or not issubclass(cls, TenancyCases):
        return
    _, applies = CHECKS.get(metafunc.function.__name__, (None, lambda item: True))
    for name, items in (("route", cls.routes), ("endpoint", cls.api)):
        if name in metafunc.fixturenames:
            chosen = [item for item in items if applies(item)]
            metafunc.parametrize(name, chosen, ids=_ids(chosen))

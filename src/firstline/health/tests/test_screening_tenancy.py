"""Every screening page through the shared tenancy checks; the action routes
(POST then redirect), the public declaration pages and the shared risk-list
pages get the same questions asked their own way. A new route must be declared
here (the last test)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.health.models import Declaration, FollowUpCall, RiskList, WorkItem
from firstline.health.services.declarations import (
    DeclarationInput,
    consent_record,
    declaration_submit,
)
from firstline.health.urls import screening
from firstline.health.views.declare import site_token
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import PASSWORD, World


@pytest.fixture
def world(world: World) -> World:
    """At each of company a's sites and b's first, the first resident declared a
    contact with a confirmed case: red, on the worklist."""
    for tenant in (*world.a.corners, world.b):
        resident = tenant.residents[0]
        consent = consent_record(resident=resident, channel="staff")
        declaration_submit(
            resident=resident,
            data=DeclarationInput(contact_confirmed=True),
            channel="staff",
            consent=consent,
        )
    return world


def declaration_of(tenant) -> Declaration:
    return Declaration.all_tenants.get(site=tenant.site, current=True)


def item_of(tenant) -> WorkItem:
    return WorkItem.all_tenants.get(site=tenant.site)


DECLARE = {
    "places-TOTAL_FORMS": "1",
    "places-INITIAL_FORMS": "0",
    "places-MIN_NUM_FORMS": "0",
    "places-MAX_NUM_FORMS": "20",
    "temperature": "36.5",
    "consent-agree": "on",
}


class TestScreeningTenancy(TenancyCases):
    routes = [
        Page("health:declaration_list"),
        Page("health:declaration_detail", obj=declaration_of),
        Page("health:declaration_create"),
        Page("health:declaration_import"),
        Page("health:declaration_import_template"),
        Page("health:declare_qr", site_field="pk"),
        Page("health:declare_mine", viewer="resident", site_role="resident"),
        Page(
            "health:declare_mine_form",
            obj=lambda t: t.residents[1],
            viewer="resident",
            write=DECLARE,
            site_role="resident",
        ),
        Page(
            "health:declare_mine_result",
            obj=declaration_of,
            viewer="resident",
            site_role="resident",
        ),
        Page("health:workitem_list", viewer="health_officer"),
        Page("health:workitem_detail", obj=item_of, viewer="health_officer"),
        # The worklist's actions: POST, then back to the item (302).
        *(
            Page(name, obj=item_of, viewer="health_officer", method="post", write=data, ok=302)
            for name, data in (
                ("health:workitem_call", {"outcome": "reached", "notes": "体温正常"}),
                ("health:workitem_refer", {"to": "民族街社区卫生服务中心"}),
                ("health:workitem_close", {}),
            )
        ),
    ]
    explicit = {
        **dict.fromkeys(
            (
                "health:declare_start",
                "health:declare_verify",
                "health:declare_who",
                "health:declare_consent",
                "health:declare_form",
                "health:declare_result",
                "health:declare_signout",
            ),
            "test_public_pages_need_a_valid_signed_link",
        ),
        **dict.fromkeys(
            ("health:risklist_list", "health:risklist_detail", "health:risklist_upload"),
            "test_shared_risk_list_pages",
        ),
    }


# --- action routes: POST, then back to the item ---------------------------------------------------

ACTIONS = {
    "health:workitem_call": {"outcome": "reached", "notes": "体温正常"},
    "health:workitem_refer": {"to": "民族街社区卫生服务中心"},
    "health:workitem_close": {},
}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def snapshot(item: WorkItem) -> tuple:
    item = WorkItem.all_tenants.get(pk=item.pk)
    calls = FollowUpCall.all_tenants.filter(work_item_id=item.pk).count()
    return (item.state, item.referred_to, item.closed_at, calls)


@pytest.mark.parametrize("name", list(ACTIONS))
def test_action_routes_are_scoped(client, world, name):
    data = ACTIONS[name]
    mine, theirs = item_of(world.a), item_of(world.b)
    before_mine, before_theirs = snapshot(mine), snapshot(theirs)

    response = client.post(reverse(name, args=[mine.pk]), data)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    login(client, world.a.users["guard"])  # no right to change the worklist
    assert client.post(reverse(name, args=[mine.pk]), data).status_code == 403
    client.logout()

    login(client, world.a.users["health_officer"])
    assert client.post(reverse(name, args=[theirs.pk]), data).status_code == 404
    assert snapshot(mine) == before_mine and snapshot(theirs) == before_theirs

    response = client.post(reverse(name, args=[mine.pk]), data)
    assert response.status_code == 302 and response["Location"] == mine.get_absolute_url()
    assert snapshot(mine) != before_mine and snapshot(theirs) == before_theirs


# --- public pages: the signed link is the only key --------------------------------------------------

PUBLIC = {
    "health:declare_start",
    "health:declare_verify",
    "health:declare_who",
    "health:declare_consent",
    "health:declare_form",
    "health:declare_result",
    "health:declare_signout",
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_pages_need_a_valid_signed_link(client, world, name):
    good = site_token(world.a.site)
    bad = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    post_only = name in ("health:declare_verify", "health:declare_signout")
    if not post_only:
        assert client.get(reverse(name, args=[bad])).status_code == 404
    assert client.post(reverse(name, args=[bad]), {"phone": "13800000101"}).status_code == 404
    # With a good link and no sign-in, nothing beyond the phone step is shown.
    response = client.get(reverse(name, args=[good]))
    if name == "health:declare_start":
        assert response.status_code == 200
    elif post_only:
        assert response.status_code == 405  # POST only
    else:
        assert response.status_code == 302
        assert response["Location"] == reverse("health:declare_start", args=[good])


# --- shared risk lists: any signed-in user reads; the association uploads ----------------------------

SHARED = {"health:risklist_list", "health:risklist_detail", "health:risklist_upload"}


def test_shared_risk_list_pages(client, world):
    lst = RiskList.objects.create(name="名单", version=1, published_at="2020-01-20T00:00:00+08:00")
    urls = [
        reverse("health:risklist_list"),
        reverse("health:risklist_detail", args=[lst.pk]),
        reverse("health:risklist_upload"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    login(client, world.a.users["guard"])
    assert [client.get(u).status_code for u in urls] == [200, 200, 403]
    client.logout()
    login(client, world.users["association_admin"])
    assert [client.get(u).status_code for u in urls] == [200, 200, 200]
    assert client.get(reverse("health:risklist_detail", args=[lst.pk + 99])).status_code == 404


def test_every_screening_route_is_covered():
    """A new screening page must join one of the checks above."""
    declared = {f"health:{pattern.name}" for pattern in screening.urlpatterns}
    covered = {page.name for page in TestScreeningTenancy.routes} | set(ACTIONS) | PUBLIC | SHARED
    assert declared == covered

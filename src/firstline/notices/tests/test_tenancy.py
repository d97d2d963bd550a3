"""Every notice page and endpoint through the shared tenancy checks: another
company's notice is 404 on every page and endpoint, and a site manager (or a
resident) of a company's first site never reaches its second site's notices."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.health.views.declare import SESSION_KEY, site_token
from firstline.notices.models import Notice
from firstline.notices.tests.rows import attachment_of, draft_of, furnish, published_of
from firstline.notices.urls import declare, inbox, sender
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import PASSWORD, World


@pytest.fixture
def world(world: World) -> World:
    furnish(world)
    return world


EDIT = {
    "title": "改过的标题",
    "body": "改过的正文",
    "target_kind": "site",
    "to_residents": "on",
    "urgency": "normal",
}


def edit_of(t) -> dict:
    return {**EDIT, "target_site": str(t.site.pk)}


RESIDENT = {"viewer": "resident", "site_role": "resident"}


class TestNoticesTenancy(TenancyCases):
    routes = [
        Page("notices:notice_list"),
        Page("notices:notice_export"),
        Page("notices:notice_create", viewer="site_manager"),
        Page("notices:notice_detail", obj=published_of),
        Page("notices:notice_edit", obj=draft_of, write=EDIT, denied_writer="guard"),
        Page(
            "notices:notice_publish",
            obj=draft_of,
            method="post",
            write={},
            ok=302,
            denied_writer="guard",
        ),
        Page(
            "notices:notice_withdraw",
            obj=published_of,
            method="post",
            write={},
            ok=302,
            denied_writer="guard",
        ),
        Page("notices:attachment", obj=attachment_of),
        Page("notices:mine", **RESIDENT),
        Page("notices:mine_detail", obj=published_of, **RESIDENT),
        Page("notices:mine_attachment", obj=attachment_of, **RESIDENT),
    ]
    api = [
        Api("/api/v1/notices/"),
        Api("/api/v1/notices/{id}", obj=published_of),
        Api("/api/v1/notices/{id}/publish", obj=draft_of, method="post"),
        Api("/api/v1/notices/{id}/withdraw", obj=published_of, method="post"),
        Api("/api/v1/notices/{id}/receipts", obj=published_of),
        Api("/api/v1/notices/mine", **RESIDENT),
        Api("/api/v1/notices/mine/{id}/read", obj=published_of, method="post", **RESIDENT),
    ]
    explicit = {
        "POST /api/v1/notices/": "test_create_api_refuses_another_companys_site",
        "notices:declare_list": "test_declare_pages_show_only_the_phones_site",
        "notices:declare_detail": "test_declare_pages_show_only_the_phones_site",
        "notices:declare_attachment": "test_declare_pages_show_only_the_phones_site",
    }


def test_every_notice_route_is_covered():
    declared = {
        f"notices:{p.name}" for p in [*sender.urlpatterns, *inbox.urlpatterns, *declare.urlpatterns]
    }
    covered = {page.name for page in TestNoticesTenancy.routes} | {
        k for k in TestNoticesTenancy.explicit if k.startswith("notices:")
    }
    assert declared == covered


def test_create_api_refuses_another_companys_site(client, world):
    """A draft to another company's site (or the company's other site, for a site
    manager) is a 422 on target_site and writes nothing; to its own, a draft."""
    before = Notice.all_tenants.count()
    body = {"target_kind": "site", "title": "通知", "body": "正文"}
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    response = client.post(
        "/api/v1/notices/",
        {**body, "target_site": world.b.site.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "target_site"]
    client.logout()
    client.login(username=world.a.users["site_manager"].username, password=PASSWORD)
    response = client.post(
        "/api/v1/notices/",
        {**body, "target_site": world.a.sibling.site.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert Notice.all_tenants.count() == before
    response = client.post(
        "/api/v1/notices/",
        {**body, "target_site": world.a.site.pk},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "draft"
    assert response.json()["site_id"] == world.a.site.pk
    client.logout()
    assert client.post("/api/v1/notices/", body, content_type="application/json").status_code == 401
    client.login(username=world.a.users["guard"].username, password=PASSWORD)
    response = client.post(
        "/api/v1/notices/",
        {**body, "target_site": world.a.site.pk},
        content_type="application/json",
    )
    assert response.status_code == 403


def _declare_session(client, tenant) -> str:
    """Sign in as the one-time-code flow does: the verified residents in the session."""
    import time

    session = client.session
    session[SESSION_KEY] = {
        "site": tenant.site.pk,
        "at": time.time(),
        "residents": [r.pk for r in tenant.residents],
    }
    session.save()
    return site_token(tenant.site)


def test_declare_pages_show_only_the_phones_site(client, world):
    own, other = published_of(world.a), published_of(world.b)
    token = _declare_session(client, world.a)
    response = client.get(reverse("notices:declare_list", args=[token]))
    assert response.status_code == 200
    assert [n.pk for n in response.context["object_list"]] == [own.pk]
    assert client.get(reverse("notices:declare_detail", args=[token, own.pk])).status_code == 200
    assert client.get(reverse("notices:declare_detail", args=[token, other.pk])).status_code == 404
    sibling = published_of(world.a.sibling)
    assert (
        client.get(reverse("notices:declare_detail", args=[token, sibling.pk])).status_code == 404
    )
    url = reverse("notices:declare_attachment", args=[token, attachment_of(world.a).pk])
    assert client.get(url).status_code == 200
    url = reverse("notices:declare_attachment", args=[token, attachment_of(world.b).pk])
    assert client.get(url).status_code == 404
    # Another site's link with this session: not signed in there, back to the code page.
    other_token = site_token(world.b.site)
    response = client.get(reverse("notices:declare_list", args=[other_token]))
    assert response.status_code == 302
    assert response["Location"] == reverse("health:declare_start", args=[other_token])
    # Without the sign-in: the same.
    client.session.flush()
    fresh = client.__class__()
    response = fresh.get(reverse("notices:declare_list", args=[token]))
    assert response.status_code == 302
    url = reverse("notices:declare_attachment", args=[token, attachment_of(world.a).pk])
    assert fresh.get(url).status_code == 404

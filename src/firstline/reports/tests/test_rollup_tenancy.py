"""Every roll-up, overview and webhook route through the shared tenancy checks.

Webhooks are association rows: each tenant's corner gets a webhook of its own
association (b's company joins a second one), so "another company's object" is
another association's webhook or delivery, and must answer 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.orgs.models import Association, Membership
from firstline.reports.models import Webhook, WebhookDelivery
from firstline.reports.services import webhooks
from firstline.reports.tests.test_rollup import add_report
from firstline.reports.urls import rollup
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import PASSWORD, World, make_user


@pytest.fixture
def world(world: World) -> World:
    other = Association.objects.create(name="武昌物业协会", short_name="武昌")
    Membership.objects.filter(company=world.b.company).update(association=other)
    admins = (
        world.users["association_admin"],
        make_user("assoc_b", "association_admin", association=other),
    )
    corners = ((world.a, world.association, admins[0]), (world.b, other, admins[1]))
    for tenant, association, admin in corners:
        webhook = Webhook.objects.create(
            association=association,
            name=f"hook-{tenant.company.pk}",
            url="http://127.0.0.1:9/unused",
            secret_enc=webhooks.secret_seal("s"),
        )
        report = add_report(tenant.site)
        WebhookDelivery.all_tenants.create(
            company=tenant.company,
            webhook=webhook,
            report=report,
            version=1,
            payload={"site": {"name": tenant.site.name}, "day": str(report.day)},
            state=WebhookDelivery.State.FAILED,
            attempts=8,
        )
        tenant.users["association_admin"] = admin
    return world


def webhook_of(t):
    return Webhook.objects.get(name=f"hook-{t.company.pk}")


def delivery_of(t):
    return WebhookDelivery.all_tenants.get(company=t.company)


class TestRollupTenancy(TenancyCases):
    routes = [
        Page("reports:rollup"),
        Page("reports:rollup_export"),
        Page("reports:overview", viewer="association_admin"),
        Page("reports:webhook_list", viewer="association_admin"),
        Page("reports:webhook_create", viewer="association_admin"),
        Page(
            "reports:webhook_deliveries",
            obj=webhook_of,
            viewer="association_admin",
            company_level="webhooks are the association's",
        ),
    ]
    api = [
        Api(
            "/api/v1/reports/rollup",
            company_level="one row per company, summing the sites the scope reaches: "
            "test_company_row_counts_only_the_sites_in_scope",
        ),
        Api("/api/v1/reports/rollup?company={company}"),  # one row per site
    ]
    explicit = {
        "reports:webhook_deactivate": "test_actions_are_scoped_to_the_association",
        "reports:delivery_retry": "test_actions_are_scoped_to_the_association",
    }


def test_company_row_counts_only_the_sites_in_scope(client, world):
    """The company's admin: a's two sites in a's row; a's site manager: one."""
    for role, sites in (("company_admin", 2), ("site_manager", 1)):
        client.force_login(world.a.users[role])
        items = client.get("/api/v1/reports/rollup").json()["items"]
        assert [(row["company_id"], row["sites"]) for row in items] == [(world.a.company.pk, sites)]


# The two POST actions answer with a redirect, so they are checked here rather than by
# the base's "permitted → 200".
ACTIONS = {
    "reports:webhook_deactivate": (webhook_of, lambda obj: Webhook.objects.get(pk=obj.pk).active),
    "reports:delivery_retry": (
        delivery_of,
        lambda obj: WebhookDelivery.all_tenants.values_list("state", "attempts", "last_error").get(
            pk=obj.pk
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_actions_are_scoped_to_the_association(
    client, world, name, django_capture_on_commit_callbacks
):
    obj_of, state_of = ACTIONS[name]
    theirs, mine = obj_of(world.b), obj_of(world.a)
    before = state_of(theirs)
    assert client.post(reverse(name, args=[mine.pk])).status_code == 302  # anonymous → login
    assert client.login(username=world.users["association_admin"].username, password=PASSWORD)
    assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    assert state_of(theirs) == before
    client.logout()
    mine_before = state_of(mine)
    assert client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    assert client.post(reverse(name, args=[mine.pk])).status_code == 403
    assert state_of(mine) == mine_before
    client.logout()
    assert client.login(username=world.users["association_admin"].username, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse(name, args=[mine.pk])).status_code == 302
    assert state_of(mine) != mine_before


def test_every_rollup_route_is_covered():
    """A new roll-up or webhook page must join the tenancy checks above."""
    declared = {f"reports:{pattern.name}" for pattern in rollup.urlpatterns}
    assert declared == {page.name for page in TestRollupTenancy.routes} | set(ACTIONS)

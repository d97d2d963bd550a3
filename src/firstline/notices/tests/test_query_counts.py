"""The notice lists run a fixed number of queries whatever the number of notices,
sites, residents and receipts (figures are correlated subqueries of the one query)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.notices.models import Notice
from firstline.notices.services.notices import notice_create, notice_publish
from firstline.notices.services.reading import notice_read
from firstline.notices.tests.rows import scope_of, site_notice
from firstline.testing.world import PASSWORD

# session, user, role assignments (the scope), COUNT, the page (+ its own few).
EXPECTED = {
    ("company_admin", "notices:notice_list"): 5,
    ("resident", "notices:mine"): 5,
    ("company_admin", "/api/v1/notices/"): 5,
    ("resident", "/api/v1/notices/mine"): 5,
}


def grow(world, n: int) -> None:
    admin = world.a.users["company_admin"]
    for i in range(n):
        notice = site_notice(world.a, title=f"第{i}条", urgency="urgent" if i % 3 else "normal")
        notice_read(
            notice=notice,
            user=world.a.users["resident"],
            company_id=world.a.company.pk,
            site_id=world.a.site.pk,
            household_id=world.a.household.pk,
        )
    whole = notice_create(
        actor=admin,
        scope=scope_of(admin),
        target_kind="company",
        target_company=world.a.company.pk,
        to_staff=True,
        title="全公司",
        body="正文",
    )
    notice_publish(actor=admin, notice=whole)
    site_notice(world.a, publish=False, title="草稿")


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("role", "url"), list(EXPECTED), ids=[u for _r, u in EXPECTED])
def test_query_count_is_pinned_and_does_not_grow_with_rows(client, world, role, url):
    site_notice(world.a, title="第一条")
    assert client.login(username=world.a.users[role].username, password=PASSWORD)
    target = url if url.startswith("/") else reverse(url)
    first = count(client, target)
    assert first == EXPECTED[(role, url)]
    grow(world, 12)
    assert Notice.all_tenants.count() == 15
    assert count(client, target) == first

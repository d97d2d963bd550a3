"""Lists keep a fixed number of queries whatever their size: the employer's
applications (page and API), the graduate's own page and API list, the positions to
browse, the public fair page and the figures."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.jobs.models import Application, Position
from firstline.jobs.services.fairs import position_words
from firstline.jobs.tests.furnish import furnish, make_graduate
from firstline.testing.world import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def count(client, url: str, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def grow(world: World, n: int, start: int) -> None:
    """n more applicants to a's position and n more positions a's graduate applied to."""
    a = world.a
    for k in range(start, start + n):
        graduate = make_graduate(world, f"grad_more_{k}", 100 + k)
        Application.all_tenants.create(
            company=a.company, fair=world.fair, position=a.job_position, graduate=graduate
        )
        position = Position.all_tenants.create(
            company=a.company,
            fair=world.fair,
            employer=a.job_employer,
            title=f"物业管理员{k}",
            city="武汉",
            salary_min=1,
            salary_max=2,
            search_words=position_words("物业管理员", "武汉"),
        )
        Application.all_tenants.create(
            company=a.company, fair=world.fair, position=position, graduate=a.job_graduate
        )


PAGES = {
    "company_admin": [
        (reverse("jobs:application_list"), None),
        ("/api/v1/jobs/employer/applications", None),
        (reverse("jobs:position_list"), None),
    ],
    "graduate": [
        (reverse("jobs:me"), None),
        ("/api/v1/jobs/my/applications", None),
        (reverse("jobs:position_browse"), {"q": "物业管理员"}),
        ("/api/v1/jobs/positions", {"q": "物业"}),
    ],
}


@pytest.mark.parametrize("who", list(PAGES))
def test_list_queries_do_not_grow_with_the_rows(client, world, who):
    assert client.login(username=world.a.users[who].username, password=PASSWORD)
    grow(world, 1, 0)
    small = [count(client, url, params) for url, params in PAGES[who]]
    grow(world, 5, 1)
    big = [count(client, url, params) for url, params in PAGES[who]]
    assert small == big


def test_the_public_page_and_figures_do_not_grow(client, world):
    url = reverse("jobs:fair_public", args=[world.fair.pk])
    client.get(url)  # today's visit is counted once: later calls only look it up
    grow(world, 1, 0)
    small = count(client, url, {"q": "物业"})
    grow(world, 5, 1)
    assert count(client, url, {"q": "物业"}) == small

"""A quota holds under concurrent submissions on PostgreSQL: twenty phones submit
at once to a site whose quota is three; exactly three are kept, the others see
"已满", and the counter says three."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from firstline.surveys.models import QuotaCounter, Response
from firstline.surveys.services import distribution, responses
from firstline.surveys.tests.forms import survey_of
from firstline.surveys.tests.test_concurrency import THREADS, wide_pool  # noqa: F401
from firstline.testing.world import build_world

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections"),
    pytest.mark.django_db(transaction=True),
]

QUOTA = 3


def _race(survey, site, phones):
    barrier = threading.Barrier(len(phones))
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(phone: str):
        try:
            barrier.wait()
            responses.response_submit(
                actor=None,
                survey=survey,
                raw={"closed": "no", "impact": "low"},
                site=site,
                phone=phone,
            )
            result = "ok"
        except ValidationError as exc:
            result = getattr(exc, "code", None) or "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(p,)) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_twenty_phones_at_once_keep_the_site_quota(wide_pool):  # noqa: F811
    world = build_world()
    survey = survey_of(world, audience="owners")
    distribution.survey_set_distribution(actor=None, survey=survey, quota_per_site=QUOTA)
    survey.refresh_from_db()
    site = world.a.site
    phones = [f"1370000{i:04d}" for i in range(THREADS)]
    outcomes = _race(survey, site, phones)
    assert sorted(outcomes) == ["ok"] * QUOTA + ["quota_full"] * (THREADS - QUOTA)
    assert Response.all_tenants.filter(survey=survey, site=site).count() == QUOTA
    counter = QuotaCounter.all_tenants.get(survey=survey, kind="site", key=str(site.pk))
    assert counter.count == QUOTA


def test_the_same_phone_twenty_times_takes_one_place(wide_pool):  # noqa: F811
    world = build_world()
    survey = survey_of(world, audience="owners")
    distribution.survey_set_distribution(actor=None, survey=survey, quota_per_district=QUOTA)
    survey.refresh_from_db()
    outcomes = _race(survey, world.b.site, ["13900139000"] * THREADS)
    assert sorted(outcomes) == ["ok"] + ["refused"] * (THREADS - 1)
    counter = QuotaCounter.all_tenants.get(survey=survey, kind="district", key="420106")
    assert counter.count == 1  # the refused duplicates gave their places back

"""The public site's demo content (issue #18): seven guides with two versions each and
a PDF, twenty news items, two topics, thirty policies (some expired), an FAQ linked to
policies, ~600,000 views and downloads; running the step again adds nothing."""

import random

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from firstline.publishing.models import (
    SITE_TYPES,
    FaqItem,
    GuideChapterPage,
    GuidePage,
    NewsPage,
    PolicyPage,
    ReadingDay,
    TopicPage,
)
from firstline.publishing.selectors.guides import guide_versions
from firstline.scenario.publishing import build_publishing

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_divisions", verbosity=0)
    return build_publishing(rng=random.Random(6))


def test_scheduled_publishing_is_a_periodic_job():
    from firstline.core.scheduler import Every
    from firstline.schedule import JOBS

    job = next(job for job in JOBS if job.name == "publishing_scheduled")
    assert str(job.when) == str(Every(minutes=1)) and "publish_scheduled" in job.description


def test_the_public_site_content(content):
    assert GuidePage.objects.live().count() == len(SITE_TYPES) == 8  # isolation points too
    assert set(GuidePage.objects.values_list("site_type", flat=True)) == {v for v, _ in SITE_TYPES}
    for guide in GuidePage.objects.all():
        chapters = GuideChapterPage.objects.child_of(guide).live().count()
        assert 3 <= chapters <= 5, guide.title
        assert [v.version for v in guide_versions(guide)] == ["2.0", "1.0"]
        assert guide.change_note and guide.poster_points and guide.document_id
        assert guide.last_published_at.year == 2020
    residential = GuidePage.objects.get(site_type="residential")
    sections = [
        block.value
        for chapter in GuideChapterPage.objects.child_of(residential)
        for block in chapter.sections
    ]
    texts = [f"{s['heading']} {s['body'].source}" for s in sections]
    assert any("电梯" in t and "消毒" in t for t in texts)
    assert sum("消毒" in t and "电梯" not in t for t in texts) >= 2
    assert NewsPage.objects.live().count() == 20
    dates = NewsPage.objects.values_list("date", flat=True)
    assert min(dates).isoformat() >= "2020-01-01" and max(dates).isoformat() <= "2020-04-30"
    assert TopicPage.objects.live().count() == 2
    assert all(t.links.count() >= 5 for t in TopicPage.objects.all())
    assert PolicyPage.objects.live().count() == 30
    assert PolicyPage.objects.filter(valid_until__lt=timezone.localdate()).count() >= 5
    assert PolicyPage.objects.filter(region__isnull=False).count() >= 8
    assert FaqItem.objects.count() == 12
    assert all(item.policies.exists() for item in FaqItem.objects.all())
    totals = ReadingDay.objects.aggregate(v=Sum("views"), d=Sum("downloads"))
    assert totals["v"] + totals["d"] == 600_000

    client = Client()
    page = client.get(residential.url)
    assert page.status_code == 200 and "版本记录" in page.content.decode()
    assert client.get(f"/site/guides/{residential.pk}/poster.pdf").status_code == 200
    assert client.get("/site/policies/").status_code == 200
    assert client.get("/site/faq/").status_code == 200

    again = build_publishing(rng=random.Random(6))  # idempotent
    assert again.counts["guides"] == len(SITE_TYPES) and NewsPage.objects.count() == 20
    assert PolicyPage.objects.count() == 30 and FaqItem.objects.count() == 12
    assert GuidePage.objects.count() == len(SITE_TYPES)

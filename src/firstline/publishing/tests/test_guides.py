"""Guides: versions (published revisions) with their change notes on the public page,
the A4 print layout and the lobby poster, moderation over the whole tree, scheduled
publishing by the periodic job, and the link from sanitation's checklists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page, Revision, WorkflowPage

from firstline.publishing.models import GuideChapterPage, GuidePage
from firstline.publishing.selectors.guides import (
    guide_changes_since,
    guide_versions,
)
from firstline.publishing.services.site import WORKFLOW, site_ensure, workflow_ensure
from firstline.publishing.tasks import publishing_scheduled

pytestmark = pytest.mark.django_db


def make_guide(site_type: str = "residential", *, versions: int = 2) -> GuidePage:
    """A live guide with one chapter, published as v1.0 and then up to v`versions`.0
    through Wagtail's API, as an editor's approved changes would be."""
    home = site_ensure()
    guide = GuidePage(
        title=f"{site_type} 防控操作指引",
        slug=site_type,
        site_type=site_type,
        version="1.0",
        change_note="首次发布",
        poster_points="出入口测温\n电梯按钮每天消毒四次",
        live=False,
    )
    home.add_child(instance=guide)
    guide.save_revision().publish()
    chapter = GuideChapterPage(
        title="公共区域消毒",
        slug="disinfection",
        sections=[("section", {"heading": "电梯消毒", "body": "<p>每天四次擦拭按钮。</p>"})],
        live=False,
    )
    guide.add_child(instance=chapter)
    chapter.save_revision().publish()
    for n in range(2, versions + 1):
        guide = GuidePage.objects.get(pk=guide.pk)
        guide.version, guide.change_note = f"{n}.0", f"第{n}版：补充电梯消毒频次"
        guide.save_revision().publish()
    return GuidePage.objects.get(pk=guide.pk)


def test_each_published_revision_is_a_version_shown_on_the_public_page(client):
    guide = make_guide(versions=2)
    with CaptureQueriesContext(connection) as one:
        versions = guide_versions(guide)
    assert [(v.version, v.change_note) for v in versions] == [
        ("2.0", "第2版：补充电梯消毒频次"),
        ("1.0", "首次发布"),
    ]
    assert len(one) == 1
    guide.save_revision()  # a draft is not a version
    assert len(guide_versions(guide)) == 2
    text = client.get(guide.url).content.decode()
    assert "版本记录" in text and "第2版：补充电梯消毒频次" in text and "首次发布" in text
    assert "第 2.0 版" in text


def test_changes_since_a_revision_list_the_later_ones():
    guide = make_guide(versions=1)
    base = guide.live_revision
    assert guide_changes_since(guide.pk, base) == []
    guide.version, guide.change_note = "1.1", "补充垃圾点消毒"
    guide.save_revision().publish()
    guide.version, guide.change_note = "1.2", "补充隔离户服务"
    guide.save_revision().publish()
    assert [c.version for c in guide_changes_since(guide.pk, base)] == ["1.1", "1.2"]
    assert [c.version for c in guide_changes_since(guide.pk, None)] == ["1.0", "1.1", "1.2"]


def test_print_layout_and_poster_of_a_live_guide_only(client):
    guide = make_guide()
    page = client.get(f"/site/guides/{guide.pk}/print/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "publishing/print.css" in text and "电梯消毒" in text and "公共区域消毒" in text
    assert "fl-site-nav" not in text  # no site navigation on paper
    poster = client.get(f"/site/guides/{guide.pk}/poster.pdf")
    assert poster.status_code == 200 and poster["Content-Type"] == "application/pdf"
    body = b"".join(poster.streaming_content)
    assert body.startswith(b"%PDF") and b"STSong-Light" in body
    chapter = GuideChapterPage.objects.child_of(guide).get()
    assert client.get(f"/site/guides/{chapter.pk}/print/").status_code == 404
    assert client.get("/site/guides/999999/poster.pdf").status_code == 404
    guide.unpublish()
    assert client.get(f"/site/guides/{guide.pk}/print/").status_code == 404
    assert client.get(f"/site/guides/{guide.pk}/poster.pdf").status_code == 404


def test_the_moderation_workflow_covers_every_page_of_the_site():
    guide = make_guide(versions=1)
    root = Page.get_first_root_node()
    WorkflowPage.objects.filter(page=root).delete()
    workflow_ensure()
    assert WorkflowPage.objects.get(page=root).workflow.name == WORKFLOW
    assert guide.get_workflow().name == WORKFLOW
    assert GuideChapterPage.objects.first().get_workflow().name == WORKFLOW


def test_scheduled_publishing_runs_as_the_periodic_job():
    guide = make_guide(versions=1)
    guide.version, guide.change_note = "1.1", "定时发布"
    guide.go_live_at = timezone.now() + timedelta(hours=1)
    revision = guide.save_revision()
    revision.publish()  # approved, scheduled: not live yet
    assert GuidePage.objects.get(pk=guide.pk).version == "1.0"
    past = timezone.now() - timedelta(minutes=1)  # the hour has passed
    revision.content["go_live_at"] = past.isoformat()
    Revision.objects.filter(pk=revision.pk).update(
        approved_go_live_at=past, content=revision.content
    )
    publishing_scheduled.call()
    assert GuidePage.objects.get(pk=guide.pk).version == "1.1"
    assert guide_versions(guide)[0].change_note == "定时发布"

"""The task progress bar: services that move it, and the fragment that polls itself."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.core.models import TaskProgress
from firstline.core.progress import (
    progress_advance,
    progress_fail,
    progress_set_total,
    progress_start,
    progress_succeed,
)
from firstline.orgs.models import User

pytestmark = pytest.mark.django_db

POLL = 'hx-trigger="every 1s"'


@pytest.fixture
def owner():
    return User.objects.create_user(username="owner", password="unused-in-tests")


@pytest.fixture
def progress(owner):
    return progress_start(owner=owner, company=None, kind="estates.resident_import", total=4)


def fragment(client, user, progress):
    client.force_login(user)
    return client.get(reverse("task_progress", args=[progress.pk]))


# --- services ---------------------------------------------------------------------------


def test_start_is_queued_with_nothing_done(progress):
    assert (progress.status, progress.total, progress.done, progress.percent) == ("queued", 4, 0, 0)


def test_advance_adds_in_the_database_and_runs(progress):
    progress_advance(progress_id=progress.pk, by=1)
    progress_advance(progress_id=progress.pk, by=2)

    progress.refresh_from_db()
    assert (progress.status, progress.done, progress.percent) == ("running", 3, 75)


def test_advance_never_passes_the_total(progress):
    progress_advance(progress_id=progress.pk, by=10)

    progress.refresh_from_db()
    assert (progress.done, progress.percent) == (4, 100)


def test_advance_without_a_total_counts_up(owner):
    progress = progress_start(owner=owner, company=None, kind="export")

    progress_advance(progress_id=progress.pk, by=7)

    progress.refresh_from_db()
    assert (progress.done, progress.total, progress.percent) == (7, 0, 0)


def test_set_total_starts_running(owner):
    progress = progress_start(owner=owner, company=None, kind="export")

    progress_set_total(progress_id=progress.pk, total=200)

    progress.refresh_from_db()
    assert (progress.status, progress.total) == ("running", 200)


def test_negative_steps_are_refused(progress):
    with pytest.raises(ValueError):
        progress_advance(progress_id=progress.pk, by=-1)
    progress.refresh_from_db()
    assert progress.done == 0


def test_succeed_fills_the_bar_and_keeps_the_result(progress):
    progress_advance(progress_id=progress.pk, by=1)

    progress_succeed(
        progress_id=progress.pk, result={"message": "已导入 4 人", "redirect": "/residents/"}
    )

    progress.refresh_from_db()
    assert (progress.status, progress.done, progress.percent) == ("succeeded", 4, 100)
    assert progress.message == "已导入 4 人"
    assert progress.result == {"message": "已导入 4 人", "redirect": "/residents/"}


def test_a_finished_task_ignores_late_updates(progress):
    progress_fail(progress_id=progress.pk, message="第 3 行：手机号格式不正确")

    progress_advance(progress_id=progress.pk, by=2)
    progress_succeed(progress_id=progress.pk, result={"message": "done"})

    progress.refresh_from_db()
    assert (progress.status, progress.done, progress.message) == (
        "failed",
        0,
        "第 3 行：手机号格式不正确",
    )


# --- the fragment -------------------------------------------------------------------------


def test_owner_sees_the_percent_and_the_fragment_keeps_polling(client, owner, progress):
    progress_advance(progress_id=progress.pk, by=1)

    response = fragment(client, owner, progress)

    assert response.status_code == 200
    html = response.content.decode()
    assert "25%" in html
    assert 'aria-valuenow="25"' in html
    assert "1 / 4" in html
    assert POLL in html
    assert f'hx-get="{reverse("task_progress", args=[progress.pk])}"' in html
    assert 'hx-swap="outerHTML"' in html


def test_another_user_gets_404(client, progress):
    other = User.objects.create_user(username="other", password="unused-in-tests")

    response = fragment(client, other, progress)

    assert response.status_code == 404


def test_unknown_task_is_404(client, owner):
    client.force_login(owner)

    response = client.get(reverse("task_progress", args=["00000000-0000-0000-0000-000000000000"]))

    assert response.status_code == 404


def test_anonymous_is_sent_to_login(client, progress):
    response = client.get(reverse("task_progress", args=[progress.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_finished_fragment_stops_polling_and_links_to_the_result(client, owner, progress):
    progress_succeed(
        progress_id=progress.pk, result={"message": "已导入 4 人", "redirect": "/residents/"}
    )

    html = fragment(client, owner, progress).content.decode()

    assert POLL not in html
    assert "hx-get" not in html
    assert "100%" in html
    assert "已导入 4 人" in html
    assert 'href="/residents/"' in html


def test_failed_fragment_stops_polling_and_shows_why(client, owner, progress):
    progress_fail(progress_id=progress.pk, message="第 3 行：手机号格式不正确")

    html = fragment(client, owner, progress).content.decode()

    assert POLL not in html
    assert "第 3 行：手机号格式不正确" in html
    assert "bg-danger" in html


def test_only_a_local_path_becomes_a_link(client, owner, progress):
    progress_succeed(progress_id=progress.pk, result={"redirect": "https://example.com/x"})

    html = fragment(client, owner, progress).content.decode()

    assert "example.com" not in html


def test_a_page_can_include_the_fragment(rf, owner, progress):
    from django.template.loader import render_to_string

    html = render_to_string(
        "core/_progress.html", {"progress": TaskProgress.objects.get(pk=progress.pk)}
    )

    assert f'id="task-progress-{progress.pk}"' in html
    assert POLL in html

"""Large exports run in the background: the results page offers them past the row
limit, the task writes the file to the private storage with its progress, the file
is served to the user who asked only, and the scheduled purge deletes it."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time

import pyreadstat
import pytest
from django.urls import reverse

from firstline.core.models import AuditEvent, TaskProgress
from firstline.orgs.models import Association
from firstline.surveys.tasks import EXPORT_DIR, export_path, purge_survey_exports
from firstline.surveys.tests.forms import survey_of
from firstline.surveys.tests.rows import answered_survey
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import PASSWORD, make_user

pytestmark = pytest.mark.django_db


class TestSurveyExportsTenancy(TenancyCases):
    # The matrix's company pages: the company admin's list of surveys to answer (the
    # exports below are the association's, checked by the tests named here).
    routes = [Page("surveys:my_surveys", company_level="company surveys: the company admin's")]
    explicit = {
        "surveys:export_start": "test_background_export_from_the_results_page",
        "surveys:export_progress": "test_background_export_from_the_results_page",
        "surveys:export_file": "test_only_the_user_who_asked_gets_the_file",
        "POST /api/v1/surveys/{pk}/exports": "test_api_export_of_a_sav",
        "GET /api/v1/surveys/{pk}/exports/{progress_id}": "test_api_export_of_a_sav",
        "GET /api/v1/surveys/{pk}/exports/{progress_id}/file": "test_api_export_of_a_sav",
        "surveys:response_file": (
            "firstline.surveys.tests.test_files::test_a_file_is_served_to_results_readers_only"
        ),
    }


@pytest.fixture
def small_limits(settings, tmp_path):
    """Exports of more than 5 rows go to the background; files go to a scratch storage."""
    settings.SURVEYS_EXPORT_STREAM_ROWS = {"csv": 5, "xlsx": 5, "sav": 5}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }
    return tmp_path / "media"


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_background_export_from_the_results_page(
    client, world, small_limits, django_capture_on_commit_callbacks
):
    survey = answered_survey(world)
    admin = world.users["association_admin"]
    _login(client, admin)
    results = client.get(reverse("surveys:survey_results", args=[survey.pk]))
    assert [e["streams"] for e in results.context["exports"]] == [False, False, False]
    assert b'action="/surveys/%d/exports/"' % survey.pk in results.content
    # A link to a large export asks first, and starts nothing.
    export = reverse("surveys:survey_export", args=[survey.pk])
    asked = client.get(export, {"format": "csv", "labels": "1", "district_code": "420106"})
    assert asked.status_code == 200 and asked.context["count"] == 9
    assert TaskProgress.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            reverse("surveys:export_start", args=[survey.pk]),
            {"format": "csv", "labels": "1", "district_code": "420106"},
        )
    progress = TaskProgress.objects.get()
    assert started["Location"] == reverse("surveys:export_progress", args=[survey.pk, progress.pk])
    assert (progress.status, progress.done, progress.total) == ("succeeded", 9, 9)
    assert progress.owner == admin
    assert progress.result["file"] == export_path(progress.pk, "csv")
    assert (small_limits / progress.result["file"]).exists()
    page = client.get(started["Location"])
    download = reverse("surveys:export_file", args=[survey.pk, progress.pk])
    assert download in page.content.decode()
    fragment = client.get(started["Location"], headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith("<section")
    assert download in fragment.content.decode()
    got = client.get(download)
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith('attachment; filename="survey-')
    text = b"".join(got.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == 10 and {row[2] for row in table[1:]} == {"420106"}
    assert table[1][table[0].index("小区是否实行封闭管理？")] in ("是", "否")
    event = AuditEvent.objects.get(action="surveys.response_export")
    assert event.changes == {
        "format": "csv",
        "labels": True,
        "filters": {"district_code": "420106"},
        "background": True,
        "rows": 9,
    }


def test_an_export_under_the_limit_still_streams(client, world, settings):
    settings.SURVEYS_EXPORT_STREAM_ROWS = {"csv": 16}
    survey = answered_survey(world)
    _login(client, world.users["association_admin"])
    got = client.get(reverse("surveys:survey_export", args=[survey.pk]), {"format": "csv"})
    assert got.streaming and TaskProgress.objects.count() == 0


def _started(client, survey, capture, fmt="xlsx"):
    with capture(execute=True):
        client.post(reverse("surveys:export_start", args=[survey.pk]), {"format": fmt})
    return TaskProgress.objects.latest("created_at")


def test_only_the_user_who_asked_gets_the_file(
    client, world, small_limits, django_capture_on_commit_callbacks
):
    survey = answered_survey(world)
    _login(client, world.users["association_admin"])
    progress = _started(client, survey, django_capture_on_commit_callbacks)
    download = reverse("surveys:export_file", args=[survey.pk, progress.pk])
    page = reverse("surveys:export_progress", args=[survey.pk, progress.pk])
    assert client.get(download).status_code == 200
    client.logout()
    assert client.get(download).status_code == 302  # to the login page
    # A colleague who may export the survey too: not their export.
    staff = make_user("staff", "association_staff", association=world.association)
    _login(client, staff)
    assert client.get(download).status_code == 404
    assert client.get(page).status_code == 404
    client.logout()
    # Another association's admin: not their survey.
    other = Association.objects.create(name="另一协会", short_name="另协")
    outsider = make_user("outsider", "association_admin", association=other)
    _login(client, outsider)
    assert client.get(download).status_code == 404
    client.logout()
    # A company admin: no exports at all.
    _login(client, world.a.users["company_admin"])
    assert client.get(download).status_code == 403
    assert (
        client.post(reverse("surveys:export_start", args=[survey.pk]), {"format": "csv"})
    ).status_code == 403
    client.logout()
    # The same export under another survey's address is 404 for its owner too.
    _login(client, world.users["association_admin"])
    elsewhere = survey_of(world, audience="owners")
    assert (
        client.get(reverse("surveys:export_file", args=[elsewhere.pk, progress.pk])).status_code
        == 404
    )
    assert TaskProgress.objects.count() == 1


def test_the_purge_deletes_old_files_and_their_link_is_404(
    client, world, small_limits, django_capture_on_commit_callbacks
):
    survey = answered_survey(world)
    _login(client, world.users["association_admin"])
    old = _started(client, survey, django_capture_on_commit_callbacks, fmt="csv")
    new = _started(client, survey, django_capture_on_commit_callbacks, fmt="sav")
    long_ago = time.time() - 25 * 3600
    os.utime(small_limits / old.result["file"], (long_ago, long_ago))
    assert purge_survey_exports.call() == 1
    assert sorted(os.listdir(small_limits / EXPORT_DIR)) == [f"{new.pk}.sav"]
    gone = reverse("surveys:export_file", args=[survey.pk, old.pk])
    assert client.get(gone).status_code == 404
    kept = reverse("surveys:export_file", args=[survey.pk, new.pk])
    assert client.get(kept).status_code == 200


def test_the_purge_with_no_exports_yet(small_limits):
    assert purge_survey_exports.call() == 0


def test_api_export_of_a_sav(client, world, small_limits, django_capture_on_commit_callbacks):
    survey = answered_survey(world)
    base = f"/api/v1/surveys/{survey.pk}/exports"
    _login(client, world.users["association_admin"])
    bad = client.post(base, {"format": "pdf"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "format"
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            base, {"format": "sav", "size_band": ""}, content_type="application/json"
        )
    assert started.status_code == 202, started.content
    assert started.json()["status"] == "queued" and started.json()["file_url"] is None
    status = client.get(f"{base}/{started.json()['progress_id']}").json()
    assert (status["status"], status["done"], status["total"], status["rows"]) == (
        "succeeded",
        16,
        16,
        16,
    )
    got = client.get(status["file_url"])
    assert got.status_code == 200 and got["Content-Type"] == "application/x-spss-sav"
    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        f.write(b"".join(got.streaming_content))
        f.flush()
        frame, meta = pyreadstat.read_sav(f.name, output_format="polars")
    assert frame.height == 16
    assert meta.variable_value_labels["impact"] == {1.0: "较小", 2.0: "一般", 3.0: "严重"}
    client.logout()
    other = Association.objects.create(name="另一协会", short_name="另协")
    _login(client, make_user("outsider", "association_admin", association=other))
    assert client.post(base, {"format": "csv"}, content_type="application/json").status_code == (
        404
    )
    assert client.get(f"{base}/{status['progress_id']}").status_code == 404
    assert client.get(status["file_url"]).status_code == 404
    assert TaskProgress.objects.count() == 1

"""XLSX past Excel's row limit: refused before anything starts, with a message that
points to CSV or SPSS (the page, the background start, the API, the task), and a
workbook is never cut short. The limit is lowered through `XLSX_MAX_ROWS` (16
responses + the header need 17 rows)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from firstline.core.models import AuditEvent, TaskProgress
from firstline.surveys.models import Question, Response
from firstline.surveys.services import exporting
from firstline.surveys.tasks import export_enqueue
from firstline.surveys.tests.rows import answered_survey
from firstline.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_16(monkeypatch):
    monkeypatch.setattr(exporting, "XLSX_MAX_ROWS", 16)  # 15 responses + the header


def _login(client, world):
    assert client.login(username=world.users["association_admin"].username, password=PASSWORD)


def test_refusal_counts_the_header_row(limit_16):
    assert exporting.refusal("xlsx", 15) == ""
    message = exporting.refusal("xlsx", 16)
    assert "16" in message and "CSV" in message and "SPSS" in message
    assert exporting.refusal("csv", 10**7) == "" and exporting.refusal("sav", 10**7) == ""


def test_the_results_page_and_the_export_link_refuse_xlsx(client, world, limit_16):
    survey = answered_survey(world)  # 16 responses
    _login(client, world)
    page = client.get(reverse("surveys:survey_results", args=[survey.pk]))
    refused = {e["format"]: e["refused"] for e in page.context["exports"]}
    assert refused["xlsx"] and not refused["csv"] and not refused["sav"]
    assert b'data-testid="export-xlsx-refused"' in page.content
    got = client.get(reverse("surveys:survey_export", args=[survey.pk]), {"format": "xlsx"})
    assert got.status_code == 422
    assert "CSV" in got.context["message"] and b"export-refused" in got.content
    assert not AuditEvent.objects.filter(action="surveys.response_export").exists()
    # Filtered down under the limit (9 responses in 420106), the same link works.
    small = client.get(
        reverse("surveys:survey_export", args=[survey.pk]),
        {"format": "xlsx", "district_code": "420106"},
    )
    assert small.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(small.streaming_content)), read_only=True)
    assert sum(1 for _ in book.active.iter_rows()) == 10


def test_the_background_start_refuses_and_queues_nothing(client, world, limit_16, settings):
    settings.SURVEYS_EXPORT_STREAM_ROWS = {"xlsx": 5}
    survey = answered_survey(world)
    _login(client, world)
    got = client.post(reverse("surveys:export_start", args=[survey.pk]), {"format": "xlsx"})
    assert got.status_code == 302
    assert got["Location"] == reverse("surveys:survey_results", args=[survey.pk])
    assert TaskProgress.objects.count() == 0
    shown = client.get(got["Location"])
    assert "SPSS" in " ".join(str(m) for m in shown.context["messages"])


def test_the_api_refuses_with_a_422_at_format(client, world, limit_16):
    survey = answered_survey(world)
    _login(client, world)
    got = client.post(
        f"/api/v1/surveys/{survey.pk}/exports", {"format": "xlsx"}, content_type="application/json"
    )
    assert got.status_code == 422
    detail = got.json()["detail"][0]
    assert detail["loc"][-1] == "format" and "CSV" in detail["msg"]
    assert TaskProgress.objects.count() == 0
    ok = client.post(
        f"/api/v1/surveys/{survey.pk}/exports",
        {"format": "xlsx", "district_code": "420106"},
        content_type="application/json",
    )
    assert ok.status_code == 202


def test_the_task_checks_again_when_it_runs(
    world, limit_16, monkeypatch, django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    survey = answered_survey(world)
    admin = world.users["association_admin"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        progress = export_enqueue(actor=admin, survey=survey, fmt="xlsx", labels=False, filters={})
    # Queued while it fitted; by the time it runs, it does not (more rows, here a lower limit).
    monkeypatch.setattr(exporting, "XLSX_MAX_ROWS", 10)
    for callback in callbacks:
        callback()
    progress.refresh_from_db()
    assert progress.status == "failed" and "SPSS" in progress.message
    assert not list(tmp_path.rglob("*.xlsx"))


def test_the_writer_stops_rather_than_cut_the_workbook(world, limit_16):
    survey = answered_survey(world)
    questions = list(Question.all_tenants.filter(survey=survey).order_by("position"))
    responses = Response.all_tenants.filter(survey=survey)
    with pytest.raises(ValidationError) as caught:
        exporting.write_file(
            io.BytesIO(),
            "xlsx",
            survey=survey,
            responses=responses,
            questions=questions,
            labels=False,
        )
    assert "CSV" in caught.value.message_dict["format"][0]

"""Results on a small dataset, exact: counts and percentages per question, a
crosstab of two choice questions with a filter, small cells suppressed outside the
research group; the exports contain the answers and the CSV streams."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from firstline.core.models import AuditEvent
from firstline.orgs.models import RoleAssignment
from firstline.surveys.models import Question, Response
from firstline.surveys.selectors import results
from firstline.surveys.tests.rows import answered_survey
from firstline.testing.world import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _q(survey, name):
    return Question.all_tenants.get(survey=survey, name=name)


def test_counts_and_percentages_are_exact(world):
    survey = answered_survey(world)
    responses = Response.all_tenants.filter(survey=survey)
    f = results.question_figures(_q(survey, "impact"), responses, research=True)
    assert f.answered == 16
    assert [(r["code"], r["count"], r["percent"]) for r in f.rows] == [
        ("low", 2, 12.5),
        ("mid", 1, 6.2),
        ("high", 13, 81.2),
    ]
    needs = results.question_figures(_q(survey, "needs"), responses, research=True)
    assert needs.answered == 15
    assert {r["code"]: r["count"] for r in needs.rows} == {"tax": 8, "subsidy": 2, "ppe": 7}
    gates = results.question_figures(_q(survey, "gates"), responses, research=True)
    assert gates.stats["count"] == 8 and gates.stats["min"] == 1 and gates.stats["max"] == 8


def test_crosstab_is_exact_with_filters(world):
    survey = answered_survey(world)
    responses = Response.all_tenants.filter(survey=survey)
    closed, impact = _q(survey, "closed"), _q(survey, "impact")
    assert results.crosstab_raw(responses, closed, impact) == {
        "yes|low": 2,
        "yes|mid": 0,
        "yes|high": 6,
        "no|low": 0,
        "no|mid": 1,
        "no|high": 7,
    }
    only = results.filtered(responses, {"district_code": "420106"})
    assert results.crosstab_raw(only, closed, impact)["no|high"] == 7
    assert results.crosstab_raw(only, closed, impact)["yes|high"] == 0
    needs = _q(survey, "needs")
    assert results.crosstab_raw(responses, closed, needs)["yes|tax"] == 8
    small = results.crosstab(responses, closed, impact, research=False)
    assert small.cells[0] == ["是", "<5", "<5", 6, 8]


def test_results_page_and_suppression(client, world):
    survey = answered_survey(world)
    staff = make_user("staff", "association_staff", association=world.association)
    client.login(username=staff.username, password=PASSWORD)
    url = reverse("surveys:survey_results", args=[survey.pk])
    page = client.get(url, {"rows": "closed", "cols": "impact"})
    assert page.status_code == 200
    figures = {f.question.name: f for f in page.context["figures"]["questions"]}
    rows = {r["code"]: r["count"] for r in figures["impact"].rows}
    assert rows == {"low": "<5", "mid": "<5", "high": 13}
    assert page.context["table"].cells[1] == ["否", "<5", "<5", 7, 8]
    client.logout()
    client.login(username=world.users["association_admin"].username, password=PASSWORD)
    page = client.get(url, {"text": "remarks"})
    assert page.context["research"] is True
    assert page.context["text_page"].paginator.count == 16
    assert RoleAssignment.objects.filter(user=staff).exists()


def test_csv_export_streams_and_holds_the_answers(client, world):
    survey = answered_survey(world)
    client.login(username=world.users["association_admin"].username, password=PASSWORD)
    url = reverse("surveys:survey_export", args=[survey.pk])
    response = client.get(url, {"format": "csv", "labels": "1"})
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == 17
    header = table[0]
    assert header[5] == "小区是否实行封闭管理？"
    first = dict(zip(header, table[1], strict=True))
    assert first["小区是否实行封闭管理？"] == "是"
    assert first["最需要的支持"] == "减税"
    codes = client.get(url, {"format": "csv"})
    text = b"".join(codes.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    second = dict(zip(table[0], table[7], strict=True))
    assert second["closed"] == "yes" and second["needs"] == "tax subsidy"
    assert AuditEvent.objects.filter(action="surveys.response_export").count() == 2


def test_xlsx_export_holds_the_answers(client, world):
    survey = answered_survey(world)
    client.login(username=world.users["association_admin"].username, password=PASSWORD)
    url = reverse("surveys:survey_export", args=[survey.pk])
    response = client.get(url, {"format": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 17
    assert rows[1][rows[0].index("gates")] == 1  # a number stays a number


def test_company_user_cannot_see_results_or_export(client, world):
    survey = answered_survey(world)
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    assert client.get(reverse("surveys:survey_results", args=[survey.pk])).status_code == 403
    assert client.get(reverse("surveys:survey_export", args=[survey.pk])).status_code == 403


def test_postgresql_copy_export_gives_the_python_rows(client, world):
    """On PostgreSQL the CSV is COPY's; it must hold what the Python path writes."""
    from django.db import connection

    from firstline.core import exporting as core_exporting
    from firstline.surveys.services import exporting

    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    survey = answered_survey(world)
    first = Response.all_tenants.filter(survey=survey).order_by("id").first()
    first.answers = {**first.answers, "remarks": "=HYPERLINK(1)", "needs": ["tax", "subsidy"]}
    first.save()
    questions = [q for q in Question.all_tenants.filter(survey=survey).order_by("position")]
    responses = Response.all_tenants.filter(survey=survey)
    for labels in (False, True):
        copied = b"".join(exporting._csv_stream(responses, questions, labels=labels))
        python = b"".join(
            core_exporting.csv_stream(
                exporting.header(questions, labels=labels),
                exporting.rows(responses, questions, labels=labels),
            )
        )
        as_copy = list(csv.reader(io.StringIO(copied.decode("utf-8-sig"))))
        as_python = list(csv.reader(io.StringIO(python.decode("utf-8-sig"))))
        assert as_copy == as_python
    assert "'=HYPERLINK(1)" in copied.decode()

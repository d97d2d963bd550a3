"""Rating questions: an XLSForm `range` (parameters start/end/step, whole points) or a
`select_one` with the `likert`/`rating` appearance; answered on a phone as one row
of points without script, checked (a point of the scale only), counted like a
single choice, exported with their points as codes (SPSS value labels) and written
back to XLSForm the way they came."""

from __future__ import annotations

import io
import tempfile

import pyreadstat
import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from firstline.surveys.models import Question, Response
from firstline.surveys.selectors import results
from firstline.surveys.services import exporting, responses, spss, xlsform
from firstline.surveys.tests.forms import CHOICES, SETTINGS, survey_of, workbook

pytestmark = pytest.mark.django_db

HEAD = [
    "type",
    "name",
    "label::中文 (zh)",
    "label::English (en)",
    "required",
    "appearance",
    "parameters",
]
RATED = [
    HEAD,
    ["select_one yn", "closed", "小区是否实行封闭管理？", "Closed?", "yes"],
    [
        "range",
        "service",
        "对物业服务的评分",
        "Service rating",
        "yes",
        "rating",
        "start=1 end=5 step=1",
    ],
    ["select_one agree", "fair", "收费是否合理", "Fees fair?", "", "likert"],
]
AGREE = [
    ["agree", "1", "不同意", "Disagree"],
    ["agree", "2", "一般", "Neutral"],
    ["agree", "3", "同意", "Agree"],
]


def _rated(world):
    return survey_of(world, audience="owners", data=workbook(RATED, [*CHOICES, *AGREE], SETTINGS))


def test_range_and_likert_are_ratings_with_their_points(world):
    survey = _rated(world)
    by_name = {q.name: q for q in Question.all_tenants.filter(survey=survey)}
    service, fair = by_name["service"], by_name["fair"]
    assert service.type == fair.type == Question.Type.RATING
    assert [c["name"] for c in service.choices] == ["1", "2", "3", "4", "5"]
    assert service.list_name == "" and fair.list_name == "agree"
    assert [c["label"] for c in fair.choices] == ["不同意", "一般", "同意"]


@pytest.mark.parametrize(
    ("parameters", "ok"),
    [
        ("start=1 end=5 step=1", True),
        ("start=0 end=10", True),
        ("start=1 end=5 step=0.5", False),
        ("start=5 end=1", False),
        ("start=1 end=100", False),  # 100 points: not a rating
    ],
)
def test_a_range_must_be_a_scale_of_whole_points(parameters, ok):
    rows = [HEAD, ["range", "r", "评分", "", "", "", parameters]]
    data = workbook(rows, None, SETTINGS)
    if ok:
        assert xlsform.parse(data).questions[0]["type"] == "rating"
        return
    with pytest.raises(ValidationError) as caught:
        xlsform.parse(data)
    assert any("第 2 行" in m and "range" in m for m in caught.value.messages)


def test_parameters_on_another_type_are_named_with_their_row():
    rows = [HEAD, ["integer", "n", "数量", "", "", "", "start=1"]]
    with pytest.raises(ValidationError) as caught:
        xlsform.parse(workbook(rows, None, SETTINGS))
    assert any("第 2 行" in m and "parameters" in m for m in caught.value.messages)


def test_answered_on_the_page_without_script_and_checked(client, world):
    from django.urls import reverse

    survey = _rated(world)
    url = reverse("surveys:public", args=[survey.token])
    assert client.post(url, {"phone": "13800138000"}).status_code == 302
    page = client.get(url).content.decode()
    assert 'data-testid="rating-service"' in page and 'type="radio" name="service"' in page
    assert "<script" not in page.split('data-testid="survey-page"')[1].split("</form>")[0]
    wrong = client.post(url, {"page": 0, "closed": "yes", "service": "6", "next": "1"})
    assert "请选择列出的选项。" in wrong.content.decode()
    done = client.post(url, {"page": 0, "closed": "yes", "service": "4", "fair": "3", "next": "1"})
    assert done.status_code == 302
    assert Response.all_tenants.get(survey=survey).answers == {
        "closed": "yes",
        "service": "4",
        "fair": "3",
    }


def _answer(world, survey, n, service, fair):
    return responses.response_submit(
        actor=None,
        survey=survey,
        raw={"closed": "yes", "service": service, "fair": fair},
        phone=f"1380013{n:04d}",
    )


def test_results_exports_and_the_form_written_back(world):
    survey = _rated(world)
    for n, (service, fair) in enumerate([("5", "3"), ("4", "3"), ("5", ""), ("1", "1")]):
        _answer(world, survey, n, service, fair)
    questions = list(Question.all_tenants.filter(survey=survey).order_by("position"))
    by_name = {q.name: q for q in questions}
    rows = Response.all_tenants.filter(survey=survey)
    figures = results.question_figures(by_name["service"], rows, research=True)
    assert [(r["code"], r["count"]) for r in figures.rows] == [
        ("1", 1),
        ("2", 0),
        ("3", 0),
        ("4", 1),
        ("5", 2),
    ]
    table = results.crosstab_raw(rows, by_name["service"], by_name["fair"])
    assert table["5|3"] == 1 and table["1|1"] == 1
    labelled = list(exporting.rows(rows, questions, labels=True))
    assert [r[len(exporting.META) + 2] for r in labelled] == ["同意", "同意", None, "不同意"]
    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        spss.sav_write(f.name, rows, questions)
        frame, meta = pyreadstat.read_sav(f.name, output_format="polars")
    assert frame["service"].to_list() == [5, 4, 5, 1]
    assert meta.variable_value_labels["fair"] == {1.0: "不同意", 2.0: "一般", 3.0: "同意"}
    assert meta.variable_value_labels["service"][5.0] == "5"
    out = io.BytesIO()
    xlsform.write(survey, questions, out)
    sheet = load_workbook(io.BytesIO(out.getvalue()))["survey"]
    header = [c.value for c in sheet[1]]
    written = {
        row[1]: dict(zip(header, row, strict=False))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert written["service"]["type"] == "range"
    assert written["service"]["parameters"] == "start=1 end=5 step=1"
    assert (written["fair"]["type"], written["fair"]["appearance"]) == (
        "select_one agree",
        "likert",
    )
    again = xlsform.parse(out.getvalue())
    assert {q["name"]: q["type"] for q in again.questions}["service"] == "rating"
    assert [c["name"] for c in again.questions[1]["choices"]] == ["1", "2", "3", "4", "5"]

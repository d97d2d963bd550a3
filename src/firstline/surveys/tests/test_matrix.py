"""Matrices: a group with the `table-list` appearance whose rows are single choices
of one list, shown on the phone as one table without script (a row per question, a
column per choice), each row checked and stored as its own question, labelled with
the matrix's title in SPSS, and written back to XLSForm as the same group."""

from __future__ import annotations

import io
import tempfile

import pyreadstat
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from firstline.surveys.models import Question, Response
from firstline.surveys.services import spss, xlsform
from firstline.surveys.tests.forms import SETTINGS, survey_of, workbook

pytestmark = pytest.mark.django_db

HEAD = ["type", "name", "label::中文 (zh)", "label::English (en)", "required", "appearance"]
FORM = [
    HEAD,
    ["begin_group", "about", "基本情况", "About"],
    ["integer", "staff", "员工（人）", "Staff", "yes"],
    ["begin_group", "support", "对下列支持的评价", "Support", "", "table-list"],
    ["select_one agree", "tax", "减税", "Tax relief", "yes"],
    ["select_one agree", "rent", "减租", "Rent relief", "yes"],
    ["select_one agree", "loan", "贷款", "Loans"],
    ["end_group", "support"],
    ["end_group", "about"],
    ["begin_group", "whole", "整页矩阵", "Whole page", "", "table-list"],
    ["select_one agree", "a1", "甲", "A"],
    ["select_one agree", "a2", "乙", "B"],
    ["end_group", "whole"],
]
AGREE = [
    ["list_name", "name", "label::中文 (zh)", "label::English (en)"],
    ["agree", "1", "不同意", "Disagree"],
    ["agree", "2", "一般", "Neutral"],
    ["agree", "3", "同意", "Agree"],
    ["other", "x", "其他", "Other"],
]


def test_matrix_rows_know_their_matrix():
    parsed = xlsform.parse(workbook(FORM, AGREE, SETTINGS))
    by_name = {q["name"]: q for q in parsed.questions}
    assert by_name["staff"]["matrix"] == ""
    assert {by_name[n]["matrix"] for n in ("tax", "rent", "loan")} == {"support"}
    assert by_name["tax"]["matrix_label"] == "对下列支持的评价"
    assert by_name["tax"]["section"] == "about"
    assert by_name["a1"]["matrix"] == by_name["a1"]["section"] == "whole"


@pytest.mark.parametrize(
    "row",
    [
        ["integer", "n", "数量"],  # not a choice
        ["select_one other", "o", "另一个列表"],  # another list
        ["select_multiple agree", "m", "多选"],
    ],
)
def test_a_matrix_row_that_does_not_fit_is_named(row):
    form = [*FORM[:6], row, *FORM[6:]]
    with pytest.raises(ValidationError) as caught:
        xlsform.parse(workbook(form, AGREE, SETTINGS))
    assert any("第 7 行" in m and "矩阵" in m for m in caught.value.messages)


def test_answered_as_one_table_without_script(client, world):
    survey = survey_of(world, audience="owners", data=workbook(FORM, AGREE, SETTINGS))
    url = reverse("surveys:public", args=[survey.token])
    assert client.post(url, {"phone": "13800138000"}).status_code == 302
    page = client.get(url).content.decode()
    table = page.split('data-testid="matrix-support"')[1].split("</table>")[0]
    assert table.count('type="radio" name="tax"') == 3 and "不同意" in table
    assert "<script" not in page.split('data-testid="survey-page"')[1].split("</form>")[0]
    missing = client.post(url, {"page": 0, "staff": "12", "tax": "3", "next": "1"})
    row = missing.content.decode().split('data-question="rent"')[1].split("</tr>")[0]
    assert "此题必答。" in row
    client.post(url, {"page": 0, "staff": "12", "tax": "3", "rent": "1", "next": "1"})
    done = client.post(url, {"page": 1, "a1": "2", "next": "1"})
    assert done.status_code == 302
    answers = Response.all_tenants.get(survey=survey).answers
    assert answers == {"staff": 12, "tax": "3", "rent": "1", "a1": "2"}


def test_exports_label_the_rows_and_the_form_comes_back(world):
    survey = survey_of(world, audience="owners", data=workbook(FORM, AGREE, SETTINGS))
    Response.all_tenants.create(
        association_id=world.association.pk,
        survey=survey,
        phone_digest="p1",
        answers={"staff": 3, "tax": "3", "rent": "2", "a2": "1"},
    )
    questions = list(Question.all_tenants.filter(survey=survey).order_by("position"))
    with tempfile.NamedTemporaryFile(suffix=".sav") as f:
        spss.sav_write(f.name, Response.all_tenants.filter(survey=survey), questions)
        frame, meta = pyreadstat.read_sav(f.name, output_format="polars")
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["tax"] == "对下列支持的评价：减税"
    assert frame["tax"].to_list() == [3] and frame["loan"].to_list() == [None]
    out = io.BytesIO()
    xlsform.write(survey, questions, out)
    again = {q["name"]: q for q in xlsform.parse(out.getvalue()).questions}
    assert [again[n]["matrix"] for n in ("staff", "tax", "loan", "a1")] == [
        "",
        "support",
        "support",
        "whole",
    ]
    assert again["tax"]["section"] == "about" and again["a2"]["section"] == "whole"

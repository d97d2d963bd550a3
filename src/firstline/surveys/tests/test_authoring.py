"""Authoring a draft on its page: questions added, changed, moved and deleted
without XLSForm, checked like XLSForm rows, answered like uploaded ones; refused
once the survey has answers (a new version is uploaded instead); another
association's survey is 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.core.models import AuditEvent
from firstline.orgs.models import Association
from firstline.surveys.models import Question, Response
from firstline.surveys.services import responses
from firstline.surveys.tests.forms import survey_of
from firstline.testing.world import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def _add(client, survey, **data):
    return client.post(reverse("surveys:question_add", args=[survey.pk]), data)


def _names(survey):
    return list(
        Question.all_tenants.filter(survey=survey)
        .order_by("position")
        .values_list("name", flat=True)
    )


def test_questions_written_on_the_page_and_answered(client, world):
    survey = survey_of(world, audience="owners", open_=False)
    _login(client, world.users["association_admin"])
    page = client.get(reverse("surveys:survey_detail", args=[survey.pk]))
    assert page.context["can_author"] and b'data-testid="question-add"' in page.content
    got = _add(
        client,
        survey,
        name="masks",
        type="select_one",
        label="口罩是否充足？",
        choices="yes 是\nno=否",
        required="on",
        section="extra",
        section_label="补充",
    )
    assert got.status_code == 302
    masks = Question.all_tenants.get(survey=survey, name="masks")
    assert masks.choices == [
        {"name": "yes", "label": "是", "label_en": ""},
        {"name": "no", "label": "否", "label_en": ""},
    ]
    assert masks.required and (masks.section, masks.section_label) == ("extra", "补充")
    _add(
        client, survey, name="stock", type="integer", label="库存（只）", relevant="${masks} = 'no'"
    )
    assert _names(survey)[-2:] == ["masks", "stock"]
    # Moved up past "remarks"; "stock" reads "masks", so "masks" cannot go.
    url = reverse("surveys:question_action", args=[survey.pk, masks.pk, "up"])
    client.post(url)
    assert _names(survey)[-3:] == ["masks", "remarks", "stock"]
    client.post(reverse("surveys:question_action", args=[survey.pk, masks.pk, "delete"]))
    assert "masks" in _names(survey)
    change = reverse("surveys:question_change", args=[survey.pk, masks.pk])
    form = client.get(change).context["form"]
    assert form.initial["choices"] == "yes 是\nno 否"
    client.post(
        change,
        {
            **{k: v for k, v in form.initial.items() if v not in (None, False)},
            "label": "口罩够吗？",
            "choices": "yes 是\nno 否\nsome 部分",
            "required": "on",
        },
    )
    masks.refresh_from_db()
    assert masks.label == "口罩够吗？" and len(masks.choices) == 3
    actions = set(
        AuditEvent.objects.filter(action__startswith="surveys.question_").values_list(
            "action", flat=True
        )
    )
    assert actions == {"surveys.question_add", "surveys.question_move", "surveys.question_change"}
    from firstline.surveys.services import surveys

    surveys.survey_open(actor=None, survey=survey)
    survey.refresh_from_db()
    answer = responses.response_submit(
        actor=None,
        survey=survey,
        raw={"closed": "no", "impact": "low", "masks": "no", "stock": "40"},
        phone="13800138000",
    )
    assert answer.answers["masks"] == "no" and answer.answers["stock"] == 40


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "1bad", "type": "text", "label": "x"}, "name"),
        ({"name": "closed", "type": "text", "label": "x"}, "name"),  # taken
        ({"name": "q", "type": "select_one", "label": "x", "choices": "only"}, "choices"),
        ({"name": "q", "type": "rating", "label": "x", "choices": "a\nb"}, "choices"),
        ({"name": "q", "type": "text", "label": "x", "relevant": "${nope} = 1"}, "relevant"),
        ({"name": "q", "type": "geopoint", "label": "x"}, "type"),
    ],
)
def test_a_wrong_question_is_refused_on_its_field(client, world, data, field):
    survey = survey_of(world, audience="owners", open_=False)
    _login(client, world.users["association_admin"])
    got = _add(client, survey, **data)
    assert got.status_code == 200 and field in got.context["form"].errors
    assert "q" not in _names(survey)


def test_refused_once_the_survey_has_answers(client, world):
    survey = survey_of(world, audience="owners")  # open
    Response.all_tenants.create(
        association_id=world.association.pk, survey=survey, phone_digest="p", answers={}
    )
    _login(client, world.users["association_admin"])
    page = client.get(reverse("surveys:survey_detail", args=[survey.pk]))
    assert not page.context["can_author"]
    got = _add(client, survey, name="late", type="text", label="迟到的题")
    assert got.status_code == 200 and "新版本" in str(got.context["form"].non_field_errors())
    first = Question.all_tenants.filter(survey=survey).order_by("position").first()
    before = _names(survey)
    client.post(reverse("surveys:question_action", args=[survey.pk, first.pk, "down"]))
    assert _names(survey) == before


def test_another_association_gets_404(client, world):
    survey = survey_of(world, audience="owners", open_=False)
    question = Question.all_tenants.filter(survey=survey).first()
    other = Association.objects.create(name="另一协会", short_name="另协")
    _login(client, make_user("outsider", "association_admin", association=other))
    assert client.get(reverse("surveys:question_add", args=[survey.pk])).status_code == 404
    change = reverse("surveys:question_change", args=[survey.pk, question.pk])
    assert client.get(change).status_code == 404
    action = reverse("surveys:question_action", args=[survey.pk, question.pk, "delete"])
    assert client.post(action).status_code == 404
    client.logout()
    _login(client, world.a.users["company_admin"])
    assert client.get(change).status_code == 403
    assert Question.all_tenants.filter(pk=question.pk).exists()

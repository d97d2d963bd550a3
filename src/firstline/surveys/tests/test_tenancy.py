"""Who reaches the survey pages and endpoints. Surveys are the association's: its
pages refuse company users (403) and another association's survey is 404; a
company admin answers the company surveys of its own association, sees its own
response only, and another association's survey is 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from firstline.orgs.models import Association
from firstline.surveys.models import Response
from firstline.surveys.services import responses
from firstline.surveys.tests.forms import survey_of, workbook
from firstline.surveys.urls import answer, manage
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import PASSWORD

ANSWERING = "firstline.surveys.tests.test_answering::"


@pytest.fixture
def world(world):
    survey_of(world)
    return world


class TestSurveysTenancy(TenancyCases):
    routes = [
        Page(
            "surveys:my_surveys",
            company_level="company surveys are asked of the whole company, by its admin",
        ),
    ]
    explicit = {
        **dict.fromkeys(
            (
                f"surveys:{name}"
                for name in (
                    "survey_list",
                    "survey_create",
                    "survey_detail",
                    "survey_open",
                    "survey_close",
                    "survey_version",
                    "survey_form",
                    "survey_results",
                    "survey_export",
                )
            ),
            "test_association_pages_refuse_everyone_else",
        ),
        # A draft's questions written on its page (views/authoring.py).
        **dict.fromkeys(
            ("surveys:question_add", "surveys:question_change", "surveys:question_action"),
            "firstline.surveys.tests.test_authoring::test_another_association_gets_404",
        ),
        "surveys:answer": "test_a_company_answers_and_sees_only_its_own",
        "surveys:public": ANSWERING + "test_skipped_question_is_never_shown_and_never_stored",
        "surveys:public_done": ANSWERING + "test_skipped_question_is_never_shown_and_never_stored",
        **dict.fromkeys(
            (
                "GET /api/v1/surveys/",
                "GET /api/v1/surveys/{pk}",
                "POST /api/v1/surveys/{pk}/responses",
                "GET /api/v1/surveys/{pk}/responses",
                "GET /api/v1/surveys/{pk}/results",
            ),
            "test_api_scopes",
        ),
    }


def test_every_survey_route_is_covered():
    declared = {f"surveys:{p.name}" for p in [*manage.urlpatterns, *answer.urlpatterns]}
    covered = {page.name for page in TestSurveysTenancy.routes} | {
        k for k in TestSurveysTenancy.explicit if k.startswith("surveys:")
    }
    assert declared == covered


@pytest.fixture
def other(world):
    association = Association.objects.create(name="另一协会", short_name="另协")
    return survey_of(world, association=association)


def _pages(survey):
    return [
        ("get", reverse("surveys:survey_list")),
        ("get", reverse("surveys:survey_create")),
        ("get", reverse("surveys:survey_detail", args=[survey.pk])),
        ("post", reverse("surveys:survey_close", args=[survey.pk])),
        ("get", reverse("surveys:survey_version", args=[survey.pk])),
        ("get", reverse("surveys:survey_form", args=[survey.pk])),
        ("get", reverse("surveys:survey_results", args=[survey.pk])),
        ("get", reverse("surveys:survey_export", args=[survey.pk])),
    ]


@pytest.mark.django_db
def test_association_pages_refuse_everyone_else(client, world, other):
    from firstline.surveys.models import Survey

    own = Survey.all_tenants.filter(association=world.association).first()
    for method, url in _pages(own):
        assert getattr(client, method)(url).status_code == 302  # to the login page
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    for method, url in _pages(own):
        assert getattr(client, method)(url).status_code == 403, url
    client.logout()
    client.login(username=world.users["association_admin"].username, password=PASSWORD)
    for method, url in _pages(own):
        if method == "get":
            assert client.get(url).status_code == 200, url
    for method, url in _pages(other)[2:]:
        assert getattr(client, method)(url).status_code == 404, url
    assert client.post(reverse("surveys:survey_open", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.state == "open"  # the refused close changed nothing
    page = client.get(reverse("surveys:survey_list"))
    assert {s.pk for s in page.context["object_list"]} == {own.pk}
    # An upload creates a draft of the admin's own association.
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("f.xlsx", workbook())
    response = client.post(reverse("surveys:survey_create"), {"file": upload, "audience": "owners"})
    assert response.status_code == 302
    assert Survey.all_tenants.filter(association=world.association).count() == 2


@pytest.mark.django_db
def test_a_company_answers_and_sees_only_its_own(client, world, other):
    from firstline.surveys.models import Survey

    own = Survey.all_tenants.filter(association=world.association).first()
    responses.response_submit(
        actor=None, survey=own, raw={"closed": "no", "impact": "mid"}, company=world.b.company
    )
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    assert client.get(reverse("surveys:answer", args=[own.pk])).status_code == 200
    assert client.get(reverse("surveys:answer", args=[other.pk])).status_code == 404
    page = client.get(reverse("surveys:answer", args=[own.pk]))
    assert page.context["existing"] is None  # b's response is not a's
    mine = client.get(reverse("surveys:my_surveys"))
    assert [s.pk for s in mine.context["object_list"]] == [own.pk]
    assert mine.context["object_list"][0].my_submitted_at is None
    client.logout()
    client.login(username=world.a.users["site_manager"].username, password=PASSWORD)
    assert client.get(reverse("surveys:answer", args=[own.pk])).status_code == 403


@pytest.mark.django_db
def test_api_scopes(client, world, other):
    from firstline.surveys.models import Survey

    own = Survey.all_tenants.filter(association=world.association).first()
    base = "/api/v1/surveys"
    assert client.get(f"{base}/").status_code == 401
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    listed = client.get(f"{base}/").json()["items"]
    assert [s["id"] for s in listed] == [own.pk]
    assert client.get(f"{base}/{other.pk}").status_code == 404
    assert client.get(f"{base}/{own.pk}").json()["questions"][0]["name"] == "closed"
    bad = client.post(
        f"{base}/{own.pk}/responses",
        {"answers": {"closed": "maybe"}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "closed"
    ok = client.post(
        f"{base}/{own.pk}/responses",
        {"answers": {"closed": "yes", "gates": 3, "impact": "low"}},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["company_id"] == world.a.company.pk
    assert (
        client.post(
            f"{base}/{other.pk}/responses",
            {"answers": {"closed": "no", "impact": "low"}},
            content_type="application/json",
        ).status_code
        == 404
    )
    responses.response_submit(
        actor=None, survey=own, raw={"closed": "no", "impact": "mid"}, company=world.b.company
    )
    items = client.get(f"{base}/{own.pk}/responses").json()["items"]
    assert {i["company_id"] for i in items} == {world.a.company.pk}
    assert client.get(f"{base}/{own.pk}/results").status_code == 403
    client.logout()
    client.login(username=world.users["association_admin"].username, password=PASSWORD)
    items = client.get(f"{base}/{own.pk}/responses").json()["items"]
    assert len(items) == 2
    result = client.get(f"{base}/{own.pk}/results", {"rows": "closed", "cols": "impact"}).json()
    assert result["total"] == 2
    assert result["crosstab"]["yes|low"] == 1 and result["crosstab"]["no|mid"] == 1
    assert client.get(f"{base}/{other.pk}/results").status_code == 404
    assert client.get(f"{base}/{other.pk}/responses").status_code == 404
    assert Response.all_tenants.filter(survey=other).count() == 0

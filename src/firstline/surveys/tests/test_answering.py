"""Answering on a phone, page by page: the skipped question is never shown and its
answer never stored; answers survive between pages (the session); one response per
phone and per company; the closed page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from firstline.core.personal.crypto import lookup_digest
from firstline.surveys.models import Response
from firstline.surveys.selectors.public import site_token
from firstline.surveys.services import responses
from firstline.surveys.tests.forms import closed_survey, survey_of
from firstline.testing.world import PASSWORD

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def _start(client, survey, phone=PHONE, site=None):
    url = reverse("surveys:public", args=[survey.token])
    if site is not None:
        client.get(f"{url}?site={site_token(site)}")
    response = client.post(url, {"phone": phone})
    assert response.status_code == 302
    return url


def test_skipped_question_is_never_shown_and_never_stored(client, world):
    survey = survey_of(world, audience="owners")
    url = _start(client, survey, site=world.a.site)
    page = client.get(url)
    body = page.content.decode()
    assert 'name="closed"' in body and 'name="gates"' not in body
    # Page 1: "closed" alone (gates depends on it, so it is on the next page).
    page = client.post(url, {"page": 0, "closed": "no", "next": "1"})
    body = page.content.decode()
    assert 'name="gates"' not in body  # skipped: closed = no
    assert 'name="impact"' in body
    # A forged answer to the skipped question is dropped.
    page = client.post(url, {"page": 1, "impact": "high", "gates": "7", "next": "1"})
    body = page.content.decode()
    assert 'name="extra_cost"' in body and 'name="why_not"' in body  # shown: closed = no
    done = client.post(
        url,
        {
            "page": 2,
            "extra_cost": "1.5",
            "needs": ["tax", "ppe"],
            "why_not": "老旧小区无围墙",
            "remarks": "",
            "next": "1",
        },
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    row = Response.all_tenants.get(survey=survey)
    assert row.answers == {
        "closed": "no",
        "impact": "high",
        "extra_cost": 1.5,
        "needs": ["tax", "ppe"],
        "why_not": "老旧小区无围墙",
        "cost_yuan": 15000,
    }
    assert "gates" not in row.answers
    assert row.phone_digest == lookup_digest("phone", PHONE)
    assert PHONE not in str(Response.all_tenants.filter(pk=row.pk).values().get())
    assert row.site_id == world.a.site.pk and row.district_code == "420103"
    # The same browser sees "already answered"; the same phone elsewhere is refused.
    assert "survey-done" in client.get(url).content.decode()
    client.cookies.clear()
    other = client.post(url, {"phone": PHONE})
    assert "已经填写过" in other.content.decode()


def test_answers_survive_between_pages_and_errors_name_the_question(client, world):
    survey = survey_of(world, audience="owners")
    url = _start(client, survey)
    client.post(url, {"page": 0, "closed": "yes", "next": "1"})
    page = client.post(url, {"page": 1, "gates": "500", "impact": "low", "next": "1"})
    assert "答案不符合要求" in page.content.decode()  # constraint . < 100
    page = client.post(url, {"page": 1, "gates": "3", "impact": "low", "next": "1"})
    assert 'name="extra_cost"' in page.content.decode()
    back = client.post(url, {"page": 2, "back": "1"})
    assert 'value="3"' in back.content.decode()  # kept in the session


def test_required_question_is_refused_empty(client, world):
    survey = survey_of(world, audience="owners")
    url = _start(client, survey)
    page = client.post(url, {"page": 0, "next": "1"})
    assert "此题必答" in page.content.decode()


def test_closed_survey_shows_the_closed_page(client, world):
    survey = closed_survey(world, audience="owners")
    page = client.get(reverse("surveys:public", args=[survey.token]))
    assert page.status_code == 200 and "survey-closed" in page.content.decode()


def test_company_admin_answers_once_for_the_company(client, world):
    survey = survey_of(world)
    client.login(username=world.a.users["company_admin"].username, password=PASSWORD)
    url = reverse("surveys:answer", args=[survey.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"page": 0, "closed": "yes", "next": "1"})
    client.post(url, {"page": 1, "gates": "2", "impact": "mid", "next": "1"})
    done = client.post(
        url, {"page": 2, "needs": ["subsidy"], "remarks": "希望减免税费", "next": "1"}
    )
    assert done.status_code == 302
    row = Response.all_tenants.get(survey=survey)
    assert row.company_id == world.a.company.pk
    assert row.answers["gates"] == 2 and row.answers["remarks"] == "希望减免税费"
    assert row.size_band == "small"
    # Answering again replaces the company's answers: still one response.
    responses.response_submit(
        actor=None, survey=survey, raw={"closed": "no", "impact": "low"}, company=world.a.company
    )
    assert Response.all_tenants.filter(survey=survey).count() == 1
    # A guard may not answer.
    client.logout()
    client.login(username=world.a.users["guard"].username, password=PASSWORD)
    assert client.get(url).status_code == 403


def test_one_response_per_phone(world):
    survey = survey_of(world, audience="owners")
    raw = {"closed": "no", "impact": "low"}
    responses.response_submit(actor=None, survey=survey, raw=raw, phone=PHONE)
    with pytest.raises(ValidationError):
        responses.response_submit(actor=None, survey=survey, raw=raw, phone="+86 138-0013-8000")
    assert Response.all_tenants.filter(survey=survey).count() == 1

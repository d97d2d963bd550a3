"""The board's read-only results page: a link the research group makes and revokes
(both audited), shown without a sign-in with small cells suppressed and no free
text; revoked, expired, altered or another association's → 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from firstline.core.models import AuditEvent
from firstline.orgs.models import Association
from firstline.surveys.models import Response
from firstline.surveys.services.board import BoardLink, board_link_create
from firstline.surveys.tests.rows import answered_survey
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import PASSWORD, make_user

pytestmark = pytest.mark.django_db


class TestSurveyBoardTenancy(TenancyCases):
    routes = [Page("surveys:my_surveys", company_level="company surveys: the company admin's")]
    explicit = {
        "surveys:board_link_create": "test_research_group_makes_and_revokes_a_link",
        "surveys:board_link_revoke": "test_research_group_makes_and_revokes_a_link",
        "surveys:board": "test_a_link_shows_its_own_survey_only",
        "GET /api/v1/surveys/{pk}/board-links": "test_api_board_links",
        "POST /api/v1/surveys/{pk}/board-links": "test_api_board_links",
        "DELETE /api/v1/surveys/{pk}/board-links/{link}": "test_api_board_links",
    }


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def _board(token):
    return reverse("surveys:board", args=[token])


def test_research_group_makes_and_revokes_a_link(client, world):
    survey = answered_survey(world)
    admin = world.users["association_admin"]
    _login(client, admin)
    made = client.post(
        reverse("surveys:board_link_create", args=[survey.pk]), {"label": "理事会三月例会"}
    )
    assert made.status_code == 302
    created = AuditEvent.objects.get(action="surveys.board_link_create")
    assert created.actor == admin and created.object_id == str(survey.pk)
    assert created.changes["label"] == "理事会三月例会" and created.changes["expires_at"] is None
    page = client.get(reverse("surveys:survey_results", args=[survey.pk]))
    [row] = page.context["board_links"]
    assert row["live"] and row["link"].link == created.changes["link"]
    url = _board(row["token"])
    assert url in page.content.decode()
    client.logout()

    board = client.get(url)  # no sign-in
    assert board.status_code == 200
    html = board.content.decode()
    figures = {f.question.name: f for f in board.context["figures"]["questions"]}
    assert {r["code"]: r["count"] for r in figures["impact"].rows} == {
        "low": "<5",
        "mid": "<5",
        "high": 13,
    }
    assert board.context["figures"]["total"] == 16
    assert "remarks" not in figures and "why_not" not in figures  # free text never shown
    assert "意见1" not in html and "其他意见" not in html
    assert figures["gates"].stats["count"] == 8
    assert [c["element_id"] for c in board.context["chart_data"]] == [
        "chart-closed",
        "chart-impact",
        "chart-needs",
    ]
    assert board["X-Robots-Tag"] == "noindex, nofollow"

    _login(client, admin)
    revoke = reverse("surveys:board_link_revoke", args=[survey.pk, row["link"].link])
    client.post(revoke)  # not confirmed: nothing happens
    assert not AuditEvent.objects.filter(action="surveys.board_link_revoke").exists()
    assert client.post(revoke, {"confirmed": "1"}).status_code == 302
    revoked = AuditEvent.objects.get(action="surveys.board_link_revoke")
    assert revoked.actor == admin and revoked.changes == {"link": row["link"].link}
    client.post(revoke, {"confirmed": "1"})  # again: still one revocation
    assert AuditEvent.objects.filter(action="surveys.board_link_revoke").count() == 1
    client.logout()
    assert client.get(url).status_code == 404
    bogus = reverse("surveys:board_link_revoke", args=[survey.pk, "nope"])
    _login(client, admin)
    assert client.post(bogus, {"confirmed": "1"}).status_code == 404


def test_only_the_research_group_makes_links(client, world):
    survey = answered_survey(world)
    create = reverse("surveys:board_link_create", args=[survey.pk])
    assert client.post(create).status_code == 302  # to the login page
    staff = make_user("staff", "association_staff", association=world.association)
    _login(client, staff)  # results with small cells suppressed: no links
    assert client.post(create).status_code == 403
    page = client.get(reverse("surveys:survey_results", args=[survey.pk]))
    assert "board_links" not in page.context
    client.logout()
    other = Association.objects.create(name="另一协会", short_name="另协")
    _login(client, make_user("outsider", "association_admin", association=other))
    assert client.post(create).status_code == 404
    client.logout()
    _login(client, world.a.users["company_admin"])
    assert client.post(create).status_code == 403
    assert not AuditEvent.objects.filter(action="surveys.board_link_create").exists()


def test_expiry_and_tampering(client, world):
    survey = answered_survey(world)
    admin = world.users["association_admin"]
    soon = timezone.now() + timedelta(days=2)
    link = board_link_create(actor=admin, survey=survey, expires_at=soon)
    assert client.get(_board(link.token)).status_code == 200
    # The same link past its expiry (the expiry is inside the signed token).
    past = BoardLink(
        link.association_id, link.survey_id, link.link, timezone.now() - timedelta(seconds=1)
    )
    assert client.get(_board(past.token)).status_code == 404
    # Any change to the token breaks its signature.
    token = link.token
    assert client.get(_board(token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404
    assert client.get(_board("not-a-token")).status_code == 404
    # A past expiry is refused when making a link.
    _login(client, admin)
    client.post(
        reverse("surveys:board_link_create", args=[survey.pk]),
        {"expires_on": (timezone.localdate() - timedelta(days=1)).isoformat()},
    )
    assert AuditEvent.objects.filter(action="surveys.board_link_create").count() == 1


def test_a_link_shows_its_own_survey_only(client, world):
    """A link of association A's survey never shows B's: the token names A and its
    survey, and the page reads in A's scope only."""
    ours = answered_survey(world)
    other = Association.objects.create(name="另一协会", short_name="另协")
    from firstline.surveys.tests.forms import survey_of

    theirs = survey_of(world, association=other, audience="owners")
    theirs.title = "另一协会的问卷"
    theirs.save(update_fields=["title"])
    admin = world.users["association_admin"]
    mine = board_link_create(actor=admin, survey=ours)
    page = client.get(_board(mine.token))
    assert page.context["survey"].pk == ours.pk and "另一协会的问卷" not in page.content.decode()
    # Signed with the site's key but naming A with B's survey (as a leaked key would
    # allow): the page still reads in A's scope and finds nothing.
    crossed = BoardLink(mine.association_id, theirs.pk, mine.link, None)
    assert client.get(_board(crossed.token)).status_code == 404
    # B's own link shows B's survey, none of A's responses.
    outsider = make_user("outsider", "association_admin", association=other)
    their_link = board_link_create(actor=outsider, survey=theirs)
    shown = client.get(_board(their_link.token))
    assert shown.context["survey"].pk == theirs.pk
    assert shown.context["figures"]["total"] == "<5"  # none: B's survey has no responses


def test_api_board_links(client, world):
    survey = answered_survey(world)
    base = f"/api/v1/surveys/{survey.pk}/board-links"
    assert client.get(base).status_code == 401
    _login(client, world.users["association_admin"])
    bad = client.post(
        base,
        {"expires_at": (timezone.now() - timedelta(days=1)).isoformat()},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "expires_at"
    made = client.post(base, {"label": "理事会"}, content_type="application/json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["live"] and body["label"] == "理事会"
    listed = client.get(base).json()
    assert [(x["link"], x["live"]) for x in listed] == [(body["link"], True)]
    path = body["url"].removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    assert client.delete(f"{base}/{body['link']}").status_code == 204
    assert client.get(base).json()[0]["live"] is False
    assert client.get(path).status_code == 404
    assert client.delete(f"{base}/unknown").status_code == 404
    client.logout()
    staff = make_user("staff", "association_staff", association=world.association)
    _login(client, staff)
    assert client.get(base).status_code == 403
    client.logout()
    other = Association.objects.create(name="另一协会", short_name="另协")
    _login(client, make_user("outsider", "association_admin", association=other))
    assert client.get(base).status_code == 404
    assert client.post(base, {}, content_type="application/json").status_code == 404
    assert AuditEvent.objects.filter(action="surveys.board_link_create").count() == 1


def test_the_board_page_reads_a_fixed_number_of_queries(client, world):
    survey = answered_survey(world)
    url = _board(board_link_create(actor=world.users["association_admin"], survey=survey).token)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    Response.all_tenants.bulk_create(
        Response(
            association_id=world.association.pk,
            survey=survey,
            phone_digest=f"x{n}",
            answers={"closed": "yes", "impact": "low", "needs": ["ppe"], "gates": n},
        )
        for n in range(40)
    )
    with CaptureQueriesContext(connection) as large:
        page = client.get(url)
    assert page.context["figures"]["total"] == 56
    assert len(large) == len(small)

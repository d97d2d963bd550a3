"""Distribution (issue #19): each site's own link and QR code, the printable sheet;
quotas per site and district with the "已满" page; one response per phone by a
one-time code; the company surveys' delegation, completion per company (with its
Excel export) and reminders; open and close times on the page and the API."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from firstline.core.models import AuditEvent
from firstline.health.services import sms
from firstline.orgs.models import Association, Company, Membership
from firstline.surveys.models import Assignment, QuotaCounter, Response, Survey
from firstline.surveys.selectors.public import site_link_path
from firstline.surveys.services import distribution, responses
from firstline.surveys.tests.forms import survey_of
from firstline.testing.tenancy import Page, TenancyCases
from firstline.testing.world import PASSWORD, make_credit_code

pytestmark = pytest.mark.django_db

RAW = {"closed": "no", "impact": "low"}
HERE = "firstline.surveys.tests.test_distribution::"


class TestDistributionTenancy(TenancyCases):
    routes = [
        Page(
            "surveys:owner_surveys",
            company_level="owners' surveys are the association's, handed out by the company",
        ),
        Page(
            "surveys:delegated_list",
            viewer="site_manager",
            company_level="a delegation is to one user, for the whole company",
        ),
    ]
    explicit = {
        **dict.fromkeys(
            (
                "surveys:survey_sites",
                "surveys:survey_sites_print",
                "surveys:survey_site_qr",
                "GET /api/v1/surveys/{pk}/sites",
            ),
            HERE + "test_site_links_by_association_and_by_company",
        ),
        **dict.fromkeys(
            ("surveys:survey_distribution", "PUT /api/v1/surveys/{pk}/distribution"),
            HERE + "test_distribution_settings",
        ),
        **dict.fromkeys(
            (
                "surveys:survey_companies",
                "surveys:survey_remind",
                "GET /api/v1/surveys/{pk}/companies",
                "POST /api/v1/surveys/{pk}/remind",
            ),
            HERE + "test_completion_per_company_and_reminders",
        ),
        **dict.fromkeys(
            (
                "surveys:delegate",
                "surveys:delegated_answer",
                "PUT /api/v1/surveys/{pk}/delegate",
                "GET /api/v1/surveys/delegated",
                "POST /api/v1/surveys/{pk}/delegated/response",
            ),
            HERE + "test_delegate_answers_for_the_company_and_sees_only_that",
        ),
        **dict.fromkeys(
            (
                "POST /api/v1/surveys/public/{token}/code",
                "POST /api/v1/surveys/public/{token}/responses",
            ),
            HERE + "test_public_api_with_a_code",
        ),
    }


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def _other_survey(world, audience="owners"):
    other = Association.objects.create(name="另一协会", short_name="另协")
    return survey_of(world, audience=audience, association=other)


def _site_url(survey, site) -> str:
    return site_link_path(survey, site)


# --- site links and QR codes -----------------------------------------------------------------


def test_site_links_by_association_and_by_company(client, world):
    survey = survey_of(world, audience="owners")
    other = _other_survey(world)
    sites_url = reverse("surveys:survey_sites", args=[survey.pk])
    assert client.get(sites_url).status_code == 302  # to sign in
    # The research group: every member company's sites, each with its link and QR code.
    _login(client, world.users["association_admin"])
    page = client.get(sites_url)
    assert page.status_code == 200
    shown = {c["site"].pk for c in page.context["cards"]}
    assert shown == {
        world.a.site.pk,
        world.a.sibling.site.pk,
        world.b.site.pk,
        world.b.sibling.site.pk,
    }
    assert page.content.decode().count("<svg") == 4
    one = client.get(sites_url, {"company": world.b.company.pk})
    assert {c["site"].company_id for c in one.context["cards"]} == {world.b.company.pk}
    assert client.get(sites_url, {"company": "x"}).status_code == 200  # nothing, not 500
    # The sheet to print names a company; one QR code per site.
    sheet = client.get(
        reverse("surveys:survey_sites_print", args=[survey.pk]), {"company": world.a.company.pk}
    )
    assert sheet.status_code == 200 and sheet.content.decode().count("<svg") == 2
    assert client.get(reverse("surveys:survey_sites_print", args=[survey.pk])).status_code == 404
    png = client.get(reverse("surveys:survey_site_qr", args=[survey.pk, world.a.site.pk, "png"]))
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    svg = client.get(reverse("surveys:survey_site_qr", args=[survey.pk, world.a.site.pk, "svg"]))
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert (
        client.get(
            reverse("surveys:survey_site_qr", args=[survey.pk, world.a.site.pk, "gif"])
        ).status_code
        == 404
    )
    assert client.get(reverse("surveys:survey_sites", args=[other.pk])).status_code == 404
    api = client.get(f"/api/v1/surveys/{survey.pk}/sites").json()
    assert api["count"] == 4
    # The link answers with its site: district and type on the response.
    link = next(i for i in api["items"] if i["site_id"] == world.a.sibling.site.pk)["url"]
    client.logout()
    path = link.split("testserver", 1)[1]
    client.get(path)
    client.post(path.split("?")[0], {"phone": "13700137000"})
    public = reverse("surveys:public", args=[survey.token])
    client.post(public, {"page": 0, "closed": "no", "next": "1"})
    client.post(public, {"page": 1, "impact": "low", "next": "1"})
    done = client.post(public, {"page": 2, "next": "1"})
    assert done.status_code == 302
    row = Response.all_tenants.get(survey=survey)
    assert row.site_id == world.a.sibling.site.pk and row.district_code == "420106"
    # A company admin: its own sites only; another company's site is 404.
    _login(client, world.a.users["company_admin"])
    page = client.get(sites_url)
    assert {c["site"].pk for c in page.context["cards"]} == {
        world.a.site.pk,
        world.a.sibling.site.pk,
    }
    assert (
        client.get(
            reverse("surveys:survey_site_qr", args=[survey.pk, world.b.site.pk, "png"])
        ).status_code
        == 404
    )
    sheet = client.get(reverse("surveys:survey_sites_print", args=[survey.pk]))
    assert sheet.content.decode().count("<svg") == 2
    items = client.get(f"/api/v1/surveys/{survey.pk}/sites").json()["items"]
    assert {i["site_id"] for i in items} == {world.a.site.pk, world.a.sibling.site.pk}
    assert client.get(f"/api/v1/surveys/{other.pk}/sites").status_code == 404
    assert client.get(reverse("surveys:survey_sites", args=[other.pk])).status_code == 404
    # A guard hands out nothing.
    client.logout()
    _login(client, world.a.users["guard"])
    assert client.get(sites_url).status_code == 403
    assert client.get(f"/api/v1/surveys/{survey.pk}/sites").status_code == 403


# --- quotas ----------------------------------------------------------------------------------


def _submit(survey, site, phone):
    return responses.response_submit(actor=None, survey=survey, raw=RAW, site=site, phone=phone)


def test_quota_per_site_refuses_past_it_and_shows_full(client, world):
    survey = survey_of(world, audience="owners")
    distribution.survey_set_distribution(actor=None, survey=survey, quota_per_site=2)
    survey.refresh_from_db()
    site = world.a.site
    _submit(survey, site, "13700000001")
    _submit(survey, site, "13700000002")
    with pytest.raises(ValidationError) as exc:
        _submit(survey, site, "13700000003")
    assert exc.value.code == "quota_full"
    # A phone that answered already is refused without taking a place.
    with pytest.raises(ValidationError):
        _submit(survey, world.a.sibling.site, "13700000001")
    counter = QuotaCounter.all_tenants.get(
        survey=survey, kind="site", key=str(world.a.sibling.site.pk)
    )
    assert counter.count == 0
    _submit(survey, world.a.sibling.site, "13700000004")  # another site has room
    assert Response.all_tenants.filter(survey=survey, site=site).count() == 2
    # The public page of the full site says so before the first question.
    page = client.get(_site_url(survey, site))
    body = page.content.decode()
    assert 'data-testid="survey-full"' in body and "已满" in body
    assert "本项目的答卷已满" in body
    assert "survey-full" not in client.get(_site_url(survey, world.a.sibling.site)).content.decode()


def test_quota_per_district_counts_every_site_of_it(world):
    survey = survey_of(world, audience="owners")
    # Answers before the quota count too.
    _submit(survey, world.b.site, "13700000011")
    distribution.survey_set_distribution(actor=None, survey=survey, quota_per_district=2)
    survey.refresh_from_db()
    _submit(survey, world.b.sibling.site, "13700000012")  # 420106 as well: 2 of 2
    with pytest.raises(ValidationError) as exc:
        _submit(survey, world.a.sibling.site, "13700000013")  # 420106 too
    assert "区县" in exc.value.messages[0]
    _submit(survey, world.a.site, "13700000014")  # 420103 has room
    assert responses.quota_full(survey, world.b.site) == "district"
    # Removing the quota forgets its counters; set again, counted afresh.
    distribution.survey_set_distribution(actor=None, survey=survey)
    assert not QuotaCounter.all_tenants.filter(survey=survey).exists()
    survey.refresh_from_db()
    _submit(survey, world.b.site, "13700000015")
    distribution.survey_set_distribution(actor=None, survey=survey, quota_per_district=4)
    survey.refresh_from_db()
    _submit(survey, world.b.site, "13700000016")
    assert QuotaCounter.all_tenants.get(survey=survey, key="420106").count == 4
    with pytest.raises(ValidationError):
        _submit(survey, world.b.site, "13700000017")


def test_a_survey_with_a_quota_needs_a_site_link(client, world):
    survey = survey_of(world, audience="owners")
    distribution.survey_set_distribution(actor=None, survey=survey, quota_per_site=5)
    survey.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        _submit(survey, None, "13700000021")
    assert exc.value.code == "site_needed"
    page = client.get(reverse("surveys:public", args=[survey.token]))
    assert "survey-site-needed" in page.content.decode()


def test_distribution_settings(client, world):
    owners = survey_of(world, audience="owners")
    companies = survey_of(world)
    other = _other_survey(world)
    url = reverse("surveys:survey_distribution", args=[owners.pk])
    _login(client, world.a.users["company_admin"])
    assert client.get(url).status_code == 403
    client.logout()
    _login(client, world.users["association_admin"])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"phone_check": "code", "quota_per_site": "-3"})
    assert bad.status_code == 200 and bad.context["form"].errors
    done = client.post(
        url, {"phone_check": "code", "quota_per_site": "30", "quota_per_district": ""}
    )
    assert done.status_code == 302
    owners.refresh_from_db()
    assert (owners.phone_check, owners.quota_per_site, owners.quota_per_district) == (
        "code",
        30,
        None,
    )
    assert AuditEvent.objects.filter(action="surveys.survey_distribution").count() == 1
    # The company survey's page asks only for the reminders' interval.
    page = client.get(reverse("surveys:survey_distribution", args=[companies.pk]))
    assert set(page.context["form"].fields) == {"remind_every_days"}
    client.post(
        reverse("surveys:survey_distribution", args=[companies.pk]), {"remind_every_days": "3"}
    )
    companies.refresh_from_db()
    assert companies.remind_every_days == 3
    assert client.get(reverse("surveys:survey_distribution", args=[other.pk])).status_code == 404
    # The API: the same service, 422 on a quota for a company survey, 404 elsewhere.
    api = f"/api/v1/surveys/{companies.pk}/distribution"
    refused = client.put(api, {"quota_per_site": 5}, content_type="application/json")
    assert refused.status_code == 422
    ok = client.put(
        f"/api/v1/surveys/{owners.pk}/distribution",
        {"phone_check": "device", "quota_per_district": 100},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["quota_per_district"] == 100
    assert ok.json()["quota_per_site"] is None
    assert (
        client.put(
            f"/api/v1/surveys/{other.pk}/distribution", {}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.put(
            f"/api/v1/surveys/{owners.pk}/distribution",
            {"quota_per_site": 0},
            content_type="application/json",
        ).status_code
        == 422
    )


# --- one response per phone by a one-time code ----------------------------------------------


def _code_survey(world):
    survey = survey_of(world, audience="owners")
    distribution.survey_set_distribution(actor=None, survey=survey, phone_check="code")
    survey.refresh_from_db()
    return survey


def test_owner_proves_the_phone_by_a_code(client, world):
    survey = _code_survey(world)
    url = _site_url(survey, world.a.site)
    public = reverse("surveys:public", args=[survey.token])
    page = client.get(url)
    assert 'data-testid="code-send"' in page.content.decode()
    assert 'name="closed"' not in page.content.decode()
    sent = client.post(public, {"action": "send", "phone": "13600136000"})
    assert 'data-testid="code-verify"' in sent.content.decode()
    code = sms.backend().last_code("13600136000")
    assert code and code in sent.content.decode()  # the demo shows it (settings_test)
    # Asking again within the minute is refused politely (health's limits).
    again = client.post(public, {"action": "send", "phone": "13600136000", "resend": "1"})
    assert "秒后再重新获取" in again.content.decode()
    assert 'data-testid="code-verify"' in again.content.decode()  # the code sent still works
    wrong = "000000" if code != "000000" else "111111"
    refused = client.post(public, {"action": "verify", "phone": "13600136000", "code": wrong})
    assert "验证码不正确" in refused.content.decode()
    assert 'name="closed"' not in refused.content.decode()
    ok = client.post(public, {"action": "verify", "phone": "13600136000", "code": code})
    assert ok.status_code == 302
    assert 'name="closed"' in client.get(public).content.decode()
    client.post(public, {"page": 0, "closed": "no", "next": "1"})
    client.post(public, {"page": 1, "impact": "mid", "next": "1"})
    assert client.post(public, {"page": 2, "next": "1"}).status_code == 302
    row = Response.all_tenants.get(survey=survey)
    assert row.phone_digest == distribution.otp.phone_digest("13600136000")
    assert row.site_id == world.a.site.pk
    # The same phone on another device, with a fresh code, is told it answered.
    client.cookies.clear()
    later = timezone.now() + dt.timedelta(minutes=2)
    code = distribution.owner_request_code(
        survey=survey, site=world.a.site, phone="13600136000", ip="10.0.0.9", now=later
    )
    with pytest.raises(ValidationError) as exc:
        distribution.owner_verify_code(
            survey=survey, site=world.a.site, phone="13600136000", code=code, now=later
        )
    assert "已经填写过" in exc.value.messages[0]


def test_a_code_survey_refuses_an_unverified_phone(world):
    survey = _code_survey(world)
    with pytest.raises(ValidationError) as exc:
        _submit(survey, world.a.site, "13600136001")
    assert "验证码" in exc.value.messages[0]
    assert not Response.all_tenants.filter(survey=survey).exists()


def test_public_api_with_a_code(client, world):
    survey = _code_survey(world)
    token = unquote(_site_url(survey, world.a.site).split("site=")[1])
    base = f"/api/v1/surveys/public/{survey.token}"
    sent = client.post(
        f"{base}/code", {"site": token, "phone": "13500135000"}, content_type="application/json"
    )
    assert sent.status_code == 200, sent.content
    code = sent.json()["code"]
    assert re.fullmatch(r"\d{6}", code)
    body = {"site": token, "phone": "13500135000", "code": code, "answers": {"closed": "x"}}
    bad = client.post(f"{base}/responses", body, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-2:] == ["answers", "closed"]
    # The wrong answer spent no code: the right answers go through with it.
    body["answers"] = RAW
    ok = client.post(f"{base}/responses", body, content_type="application/json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["site_id"] == world.a.site.pk
    again = client.post(f"{base}/responses", body, content_type="application/json")
    assert again.status_code == 422  # the code is spent
    assert again.json()["detail"][0]["loc"][-1] == "code"
    unknown = client.post(
        "/api/v1/surveys/public/nope/responses", body, content_type="application/json"
    )
    assert unknown.status_code == 404
    forged = client.post(
        f"{base}/code",
        {"site": "1.2:forged", "phone": "13500135001"},
        content_type="application/json",
    )
    assert forged.status_code == 422
    assert Response.all_tenants.filter(survey=survey).count() == 1


# --- company surveys: delegation, completion, reminders --------------------------------------


def test_delegate_answers_for_the_company_and_sees_only_that(client, world):
    survey = survey_of(world)
    second = survey_of(world)
    other = _other_survey(world, audience="companies")
    manager = world.a.users["site_manager"]
    _login(client, world.a.users["company_admin"])
    page = client.get(reverse("surveys:delegate", args=[survey.pk]))
    assert page.status_code == 200
    choices = {v for v, _label in page.context["form"].fields["user"].choices}
    assert manager.pk in choices and world.b.users["site_manager"].pk not in choices
    refused = client.post(
        reverse("surveys:delegate", args=[survey.pk]), {"user": world.b.users["guard"].pk}
    )
    assert refused.status_code == 400
    done = client.post(reverse("surveys:delegate", args=[survey.pk]), {"user": manager.pk})
    assert done.status_code == 302
    task = Assignment.all_tenants.get(survey=survey, company=world.a.company)
    assert task.delegate_id == manager.pk
    assert client.get(reverse("surveys:delegate", args=[other.pk])).status_code == 404
    # Another company's staff user through the API: refused, nothing changes.
    refused = client.put(
        f"/api/v1/surveys/{second.pk}/delegate",
        {"user_id": world.b.users["guard"].pk},
        content_type="application/json",
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "user_id"
    client.logout()
    # The delegate: that survey, for a's company.
    _login(client, manager)
    listed = client.get(reverse("surveys:delegated_list"))
    assert [t.survey_id for t in listed.context["tasks"]] == [survey.pk]
    url = reverse("surveys:delegated_answer", args=[survey.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"page": 0, "closed": "yes", "next": "1"})
    client.post(url, {"page": 1, "gates": "4", "impact": "high", "next": "1"})
    assert client.post(url, {"page": 2, "next": "1"}).status_code == 302
    row = Response.all_tenants.get(survey=survey)
    assert row.company_id == world.a.company.pk and row.submitted_by_id == manager.pk
    # Not delegated: the other survey is 404, and so is the company admin's page.
    assert client.get(reverse("surveys:delegated_answer", args=[second.pk])).status_code == 404
    assert client.get(reverse("surveys:answer", args=[survey.pk])).status_code == 403
    items = client.get("/api/v1/surveys/delegated").json()["items"]
    assert [i["survey_id"] for i in items] == [survey.pk]
    again = client.post(
        f"/api/v1/surveys/{survey.pk}/delegated/response",
        {"answers": {"closed": "no", "impact": "low"}},
        content_type="application/json",
    )
    assert again.status_code == 200 and again.json()["company_id"] == world.a.company.pk
    assert Response.all_tenants.filter(survey=survey).count() == 1
    assert (
        client.post(
            f"/api/v1/surveys/{second.pk}/delegated/response",
            {"answers": RAW},
            content_type="application/json",
        ).status_code
        == 404
    )
    client.logout()
    # b's site manager sees nothing of a's delegation.
    _login(client, world.b.users["site_manager"])
    assert client.get(url).status_code == 404
    assert client.get("/api/v1/surveys/delegated").json()["items"] == []
    client.logout()
    _login(client, world.a.users["company_admin"])
    back = client.put(
        f"/api/v1/surveys/{survey.pk}/delegate", {"user_id": None}, content_type="application/json"
    )
    assert back.status_code == 200 and back.json()["delegate_id"] is None
    client.logout()
    _login(client, manager)
    assert client.get(url).status_code == 404


def _more_members(world, n, start=0):
    for i in range(start, start + n):
        company = Company.objects.create(
            name=f"会员{i:03d}物业",
            credit_code=make_credit_code(500 + i),
            division=world.a.company.division,
        )
        Membership.objects.create(
            company=company, association=world.association, joined_on="2019-01-01"
        )


def test_completion_per_company_and_reminders(client, world):
    survey = survey_of(world)
    other = _other_survey(world, audience="companies")
    _more_members(world, 1)
    responses.response_submit(actor=None, survey=survey, raw=RAW, company=world.a.company)
    _login(client, world.b.users["company_admin"])
    assert client.get(reverse("surveys:answer", args=[survey.pk])).status_code == 200  # starts
    url = reverse("surveys:survey_companies", args=[survey.pk])
    assert client.get(url).status_code == 403
    client.logout()
    _login(client, world.users["association_admin"])
    page = client.get(url)
    states = {c.pk: c.fill_state for c in page.context["object_list"]}
    assert states[world.a.company.pk] == "submitted"
    assert states[world.b.company.pk] == "in_progress"
    assert sorted(states.values()).count("not_started") == 1
    only = client.get(url, {"state": "not_started"})
    assert len(only.context["object_list"]) == 1
    assert client.get(url, {"state": "bogus"}).status_code == 200
    export = client.get(url, {"export": "xlsx"})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("surveys:survey_companies", args=[other.pk])).status_code == 404
    api = client.get(f"/api/v1/surveys/{survey.pk}/companies").json()
    assert {i["company_id"]: i["state"] for i in api["items"]} == states
    assert client.get(f"/api/v1/surveys/{survey.pk}/companies", {"state": "x"}).status_code == 422
    # The list keeps its number of queries whatever the number of members.
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _more_members(world, 30, start=100)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url)
    assert len(page.context["object_list"]) == 33
    assert len(large) == len(small)
    # Remind: asks first; then the companies that have not submitted.
    remind = reverse("surveys:survey_remind", args=[survey.pk])
    client.post(remind)
    assert not Assignment.all_tenants.filter(survey=survey, reminders__gt=0).exists()
    client.post(remind, {"confirmed": "1"})
    reminded = set(
        Assignment.all_tenants.filter(survey=survey, reminders=1).values_list(
            "company_id", flat=True
        )
    )
    assert world.a.company.pk not in reminded and world.b.company.pk in reminded
    assert len(reminded) == 32
    # Twice in a row: the second reminds nobody (12 hours between two).
    assert client.post(f"/api/v1/surveys/{survey.pk}/remind").json() == {"reminded": 0}
    assert client.post(f"/api/v1/surveys/{other.pk}/remind").status_code == 404
    client.logout()
    # The company admin sees the reminder on its list of surveys.
    _login(client, world.b.users["company_admin"])
    mine = client.get(reverse("surveys:my_surveys")).content.decode()
    assert 'data-testid="survey-reminder"' in mine
    assert client.post(f"/api/v1/surveys/{survey.pk}/remind").status_code == 403
    client.logout()
    _login(client, world.a.users["company_admin"])
    assert (
        'data-testid="survey-reminder"'
        not in client.get(reverse("surveys:my_surveys")).content.decode()
    )


def test_scheduled_reminders_follow_the_interval(world):
    survey = survey_of(world)
    quiet = survey_of(world)  # no interval: never reminded by the job
    distribution.survey_set_distribution(actor=None, survey=survey, remind_every_days=2)
    now = timezone.now()
    assert distribution.remind_due(now=now) == 2  # a and b
    assert distribution.remind_due(now=now + dt.timedelta(days=1)) == 0
    responses.response_submit(actor=None, survey=survey, raw=RAW, company=world.a.company)
    assert distribution.remind_due(now=now + dt.timedelta(days=2)) == 1  # b only
    assert Assignment.all_tenants.get(survey=survey, company=world.b.company).reminders == 2
    assert not Assignment.all_tenants.filter(survey=quiet).exists()
    Survey.all_tenants.filter(pk=survey.pk).update(closes_at=now + dt.timedelta(days=3))
    assert distribution.remind_due(now=now + dt.timedelta(days=5)) == 0  # closed by then


# --- open and close times --------------------------------------------------------------------


def test_open_and_close_times_on_the_page_and_the_api(client, world):
    owners = survey_of(world, audience="owners")
    companies = survey_of(world)
    later = timezone.now() + dt.timedelta(days=1)
    Survey.all_tenants.filter(pk__in=[owners.pk, companies.pk]).update(opens_at=later)
    page = client.get(reverse("surveys:public", args=[owners.token]))
    assert 'data-testid="survey-not-yet"' in page.content.decode()
    _login(client, world.a.users["company_admin"])
    page = client.get(reverse("surveys:answer", args=[companies.pk]))
    assert "尚未开始" in page.content.decode()
    refused = client.post(
        f"/api/v1/surveys/{companies.pk}/responses",
        {"answers": RAW},
        content_type="application/json",
    )
    assert refused.status_code == 422
    earlier = timezone.now() - dt.timedelta(minutes=1)
    Survey.all_tenants.filter(pk__in=[owners.pk, companies.pk]).update(
        opens_at=None, closes_at=earlier
    )
    page = client.get(reverse("surveys:answer", args=[companies.pk]))
    assert "已结束" in page.content.decode()
    refused = client.post(
        f"/api/v1/surveys/{companies.pk}/responses",
        {"answers": RAW},
        content_type="application/json",
    )
    assert refused.status_code == 422
    client.logout()
    page = client.get(reverse("surveys:public", args=[owners.token]))
    assert "已结束" in page.content.decode()
    public = client.post(
        f"/api/v1/surveys/public/{owners.token}/responses",
        {"phone": "13400134000", "answers": RAW},
        content_type="application/json",
    )
    assert public.status_code == 422
    assert not Response.all_tenants.exists()


def test_site_links_page_keeps_its_queries(client, world):
    from firstline.estates.models import Site

    survey = survey_of(world, audience="owners")
    _login(client, world.users["association_admin"])
    url = reverse("surveys:survey_sites", args=[survey.pk])
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url).context["cards"]) == 4
    for i in range(10):
        Site.all_tenants.create(
            company=world.b.company,
            name=f"新增{i}小区",
            name_initials="xz",
            community=world.b.site.community,
        )
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(url).context["cards"]) == 14
    assert len(large) == len(small)

"""Who sees and does what, outside the shared matrix: the association vets, a company
signs up and sees its own people, a volunteer their own record, a leader the team,
the public sign-up and the public verification of a certificate."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from firstline.core.models import AuditEvent
from firstline.core.personal.crypto import unseal
from firstline.estates.models import Site
from firstline.orgs.models import RoleAssignment
from firstline.testing.world import PASSWORD, make_id_number
from firstline.volunteers.models import (
    Certificate,
    ConsentText,
    Deployment,
    SupportTask,
    Volunteer,
)
from firstline.volunteers.services.duty import site_token
from firstline.volunteers.services.people import consent_publish
from firstline.volunteers.tests.furnish import furnish, make_volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world):
    return furnish(world)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


SIGN_UP = {
    "name": "王小明",
    "phone": "１３９ １２３４ ５６７８",  # full-width and spaces: normalised before sealing
    "id_number": make_id_number(901),
    "skills": ["driving", "medical"],
    "languages": "武汉话、英语",
    "availability": "weekends",
    "emergency_name": "王大明",
    "emergency_phone": "13600001111",
    "healthy": True,
    "no_contact": True,
    "agreed": True,
}


def test_public_sign_up(client, world):
    association = world.association
    consent = client.get(f"/api/v1/volunteers/consent/{association.pk}").json()
    assert consent["version"] == 1 and "知情同意" in consent["body"]
    page = client.get(reverse("volunteers:join"))
    assert page.status_code == 302
    page = client.get(page["Location"])
    assert page.status_code == 200 and "知情同意书" in page.content.decode()

    # Without agreeing: refused, nothing stored.
    data = {**SIGN_UP, "consent_version": 1, "agreed": ""}
    data.pop("agreed")
    response = client.post(reverse("volunteers:join_association", args=[association.pk]), data)
    assert response.status_code == 422
    assert not Volunteer.all_tenants.filter(name="王小明").exists()

    response = client.post(
        reverse("volunteers:join_association", args=[association.pk]),
        {**SIGN_UP, "consent_version": 1, "agreed": "on"},
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    v = Volunteer.all_tenants.get(name="王小明")
    assert v.state == Volunteer.State.PENDING and v.source == "public" and v.company_id is None
    assert v.phone_masked == "139****5678" and unseal("phone", v.phone_enc) == "13912345678"
    assert v.id_number_masked.startswith("4201") and "*" in v.id_number_masked
    assert v.consent.version == 1
    assert set(v.skills) == {"driving", "medical"}
    event = AuditEvent.objects.get(object_type="volunteers.volunteer", object_id=str(v.pk))
    assert "5678" in event.changes["phone"][1] and "1234" not in json.dumps(event.changes)

    # The same ID number again: refused; a new consent version: the old one is refused.
    again = post_json(
        client, f"/api/v1/volunteers/join/{association.pk}", {**SIGN_UP, "consent_version": 1}
    )
    assert again.status_code == 422
    assert again.json()["detail"][0]["loc"][-1] == "id_number"
    consent_publish(actor=None, association=association, body="第2版同意书")
    stale = post_json(
        client,
        f"/api/v1/volunteers/join/{association.pk}",
        {**SIGN_UP, "id_number": make_id_number(902), "consent_version": 1},
    )
    assert stale.status_code == 422 and stale.json()["detail"][0]["loc"][-1] == "consent_version"
    fresh = post_json(
        client,
        f"/api/v1/volunteers/join/{association.pk}",
        {**SIGN_UP, "id_number": make_id_number(902), "consent_version": 2},
    )
    assert fresh.status_code == 200, fresh.content
    assert Volunteer.all_tenants.get(pk=fresh.json()["id"]).consent == ConsentText.objects.get(
        version=2
    )
    bad = post_json(
        client,
        f"/api/v1/volunteers/join/{association.pk}",
        {**SIGN_UP, "id_number": "123", "phone": "abc", "consent_version": 2},
    )
    assert bad.status_code == 422
    assert {d["loc"][-1] for d in bad.json()["detail"]} >= {"id_number", "phone"}


def test_only_the_association_vets(client, world):
    pending = make_volunteer(world, name="待审张三", company=world.a.company, state="pending")
    vet_url = reverse("volunteers:volunteer_vet", args=[pending.pk])
    # A company admin, a site manager, a volunteer: no right to vet.
    for user in (
        world.a.users["company_admin"],
        world.a.users["site_manager"],
        world.a.users["volunteer"],
    ):
        client.force_login(user)
        assert client.post(vet_url, {"decision": "approve"}).status_code == 403
        assert (
            post_json(client, f"/api/v1/volunteers/volunteers/{pending.pk}/approve", {}).status_code
            == 403
        )
    assert Volunteer.all_tenants.get(pk=pending.pk).state == "pending"
    for name in ("volunteer_insurance",):
        assert client.get(reverse(f"volunteers:{name}", args=[pending.pk])).status_code == 403
    assert client.get(reverse("volunteers:team_create")).status_code == 403
    assert (
        client.get(reverse("volunteers:team_member_add", args=[world.a.team.pk])).status_code == 403
    )
    assert post_json(client, "/api/v1/volunteers/teams", {"name": "x"}).status_code == 403

    # The coordinator approves: a login is made with the volunteer role.
    client.force_login(world.users["coordinator"])
    assert client.get(vet_url).status_code == 200
    response = client.post(vet_url, {"decision": "approve", "note": "材料齐全"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.state == "approved" and pending.user.username == f"v{pending.pk}"
    assert RoleAssignment.objects.filter(user=pending.user, role="volunteer").exists()
    again = post_json(client, f"/api/v1/volunteers/volunteers/{pending.pk}/approve", {})
    assert again.status_code == 200 and again.json()["password"] == ""  # twice: nothing new
    reject = post_json(client, f"/api/v1/volunteers/volunteers/{pending.pk}/reject", {"note": "x"})
    assert reject.status_code == 422
    ins = post_json(
        client,
        f"/api/v1/volunteers/volunteers/{pending.pk}/insurance",
        {
            "insurer": "人保",
            "policy_no": "P1",
            "insured_from": "2020-02-01",
            "insured_to": "2020-01-01",
        },
    )
    assert ins.status_code == 422 and ins.json()["detail"][0]["loc"][-1] == "insured_to"
    ins = post_json(
        client,
        f"/api/v1/volunteers/volunteers/{pending.pk}/insurance",
        {
            "insurer": "人保",
            "policy_no": "P1",
            "insured_from": "2020-02-01",
            "insured_to": "2020-12-31",
        },
    )
    assert ins.status_code == 200 and ins.json()["policy_no"] == "P1"
    assert (
        client.get(reverse("volunteers:volunteer_insurance", args=[pending.pk])).status_code == 200
    )
    team = post_json(client, "/api/v1/volunteers/teams", {"name": "协会突击队"})
    assert team.status_code == 200
    member = post_json(
        client,
        f"/api/v1/volunteers/teams/{team.json()['id']}/members",
        {"volunteer_id": pending.pk, "leader": True},
    )
    assert member.status_code == 200 and member.json()["leader_id"] == pending.pk
    assert client.get(reverse("volunteers:team_create")).status_code == 200
    assert (
        client.get(reverse("volunteers:team_member_add", args=[world.a.team.pk])).status_code == 200
    )
    # The coordinator reads every company's volunteers.
    ids = {
        v["id"] for v in client.get("/api/v1/volunteers/volunteers?page_size=100").json()["items"]
    }
    assert {world.a.volunteer.pk, world.b.volunteer.pk} <= ids
    # Rejecting another pending one: the reason is required.
    other = Volunteer.all_tenants.filter(pk=world.b.volunteer.pk)
    other.update(state="pending")
    assert (
        post_json(
            client, f"/api/v1/volunteers/volunteers/{world.b.volunteer.pk}/reject", {"note": ""}
        ).status_code
        == 422
    )
    assert (
        post_json(
            client,
            f"/api/v1/volunteers/volunteers/{world.b.volunteer.pk}/reject",
            {"note": "年龄不符"},
        ).status_code
        == 200
    )


def test_company_signs_up_only_its_own_people(client, world):
    client.force_login(world.a.users["company_admin"])
    body = {**SIGN_UP, "consent_version": 1, "company_id": world.b.company.pk}
    assert post_json(client, "/api/v1/volunteers/volunteers", body).status_code == 404
    body["company_id"] = world.a.company.pk
    response = post_json(client, "/api/v1/volunteers/volunteers", body)
    assert response.status_code == 200, response.content
    assert response.json()["company_id"] == world.a.company.pk
    assert response.json()["phone"] == "139****5678"
    page = client.post(
        reverse("volunteers:volunteer_create"),
        {
            **SIGN_UP,
            "id_number": make_id_number(903),
            "consent_version": 1,
            "agreed": "on",
            "company": world.a.company.pk,
        },
    )
    assert page.status_code == 302
    client.force_login(world.a.users["site_manager"])
    assert post_json(client, "/api/v1/volunteers/volunteers", body).status_code == 403
    # A company reads its own people only.
    client.force_login(world.b.users["company_admin"])
    names = {v["name"] for v in client.get("/api/v1/volunteers/volunteers").json()["items"]}
    assert "王小明" not in names and world.b.volunteer.name in names


def test_a_volunteer_sees_only_their_own_record(client, world):
    me, other = world.a.volunteer, world.b.volunteer
    peer = world.a.sibling.volunteer  # same company, not in the team
    login(client, world.a.sibling.users["volunteer"])
    items = client.get("/api/v1/volunteers/volunteers").json()["items"]
    assert [v["id"] for v in items] == [peer.pk]
    assert client.get(f"/api/v1/volunteers/volunteers/{me.pk}").status_code == 404
    assert client.get(f"/api/v1/volunteers/volunteers/{peer.pk}").status_code == 200
    assert client.get(reverse("volunteers:volunteer_detail", args=[peer.pk])).status_code == 403
    response = client.get("/api/v1/volunteers/me").json()
    assert response["volunteer"]["id"] == peer.pk and response["hours"] == 8.0
    page = client.get(reverse("volunteers:me"))
    assert page.status_code == 200 and peer.name in page.content.decode()
    assert other.name not in page.content.decode()
    shifts = client.get("/api/v1/volunteers/me/shifts").json()["items"]
    assert {s["site_id"] for s in shifts} == {world.a.sibling.site.pk}
    assert client.get(reverse("volunteers:my_shifts")).status_code == 200
    # My task: mine is 200, another's 404, its "ready" 404.
    mine = world.a.sibling.task
    assert client.get(reverse("volunteers:my_task", args=[mine.pk])).status_code == 200
    assert client.get(reverse("volunteers:my_task", args=[world.a.task.pk])).status_code == 404
    assert (
        post_json(
            client, f"/api/v1/volunteers/tasks/{world.a.task.pk}/ready", {"weight_kg": "3"}
        ).status_code
        == 404
    )
    assert SupportTask.all_tenants.get(pk=world.a.task.pk).state == "open"
    ready = post_json(client, f"/api/v1/volunteers/tasks/{mine.pk}/ready", {})
    assert ready.status_code == 422  # medical waste needs its weight
    ready = post_json(client, f"/api/v1/volunteers/tasks/{mine.pk}/ready", {"weight_kg": "12.5"})
    assert ready.status_code == 200 and ready.json()["state"] == "handover"
    # The site's lists are not a volunteer's.
    assert client.get(reverse("volunteers:deployment_list")).status_code == 403
    assert client.get("/api/v1/volunteers/deployments").status_code == 403
    # Anonymous: the login page.
    client.logout()
    assert client.get(reverse("volunteers:me"))["Location"].startswith(reverse("login"))
    assert client.get("/api/v1/volunteers/me").status_code == 401


def test_a_leader_sees_the_team_only(client, world):
    leader = world.a.volunteer
    login(client, world.a.users["volunteer"])
    page = client.get(reverse("volunteers:my_team"))
    assert page.status_code == 200
    assert leader.name in page.content.decode()
    # A teammate: the leader reads them; a volunteer of the other company: 404.
    teammate = Volunteer.all_tenants.get(pk=world.a.sibling.volunteer.pk)
    teammate.team = world.a.team
    teammate.save(update_fields=["team"])
    assert client.get(f"/api/v1/volunteers/volunteers/{teammate.pk}").status_code == 200
    assert client.get(f"/api/v1/volunteers/volunteers/{world.b.volunteer.pk}").status_code == 404
    ids = {v["id"] for v in client.get("/api/v1/volunteers/volunteers").json()["items"]}
    assert ids == {leader.pk, teammate.pk}
    # Not a leader: no team page.
    client.logout()
    login(client, world.a.sibling.users["volunteer"])
    assert client.get(reverse("volunteers:my_team")).status_code == 404


def test_hours_add_up_per_person_team_company(client, world):
    client.force_login(world.a.users["company_admin"])
    body = client.get("/api/v1/volunteers/hours").json()
    # a's two volunteers: 8 h each; the team holds a's first only.
    assert body["companies"] == [
        {"id": world.a.company.pk, "name": world.a.company.name, "hours": 16.0}
    ]
    assert body["teams"] == [{"id": world.a.team.pk, "name": world.a.team.name, "hours": 8.0}]
    assert client.get(reverse("volunteers:hours")).status_code == 200
    client.force_login(world.users["coordinator"])
    body = client.get("/api/v1/volunteers/hours").json()
    assert sum(r["hours"] for r in body["companies"]) == 32.0
    client.force_login(world.a.users["guard"])
    assert client.get("/api/v1/volunteers/hours").status_code == 403


def test_figures_are_the_scope_s_own(client, world):
    client.force_login(world.a.users["site_manager"])
    body = client.get("/api/v1/volunteers/figures").json()
    f = body["figures"]
    assert f["on_duty"] == 1  # the volunteer's shift at a's first site
    assert f["checks_done"] == 1 and f["infections"] == 0 and f["infection_reports"] == 1
    assert [p["site_id"] for p in body["points"]] == [world.a.site.pk]
    client.force_login(world.a.users["company_admin"])
    f = client.get("/api/v1/volunteers/figures").json()["figures"]
    assert f["on_duty"] == 2 and f["infection_reports"] == 2 and f["kit_units"] == 4
    client.force_login(world.a.users["volunteer"])
    assert client.get("/api/v1/volunteers/figures").status_code == 403


def test_checkin_page_only_where_deployed(client, world):
    login(client, world.a.users["volunteer"])
    ok = client.get(reverse("volunteers:checkin", args=[site_token(world.a.site)]))
    assert ok.status_code == 200 and b'data-testid="checkin-in"' in ok.content
    other = client.get(reverse("volunteers:checkin", args=[site_token(world.b.site)]))
    assert other.status_code == 200 and b"checkin-not-deployed" in other.content
    forged = site_token(world.a.site)[:-2] + "xx"
    assert client.get(reverse("volunteers:checkin", args=[forged])).status_code == 404
    client.force_login(world.a.users["guard"])
    assert (
        client.get(reverse("volunteers:checkin", args=[site_token(world.a.site)])).status_code
        == 403
    )


def test_deploy_only_own_sites_and_people(client, world):
    client.force_login(world.a.users["company_admin"])
    body = {
        "site_id": world.b.site.pk,
        "volunteer_id": world.a.volunteer.pk,
        "starts_on": "2020-02-01",
        "ends_on": "2020-02-10",
    }
    assert post_json(client, "/api/v1/volunteers/deployments", body).status_code == 404
    body |= {"site_id": world.a.site.pk, "volunteer_id": world.b.volunteer.pk}
    assert post_json(client, "/api/v1/volunteers/deployments", body).status_code == 404
    body |= {"volunteer_id": world.a.volunteer.pk, "ends_on": "2020-01-01"}
    bad = post_json(client, "/api/v1/volunteers/deployments", body)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "ends_on"
    body |= {"ends_on": "2020-02-10"}
    ok = post_json(client, "/api/v1/volunteers/deployments", body)
    assert ok.status_code == 200 and ok.json()["company_id"] == world.a.company.pk
    both = post_json(
        client, "/api/v1/volunteers/deployments", body | {"staff_id": world.a.staff.pk}
    )
    assert both.status_code == 422
    page = client.post(
        reverse("volunteers:deployment_create"),
        {
            "site": world.a.site.pk,
            "staff": world.a.staff.pk,
            "starts_on": "2020-02-01",
            "ends_on": "2020-02-03",
        },
    )
    assert page.status_code == 302
    assert Deployment.all_tenants.filter(staff=world.a.staff, starts_on="2020-02-01").exists()
    client.force_login(world.a.users["site_manager"])
    body |= {"site_id": world.a.sibling.site.pk}
    assert post_json(client, "/api/v1/volunteers/deployments", body).status_code == 404


def test_certificate_verifies_publicly(client, world):
    login(client, world.a.users["volunteer"])
    response = post_json(client, "/api/v1/volunteers/me/certificate", {})
    assert response.status_code == 200, response.content
    code = response.json()["code"]
    assert response.json()["hours"] == 8.0 and response.json()["name"].endswith("*")
    # The same hours: the same certificate.
    assert post_json(client, "/api/v1/volunteers/me/certificate", {}).json()["code"] == code
    assert client.post(reverse("volunteers:my_certificate")).status_code == 302
    pdf = client.get(reverse("volunteers:certificate_pdf", args=[code]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # Another volunteer may not download it.
    client.logout()
    login(client, world.b.users["volunteer"])
    assert client.get(reverse("volunteers:certificate_pdf", args=[code])).status_code == 404
    client.logout()
    assert client.get(reverse("volunteers:certificate_pdf", args=[code])).status_code == 302
    # Anyone verifies: masked name, hours, dates; nothing else.
    page = client.get(reverse("volunteers:verify") + f"?code={code}")
    text = page.content.decode()
    assert page.status_code == 200 and "8.0" in text
    assert world.a.volunteer.name not in text and world.a.volunteer.name_masked in text
    assert world.a.volunteer.phone_masked not in text
    api = client.get(f"/api/v1/volunteers/certificates/{code.lower()}/verify")
    assert api.status_code == 200 and set(api.json()) == {
        "code",
        "association_name",
        "name",
        "hours",
        "first_day",
        "last_day",
        "sites",
        "issued_at",
    }
    assert client.get("/api/v1/volunteers/certificates/NOPE/verify").status_code == 404
    assert client.get(reverse("volunteers:verify") + "?code=NOPE").status_code == 404
    assert client.get(reverse("volunteers:verify")).status_code == 200
    assert Certificate.objects.count() == 1


def test_company_reveals_its_own_people_logged(client, world):
    from firstline.core.models import AccessLog

    v = world.a.volunteer
    url = reverse("volunteers:volunteer_reveal", args=[v.pk])
    assert client.post(url, {"field": "phone", "purpose": "通知上岗"}).status_code == 302
    client.force_login(world.b.users["company_admin"])
    assert client.post(url, {"field": "phone", "purpose": "通知上岗"}).status_code == 404
    client.force_login(world.a.users["company_admin"])
    assert client.post(url, {"field": "phone", "purpose": "x"}).status_code == 400
    assert not AccessLog.all_tenants.exists()
    shown = client.post(url, {"field": "phone", "purpose": "通知上岗安排"})
    assert shown.status_code == 200
    assert unseal("phone", v.phone_enc) in shown.content.decode()
    log = AccessLog.all_tenants.get()
    assert log.object_type == "volunteers.volunteer" and log.purpose == "通知上岗安排"
    client.force_login(world.users["coordinator"])  # no people.reveal: the reveal is the company's
    assert client.post(url, {"field": "phone", "purpose": "通知上岗安排"}).status_code == 403


def test_the_coordinator_sends_a_public_volunteer_to_a_member_hospital(client, world):
    """A public sign-up has no company: the association's coordinator sends them to a
    member company's hospital, whose manager then sees them and plans their shifts."""
    public = make_volunteer(world, name="公开报名者")
    body = {
        "site_id": world.b.site.pk,
        "volunteer_id": public.pk,
        "starts_on": "2020-02-01",
        "ends_on": "2020-02-10",
    }
    client.force_login(world.a.users["company_admin"])  # not the association: nothing
    assert post_json(client, "/api/v1/volunteers/deployments/send", body).status_code == 404
    assert client.get(reverse("volunteers:volunteer_send")).status_code == 403
    client.force_login(world.users["association_admin"])
    Site.all_tenants.filter(pk=world.a.site.pk).update(site_type=Site.Type.RESIDENTIAL)
    home = post_json(
        client, "/api/v1/volunteers/deployments/send", body | {"site_id": world.a.site.pk}
    )
    assert home.status_code == 404  # a compound is not a hospital or an isolation point
    late = post_json(
        client, "/api/v1/volunteers/deployments/send", body | {"ends_on": "2020-01-01"}
    )
    assert late.status_code == 422
    sent = post_json(client, "/api/v1/volunteers/deployments/send", body)
    assert sent.status_code == 200 and sent.json()["company_id"] == world.b.company.pk
    page = client.get(reverse("volunteers:volunteer_send"))
    assert page.status_code == 200 and world.b.site.name in page.content.decode()
    client.force_login(world.b.users["site_manager"])
    listed = client.get(reverse("volunteers:deployment_list"), {"q": "公开"})
    assert sent.json()["id"] in [d.pk for d in listed.context["object_list"]]
    client.force_login(world.a.users["site_manager"])
    other = client.get(reverse("volunteers:deployment_detail", args=[sent.json()["id"]]))
    assert other.status_code == 404

"""The volunteers pages and endpoints through the shared tenancy checks: another
company's volunteer, deployment, task, check, kit, incident is 404; a site manager
sees its own site's rows only. Pages of the association (vetting, teams), the phone
pages of a volunteer and the public pages are checked by the tests named in
`explicit` (test_access.py)."""

from __future__ import annotations

from datetime import date

import pytest

from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import World
from firstline.volunteers.tests.furnish import furnish

COMPANY = "volunteers are a company's people, not a site's"
ACCESS = "firstline.volunteers.tests.test_access::"


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def vol(t):
    return t.volunteer


def dep(t):
    return t.deployment


def task(t):
    return t.task


def incident(t):
    return t.incident


def team(t):
    return t.team if hasattr(t, "team") else t.sibling.team


class TestVolunteersTenancy(TenancyCases):
    routes = [
        Page("volunteers:volunteer_list", company_level=COMPANY),
        Page("volunteers:volunteer_detail", obj=vol, company_level=COMPANY),
        Page("volunteers:volunteer_create", company_level=COMPANY),
        Page("volunteers:team_list", company_level=COMPANY),
        Page("volunteers:team_detail", obj=lambda t: t.team, company_level=COMPANY),
        Page("volunteers:hours", company_level=COMPANY),
        Page("volunteers:deployment_list"),
        Page("volunteers:deployment_detail", obj=dep),
        Page("volunteers:deployment_create"),
        Page("volunteers:shifts_create", obj=dep),
        Page("volunteers:checkin_qr", site_field="id"),
        Page("volunteers:task_list"),
        Page("volunteers:task_detail", obj=task),
        Page("volunteers:task_create"),
        Page("volunteers:check_list"),
        Page("volunteers:check_create"),
        Page("volunteers:kit_list"),
        Page("volunteers:kit_create"),
        Page("volunteers:incident_list"),
        Page("volunteers:incident_detail", obj=incident),
        Page("volunteers:incident_create"),
        Page("volunteers:incident_follow_up", obj=incident),
        Page("volunteers:infection_report"),
        Page("volunteers:figures"),
        Page("volunteers:alert_list"),
    ]
    api = [
        Api("/api/v1/volunteers/volunteers", company_level=COMPANY),
        Api("/api/v1/volunteers/volunteers/{id}", obj=vol, company_level=COMPANY),
        Api("/api/v1/volunteers/teams", company_level=COMPANY),
        Api("/api/v1/volunteers/deployments"),
        Api("/api/v1/volunteers/deployments/{id}", obj=dep),
        Api(
            "/api/v1/volunteers/deployments/{id}/shifts",
            obj=dep,
            method="post",
            body={
                "first_day": str(date.today()),
                "last_day": str(date.today()),
                "start": "20:00",
                "end": "08:00",
            },
        ),
        Api("/api/v1/volunteers/shifts"),
        Api("/api/v1/volunteers/tasks"),
        Api("/api/v1/volunteers/tasks/{id}", obj=task),
        Api(
            "/api/v1/volunteers/tasks",
            method="post",
            body=lambda t: {
                "site_id": t.site.pk,
                "task_type": "specimen",
                "due_at": "2030-01-01T10:00:00+08:00",
                "assignee_id": t.deployment.pk,
            },
        ),
        Api("/api/v1/volunteers/checks"),
        Api(
            "/api/v1/volunteers/checks",
            method="post",
            body=lambda t: {"deployment_id": t.deployment.pk, "temperature": "36.6"},
        ),
        Api("/api/v1/volunteers/kit"),
        Api("/api/v1/volunteers/incidents"),
        Api("/api/v1/volunteers/incidents/{id}", obj=incident),
        Api(
            "/api/v1/volunteers/incidents",
            method="post",
            body=lambda t: {
                "deployment_id": t.deployment.pk,
                "occurred_at": "2020-02-01T10:00:00+08:00",
                "kind": "sharps",
                "description": "针刺伤",
            },
        ),
        Api(
            "/api/v1/volunteers/incidents/{id}/follow-ups",
            obj=incident,
            method="post",
            body={"note": "核酸阴性", "outcome": "pending"},
        ),
        Api(
            "/api/v1/volunteers/infections",
            method="post",
            body=lambda t: {"site_id": t.site.pk, "day": str(date.today()), "infections": 0},
        ),
        Api("/api/v1/volunteers/alerts"),
    ]
    explicit = {
        "volunteers:volunteer_reveal": ACCESS + "test_company_reveals_its_own_people_logged",
        "volunteers:volunteer_vet": ACCESS + "test_only_the_association_vets",
        "volunteers:volunteer_insurance": ACCESS + "test_only_the_association_vets",
        "volunteers:team_create": ACCESS + "test_only_the_association_vets",
        "volunteers:team_member_add": ACCESS + "test_only_the_association_vets",
        "POST /api/v1/volunteers/volunteers/{pk}/approve": ACCESS
        + "test_only_the_association_vets",
        "POST /api/v1/volunteers/volunteers/{pk}/reject": ACCESS + "test_only_the_association_vets",
        "POST /api/v1/volunteers/volunteers/{pk}/insurance": ACCESS
        + "test_only_the_association_vets",
        "POST /api/v1/volunteers/teams": ACCESS + "test_only_the_association_vets",
        "POST /api/v1/volunteers/teams/{pk}/members": ACCESS + "test_only_the_association_vets",
        "POST /api/v1/volunteers/volunteers": ACCESS + "test_company_signs_up_only_its_own_people",
        "GET /api/v1/volunteers/hours": ACCESS + "test_hours_add_up_per_person_team_company",
        "GET /api/v1/volunteers/figures": ACCESS + "test_figures_are_the_scope_s_own",
        "volunteers:me": ACCESS + "test_a_volunteer_sees_only_their_own_record",
        "volunteers:my_certificate": ACCESS + "test_certificate_verifies_publicly",
        "volunteers:my_shifts": ACCESS + "test_a_volunteer_sees_only_their_own_record",
        "volunteers:my_team": ACCESS + "test_a_leader_sees_the_team_only",
        "volunteers:my_task": ACCESS + "test_a_volunteer_sees_only_their_own_record",
        "volunteers:checkin": ACCESS + "test_checkin_page_only_where_deployed",
        "GET /api/v1/volunteers/me": ACCESS + "test_a_volunteer_sees_only_their_own_record",
        "GET /api/v1/volunteers/me/shifts": ACCESS + "test_a_volunteer_sees_only_their_own_record",
        "POST /api/v1/volunteers/me/certificate": ACCESS + "test_certificate_verifies_publicly",
        "POST /api/v1/volunteers/scans": "firstline.volunteers.tests.test_scans::test_scan_only_where_deployed",
        "POST /api/v1/volunteers/tasks/{pk}/ready": ACCESS
        + "test_a_volunteer_sees_only_their_own_record",
        "POST /api/v1/volunteers/kit": "firstline.volunteers.tests.test_safety::test_kit_issued_lowers_site_stock_and_shows_in_ledger",
        "POST /api/v1/volunteers/deployments": ACCESS + "test_deploy_only_own_sites_and_people",
        "volunteers:volunteer_send": ACCESS
        + "test_the_coordinator_sends_a_public_volunteer_to_a_member_hospital",
        "POST /api/v1/volunteers/deployments/send": ACCESS
        + "test_the_coordinator_sends_a_public_volunteer_to_a_member_hospital",
        # public by design
        "volunteers:join": ACCESS + "test_public_sign_up",
        "volunteers:join_association": ACCESS + "test_public_sign_up",
        "volunteers:join_done": ACCESS + "test_public_sign_up",
        "GET /api/v1/volunteers/consent/{association_id}": ACCESS + "test_public_sign_up",
        "POST /api/v1/volunteers/join/{association_id}": ACCESS + "test_public_sign_up",
        "volunteers:verify": ACCESS + "test_certificate_verifies_publicly",
        "volunteers:certificate_pdf": ACCESS + "test_certificate_verifies_publicly",
        "GET /api/v1/volunteers/certificates/{code}/verify": ACCESS
        + "test_certificate_verifies_publicly",
        "volunteers:handover": "firstline.volunteers.tests.test_support::test_handover_by_token_and_code",
        "volunteers:handover_code": "firstline.volunteers.tests.test_support::test_handover_by_token_and_code",
        "POST /api/v1/volunteers/handover/{token}": "firstline.volunteers.tests.test_support::test_handover_by_token_and_code",
    }

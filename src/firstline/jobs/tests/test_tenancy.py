"""The job fair's pages and endpoints through the shared tenancy checks: an employer
reaches its own booths, positions, applicants and their CVs only (another company's
are 404); a graduate reaches its own applications only (another graduate's are 404).
The fair is company-level (no site): the other-site checks do not apply. The public
pages, the graduate's browsing and the association's desk are checked by the tests
named in `explicit` (test_access.py)."""

from __future__ import annotations

import pytest

from firstline.jobs.tests.furnish import furnish
from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import World

ACCESS = "firstline.jobs.tests.test_access::"
PUBLIC = ACCESS + "test_the_public_page_and_sign_up_need_no_login"
BROWSE = ACCESS + "test_a_graduate_browses_and_applies_to_open_positions_only"
DESK = ACCESS + "test_the_association_desk_reaches_its_own_fairs_only"
REGISTER = ACCESS + "test_an_employer_registers_only_for_its_associations_fairs"
COMPANY = "the job fair is the company's, not a site's"
GRADUATE = {"viewer": "graduate", "company_level": "a graduate's own rows (no site)"}


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def employer(t):
    return t.job_employer


def position(t):
    return t.job_position


def application(t):
    return t.job_application


class TestJobsTenancy(TenancyCases):
    routes = [
        Page("jobs:employer_home", company_level=COMPANY),
        Page("jobs:booth_edit", obj=employer, company_level=COMPANY),
        Page(
            "jobs:booth_edit",
            obj=employer,
            method="post",
            write={
                "booth_name": "新展位",
                "contact_name": "李",
                "phone": "13800138000",
                "booth_staff": "2",
            },
            ok=302,
            company_level=COMPANY,
        ),
        Page("jobs:position_create", obj=employer, company_level=COMPANY),
        Page("jobs:position_list", company_level=COMPANY),
        Page("jobs:position_edit", obj=position, company_level=COMPANY),
        Page(
            "jobs:position_edit",
            obj=position,
            method="post",
            write={
                "title": "客服主管",
                "city": "武汉",
                "salary_min": "5000",
                "salary_max": "7000",
                "headcount": "1",
                "state": "open",
            },
            ok=302,
            company_level=COMPANY,
        ),
        Page("jobs:slot_create", obj=position, company_level=COMPANY),
        Page("jobs:application_list", company_level=COMPANY),
        Page("jobs:application_detail", obj=application, company_level=COMPANY),
        Page("jobs:application_move", obj=application, company_level=COMPANY),
        Page(
            "jobs:application_move",
            obj=application,
            method="post",
            write={"state": "interviewed"},
            ok=302,
            company_level=COMPANY,
        ),
        Page("jobs:application_invite", obj=application, company_level=COMPANY),
        Page("jobs:cv_download", obj=application, company_level=COMPANY),
        # the graduate's own
        Page("jobs:me", **GRADUATE),
        Page("jobs:profile_edit", **GRADUATE),
        Page("jobs:my_application", obj=application, **GRADUATE),
        Page("jobs:pick_slot", obj=application, **GRADUATE),
        Page(
            "jobs:withdraw",
            obj=application,
            method="post",
            write={"confirmed": "on"},
            ok=302,
            **GRADUATE,
        ),
    ]
    api = [
        Api("/api/v1/jobs/employer/booths", company_level=COMPANY),
        Api(
            "/api/v1/jobs/employer/booths/{id}",
            obj=employer,
            method="post",
            body={
                "booth_name": "新展位",
                "contact_name": "李",
                "phone": "13800138000",
                "booth_staff": 2,
            },
            company_level=COMPANY,
        ),
        Api("/api/v1/jobs/employer/positions", company_level=COMPANY),
        Api(
            "/api/v1/jobs/employer/booths/{id}/positions",
            obj=employer,
            method="post",
            body={"title": "保安队长", "city": "武汉", "salary_min": 4000, "salary_max": 5000},
            company_level=COMPANY,
        ),
        Api(
            "/api/v1/jobs/employer/positions/{id}",
            obj=position,
            method="post",
            body={"title": "客服主管", "city": "武汉", "salary_min": 5000, "salary_max": 7000},
            company_level=COMPANY,
        ),
        Api(
            "/api/v1/jobs/employer/positions/{id}/slots",
            obj=position,
            method="post",
            body={
                "starts_at": "2031-03-25T09:00:00+08:00",
                "ends_at": "2031-03-25T09:30:00+08:00",
                "meeting_link": "https://meeting.example.com/r",
            },
            company_level=COMPANY,
        ),
        Api("/api/v1/jobs/employer/applications", company_level=COMPANY),
        Api("/api/v1/jobs/employer/applications/{id}", obj=application, company_level=COMPANY),
        Api(
            "/api/v1/jobs/employer/applications/{id}/move",
            obj=application,
            method="post",
            body={"state": "interviewed"},
            company_level=COMPANY,
        ),
        Api(
            "/api/v1/jobs/employer/applications/{id}/invite",
            obj=application,
            method="post",
            body={},
            company_level=COMPANY,
        ),
        # the graduate's own
        Api("/api/v1/jobs/my/applications", **GRADUATE),
        Api("/api/v1/jobs/my/applications/{id}", obj=application, **GRADUATE),
        Api("/api/v1/jobs/my/applications/{id}/slots", obj=application, **GRADUATE),
        Api(
            "/api/v1/jobs/my/applications/{id}/withdraw",
            obj=application,
            method="post",
            **GRADUATE,
        ),
        Api(
            "/api/v1/jobs/my/applications/{id}/pick",
            obj=application,
            method="post",
            body=lambda t: {"slot_id": t.job_slots[0].pk},
            **GRADUATE,
        ),
    ]
    explicit = {
        "jobs:fair_public": PUBLIC,
        "jobs:sign_up": PUBLIC,
        "GET /api/v1/jobs/public/fairs/{pk}": PUBLIC,
        "GET /api/v1/jobs/public/fairs/{pk}/positions": PUBLIC,
        "POST /api/v1/jobs/public/fairs/{pk}/sign-up": PUBLIC,
        "jobs:position_browse": BROWSE,
        "jobs:apply": BROWSE,
        "GET /api/v1/jobs/me": BROWSE,
        "GET /api/v1/jobs/positions": BROWSE,
        "POST /api/v1/jobs/positions/{pk}/apply": BROWSE,
        "jobs:register": REGISTER,
        "POST /api/v1/jobs/employer/fairs/{pk}/register": REGISTER,
        "jobs:fair_list": DESK,
        "jobs:fair_create": DESK,
        "jobs:fair_edit": DESK,
        "jobs:figures": DESK,
        "jobs:employer_list": DESK,
        "jobs:employer_decide": DESK,
        "GET /api/v1/jobs/fairs": DESK,
        "POST /api/v1/jobs/fairs": DESK,
        "POST /api/v1/jobs/fairs/{pk}": DESK,
        "GET /api/v1/jobs/fairs/{pk}/figures": DESK,
        "GET /api/v1/jobs/employers": DESK,
        "POST /api/v1/jobs/employers/{pk}/decide": DESK,
    }

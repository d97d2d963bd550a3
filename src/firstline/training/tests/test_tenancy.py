"""The training pages and endpoints through the shared tenancy checks: another
company's enrolment, lesson, quiz, registration or roster is 404; a learner (the
guard, who is on the staff list) reaches its own enrolments only; a site manager
sees its own site's staff on the roster. The certificate, the video, self-enrolment,
the QR check-in and the public verification are checked by the tests named in
`explicit` (test_access.py)."""

from __future__ import annotations

import pytest

from firstline.testing.tenancy import Api, Page, TenancyCases
from firstline.testing.world import World
from firstline.training.tests.furnish import furnish

ACCESS = "firstline.training.tests.test_access::"
CATALOGUE = "firstline.training.tests.test_catalogue::"
LEARNER = {"viewer": "guard", "site_role": "guard", "denied_writer": "site_manager"}


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def enrolment(t):
    return t.enrolment


def progress(t):
    return t.progress


def registration(t):
    return t.registration


class TestTrainingTenancy(TenancyCases):
    routes = [
        Page("training:home", **LEARNER),
        Page("training:enrolment", obj=enrolment, **LEARNER),
        Page("training:session_register", obj=enrolment, **LEARNER),
        Page("training:lesson", obj=progress, **LEARNER),
        Page(
            "training:lesson_complete",
            obj=progress,
            method="post",
            write={},
            ok=302,
            **LEARNER,
        ),
        Page("training:quiz", obj=progress, **LEARNER),
        Page("training:session_join", obj=registration, ok=302, **LEARNER),
        Page("training:roster", rows="rows", site_field="0.site_id"),
        Page(
            "training:enrol",
            company_level="a form about no object; its choices are the scope's staff",
        ),
        Page(
            "training:enrol_import",
            company_level="a form about no object; the rows name staff of the scope",
        ),
        Page("training:figures", company_level="counts by company and course, no rows"),
    ]
    api = [
        Api("/api/v1/training/courses", shared="the association's catalogue, no tenant rows"),
        Api("/api/v1/training/my/enrolments", **{k: LEARNER[k] for k in ("viewer", "site_role")}),
        Api(
            "/api/v1/training/my/progress/{id}/quiz",
            obj=progress,
            **{k: LEARNER[k] for k in ("viewer", "site_role")},
        ),
        Api(
            "/api/v1/training/my/progress/{id}/complete",
            obj=progress,
            method="post",
            **{k: LEARNER[k] for k in ("viewer", "site_role")},
        ),
        Api("/api/v1/training/enrolments"),
        Api(
            "/api/v1/training/enrolments",
            method="post",
            body=lambda t: {"staff_id": t.staff.pk, "course_id": t.training_management_id},
        ),
        Api("/api/v1/training/roster"),
    ]
    explicit = {
        "training:self_enrol": ACCESS + "test_self_enrolment_for_a_staff_login_only",
        "training:certificate_pdf": ACCESS + "test_certificate_pdf_only_for_its_holder",
        "training:video": ACCESS + "test_video_is_served_by_ranges_to_its_learner_only",
        "training:session_checkin": ACCESS + "test_qr_checkin_records_own_registration_only",
        "training:verify": ACCESS + "test_verification_is_public_and_masks_the_name",
        "POST /api/v1/training/my/progress/{pk}/quiz": ACCESS
        + "test_quiz_api_scores_and_stays_in_scope",
        **{
            f"training:{name}": ACCESS + "test_course_pages_are_the_association_s"
            for name in (
                "course_list",
                "course_create",
                "course_detail",
                "course_edit",
                "lesson_add",
                "question_add",
            )
        },
        **{
            f"training:{name}": CATALOGUE + "test_catalogue_edits_are_the_association_s"
            for name in (
                "session_create",
                "session_edit",
                "session_cancel",
                "lesson_edit",
                "lesson_delete",
                "question_edit",
                "question_delete",
            )
        },
        **{
            operation: CATALOGUE + "test_catalogue_edits_are_the_association_s"
            for operation in (
                "GET /api/v1/training/courses/{pk}/sessions",
                "POST /api/v1/training/courses/{pk}/sessions",
                "PUT /api/v1/training/live-sessions/{pk}",
                "DELETE /api/v1/training/live-sessions/{pk}",
                "DELETE /api/v1/training/lessons/{pk}",
                "PUT /api/v1/training/questions/{pk}",
                "DELETE /api/v1/training/questions/{pk}",
            )
        },
        "GET /api/v1/training/figures": ACCESS + "test_figures_are_counts_of_the_scope",
        "GET /api/v1/training/certificates/{code}/verify": (
            ACCESS + "test_verification_is_public_and_masks_the_name"
        ),
    }

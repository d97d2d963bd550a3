"""Who may do what outside the shared matrix: self-enrolment is for a staff login,
the certificate PDF for its holder, the video for its learner (served by ranges), the
QR check-in for one's own registration, the quiz API stays in scope, the verification
is public with the name masked, the roster shows phones masked in a fixed number of
queries, figures are counts of the scope."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.core.models import AuditEvent
from firstline.core.personal.fields import set_personal
from firstline.estates.models import Staff
from firstline.orgs.models import Association
from firstline.testing.world import PASSWORD, World
from firstline.training.models import (
    Certificate,
    Course,
    Enrolment,
    Lesson,
    LessonProgress,
    Registration,
)
from firstline.training.services import learning, sessions
from firstline.training.tests.furnish import furnish

pytestmark = pytest.mark.django_db
API = "/api/v1/training"


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def right_answers(progress) -> dict[str, list[int]]:
    return {str(q.pk): q.answer for q in learning.quiz_questions(progress)}


def complete(corner) -> Certificate:
    guard = corner.users["guard"]
    learning.lesson_complete(actor=guard, progress=corner.progress)
    outcome = learning.quiz_submit(
        actor=guard, progress=corner.progress, answers=right_answers(corner.progress)
    )
    return outcome.certificate


def test_self_enrolment_for_a_staff_login_only(client, world: World):
    url = reverse("training:self_enrol", args=[world.training_management.pk])
    login(client, world.a.users["site_manager"])  # not on the staff list
    response = client.post(url)
    assert response.status_code == 302
    assert not Enrolment.all_tenants.filter(course=world.training_management).exists()
    login(client, world.a.users["guard"])
    response = client.post(url)
    enrolment = Enrolment.all_tenants.get(course=world.training_management)
    assert response["Location"] == enrolment.get_absolute_url()
    assert (enrolment.staff_id, enrolment.site_id) == (world.a.staff.pk, world.a.site.pk)
    assert LessonProgress.all_tenants.filter(enrolment=enrolment).count() == 1
    client.logout()
    assert client.post(url).status_code == 302  # anonymous: to the login page
    assert Enrolment.all_tenants.filter(course=world.training_management).count() == 1


def test_certificate_pdf_only_for_its_holder(client, world: World):
    url = reverse("training:certificate_pdf", args=[world.a.enrolment.pk])
    login(client, world.a.users["guard"])
    assert client.get(url).status_code == 404  # not earned yet
    cert = complete(world.a)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        b"".join(response.streaming_content if response.streaming else [response.content])[:4]
        == b"%PDF"
    )
    assert cert.code in response["Content-Disposition"]
    complete(world.b)
    assert (
        client.get(reverse("training:certificate_pdf", args=[world.b.enrolment.pk])).status_code
        == 404
    )
    login(client, world.a.users["site_manager"])  # not the holder
    assert client.get(url).status_code == 404


def test_video_is_served_by_ranges_to_its_learner_only(client, world: World, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    lesson = world.a.progress.lesson
    lesson.video.save("gate.mp4", ContentFile(b"0123456789" * 10), save=True)
    url = reverse("training:video", args=[world.a.progress.pk])
    login(client, world.a.users["guard"])
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == b"0123456789" * 10
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 10-19/100"
    assert b"".join(part.streaming_content) == b"0123456789"
    assert client.get(url, headers={"Range": "bytes=100-"}).status_code == 416
    b_url = reverse("training:video", args=[world.b.progress.pk])
    assert client.get(b_url).status_code == 404
    login(client, world.a.users["site_manager"])
    assert client.get(url).status_code == 404


def test_qr_checkin_records_own_registration_only(client, world: World):
    token = sessions.checkin_token(world.training_session)
    url = reverse("training:session_checkin", args=[token])
    login(client, world.a.users["site_manager"])  # registered nowhere
    assert client.get(url).status_code == 404
    login(client, world.a.users["guard"])
    assert client.get(reverse("training:session_checkin", args=[token + "x"])).status_code == 404
    assert client.get(url).status_code == 302
    attended = Registration.all_tenants.filter(attended_at__isnull=False)
    assert list(attended.values_list("pk", flat=True)) == [world.a.registration.pk]


def test_quiz_api_scores_and_stays_in_scope(client, world: World):
    login(client, world.a.users["guard"])
    progress = world.a.progress
    url = f"{API}/my/progress/{progress.pk}/quiz"
    assert client.post(url, {"answers": []}, content_type="application/json").status_code == 422
    learning.lesson_complete(actor=world.a.users["guard"], progress=progress)
    wrong = [{"question_id": int(k), "chosen": [1]} for k in right_answers(progress)]
    response = client.post(url, {"answers": wrong}, content_type="application/json")
    assert response.json() == {
        "score": 0,
        "passed": False,
        "attempts_left": 1,
        "certificate_code": None,
    }
    progress.refresh_from_db()
    right = [{"question_id": int(k), "chosen": v} for k, v in right_answers(progress).items()]
    response = client.post(url, {"answers": right}, content_type="application/json")
    too_many = [{"question_id": 1, "chosen": [2**40]}]
    refused = client.post(url, {"answers": too_many}, content_type="application/json")
    assert refused.status_code == 422
    body = response.json()
    assert (body["score"], body["passed"], body["attempts_left"]) == (100, True, 0)
    assert body["certificate_code"] == Certificate.all_tenants.get().code
    b_url = f"{API}/my/progress/{world.b.progress.pk}/quiz"
    assert client.post(b_url, {"answers": []}, content_type="application/json").status_code == 404
    login(client, world.a.users["site_manager"])
    sibling = f"{API}/my/progress/{world.a.sibling.progress.pk}/quiz"
    assert client.post(sibling, {"answers": []}, content_type="application/json").status_code == 404
    assert not world.b.progress.quiz_attempts.exists()


def test_verification_is_public_and_masks_the_name(client, world: World):
    cert = complete(world.a)
    page = client.get(reverse("training:verify", args=[cert.code]))
    assert page.status_code == 200
    assert page.context["result"].valid is True
    assert page.context["result"].name == world.a.staff.name[0] + "*" * (
        len(world.a.staff.name) - 1
    )
    assert world.a.staff.name not in page.content.decode()
    api = client.get(f"{API}/certificates/{cert.code}/verify").json()
    assert api["valid"] is True and api["course"] == world.training_course.title
    missing = client.get(reverse("training:verify", args=["NOSUCHCODE"]))
    assert missing.context["result"].valid is False
    assert client.get(f"{API}/certificates/NOSUCH/verify").json()["valid"] is False
    assert client.get(f"{API}/certificates/bad-code!/verify").status_code == 422


def test_roster_masks_phones_in_fixed_queries(client, world: World):
    staff = world.a.staff
    set_personal(staff, "phone", "13812345678")
    staff.save()
    complete(world.a)
    login(client, world.a.users["site_manager"])
    response = client.get(reverse("training:roster"))
    html = response.content.decode()
    assert "138****5678" in html and "13812345678" not in html
    assert 'data-testid="roster-done"' in html
    baseline = len(response.context["rows"])
    for n in range(5):
        Staff.all_tenants.create(
            company=world.a.company, site=world.a.site, name=f"员工{n}", position="cleaner"
        )
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("training:roster"))
    with CaptureQueriesContext(connection) as second:
        more = client.get(reverse("training:roster"))
    assert len(more.context["rows"]) == baseline + 5
    assert len(first) == len(second)
    export = client.get(reverse("training:roster") + "?format=xlsx")
    assert export.status_code == 200
    assert AuditEvent.objects.filter(action="core.list_export").count() == 1


def test_figures_are_counts_of_the_scope(client, world: World):
    complete(world.a)
    login(client, world.a.users["company_admin"])
    ctx = client.get(reverse("training:figures")).context
    assert [(r["company_id"], r["enrolments"], r["completed"]) for r in ctx["by_company"]] == [
        (world.a.company.pk, 2, 1)
    ]
    own = client.get(f"{API}/figures").json()
    assert [r["id"] for r in own["by_company"]] == [world.a.company.pk]
    login(client, world.users["association_admin"])
    body = client.get(f"{API}/figures").json()
    assert sorted((r["id"], r["enrolments"], r["completed"]) for r in body["by_company"]) == sorted(
        [(world.a.company.pk, 2, 1), (world.b.company.pk, 2, 0)]
    )
    assert body["by_course"][0]["pass_rate"] == 100
    login(client, world.a.users["guard"])
    assert client.get(reverse("training:figures")).status_code == 403


def test_course_pages_are_the_association_s(client, world: World):
    other = Association.objects.create(name="另一协会", short_name="另协")
    foreign = Course.objects.create(association=other, title="外会课程", kind="management")
    login(client, world.a.users["company_admin"])
    assert client.get(reverse("training:course_list")).status_code == 403
    assert client.post(reverse("training:course_create"), {"title": "x"}).status_code == 403
    login(client, world.users["association_admin"])
    assert client.get(reverse("training:course_list")).status_code == 200
    assert client.get(reverse("training:course_detail", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("training:lesson_add", args=[foreign.pk]), {}).status_code == 404
    response = client.post(
        reverse("training:course_create"),
        {
            "title": "消毒实操",
            "summary": "",
            "audience": "保洁员",
            "kind": "frontline",
            "guide_url": "",
            "pass_mark": "80",
            "questions_drawn": "2",
            "max_attempts": "3",
            "published": "on",
        },
    )
    course = Course.objects.get(title="消毒实操")
    assert response["Location"] == reverse("training:course_detail", args=[course.pk])
    assert course.association_id == world.association.pk
    response = client.post(
        reverse("training:lesson_add", args=[course.pk]),
        {"title": "配比", "kind": "document", "body": "500mg/L", "duration_minutes": "5"},
    )
    lesson = course.lessons.get()
    assert lesson.position == 1
    client.post(
        reverse("training:question_add", args=[lesson.pk]),
        {
            "kind": "multiple",
            "text": "哪些要消毒？",
            "options": "按键\n扶手\n天花板",
            "answer": "1,2",
        },
    )
    assert list(lesson.questions.values_list("options", "answer")) == [
        (["按键", "扶手", "天花板"], [0, 1])
    ]
    bad = client.post(
        reverse("training:lesson_add", args=[course.pk]),
        {"title": "视频", "kind": "video", "duration_minutes": "5"},
    )
    assert bad.status_code == 200 and "video" in bad.context["form"].errors
    assert course.lessons.count() == 1
    foreign_lesson = Lesson.objects.create(
        course=foreign, position=1, title="外会课时", kind="document"
    )
    assert client.get(reverse("training:question_add", args=[foreign_lesson.pk])).status_code == 404


def test_roster_api_pages_in_fixed_queries_with_phones_masked(client, world: World):
    staff = world.a.staff
    set_personal(staff, "phone", "13812345678")
    staff.save()
    complete(world.a)
    login(client, world.a.users["site_manager"])
    url = f"{API}/roster?page_size=2"
    with CaptureQueriesContext(connection) as first:
        body = client.get(url).json()
    mine = next(r for r in body["items"] if r["staff_id"] == staff.pk)
    assert mine["phone_masked"] == "138****5678"
    assert [c["state"] for c in mine["courses"]] == ["completed"]
    assert {r["site_id"] for r in body["items"]} == {world.a.site.pk}
    for n in range(4):
        Staff.all_tenants.create(
            company=world.a.company, site=world.a.site, name=f"员工{n}", position="cleaner"
        )
    with CaptureQueriesContext(connection) as second:
        more = client.get(url).json()
    assert more["count"] == body["count"] + 4
    assert len(first) == len(second)

"""The association's catalogue beyond adding: live sessions scheduled, changed and
cancelled (asked first), lessons and questions changed or deleted (asked first; a
lesson a learner has started is refused, not deleted), on pages and in the API.
Company logins are refused (403); another association's rows answer 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from firstline.core.models import AuditEvent
from firstline.orgs.models import Association
from firstline.testing.world import PASSWORD, World
from firstline.training.models import (
    Course,
    Lesson,
    LessonProgress,
    LiveSession,
    Question,
    Registration,
)
from firstline.training.tests.furnish import furnish

pytestmark = pytest.mark.django_db
API = "/api/v1/training"
JSON = "application/json"


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


@pytest.fixture
def foreign(world: World) -> dict:
    """Another association's course, lesson, question and session."""
    other = Association.objects.create(name="另一协会", short_name="另协")
    course = Course.objects.create(association=other, title="外会课程", kind="management")
    lesson = Lesson.objects.create(course=course, position=1, title="外会课时", kind="document")
    question = Question.objects.create(lesson=lesson, text="外会题", options=["a", "b"], answer=[0])
    now = timezone.now()
    session = LiveSession.objects.create(
        course=course,
        title="外会直播",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=1),
        capacity=5,
        place="会议室",
        checkin_code="F1",
    )
    return {"course": course, "lesson": lesson, "question": question, "session": session}


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


MANAGE_PAGES = (
    ("session_create", "course"),
    ("session_edit", "session"),
    ("session_cancel", "session"),
    ("lesson_edit", "lesson"),
    ("lesson_delete", "lesson"),
    ("question_edit", "question"),
    ("question_delete", "question"),
)


def test_catalogue_edits_are_the_association_s(client, world: World, foreign):
    mine = {
        "course": world.training_course,
        "session": world.training_session,
        "lesson": world.training_course.lessons.get(),
        "question": Question.objects.filter(lesson__course=world.training_course).first(),
    }
    login(client, world.a.users["company_admin"])
    for name, what in MANAGE_PAGES:
        url = reverse(f"training:{name}", args=[mine[what].pk])
        assert client.get(url).status_code == 403, name
        assert client.post(url, {"confirmed": "1"}).status_code == 403, name
    assert client.delete(f"{API}/live-sessions/{mine['session'].pk}").status_code == 403
    assert client.get(f"{API}/courses/{mine['course'].pk}/sessions").status_code == 403
    login(client, world.users["association_admin"])
    for name, what in MANAGE_PAGES:
        url = reverse(f"training:{name}", args=[foreign[what].pk])
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"confirmed": "1"}).status_code == 404, name
        assert client.get(reverse(f"training:{name}", args=[mine[what].pk])).status_code == 200
    course, session = foreign["course"], foreign["session"]
    lesson, question = foreign["lesson"], foreign["question"]
    assert client.get(f"{API}/courses/{course.pk}/sessions").status_code == 404
    body = {
        "title": "x",
        "starts_at": "2030-01-01T10:00:00+08:00",
        "ends_at": "2030-01-01T11:00:00+08:00",
        "capacity": 5,
        "place": "礼堂",
    }
    assert client.post(f"{API}/courses/{course.pk}/sessions", body, JSON).status_code == 404
    assert client.put(f"{API}/live-sessions/{session.pk}", body, JSON).status_code == 404
    assert client.delete(f"{API}/live-sessions/{session.pk}").status_code == 404
    assert client.delete(f"{API}/lessons/{lesson.pk}").status_code == 404
    q = {"kind": "single", "text": "改", "options": ["a", "b"], "answer": [1]}
    assert client.put(f"{API}/questions/{question.pk}", q, JSON).status_code == 404
    assert client.delete(f"{API}/questions/{question.pk}").status_code == 404
    assert LiveSession.objects.filter(pk=session.pk).exists()
    assert Lesson.objects.filter(pk=lesson.pk).exists()
    assert Question.objects.get(pk=question.pk).text == "外会题"


def test_live_session_scheduled_changed_and_cancelled_on_pages(client, world: World):
    course, session = world.training_course, world.training_session
    login(client, world.users["association_admin"])
    start = timezone.localtime() + timedelta(days=2)
    response = client.post(
        reverse("training:session_create", args=[course.pk]),
        {
            "title": "消毒线下实操",
            "starts_at": local(start),
            "ends_at": local(start + timedelta(hours=2)),
            "capacity": "30",
            "meeting_link": "",
            "place": "协会培训室",
        },
    )
    assert response.status_code == 302
    created = LiveSession.objects.get(title="消毒线下实操")
    assert created.place == "协会培训室" and created.checkin_code
    neither = client.post(
        reverse("training:session_create", args=[course.pk]),
        {
            "title": "无地点",
            "starts_at": local(start),
            "ends_at": local(start - timedelta(hours=1)),
            "capacity": "3",
        },
    )
    assert neither.status_code == 200 and neither.context["form"].errors
    detail = client.get(reverse("training:course_detail", args=[course.pk]))
    assert "消毒线下实操" in detail.content.decode()
    # The cap cannot go below the four registered.
    edit = reverse("training:session_edit", args=[session.pk])
    data = {
        "title": session.title,
        "starts_at": local(session.starts_at),
        "ends_at": local(session.ends_at),
        "capacity": "3",
        "meeting_link": session.meeting_link,
        "place": "",
    }
    refused = client.post(edit, data)
    assert refused.status_code == 200 and "capacity" in refused.context["form"].errors
    assert client.post(edit, {**data, "capacity": "4"}).status_code == 302
    assert LiveSession.objects.get(pk=session.pk).capacity == 4
    # Cancelling asks first: without the ticked box nothing happens.
    cancel = reverse("training:session_cancel", args=[session.pk])
    asked = client.get(cancel)
    assert 'name="confirmed"' in asked.content.decode()
    assert 'data-confirm="' in asked.content.decode()
    assert client.post(cancel, {}).status_code == 200
    assert LiveSession.objects.filter(pk=session.pk).exists()
    assert client.post(cancel, {"confirmed": "1"}).status_code == 302
    assert not LiveSession.objects.filter(pk=session.pk).exists()
    assert not Registration.all_tenants.filter(session_id=session.pk).exists()
    assert AuditEvent.objects.filter(
        object_id=str(session.pk), changes__registrations=[4, 0]
    ).exists()


def test_lesson_with_progress_is_refused_not_deleted(client, world: World):
    course = world.training_course
    started = course.lessons.get()
    login(client, world.users["association_admin"])
    url = reverse("training:lesson_delete", args=[started.pk])
    assert client.post(url, {}).status_code == 200  # asked, not done
    response = client.post(url, {"confirmed": "1"}, follow=True)
    assert "不能删除" in response.content.decode()
    assert Lesson.objects.filter(pk=started.pk).exists()
    assert LessonProgress.all_tenants.filter(lesson=started).count() == 4
    assert client.delete(f"{API}/lessons/{started.pk}").status_code == 422
    # A lesson nobody started goes, with its questions; the later ones move up.
    spare = Lesson.objects.create(course=course, position=2, title="备用", kind="document")
    last = Lesson.objects.create(course=course, position=3, title="末节", kind="document")
    Question.objects.create(lesson=spare, text="题", options=["a", "b"], answer=[0])
    assert client.post(reverse("training:lesson_delete", args=[spare.pk]), {"confirmed": "1"})[
        "Location"
    ] == reverse("training:course_detail", args=[course.pk])
    assert not Lesson.objects.filter(pk=spare.pk).exists()
    assert Lesson.objects.get(pk=last.pk).position == 2
    assert client.delete(f"{API}/lessons/{last.pk}").status_code == 204
    # Edited: the progress stays.
    edit = reverse("training:lesson_edit", args=[started.pk])
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {"title": "测温、登记与劝返", "kind": "document", "body": "逐人", "duration_minutes": "8"},
    )
    assert response.status_code == 302
    assert Lesson.objects.get(pk=started.pk).title == "测温、登记与劝返"
    assert LessonProgress.all_tenants.filter(lesson=started).count() == 4


def test_questions_edited_and_deleted(client, world: World):
    lesson = world.training_course.lessons.get()
    question = lesson.questions.order_by("id").first()
    login(client, world.users["association_admin"])
    edit = reverse("training:question_edit", args=[question.pk])
    assert "37.3" in client.get(edit).content.decode()
    response = client.post(
        edit,
        {"kind": "single", "text": "复测体温线？", "options": "37.3℃\n36℃\n38℃", "answer": "3"},
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.text, question.options, question.answer) == (
        "复测体温线？",
        ["37.3℃", "36℃", "38℃"],
        [2],
    )
    bad = client.post(edit, {"kind": "single", "text": "x", "options": "a\nb", "answer": "1,2"})
    assert bad.status_code == 200 and "answer" in bad.context["form"].errors
    url = f"{API}/questions/{question.pk}"
    out = client.put(
        url,
        {"kind": "multiple", "text": "多选", "options": ["a", "b", "c"], "answer": [0, 2]},
        JSON,
    )
    assert out.status_code == 200 and out.json()["answer"] == [0, 2]
    wrong = client.put(
        url, {"kind": "single", "text": "t", "options": ["a", "b"], "answer": [5]}, JSON
    )
    assert wrong.status_code == 422 and "answer" in str(wrong.json())
    delete = reverse("training:question_delete", args=[question.pk])
    assert client.post(delete, {}).status_code == 200
    assert client.post(delete, {"confirmed": "1"}).status_code == 302
    assert not Question.objects.filter(pk=question.pk).exists()
    other = lesson.questions.get()
    assert client.delete(f"{API}/questions/{other.pk}").status_code == 204


def test_session_api_schedules_changes_and_cancels(client, world: World):
    course, session = world.training_course, world.training_session
    login(client, world.users["association_admin"])
    listed = client.get(f"{API}/courses/{course.pk}/sessions").json()
    assert [(s["id"], s["registered"]) for s in listed["items"]] == [(session.pk, 4)]
    start = timezone.localtime() + timedelta(days=3)
    body = {
        "title": "线上答疑",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "capacity": 50,
        "meeting_link": "https://meeting.example.org/j/9",
    }
    created = client.post(f"{API}/courses/{course.pk}/sessions", body, JSON)
    assert created.status_code == 201 and created.json()["registered"] == 0
    bad = client.post(
        f"{API}/courses/{course.pk}/sessions", {**body, "meeting_link": "", "place": ""}, JSON
    )
    assert bad.status_code == 422 and "meeting_link" in str(bad.json())
    bad = client.post(
        f"{API}/courses/{course.pk}/sessions", {**body, "ends_at": body["starts_at"]}, JSON
    )
    assert bad.status_code == 422 and "ends_at" in str(bad.json())
    bad = client.post(
        f"{API}/courses/{course.pk}/sessions", {**body, "meeting_link": "not a url"}, JSON
    )
    assert bad.status_code == 422 and "meeting_link" in str(bad.json())
    ancient = {**body, "starts_at": "0001-01-01T00:00:00", "ends_at": "0001-01-02T00:00:00"}
    bad = client.post(f"{API}/courses/{course.pk}/sessions", ancient, JSON)
    assert bad.status_code == 422 and "starts_at" in str(bad.json())
    url = f"{API}/live-sessions/{session.pk}"
    keep = {
        "title": session.title,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "meeting_link": session.meeting_link,
    }
    assert client.put(url, {**keep, "capacity": 2}, JSON).status_code == 422
    changed = client.put(url, {**keep, "capacity": 6, "title": "改期答疑"}, JSON)
    assert changed.status_code == 200 and changed.json()["title"] == "改期答疑"
    assert client.delete(url).status_code == 204
    assert not LiveSession.objects.filter(pk=session.pk).exists()
    assert client.delete(url).status_code == 404

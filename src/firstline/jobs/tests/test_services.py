"""The job fair's services: a slot holds one interview (of two bookings the second is
refused with a clear error), the daily limit of applications, CV checks, the
application's moves and the figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from firstline.jobs.models import Application, Interview, Position
from firstline.jobs.selectors.figures import fair_figures
from firstline.jobs.selectors.search import search
from firstline.jobs.services import applications, fairs
from firstline.jobs.services.applications import APPLICATIONS_PER_DAY, SLOT_TAKEN
from firstline.jobs.services.files import MAX_BYTES, cv_kind
from firstline.jobs.tests.furnish import PDF, furnish, make_graduate
from firstline.testing.world import World

pytestmark = pytest.mark.django_db

# A minimal .docx: a zip whose first part is Word's (filetype reads the part names).
DOCX_PARTS = ("[Content_Types].xml", "word/document.xml")


def docx_bytes() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in DOCX_PARTS:
            z.writestr(name, "<x/>")
    return out.getvalue()


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def test_a_slot_holds_one_interview_the_second_booking_is_refused(world):
    a = world.a
    other = make_graduate(world, "grad_other", 9)
    rival = Application.all_tenants.create(
        company=a.company, fair=world.fair, position=a.job_position, graduate=other
    )
    slot = a.job_slots[0]
    applications.application_invite(actor=None, application=a.job_application, slot=slot)
    with pytest.raises(ValidationError) as refused:
        applications.application_invite(actor=None, application=rival, slot=slot)
    assert refused.value.message_dict == {"slot": [str(SLOT_TAKEN)]}
    assert Application.all_tenants.get(pk=rival.pk).state == "submitted"  # nothing changed
    # invited without a slot, the rival picks: the taken slot is refused, the free one not
    applications.application_invite(actor=None, application=rival)
    assert list(applications.free_slots(rival)) == [a.job_slots[1]]
    with pytest.raises(ValidationError):
        applications.interview_pick(actor=None, application=rival, slot=slot)
    applications.interview_pick(actor=None, application=rival, slot=a.job_slots[1])
    assert sorted(Interview.all_tenants.values_list("application_id", "slot_id")) == sorted(
        [(a.job_application.pk, slot.pk), (rival.pk, a.job_slots[1].pk)]
    )
    # another position's slot, or a past one, is refused
    with pytest.raises(ValidationError):
        applications.interview_pick(actor=None, application=rival, slot=world.b.job_slots[0])


def test_the_daily_limit_of_applications(world):
    graduate = world.a.job_graduate  # applied once today already
    positions = [
        fairs.position_save(
            actor=None,
            employer=world.b.job_employer,
            data={
                "title": f"岗位{n}",
                "city": "武汉",
                "salary_min": 3000,
                "salary_max": 4000,
                "headcount": 1,
            },
        )
        for n in range(APPLICATIONS_PER_DAY)
    ]
    for position in positions[: APPLICATIONS_PER_DAY - 1]:
        applications.application_submit(actor=None, graduate=graduate, position=position)
    with pytest.raises(ValidationError) as refused:
        applications.application_submit(actor=None, graduate=graduate, position=positions[-1])
    assert "每天最多申请 10 个职位" in refused.value.message_dict["position"][0]
    assert Application.all_tenants.filter(graduate=graduate).count() == APPLICATIONS_PER_DAY
    # yesterday's do not count: move them to a moment inside yesterday
    yesterday = applications.today_start() - timedelta(hours=1)
    Application.all_tenants.filter(graduate=graduate).update(created_at=yesterday)
    applications.application_submit(actor=None, graduate=graduate, position=positions[-1])


def test_cv_type_is_read_from_bytes_and_size_is_limited():
    assert cv_kind(SimpleUploadedFile("a.pdf", PDF)) == "application/pdf"
    assert cv_kind(SimpleUploadedFile("a.docx", docx_bytes())).endswith("document")
    for upload in (
        SimpleUploadedFile("a.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100),  # an image named .pdf
        SimpleUploadedFile("a.pdf", b""),
        SimpleUploadedFile("a.pdf", b"MZ" + b"0" * 100),
    ):
        with pytest.raises(ValidationError):
            cv_kind(upload)
    big = SimpleUploadedFile("a.pdf", PDF)
    big.size = MAX_BYTES + 1
    with pytest.raises(ValidationError) as refused:
        cv_kind(big)
    assert refused.value.message_dict == {"cv": ["简历不能超过 5 MB。"]}


def test_an_application_moves_to_an_offer_and_the_figures_follow(world):
    a = world.a
    application = a.job_application
    applications.application_invite(actor=None, application=application, slot=a.job_slots[0])
    with pytest.raises(ValidationError) as bad:
        applications.application_move(actor=None, application=application, state="offer")
    assert "offer_salary" in bad.value.message_dict
    applications.application_move(actor=None, application=application, state="interviewed")
    applications.application_move(
        actor=None, application=application, state="offer", offer_salary=5500, note="欢迎加入"
    )
    row = Application.all_tenants.get(pk=application.pk)
    assert (row.state, row.offer_salary, row.offer_note) == ("offer", 5500, "欢迎加入")
    with pytest.raises(ValidationError):
        applications.application_withdraw(actor=None, application=application)
    figures = fair_figures(world.fair)
    assert (figures["applications"], figures["interviews"], figures["offers"]) == (2, 1, 1)


def test_positions_need_a_verified_booth_and_search_in_chinese(world):
    employer = world.a.job_employer
    type(employer).all_tenants.filter(pk=employer.pk).update(state="pending")
    employer.state = "pending"
    with pytest.raises(ValidationError):
        fairs.position_save(
            actor=None,
            employer=employer,
            data={
                "title": "保洁主管",
                "city": "武汉",
                "salary_min": 1,
                "salary_max": 2,
                "headcount": 1,
            },
        )
    employer.state = "verified"
    type(employer).all_tenants.filter(pk=employer.pk).update(state="verified")
    with pytest.raises(ValidationError) as bad:
        fairs.position_save(
            actor=None,
            employer=employer,
            data={
                "title": "保洁主管",
                "city": "武汉",
                "salary_min": 9,
                "salary_max": 2,
                "headcount": 1,
            },
        )
    assert list(bad.value.message_dict) == ["salary_max"]
    fairs.position_save(
        actor=None,
        employer=employer,
        data={
            "title": "保洁主管",
            "city": "武汉",
            "salary_min": 3000,
            "salary_max": 4500,
            "headcount": 2,
            "requirements": "熟悉消毒作业规范",
        },
    )
    found = search(Position.all_tenants.all(), "消毒")
    assert [p.title for p in found] == ["保洁主管"]
    ranked = search(Position.all_tenants.all(), "保洁 武汉")
    assert [p.title for p in ranked] == ["保洁主管"]
    assert list(search(Position.all_tenants.all(), "飞行员")) == []


def test_interview_slots_are_checked(world):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError) as bad:
        applications.slot_create(
            actor=None,
            position=world.a.job_position,
            starts_at=start,
            ends_at=start - timedelta(minutes=5),
            meeting_link="ftp://x",
        )
    assert set(bad.value.message_dict) == {"ends_at", "meeting_link"}

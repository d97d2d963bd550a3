"""The test world furnished for the job fair: the association's published fair; each
company (world.a, world.b) a verified booth there with one open position and two
future interview slots; a graduate per company corner (`users["graduate"]`, with a
PDF CV and consent) who applied to that company's position and is invited to an interview
(`job_application`, its slot not yet picked). world.a.sibling and world.b.sibling hold the same objects as their
first corner (the fair is company-level). Rows are made directly, so a test sees
exactly what it made; the services are tested on their own."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from firstline.core.personal.fields import set_personal
from firstline.core.roles import Role
from firstline.jobs.models import Application, Employer, Fair, Graduate, InterviewSlot, Position
from firstline.jobs.services.fairs import position_words
from firstline.testing.world import World, make_id_number, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_graduate(world: World, username: str, n: int, *, consent: bool = True) -> Graduate:
    user = make_user(username, Role.GRADUATE, association=world.association)
    graduate = Graduate(
        association=world.association,
        user=user,
        name=f"毕业生{n}",
        school="武汉大学",
        major="物业管理",
        graduation_year=timezone.localdate().year,
        consent=consent,
        consent_at=timezone.now() if consent else None,
    )
    set_personal(graduate, "phone", f"1350000{n:04d}")
    set_personal(graduate, "id_number", make_id_number(700 + n, birth="19990101"))
    graduate.cv.save("cv.pdf", ContentFile(PDF), save=False)
    graduate.cv_name, graduate.cv_type = f"简历{n}.pdf", "application/pdf"
    graduate.save()
    return graduate


def furnish(world: World) -> World:
    today = timezone.localdate()
    fair = Fair.all_tenants.create(
        association=world.association,
        title="2020年物业行业毕业生网络招聘会",
        starts_on=date(today.year, 1, 1),
        ends_on=today + timedelta(days=30),
        description="线上招聘，线上面试",
        published=True,
    )
    world.fair = fair
    for n, tenant in enumerate((world.a, world.b), start=1):
        employer = Employer(
            company=tenant.company,
            fair=fair,
            state=Employer.State.VERIFIED,
            booth_name=f"{tenant.company.name}展位",
            contact_name="人事部张经理",
            booth_staff=3,
        )
        set_personal(employer, "phone", f"1360000{n:04d}")
        employer.save()
        position = Position.all_tenants.create(
            company=tenant.company,
            fair=fair,
            employer=employer,
            title="物业管理员",
            city="武汉",
            salary_min=4000,
            salary_max=6000,
            requirements="物业管理相关专业，有责任心",
            headcount=5,
            search_words=position_words("物业管理员", "武汉", "物业管理相关专业，有责任心"),
        )
        start = timezone.now() + timedelta(days=2)
        slots = [
            InterviewSlot.all_tenants.create(
                company=tenant.company,
                position=position,
                starts_at=start + timedelta(hours=h),
                ends_at=start + timedelta(hours=h, minutes=30),
                meeting_link="https://meeting.example.com/room-1",
            )
            for h in (0, 1)
        ]
        graduate = make_graduate(world, f"{'ab'[n - 1]}_graduate", n)
        application = Application.all_tenants.create(
            company=tenant.company,
            fair=fair,
            position=position,
            graduate=graduate,
            state=Application.State.INVITED,
        )
        tenant.users["graduate"] = graduate.user
        for corner in tenant.corners:
            corner.job_employer = employer
            corner.job_position = position
            corner.job_slots = slots
            corner.job_graduate = graduate
            corner.job_application = application
    return world

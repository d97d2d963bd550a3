"""The consultation services and selectors: confidentiality (who reads which
consultation), the thread's status moves, service levels and the SLA tick with moved
time, files by their bytes, closing with a rating, conflicts."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from firstline.consultations.models import Assignment, Consultation, Expert, Message
from firstline.consultations.selectors import threads
from firstline.consultations.services import pool, sla
from firstline.consultations.services import threads as services
from firstline.consultations.services.files import file_kind
from firstline.consultations.tests.furnish import PDF, furnish, make_consultation
from firstline.orgs.selectors import scope_for_user
from firstline.testing.world import World

pytestmark = pytest.mark.django_db
Status = Consultation.Status


@pytest.fixture
def world(world: World) -> World:
    return furnish(world)


def visible(user) -> set[int]:
    return set(
        threads.consultations_visible(scope_for_user(user), user).values_list("pk", flat=True)
    )


def test_confidential_each_reader_sees_only_its_own(world: World):
    a, b = world.a.consultation.pk, world.b.consultation.pk
    assert visible(world.a.users["company_admin"]) == {a}
    assert visible(world.b.users["company_admin"]) == {b}
    assert visible(world.a.users["expert"]) == {a}  # assigned to a's only
    assert visible(world.b.users["expert"]) == {b}
    assert visible(world.users["expert_free"]) == set()  # in the pool, assigned nothing
    assert visible(world.users["association_admin"]) == {a, b}  # the desk
    for role in ("site_manager", "guard", "resident", "health_officer"):
        assert visible(world.a.users[role]) == set(), role
    assert visible(world.users["authority_viewer"]) == set()
    # Assigning the free expert opens a's consultation to it, and nothing else.
    free = Expert.all_tenants.get(user=world.users["expert_free"])
    services.consultation_assign(
        actor=world.users["association_admin"],
        consultation=world.a.consultation,
        experts=[free],
    )
    assert visible(world.users["expert_free"]) == {a}
    # Files follow the consultation.
    scope = scope_for_user(world.users["expert_free"])
    assert threads.attachment_visible(scope, world.users["expert_free"], world.a.attachment.pk)
    assert not threads.attachment_visible(scope, world.users["expert_free"], world.b.attachment.pk)


def test_the_thread_moves_the_status(world: World):
    admin = world.a.users["company_admin"]
    desk = world.users["association_admin"]
    asked = timezone.now()
    c = services.consultation_ask(
        actor=admin,
        company=world.a.company,
        category=world.a.category,
        region=None,
        title="员工隔离期间工资",
        description="员工在外地隔离，工资如何发放？",
        urgency=Consultation.Urgency.URGENT,
        files=[SimpleUploadedFile("证明.pdf", PDF, content_type="text/plain")],
        now=asked,
    )
    assert c.status == Status.NEW and c.region_id == world.a.company.division_id
    # Urgent: half the category's service levels (rent: 24 h and 120 h).
    assert c.first_reply_due == asked + timedelta(hours=12)
    assert c.resolution_due == asked + timedelta(hours=60)
    assert c.attachments.get().content_type == "application/pdf"  # read from the bytes
    with pytest.raises(ValidationError):
        services.message_post(actor=desk, consultation=c, side=Message.Side.DESK, body="先答")
    services.consultation_assign(actor=desk, consultation=c, experts=[world.a.expert])
    c.refresh_from_db()
    assert c.status == Status.ASSIGNED
    with pytest.raises(ValidationError):
        services.consultation_close(actor=admin, consultation=c, rating=5)  # not answered yet
    services.message_post(
        actor=world.a.expert.user, consultation=c, side=Message.Side.EXPERT, body="按正常出勤发放。"
    )
    c.refresh_from_db()
    assert c.status == Status.ANSWERED and c.first_replied_at is not None
    first = c.first_replied_at
    services.message_post(actor=admin, consultation=c, side=Message.Side.COMPANY, body="社保呢？")
    c.refresh_from_db()
    assert c.status == Status.AWAITING
    services.message_post(
        actor=world.a.expert.user, consultation=c, side=Message.Side.EXPERT, body="照常缴纳。"
    )
    c.refresh_from_db()
    assert c.status == Status.ANSWERED and c.first_replied_at == first
    for bad in (0, 6, "5", None):
        with pytest.raises(ValidationError):
            services.consultation_close(actor=admin, consultation=c, rating=bad)
    services.consultation_close(actor=admin, consultation=c, rating=5, comment="很及时")
    c.refresh_from_db()
    assert (c.status, c.rating, c.rating_comment) == (Status.CLOSED, 5, "很及时")
    assert c.closed_at and c.resolved_at
    with pytest.raises(ValidationError):
        services.message_post(actor=admin, consultation=c, side=Message.Side.COMPANY, body="再问")
    assert Message.all_tenants.filter(consultation=c).count() == 3


def test_conflict_refuses_the_assignment(world: World):
    desk = world.users["association_admin"]
    pool.conflict_record(
        actor=desk, expert=world.b.expert, company=world.a.company, reason="曾代理该企业诉讼"
    )
    with pytest.raises(ValidationError) as caught:
        services.consultation_assign(
            actor=desk, consultation=world.a.consultation, experts=[world.b.expert]
        )
    assert "利益冲突" in str(caught.value)
    with pytest.raises(ValidationError):
        pool.conflict_record(actor=desk, expert=world.b.expert, company=world.a.company, reason="x")
    rows = threads.experts_for(world.a.consultation, scope_for_user(desk))
    assert world.b.expert.pk not in {e.pk for e in rows}
    # The lightest load that fits the category comes first.
    assert rows[0].fits


def test_sla_tick_flags_overdue_when_time_passes(world: World):
    world.users["association_admin"].email = "desk@example.com"
    world.users["association_admin"].save(update_fields=["email"])
    world.b.expert.user.email = "b.expert@example.com"
    world.b.expert.user.save(update_fields=["email"])
    asked = timezone.now()
    c = services.consultation_ask(
        actor=world.b.users["company_admin"],
        company=world.b.company,
        category=world.b.category,
        region=None,
        title="物业费催缴",
        description="疫情期间业主拒交物业费。",
        now=asked,
    )
    services.consultation_assign(
        actor=world.users["association_admin"], consultation=c, experts=[world.b.expert]
    )
    # Before the due time: nothing.
    result = sla.sla_flag(asked + timedelta(hours=23, minutes=59))
    assert result["first_reply_overdue"] == 0
    c.refresh_from_db()
    assert not c.first_reply_overdue
    # The scheduler passes the due time (24 h): the flag rises, desk and expert told.
    result = sla.sla_flag(asked + timedelta(hours=24, minutes=5))
    assert result["first_reply_overdue"] == 1 and result["mails"] == 2
    c.refresh_from_db()
    assert c.first_reply_overdue and not c.resolution_overdue
    assert sorted(m.to[0] for m in mail.outbox) == ["b.expert@example.com", "desk@example.com"]
    assert "ZX" in mail.outbox[0].body
    # Once: the next tick raises and tells nothing again.
    assert sla.sla_flag(asked + timedelta(hours=25))["first_reply_overdue"] == 0
    assert len(mail.outbox) == 2
    # An answered consultation past its resolution time is flagged too.
    services.message_post(
        actor=world.b.expert.user, consultation=c, side=Message.Side.EXPERT, body="可催缴。"
    )
    # (the world's two answered consultations, due 120 h from now, are unresolved too)
    assert sla.sla_flag(asked + timedelta(hours=121))["resolution_overdue"] == 3
    c.refresh_from_db()
    assert c.resolution_overdue
    # A reply before the due time never flags.
    on_time = make_consultation(world.a, world.a.category, title="按时", status=Status.ASSIGNED)
    Consultation.all_tenants.filter(pk=on_time.pk).update(first_replied_at=timezone.now())
    sla.sla_flag(timezone.now() + timedelta(days=2))
    on_time.refresh_from_db()
    assert not on_time.first_reply_overdue


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def test_files_are_typed_by_their_bytes():
    assert file_kind(SimpleUploadedFile("a.pdf", PDF)) == "application/pdf"
    assert file_kind(SimpleUploadedFile("a.bin", _docx())).endswith("wordprocessingml.document")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert file_kind(SimpleUploadedFile("a.txt", png)) == "image/png"
    for name, data in (
        ("evil.pdf", b"MZ\x90\x00" + b"\x00" * 64),  # an executable named .pdf
        ("a.pdf", b"just text"),
        ("empty.pdf", b""),
    ):
        with pytest.raises(ValidationError):
            file_kind(SimpleUploadedFile(name, data))
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError):
        file_kind(big)


def test_a_bad_file_stores_nothing(world: World):
    before = Consultation.all_tenants.count()
    with pytest.raises(ValidationError):
        services.consultation_ask(
            actor=world.a.users["company_admin"],
            company=world.a.company,
            category=world.a.category,
            region=None,
            title="附件",
            description="附件不对",
            files=[SimpleUploadedFile("x.pdf", b"MZ" + b"\x00" * 64)],
        )
    assert Consultation.all_tenants.count() == before
    assert Assignment.all_tenants.count() == 2


def test_an_expert_at_its_cap_is_refused(world: World):
    desk = world.users["association_admin"]
    Expert.all_tenants.filter(pk=world.b.expert.pk).update(max_open=1)  # b's one open already
    world.b.expert.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.consultation_assign(
            actor=desk, consultation=world.a.consultation, experts=[world.b.expert]
        )
    assert "上限" in str(caught.value)
    # Once b's consultation is closed the expert takes new ones.
    Consultation.all_tenants.filter(pk=world.b.consultation.pk).update(status=Status.CLOSED)
    made = services.consultation_assign(
        actor=desk, consultation=world.a.consultation, experts=[world.b.expert]
    )
    assert [a.expert_id for a in made] == [world.b.expert.pk]

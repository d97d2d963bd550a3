"""Who may send to whom, what a notice may hold, and the states it goes through."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from firstline.core.models import AuditEvent
from firstline.notices.models import Notice, NoticeInbox, NoticeSite
from firstline.notices.services.content import body_clean
from firstline.notices.services.notices import (
    notice_create,
    notice_publish,
    notice_update,
    notice_withdraw,
)
from firstline.notices.tests.rows import pdf, scope_of, site_notice
from firstline.orgs.models import Membership

pytestmark = pytest.mark.django_db


def create(user, **fields):
    values = {"title": "通知", "body": "正文", "to_residents": True, **fields}
    return notice_create(actor=user, scope=scope_of(user), **values)


def field_of(exc: pytest.ExceptionInfo) -> set[str]:
    return set(exc.value.message_dict)


def reached(notice) -> set[int]:
    return set(NoticeSite.all_tenants.filter(notice=notice).values_list("site_id", flat=True))


# --- who may send to whom ----------------------------------------------------------------


def test_site_manager_sends_to_its_own_site_only(world):
    manager = world.a.users["site_manager"]
    notice = create(manager, target_kind="site", target_site=world.a.site.pk)
    assert (notice.sender_kind, notice.company_id, notice.site_id) == (
        "site",
        world.a.company.pk,
        world.a.site.pk,
    )
    for fields, field in [
        ({"target_kind": "site", "target_site": world.a.sibling.site.pk}, "target_site"),
        ({"target_kind": "site", "target_site": world.b.site.pk}, "target_site"),
        ({"target_kind": "company", "target_company": world.a.company.pk}, "target_company"),
        ({"target_kind": "division", "target_division": "420103"}, "target_division"),
    ]:
        with pytest.raises(ValidationError) as exc:
            create(manager, **fields)
        assert field_of(exc) == {field}


def test_company_admin_sends_to_its_company_or_its_sites(world):
    admin = world.a.users["company_admin"]
    whole = create(admin, target_kind="company", target_company=world.a.company.pk)
    one = create(admin, target_kind="site", target_site=world.a.sibling.site.pk)
    assert reached(notice_publish(actor=admin, notice=whole)) == {
        world.a.site.pk,
        world.a.sibling.site.pk,
    }
    assert reached(notice_publish(actor=admin, notice=one)) == {world.a.sibling.site.pk}
    for fields, field in [
        ({"target_kind": "company", "target_company": world.b.company.pk}, "target_company"),
        ({"target_kind": "site", "target_site": world.b.site.pk}, "target_site"),
        ({"target_kind": "division", "target_division": "4201"}, "target_division"),
    ]:
        with pytest.raises(ValidationError) as exc:
            create(admin, **fields)
        assert field_of(exc) == {field}


def test_authority_reaches_its_divisions_sites_across_companies(world):
    authority = world.users["authority_viewer"]  # 江汉区: world.a.site only
    notice = create(authority, target_kind="division", target_division="420103")
    assert (notice.sender_kind, notice.company_id, notice.division_code) == (
        "authority",
        None,
        "420103",
    )
    assert reached(notice_publish(actor=authority, notice=notice)) == {world.a.site.pk}
    street = create(authority, target_kind="division", target_division="420103001")
    assert reached(notice_publish(actor=authority, notice=street)) == {world.a.site.pk}
    site = create(authority, target_kind="site", target_site=world.a.site.pk)
    assert reached(notice_publish(actor=authority, notice=site)) == {world.a.site.pk}
    for fields, field in [
        ({"target_kind": "division", "target_division": "420106"}, "target_division"),
        ({"target_kind": "division", "target_division": "4201"}, "target_division"),
        ({"target_kind": "site", "target_site": world.b.site.pk}, "target_site"),
        ({"target_kind": "company", "target_company": world.a.company.pk}, "target_company"),
    ]:
        with pytest.raises(ValidationError) as exc:
            create(authority, **fields)
        assert field_of(exc) == {field}


def test_association_reaches_member_companies_only(world):
    admin = world.users["association_admin"]
    city = create(admin, target_kind="division", target_division="4201", to_staff=True)
    assert reached(notice_publish(actor=admin, notice=city)) == {
        t.site.pk for t in (*world.a.corners, *world.b.corners)
    }
    company = create(admin, target_kind="company", target_company=world.b.company.pk)
    assert reached(notice_publish(actor=admin, notice=company)) == {
        world.b.site.pk,
        world.b.sibling.site.pk,
    }
    Membership.objects.filter(company=world.b.company).update(status=Membership.Status.LAPSED)
    with pytest.raises(ValidationError) as exc:
        create(admin, target_kind="company", target_company=world.b.company.pk)
    assert field_of(exc) == {"target_company"}
    with pytest.raises(ValidationError) as exc:
        create(admin, target_kind="site", target_site=world.b.site.pk)
    assert field_of(exc) == {"target_site"}
    # A city-wide notice written before the lapse reaches only members when published.
    later = create(admin, target_kind="division", target_division="4201")
    assert reached(notice_publish(actor=admin, notice=later)) == {
        world.a.site.pk,
        world.a.sibling.site.pk,
    }


def test_sender_must_be_one_of_the_users_publishing_grants(world):
    manager = world.a.users["site_manager"]
    with pytest.raises(ValidationError) as exc:
        create(
            manager,
            sender=f"site:{world.b.site.pk}",
            target_kind="site",
            target_site=world.b.site.pk,
        )
    assert field_of(exc) == {"sender"}
    guard = world.a.users["guard"]
    with pytest.raises(ValidationError) as exc:
        create(guard, target_kind="site", target_site=world.a.site.pk)
    assert field_of(exc) == {"sender"}


# --- what a notice holds ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "长" * 121}, "title"),
        ({"body": "<script>alert(1)</script>"}, "body"),
        ({"body": "   "}, "body"),
        ({"to_residents": False, "to_staff": False}, "to_residents"),
        ({"also_sms": True}, "also_sms"),
        ({"urgency": "panic"}, "urgency"),
        ({"target_kind": "galaxy"}, "target_kind"),
        ({"target_site": None}, "target_site"),
        ({"target_site": "abc"}, "target_site"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(world, fields, field):
    manager = world.a.users["site_manager"]
    before = Notice.all_tenants.count()
    with pytest.raises(ValidationError) as exc:
        create(manager, **{"target_kind": "site", "target_site": world.a.site.pk, **fields})
    assert field_of(exc) == {field}
    assert Notice.all_tenants.count() == before


def test_expiry_must_follow_publication(world):
    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        site_notice(world.a, publish=False, publish_at=now + timedelta(days=2), expires_at=now)
    assert field_of(exc) == {"expires_at"}


def test_body_is_sanitised():
    dirty = (
        '<p onclick="steal()" style="color:red">你好<script>alert(1)</script></p>'
        '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">链接</a>'
        '<a href="https://example.org/x" onmouseover="x()">指南</a><style>p{}</style>'
        "<iframe src=//evil></iframe><h3>标题</h3><ul><li>一</li></ul>"
    )
    clean = body_clean(dirty)
    for bad in (
        "script",
        "onclick",
        "onerror",
        "onmouseover",
        "style",
        "javascript:",
        "img",
        "iframe",
        "alert",
    ):
        assert bad not in clean, (bad, clean)
    assert '<a href="https://example.org/x" rel="noopener noreferrer">指南</a>' in clean
    assert "<h3>标题</h3><ul><li>一</li></ul>" in clean
    # Plain text: blank lines make paragraphs, line breaks stay.
    assert (
        body_clean("第一段\n第二行\n\n第二段 a&b") == "<p>第一段<br>第二行</p><p>第二段 a&amp;b</p>"
    )


def test_stored_body_is_the_clean_one(world):
    notice = site_notice(world.a, publish=False, body='<p onclick="x()">好<script>x()</script></p>')
    assert notice.body == "<p>好</p>"


def test_attachments_by_their_bytes_and_size(world):
    notice = site_notice(world.a, publish=False, attachments=[pdf("办法.pdf")])
    assert [a.name for a in notice.attachments.all()] == ["办法.pdf"]
    fake = SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        site_notice(world.a, publish=False, attachments=[fake])
    assert field_of(exc) == {"attachment"}
    big = SimpleUploadedFile(
        "大.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), content_type="application/pdf"
    )
    with pytest.raises(ValidationError) as exc:
        site_notice(world.a, publish=False, attachments=[big])
    assert field_of(exc) == {"attachment"}


def test_office_files_are_recognised(world):
    import io
    import zipfile

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    sheet = SimpleUploadedFile("名单.xlsx", data.getvalue())
    notice = site_notice(world.a, publish=False, attachments=[sheet])
    [file] = notice.attachments.all()
    assert file.content_type.endswith("spreadsheetml.sheet")
    renamed = SimpleUploadedFile("名单.docx", data.getvalue())  # not a Word file inside
    with pytest.raises(ValidationError):
        site_notice(world.a, publish=False, attachments=[renamed])


# --- states ----------------------------------------------------------------------------------


def visible_to_resident(tenant) -> list[int]:
    scope = scope_of(tenant.users["resident"]).for_perm("notices.read_notice")
    from firstline.notices.selectors.inbox import inbox

    return [n.pk for n in inbox(scope, user_id=tenant.users["resident"].pk)]


def test_states_draft_published_scheduled_expired_withdrawn(world):
    manager = world.a.users["site_manager"]
    draft = site_notice(world.a, publish=False, title="草稿")
    assert visible_to_resident(world.a) == []
    published = notice_publish(actor=manager, notice=draft)
    assert published.status() == "current"
    assert visible_to_resident(world.a) == [published.pk]
    with pytest.raises(ValidationError):
        notice_publish(actor=manager, notice=published)
    with pytest.raises(ValidationError):
        notice_update(
            actor=manager,
            notice=published,
            target_kind="site",
            target_site=world.a.site.pk,
            title="改",
            body="改",
        )
    later = site_notice(world.a, title="明天", publish_at=timezone.now() + timedelta(days=1))
    assert later.status() == "scheduled"
    assert visible_to_resident(world.a) == [published.pk]
    short = site_notice(world.a, title="一小时", expires_at=timezone.now() + timedelta(hours=1))
    assert short.pk in visible_to_resident(world.a)
    Notice.all_tenants.filter(pk=short.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    short.refresh_from_db()
    assert short.status() == "expired"
    assert short.pk not in visible_to_resident(world.a)
    notice_withdraw(actor=manager, notice=published)
    assert visible_to_resident(world.a) == []
    with pytest.raises(ValidationError):
        notice_withdraw(actor=manager, notice=published)
    actions = list(
        AuditEvent.objects.filter(object_type="notices.notice", object_id=str(published.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["notices.notice_create", "notices.notice_publish", "notices.notice_withdraw"]


def test_urgent_first_then_newest(world):
    old_urgent = site_notice(world.a, title="紧急", urgency="urgent")
    first = site_notice(world.a, title="一")
    second = site_notice(world.a, title="二")
    assert visible_to_resident(world.a) == [old_urgent.pk, second.pk, first.pk]


def test_residents_and_staff_see_what_is_meant_for_them(world):
    to_staff = site_notice(world.a, title="员工", to_residents=False, to_staff=True)
    to_residents = site_notice(world.a, title="居民", to_residents=True, to_staff=False)
    assert visible_to_resident(world.a) == [to_residents.pk]
    guard = world.a.users["guard"]
    scope = scope_of(guard).for_perm("notices.read_notice")
    assert list(NoticeInbox.objects.for_scope(scope).values_list("pk", flat=True)) == [to_staff.pk]
    # The company's admin is staff of every site: the staff notice reaches it too.
    admin_scope = scope_of(world.a.users["company_admin"]).for_perm("notices.read_notice")
    assert set(NoticeInbox.objects.for_scope(admin_scope).values_list("pk", flat=True)) == {
        to_staff.pk
    }
    # b's residents see neither.
    assert visible_to_resident(world.b) == []

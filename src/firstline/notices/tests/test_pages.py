"""The sender's pages: the form (with a file) as each kind of sender, the export,
the association's and the authority's notices out of the companies' sender lists
but in their residents' phone pages."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from firstline.core.models import AuditEvent
from firstline.notices.models import Notice, NoticeAttachment
from firstline.notices.services.notices import notice_create, notice_publish
from firstline.notices.tests.rows import pdf, scope_of, site_notice
from firstline.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_site_manager_drafts_with_a_file_on_the_form(client, world):
    login(client, world.a.users["site_manager"])
    form = client.get(reverse("notices:notice_create"))
    assert form.status_code == 200
    assert [v for v, _l in form.context["form"].fields["target_site"].choices] == [
        "",
        world.a.site.pk,
    ]
    response = client.post(
        reverse("notices:notice_create"),
        {
            "sender": f"site:{world.a.site.pk}",
            "title": "电梯维保",
            "body": "<p>3 号电梯维保<script>x()</script></p>",
            "target_kind": "site",
            "target_site": str(world.a.site.pk),
            "to_residents": "on",
            "urgency": "normal",
            "attachment": pdf("维保单.pdf"),
        },
    )
    notice = Notice.all_tenants.get(title="电梯维保")
    assert response.status_code == 302 and response["Location"] == notice.get_absolute_url()
    assert notice.body == "<p>3 号电梯维保</p>"
    [file] = NoticeAttachment.all_tenants.filter(notice=notice)
    assert file.name == "维保单.pdf"
    assert not file.file.name.endswith("维保单.pdf")  # stored under our own name
    download = client.get(reverse("notices:attachment", args=[file.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    # To the company's other site: refused on the field, nothing written.
    response = client.post(
        reverse("notices:notice_create"),
        {
            "title": "越权",
            "body": "正文",
            "target_kind": "site",
            "target_site": str(world.a.sibling.site.pk),
            "to_residents": "on",
            "urgency": "normal",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["target_site"]
    assert not Notice.all_tenants.filter(title="越权").exists()


def test_the_association_and_the_authority_use_the_form(client, world):
    for user, fields in [
        (world.users["association_admin"], {"target_kind": "division", "target_division": "4201"}),
        (world.users["authority_viewer"], {"target_kind": "division", "target_division": "420103"}),
    ]:
        client.logout()
        login(client, user)
        form = client.get(reverse("notices:notice_create"))
        assert form.status_code == 200
        response = client.post(
            reverse("notices:notice_create"),
            {
                "title": f"{user.username}的通知",
                "body": "正文",
                "to_residents": "on",
                "urgency": "normal",
                **fields,
            },
        )
        assert response.status_code == 302, response.context["form"].errors
        notice = Notice.all_tenants.get(title=f"{user.username}的通知")
        client.post(reverse("notices:notice_publish", args=[notice.pk]))
        notice.refresh_from_db()
        assert notice.state == Notice.State.PUBLISHED
        assert client.get(reverse("notices:notice_detail", args=[notice.pk])).status_code == 200
    # Neither is a company's to read as a sender; both reach world.a's residents.
    client.logout()
    login(client, world.a.users["company_admin"])
    for notice in Notice.all_tenants.exclude(sender_kind="site"):
        assert client.get(reverse("notices:notice_detail", args=[notice.pk])).status_code == 404
    client.logout()
    login(client, world.a.users["resident"])
    titles = {n.title for n in client.get(reverse("notices:mine")).context["object_list"]}
    assert titles == {"assoc的通知", "authority的通知"}
    client.logout()
    login(client, world.b.users["resident"])  # 武昌区: the association's only
    titles = {n.title for n in client.get(reverse("notices:mine")).context["object_list"]}
    assert titles == {"assoc的通知"}


def test_export_lists_the_notices_with_their_figures(client, world):
    site_notice(world.a, title='=HYPERLINK("http://x")')
    site_notice(world.a, title="草稿", publish=False)
    login(client, world.a.users["company_admin"])
    response = client.get(reverse("notices:notice_export"), {"state": "published"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "标题"
    assert [r[0] for r in rows[1:]] == ['=HYPERLINK("http://x")']  # text, not a formula
    assert rows[1][9:11] == (3, 0)  # audience: world.a's 2 residents and its guard; no reader
    assert AuditEvent.objects.filter(action="notices.notices_export").count() == 1


def test_a_draft_is_edited_a_published_notice_is_not(client, world):
    manager = world.a.users["site_manager"]
    draft = notice_create(
        actor=manager,
        scope=scope_of(manager),
        target_kind="site",
        target_site=world.a.site.pk,
        title="旧标题",
        body="正文",
    )
    login(client, manager)
    data = {
        "title": "新标题",
        "body": "正文",
        "target_kind": "site",
        "target_site": str(world.a.site.pk),
        "to_residents": "on",
        "urgency": "normal",
    }
    url = reverse("notices:notice_edit", args=[draft.pk])
    assert client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert draft.title == "新标题"
    notice_publish(actor=manager, notice=draft)
    response = client.post(url, {**data, "title": "再改"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    draft.refresh_from_db()
    assert draft.title == "新标题"

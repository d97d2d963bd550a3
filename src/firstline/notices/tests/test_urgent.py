"""Urgent notices by text message: one SmsMessage per distinct phone of the audience
(console backend), linked to the notice, counted on its page; none for a notice that
is not urgent or not sent by text."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.urls import reverse

from firstline.core.personal.fields import set_personal
from firstline.estates.models import Staff
from firstline.health.models import SmsMessage
from firstline.notices.models import Notice, NoticeSms
from firstline.notices.services.notices import notice_create, notice_publish
from firstline.notices.services.urgent import notice_sms_send
from firstline.notices.tests.rows import scope_of, site_notice
from firstline.testing.world import PASSWORD, make_id_number, make_resident

pytestmark = pytest.mark.django_db


def urgent_sms():
    return SmsMessage.all_tenants.filter(purpose=SmsMessage.Purpose.URGENT_NOTICE)


def test_urgent_notice_texts_each_phone_once(client, world, django_capture_on_commit_callbacks):
    admin = world.a.users["company_admin"]
    # The same phone at the company's second site, and a member of staff with a phone.
    make_resident(
        household=world.a.sibling.household,
        name="a2同号",
        phone="13800000101",  # world.a's first resident's
        id_number=make_id_number(901),
    )
    guard = Staff.all_tenants.get(pk=world.a.staff.pk)
    set_personal(guard, "phone", "13700001234")
    guard.save()
    draft = notice_create(
        actor=admin,
        scope=scope_of(admin),
        target_kind="company",
        target_company=world.a.company.pk,
        to_residents=True,
        to_staff=True,
        title="紧急通知：今晚 20:00 起全员核酸检测，请按楼栋顺序下楼",
        body="请佩戴口罩，保持一米距离。",
        urgency=Notice.Urgency.URGENT,
        also_sms=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_publish(actor=admin, notice=draft)
    # a: 2 residents + the guard; a2: 2 residents + one sharing a's phone (skipped).
    phones = {
        "138****0101",
        "139****0102",
        "137****1234",
        "138****1101",
        "139****1102",
    }
    assert set(urgent_sms().values_list("phone_masked", flat=True)) == phones
    assert urgent_sms().count() == 5
    assert set(urgent_sms().values_list("status", flat=True)) == {SmsMessage.Status.SENT}
    links = NoticeSms.all_tenants.filter(notice=notice)
    assert links.count() == 5 and all(link.sent for link in links)
    assert set(links.values_list("message_id", flat=True)) == set(
        urgent_sms().values_list("pk", flat=True)
    )
    # Each message at the site of the person it was sent for.
    by_site = dict(urgent_sms().values_list("site_id").annotate(n=Count("id")))
    assert by_site == {world.a.site.pk: 3, world.a.sibling.site.pk: 2}

    # A second run (a retried task) sends nothing again.
    assert notice_sms_send(notice_id=notice.pk) == {"sent": 0, "failed": 0, "skipped": 5}
    assert urgent_sms().count() == 5

    assert client.login(username=admin.username, password=PASSWORD)
    page = client.get(reverse("notices:notice_detail", args=[notice.pk]))
    assert page.context["figures"]["sms"] == {"sent": 5, "failed": 0}
    assert "已发送 5 · 失败 0" in page.content.decode()


def test_a_notice_that_is_not_urgent_sends_no_text(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        site_notice(world.a, title="普通通知")
        site_notice(world.a, title="紧急但不发短信", urgency=Notice.Urgency.URGENT)
    assert urgent_sms().count() == 0
    assert NoticeSms.all_tenants.count() == 0


def test_a_failed_message_is_counted_as_failed(world, settings, django_capture_on_commit_callbacks):
    # A provider without a template for the purpose: every message a recorded failure.
    settings.FIRSTLINE_SMS_BACKEND = "alibaba"
    settings.FIRSTLINE_SMS_KEY_ID = "id"
    settings.FIRSTLINE_SMS_KEY_SECRET = "secret"
    settings.FIRSTLINE_SMS_SIGN_NAME = "第一防线"
    settings.FIRSTLINE_SMS_TEMPLATES = {}
    with django_capture_on_commit_callbacks(execute=True):
        notice = site_notice(
            world.a, title="紧急", urgency=Notice.Urgency.URGENT, also_sms=True, to_staff=False
        )
    assert urgent_sms().filter(status=SmsMessage.Status.FAILED).count() == 2
    from firstline.notices.selectors.figures import sms_tally

    assert sms_tally(notice) == {"sent": 0, "failed": 2}

"""The demo's notices (issue #15): the association's, the authority's and the first
site's, one urgent sent by text message, with some receipts; the demo resident sees
them on the phone page."""

import pytest
from django.test import Client
from django.urls import reverse

from firstline.health.models import SmsMessage
from firstline.notices.models import Notice, NoticeRead, NoticeSms
from firstline.scenario.world import DEMO_PASSWORD, ScaleOverride, build_world

TINY = ScaleOverride(companies=3, sites=10, residents=400, staff=60, batch=150)

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def world(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.VAR_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        return build_world(scale="demo", seed=1, size=TINY)


def test_the_notices_world(world):
    step = next(s for s in world.steps if s.name == "notices")
    assert step.rows["notices"] == 6 and step.rows["reads"] > 0
    kinds = set(Notice.all_tenants.values_list("sender_kind", flat=True))
    assert kinds == {"association", "authority", "site"}
    urgent = Notice.all_tenants.get(urgency=Notice.Urgency.URGENT)
    assert urgent.also_sms and urgent.state == Notice.State.PUBLISHED
    # The urgent notice's text messages went out through the console backend.
    sent = NoticeSms.all_tenants.filter(notice=urgent, sent=True).count()
    assert sent > 0
    assert SmsMessage.all_tenants.filter(purpose="urgent_notice").count() == sent
    assert NoticeRead.all_tenants.filter(notice=urgent).exists()

    client = Client()
    assert client.login(username="resident_1", password=DEMO_PASSWORD)
    titles = [n.title for n in client.get(reverse("notices:mine")).context["object_list"]]
    assert titles[0] == urgent.title  # urgent first
    assert "关于进一步加强住宅小区封闭管理的通告" in titles
    assert "致全市业主和物业服务人员的倡议书" in titles
    assert "明日小区公共区域全面消杀" not in titles  # scheduled for tomorrow
    home = client.get(reverse("dashboard"))
    assert urgent.title in home.content.decode()

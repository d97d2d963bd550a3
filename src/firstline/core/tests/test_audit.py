"""The audit trail's actions: each app's enumeration, the only thing `audit_record`
takes, and the label the change history shows for a stored value."""

import pytest
from django.utils.translation import gettext_lazy as _

from firstline.core.models import AuditAction, AuditEvent, BaseAuditAction, TaskProgress
from firstline.core.services import audit_record


def test_a_stored_action_shows_the_label_of_the_app_that_declared_it():
    class SampleAction(BaseAuditAction):
        THING_DO = "sample.thing_do", _("做一件事")

    assert AuditEvent(action="sample.thing_do").action_label == "做一件事"
    assert AuditEvent(action=AuditAction.ALERT_ACKNOWLEDGE).action_label == "确认告警"
    # a value no enumeration declares (any more) shows as stored
    assert AuditEvent(action="retired_action").action_label == "retired_action"


@pytest.mark.django_db
def test_a_plain_string_is_refused_and_nothing_is_written():
    with pytest.raises(TypeError, match="'create' is not a member"):
        audit_record(actor=None, company_id=None, action="create", obj=TaskProgress())
    assert not AuditEvent.objects.exists()

"""The notice form: it validates input and limits every choice to what the user may
publish as and send to; the services write (and check the choices again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.estates.forms import ScopedForm
from firstline.notices.models import Notice
from firstline.notices.selectors import targets
from firstline.notices.services.content import ALLOWED_TAGS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _empty(label):
    return [("", label)]


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class NoticeForm(ScopedForm):
    sender = forms.ChoiceField(label=_("发布单位"))
    title = forms.CharField(label=_("标题"), max_length=120)
    body = forms.CharField(
        label=_("正文"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20_000,
        help_text=_(
            "可直接输入文字（空行分段），或使用这些 HTML 标签：%(tags)s。其他标签会被去除。"
        )
        % {"tags": "、".join(sorted(ALLOWED_TAGS))},
    )
    target_kind = forms.ChoiceField(label=_("发送范围"), choices=Notice.TargetKind.choices)
    target_site = forms.TypedChoiceField(label=_("目标项目"), coerce=int, required=False)
    target_company = forms.TypedChoiceField(label=_("目标企业"), coerce=int, required=False)
    target_division = forms.ChoiceField(label=_("目标辖区"), required=False)
    to_residents = forms.BooleanField(label=_("发给居民"), required=False, initial=True)
    to_staff = forms.BooleanField(label=_("发给员工"), required=False)
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=Notice.Urgency.choices, initial=Notice.Urgency.NORMAL
    )
    also_sms = forms.BooleanField(
        label=_("同时短信通知（仅紧急公告）"),
        required=False,
        help_text=_("发布后向发送范围内登记了手机号的居民/员工各发一条短信，同一号码只发一次。"),
    )
    publish_at = forms.DateTimeField(
        label=_("发布时间"),
        required=False,
        widget=DateTimeLocal(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=_("留空则在点击“发布”时立即发布。"),
    )
    expires_at = forms.DateTimeField(
        label=_("截止时间"),
        required=False,
        widget=DateTimeLocal(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=_("过了截止时间，居民端不再显示。留空则一直显示，直到撤回。"),
    )
    attachment = forms.FileField(
        label=_("附件"),
        required=False,
        help_text=_("PDF、Word（.docx）、Excel（.xlsx）或图片，不超过 10 MB；每条公告最多 5 个。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = self.scope
        if self.instance is not None:  # a draft's sender stays
            del self.fields["sender"]
        else:
            senders = targets.sender_choices(scope)
            self.fields["sender"].choices = senders
            if len(senders) == 1:  # the only choice: taken when left out
                self.fields["sender"].initial = senders[0][0]
                self.fields["sender"].required = False
        self.fields["target_site"].choices = _empty(
            _("（选择项目）")
        ) + targets.target_sites_across_companies(scope)
        self.fields["target_company"].choices = _empty(
            _("（选择企业）")
        ) + targets.target_company_choices(scope)
        self.fields["target_division"].choices = _empty(
            _("（选择辖区）")
        ) + targets.target_division_choices(scope)

    def initial_from(self, instance) -> dict:
        return {
            "title": instance.title,
            "body": instance.body,
            "target_kind": instance.target_kind,
            "target_site": instance.target_site_id,
            "target_company": instance.target_company_id,
            "target_division": instance.target_division.code if instance.target_division_id else "",
            "to_residents": instance.to_residents,
            "to_staff": instance.to_staff,
            "urgency": instance.urgency,
            "also_sms": instance.also_sms,
            "publish_at": instance.publish_at,
            "expires_at": instance.expires_at,
        }

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        upload = data.pop("attachment", None)
        data["attachments"] = [upload] if upload else []
        for name in ("target_site", "target_company"):
            if data.get(name) == "":
                data[name] = None
        return data

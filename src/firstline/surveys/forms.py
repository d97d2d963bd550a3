"""The survey forms: the XLSForm upload (the service reads the workbook and names
every problem by row) and the open/close times. A respondent's page is not a Django
form: its questions come from the survey (views/answer.py reads the POST)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.estates.forms import ScopedForm
from firstline.surveys.models import Survey

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def _when(label):
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=DateTimeLocal(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )


class UploadForm(ScopedForm):
    file = forms.FileField(
        label=_("XLSForm 工作簿（.xlsx）"),
        help_text=_(
            "支持：单选、多选、评分（range，或 likert 外观的单选）、矩阵（table-list 分组）、"
            "区划选择（select_one fl_district / fl_street / fl_community）、文件和图片（file、image）、"
            "整数、小数（单位写在题目里）、文本、日期、说明、计算、分组（每组一页）、必答、"
            "显示条件（relevant）、校验（constraint）。"
        ),
    )
    audience = forms.ChoiceField(label=_("调查对象"), choices=Survey.Audience.choices)
    title = forms.CharField(
        label=_("标题"), max_length=200, required=False, help_text=_("留空则用表单的 form_title。")
    )
    opens_at = _when(_("开始时间"))
    closes_at = _when(_("截止时间"))

    def service_kwargs(self) -> dict:
        upload = self.cleaned_data["file"]
        return {
            "data": upload.read(),
            "filename": upload.name,
            "audience": self.cleaned_data["audience"],
            "title": self.cleaned_data["title"],
            "opens_at": self.cleaned_data["opens_at"],
            "closes_at": self.cleaned_data["closes_at"],
        }


class VersionForm(ScopedForm):
    file = forms.FileField(label=_("XLSForm 工作簿（.xlsx）"))


class ConfirmForm(ScopedForm):
    """An action that asks nothing more (open, close)."""


class DistributionForm(ScopedForm):
    """How an owners' survey is handed out (phone check, quotas) or a company
    survey's automatic reminders; the service refuses what does not fit the audience."""

    phone_check = forms.ChoiceField(
        label=_("手机号验证"), choices=Survey.PhoneCheck.choices, required=False
    )
    quota_per_site = forms.IntegerField(
        label=_("每个项目限额"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text=_("每个项目最多收多少份；留空不限。"),
    )
    quota_per_district = forms.IntegerField(
        label=_("每个区县限额"),
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text=_("每个区县最多收多少份；留空不限。"),
    )
    remind_every_days = forms.IntegerField(
        label=_("自动提醒间隔（天）"),
        required=False,
        min_value=1,
        max_value=60,
        help_text=_("每隔几天自动提醒未提交的企业；留空不自动提醒。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            if self.instance.audience == Survey.Audience.OWNERS:
                del self.fields["remind_every_days"]
            else:
                for name in ("phone_check", "quota_per_site", "quota_per_district"):
                    del self.fields[name]


class DelegateForm(ScopedForm):
    """The company admin gives a company survey to one of the company's staff."""

    user = forms.TypedChoiceField(label=_("委托给"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", _("（收回委托，由企业管理员填写）"))] + [
            (u.pk, f"{u.display_name or u.username}（{u.username}）") for u in users
        ]


class QuestionForm(ScopedForm):
    """One question of a draft survey, written on the page (services/authoring.py
    checks it as it checks an XLSForm row)."""

    name = forms.CharField(
        label=_("变量名"),
        max_length=64,
        help_text=_("字母开头，只含字母、数字和下划线，如 staff。"),
    )
    type = forms.ChoiceField(label=_("题型"), choices=())
    label = forms.CharField(label=_("题目"), max_length=500, required=False)
    label_en = forms.CharField(label=_("英文题目"), max_length=500, required=False)
    hint = forms.CharField(label=_("提示"), max_length=500, required=False)
    required = forms.BooleanField(label=_("必答"), required=False)
    choices = forms.CharField(
        label=_("选项"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("单选、多选、评分题：每行一个“代码 标签”，如“yes 是”；评分题的代码为分值。"),
    )
    relevant = forms.CharField(
        label=_("显示条件"), max_length=500, required=False, help_text=_("如 ${closed} = 'yes'")
    )
    constraint = forms.CharField(
        label=_("校验规则"), max_length=500, required=False, help_text=_("如 . >= 0")
    )
    constraint_message = forms.CharField(label=_("校验提示"), max_length=200, required=False)
    section = forms.CharField(
        label=_("分节（变量名）"),
        max_length=64,
        required=False,
        help_text=_("同一分节的题目在手机上同一页；留空则不分节。"),
    )
    section_label = forms.CharField(label=_("分节标题"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from firstline.surveys.models import Question
        from firstline.surveys.services.authoring import AUTHORED

        self.fields["type"].choices = [
            (value, label) for value, label in Question.Type.choices if value in AUTHORED
        ]

    def initial_from(self, instance) -> dict:
        from firstline.surveys.services.authoring import choices_text

        out = super().initial_from(instance)
        out["choices"] = choices_text(instance.choices)
        return out

    def service_data(self) -> dict:
        from firstline.surveys.services.authoring import parse_choices

        data = dict(self.cleaned_data)
        data["choices"] = parse_choices(data.get("choices", ""))
        return data

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
            "支持：单选、多选、整数、小数（单位写在题目里）、文本、日期、说明、计算、"
            "分组（每组一页）、必答、显示条件（relevant）、校验（constraint）。"
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

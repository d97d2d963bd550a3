"""The daily report's forms: the list's filter (day, site, state, late/missing) and
the submission (the manual fields only; the figures are not typed, they are shown
read-only from the prefill and recomputed by the service at submission)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.core.api import ROW_ID_MAX
from firstline.reports.models import DailyReport
from firstline.reports.services.daily import NOTES_MAX

FLAG_CHOICES = [
    ("", _("全部")),
    ("missing", _("未报（已过截止时间）")),
    ("late", _("逾期报送")),
    ("on_time", _("按时报送")),
]


class DailyFilterForm(forms.Form):
    """?day= (default yesterday; `all` for every day), ?state=, ?flag=, ?site=."""

    day = forms.DateField(label=_("报告日期"), required=False)
    state = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态")), *DailyReport.State.choices], required=False
    )
    flag = forms.ChoiceField(label=_("按时情况"), choices=FLAG_CHOICES, required=False)
    site = forms.IntegerField(label=_("项目"), required=False, min_value=1, max_value=ROW_ID_MAX)

    def __init__(self, data=None, **kwargs):
        data = data.copy() if data is not None else {}
        self.all_days = data.get("day") == "all"
        if self.all_days:
            data["day"] = ""
        super().__init__(data, **kwargs)
        self.is_valid()

    def value(self, name):
        """The cleaned value, or None when it was absent or invalid (an invalid
        filter is shown with its error and ignored)."""
        return getattr(self, "cleaned_data", {}).get(name) or None

    def chosen_day(self):
        if self.all_days:
            return None
        return self.value("day") or timezone.localdate() - timedelta(days=1)


class SubmitForm(forms.Form):
    notes = forms.CharField(
        label=_("情况说明"),
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )
    help_needed = forms.CharField(
        label=_("需协调解决的问题"),
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)

"""Forms of the care pages (isolation, support, vulnerable residents): they validate
input and limit every choice to the user's scope; the services write."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.estates.forms import ScopedForm
from firstline.estates.models import Staff
from firstline.health.models import (
    IsolationCase,
    IsolationCheck,
    IsolationFacility,
    SupportRequest,
    Symptom,
    VulnerableCheck,
)
from firstline.health.services.isolation import TEMPERATURE_MAX, TEMPERATURE_MIN


def company_facilities(scope):
    """Facilities are company-wide: a site role sees its company's (the model's site path)."""
    return IsolationFacility.objects.for_scope(scope).order_by("name", "id")


class IsolationOpenForm(ScopedForm):
    kind = forms.ChoiceField(
        label=_("方式"), choices=IsolationCase.Kind.choices, initial=IsolationCase.Kind.HOME
    )
    whole_household = forms.BooleanField(
        label=_("全户居家隔离"),
        required=False,
        help_text=_(
            "同户成员一并不得出入并列入隔离名单；确诊病例的密切接触者默认全户隔离。仅适用于居家隔离。"
        ),
    )
    facility = forms.ModelChoiceField(
        label=_("隔离点"),
        queryset=IsolationFacility.objects.none(),
        required=False,
        empty_label=_("居家隔离无需选择"),
    )
    reason = forms.CharField(label=_("原因"), max_length=200)
    start_date = forms.DateField(
        label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    planned_end = forms.DateField(
        label=_("计划解除日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空为开始日期后 14 天。"),
    )

    def __init__(self, *args, company_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = company_facilities(self.scope).filter(
            company_id=company_id
        )
        self.fields["start_date"].initial = timezone.localdate()


class ExtendForm(ScopedForm):
    planned_end = forms.DateField(
        label=_("新的计划解除日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("延期原因"), max_length=200)


class ReleaseForm(ScopedForm):
    note = forms.CharField(
        label=_("解除说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class CheckForm(ScopedForm):
    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    slot = forms.ChoiceField(label=_("时段"), choices=IsolationCheck.Slot.choices)
    temperature = forms.DecimalField(
        label=_("体温（℃）"),
        max_digits=3,
        decimal_places=1,
        min_value=TEMPERATURE_MIN,
        max_value=TEMPERATURE_MAX,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    symptoms = forms.MultipleChoiceField(
        label=_("症状"),
        choices=Symptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # CheckboxSelectMultiple renders its own inputs; the Bootstrap class goes on each.
        self.fields["symptoms"].widget.attrs["class"] = "form-check-input"


class FacilityForm(ScopedForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    capacity = forms.IntegerField(label=_("床位"), min_value=1, max_value=100000)


# --- support ---------------------------------------------------------------------------


class SupportForm(ScopedForm):
    kind = forms.ChoiceField(label=_("类型"), choices=SupportRequest.Kind.choices)
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        choices=SupportRequest.Urgency.choices,
        initial=SupportRequest.Urgency.NORMAL,
    )
    details = forms.CharField(
        label=_("需求说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssignForm(ScopedForm):
    assigned_to = forms.ModelChoiceField(
        label=_("负责人"), queryset=Staff.objects.none(), empty_label=_("请选择工作人员")
    )

    def __init__(self, *args, site_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = (
            Staff.objects.for_scope(self.scope)
            .filter(site_id=site_id, on_duty=True)
            .order_by("position", "name", "id")
        )
        self.fields["assigned_to"].label_from_instance = lambda s: (
            f"{s.name}（{s.get_position_display()}）"
        )


class CompleteForm(ScopedForm):
    proof_note = forms.CharField(
        label=_("送达说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    proof_photo = forms.FileField(
        label=_("送达照片"),
        required=False,
        help_text=_("可选；不超过 5 MB，位置等信息会被去除。"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )


class CancelForm(ScopedForm):
    reason = forms.CharField(label=_("取消原因"), max_length=200)


class VulnerableCallForm(ScopedForm):
    outcome = forms.ChoiceField(
        label=_("结果"), choices=VulnerableCheck.Outcome.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label=_("备注"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("需要帮扶时请写明需要什么，保存后可直接登记帮扶需求。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].widget.attrs["class"] = "form-check-input"

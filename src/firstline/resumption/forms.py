"""Forms of the resumption pages: validate input, limit choices to the scope; the
services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.estates.forms import ScopedForm
from firstline.estates.models import Building
from firstline.geo.models import Division

MANAGE = "resumption.manage_building"


class TenantForm(ScopedForm):
    building = forms.ModelChoiceField(
        label=_("楼栋"), queryset=Building.objects.none(), empty_label=_("请选择楼栋")
    )
    floor = forms.CharField(
        label=_("楼层"), max_length=16, help_text=_("如 12，作为门岗按楼层计人数的依据")
    )
    room = forms.CharField(label=_("房号"), max_length=16, help_text=_("如 1201"))
    name = forms.CharField(label=_("企业名称"), max_length=128)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=40)
    floors = forms.CharField(
        label=_("所在楼层"), max_length=32, required=False, help_text=_("占用多层时如 12-14")
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=64)
    phone = forms.CharField(label=_("联系电话"), max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = (
            Building.objects.for_scope(self.scope)
            .filter(site__site_type__in=("office", "commercial"))
            .select_related("site")
            .order_by("site__name", "name")
        )
        self.fields["building"].label_from_instance = lambda b: f"{b.site.name} · {b.name}"


def _origin_choices():
    return [
        (d.code, d.name)
        for d in Division.objects.filter(level__lte=3).order_by("code").only("code", "name")
    ]


class ApplicationForm(ScopedForm):
    planned_date = forms.DateField(
        label=_("计划复工日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    headcount = forms.IntegerField(label=_("返岗人数"), min_value=1, max_value=100_000)
    origin_codes = forms.MultipleChoiceField(
        label=_("员工来源地"),
        required=False,
        help_text=_("员工从哪些地区返岗；来自风险地区的会被标出"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    prevention_plan = forms.CharField(
        label=_("防控方案"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )
    plan_file = forms.FileField(label=_("防控方案附件"), required=False)
    person_in_charge = forms.CharField(label=_("防疫负责人"), max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["origin_codes"].choices = _origin_choices()

    @staticmethod
    def initial_from(instance) -> dict:
        return {
            "planned_date": instance.planned_date,
            "headcount": instance.headcount,
            "origin_codes": instance.origin_codes,
            "prevention_plan": instance.prevention_plan,
            "person_in_charge": instance.person_in_charge,
        }


class ApproveForm(ScopedForm):
    approved_headcount = forms.IntegerField(label=_("核准返岗人数"), min_value=1, max_value=100_000)
    conditions = forms.CharField(
        label=_("复工条件"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如：错峰上下班、每日两次消毒、食堂分餐"),
    )

    @staticmethod
    def initial_from(instance) -> dict:
        return {"approved_headcount": instance.approved_headcount or instance.headcount}


class ReasonForm(ScopedForm):
    reason = forms.CharField(label=_("原因"), max_length=200)
    confirmed = forms.BooleanField(label=_("我已确认"), required=True)

    def __init__(self, *args, confirm_text="", **kwargs):
        super().__init__(*args, **kwargs)
        if confirm_text:
            self.fields["confirmed"].label = confirm_text


class TenantAdminForm(ScopedForm):
    username = forms.CharField(label=_("登录名"), max_length=150)
    name = forms.CharField(label=_("姓名"), max_length=64)


class StaffForm(ScopedForm):
    name = forms.CharField(label=_("姓名"), max_length=64)
    phone = forms.CharField(label=_("手机号"), max_length=20, help_text=_("员工用它登录健康申报"))
    id_number = forms.CharField(label=_("身份证号"), max_length=24)


class StaffImportForm(ScopedForm):
    file = forms.FileField(label=_("员工名单（.xlsx）"))


class PassesForm(ScopedForm):
    confirmed = forms.BooleanField(
        label=_("为尚未持证的员工发放通行证（不超过核准人数）"), required=True
    )


class SubmitForm(ScopedForm):
    confirmed = forms.BooleanField(
        label=_("确认提交：提交后不能再修改，由楼宇管理方审批"), required=True
    )

"""Forms of the job-fair pages: validate input; the services write and check."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline.estates.forms import ScopedForm
from firstline.jobs.models import Application, InterviewSlot, Position

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class FairForm(ScopedForm):
    title = forms.CharField(label=_("名称"), max_length=128)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    description = forms.CharField(
        label=_("简介"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    published = forms.BooleanField(label=_("公开招聘会页面"), required=False)


class BoothForm(ScopedForm):
    booth_name = forms.CharField(label=_("展位名称"), max_length=128)
    contact_name = forms.CharField(label=_("展位联系人"), max_length=64)
    phone = forms.CharField(label=_("联系电话"), max_length=20)
    booth_staff = forms.IntegerField(
        label=_("展位工作人员数"), min_value=1, max_value=200, initial=2
    )
    introduction = forms.CharField(
        label=_("企业介绍"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def initial_from(self, instance) -> dict:
        return {**super().initial_from(instance), "phone": ""}


class DecideForm(ScopedForm):
    verified = forms.TypedChoiceField(
        label=_("审核结果"),
        choices=[("1", _("通过")), ("0", _("不通过"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("审核意见"), max_length=200, required=False)


class PositionForm(ScopedForm):
    title = forms.CharField(label=_("职位"), max_length=128)
    city = forms.CharField(label=_("工作城市"), max_length=32)
    salary_min = forms.IntegerField(label=_("月薪下限（元）"), min_value=0, max_value=1_000_000)
    salary_max = forms.IntegerField(label=_("月薪上限（元）"), min_value=0, max_value=1_000_000)
    headcount = forms.IntegerField(label=_("招聘人数"), min_value=1, max_value=1000, initial=1)
    state = forms.ChoiceField(label=_("状态"), choices=Position.State.choices)
    requirements = forms.CharField(
        label=_("任职要求"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class SlotForm(ScopedForm):
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DATETIME)
    meeting_link = forms.URLField(label=_("线上会议链接"), max_length=300, assume_scheme="https")


class MoveForm(ScopedForm):
    state = forms.ChoiceField(
        label=_("处理"),
        choices=[
            (Application.State.SHORTLISTED, _("初筛通过")),
            (Application.State.INTERVIEWED, _("已面试")),
            (Application.State.OFFER, _("发录用通知")),
            (Application.State.REJECTED, _("不录用")),
        ],
    )
    offer_salary = forms.IntegerField(
        label=_("录用月薪（元）"), min_value=1, max_value=1_000_000, required=False
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class InviteForm(ScopedForm):
    slot = forms.ModelChoiceField(
        label=_("直接安排时段"),
        queryset=InterviewSlot.objects.none(),
        required=False,
        empty_label=_("不指定，由毕业生从空闲时段中选择"),
    )

    def __init__(self, *args, slots=None, **kwargs):
        super().__init__(*args, **kwargs)
        if slots is not None:
            self.fields["slot"].queryset = slots


class PickForm(ScopedForm):
    slot = forms.ModelChoiceField(label=_("面试时段"), queryset=InterviewSlot.objects.none())

    def __init__(self, *args, slots=None, **kwargs):
        super().__init__(*args, **kwargs)
        if slots is not None:
            self.fields["slot"].queryset = slots


class ConfirmForm(ScopedForm):
    confirmed = forms.BooleanField(label=_("我确认撤回，此操作不可恢复"), required=True)


class ApplyForm(ScopedForm):
    cover_note = forms.CharField(
        label=_("求职留言"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProfileForm(ScopedForm):
    name = forms.CharField(label=_("姓名"), max_length=64)
    school = forms.CharField(label=_("学校"), max_length=128)
    major = forms.CharField(label=_("专业"), max_length=128)
    graduation_year = forms.IntegerField(label=_("毕业年份"), min_value=1900, max_value=2100)
    phone = forms.CharField(label=_("手机号"), max_length=20)
    id_number = forms.CharField(label=_("身份证号"), max_length=24)
    cv = forms.FileField(label=_("简历（PDF 或 Word，5 MB 以内）"), required=False)
    consent = forms.BooleanField(label=_("我同意向我申请的企业提供简历和联系方式"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:  # an edit: blank keeps the number on file
            for name in ("phone", "id_number"):
                self.fields[name].required = False
                self.fields[name].help_text = _("已登记 %(m)s，留空则不修改") % {
                    "m": getattr(self.instance, f"{name}_masked")
                }

    def initial_from(self, instance) -> dict:
        out = super().initial_from(instance)
        out.pop("cv", None)
        return {**out, "phone": "", "id_number": ""}


class SignUpForm(ProfileForm):
    username = forms.CharField(label=_("登录名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=128)

    field_order = ["username", "password"]
